package deployment

import (
	"context"
	"math"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/intstr"
	clienttesting "k8s.io/client-go/testing"
	"k8s.io/klog/v2"
	"k8s.io/utils/ptr"
)

// sizesByImage maps the image of every ReplicaSet's template to its
// spec.replicas.
func (h *harness) sizesByImage(t *testing.T) map[string]int32 {
	t.Helper()
	list, err := h.client.AppsV1().ReplicaSets("ns").List(context.Background(), metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]int32{}
	for _, rs := range list.Items {
		out[rs.Spec.Template.Spec.Containers[0].Image] = *rs.Spec.Replicas
	}
	return out
}

// progressingWrites lists the Progressing reason of every status write, in
// order.
func (h *harness) progressingWrites() []string {
	var out []string
	for _, a := range h.client.Actions() {
		u, ok := a.(clienttesting.UpdateAction)
		if !ok || a.GetSubresource() != "status" {
			continue
		}
		d := u.GetObject().(*appsv1.Deployment)
		reason := "<none>"
		if c := condition(d.Status, appsv1.DeploymentProgressing); c != nil {
			reason = c.Reason
		}
		out = append(out, reason)
	}
	return out
}

func TestSyncNewDeployment(t *testing.T) {
	d := newDeployment(3, "v1", func(d *appsv1.Deployment) {
		d.Spec.MinReadySeconds = 5
		d.Annotations = map[string]string{
			"kubernetes.io/change-cause":       "kubectl create deployment d --image=v1",
			corev1.LastAppliedConfigAnnotation: "{}",
		}
	})
	h := newHarness(t, d)
	h.sync(t)

	hash := PodTemplateHash(&d.Spec.Template, nil)
	name := "d-" + hash
	if diff := cmp.Diff([]string{"create replicasets " + name, "update deployments/status d", "update deployments/status d"}, h.writes()); diff != "" {
		t.Errorf("writes (-want +got):\n%s", diff)
	}
	rs := h.replicaSet(t, name)
	// What the fake client adds.
	rs.TypeMeta, rs.ManagedFields = metav1.TypeMeta{}, nil
	lbl := map[string]string{"app": "d", "pod-template-hash": hash}
	want := &appsv1.ReplicaSet{
		ObjectMeta: metav1.ObjectMeta{
			Name: name, Namespace: "ns", Labels: lbl,
			Annotations: map[string]string{
				RevisionAnnotation:           "1",
				DesiredReplicasAnnotation:    "3",
				MaxReplicasAnnotation:        "4",
				"kubernetes.io/change-cause": "kubectl create deployment d --image=v1",
			},
			OwnerReferences: []metav1.OwnerReference{{APIVersion: "apps/v1", Kind: "Deployment", Name: "d", UID: "d-uid",
				Controller: ptr.To(true), BlockOwnerDeletion: ptr.To(true)}},
		},
		Spec: appsv1.ReplicaSetSpec{
			// 3 + 1 surge: all three at once.
			Replicas:        ptr.To[int32](3),
			MinReadySeconds: 5,
			Selector:        &metav1.LabelSelector{MatchLabels: lbl},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: lbl},
				Spec:       d.Spec.Template.Spec,
			},
		},
	}
	if diff := cmp.Diff(want, rs); diff != "" {
		t.Errorf("replica set (-want +got):\n%s", diff)
	}
	got := h.deployment(t)
	if diff := cmp.Diff("1", got.Annotations[RevisionAnnotation]); diff != "" {
		t.Errorf("deployment revision (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"Available=False/MinimumReplicasUnavailable", "Progressing=True/NewReplicaSetCreated"}, conditions(got)); diff != "" {
		t.Errorf("conditions (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(appsv1.DeploymentStatus{ObservedGeneration: 1, TerminatingReplicas: ptr.To[int32](0)},
		appsv1.DeploymentStatus{ObservedGeneration: got.Status.ObservedGeneration, Replicas: got.Status.Replicas, TerminatingReplicas: got.Status.TerminatingReplicas}); diff != "" {
		t.Errorf("status (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"Normal ScalingReplicaSet Scaled up replica set " + name + " from 0 to 3"}, h.events()); diff != "" {
		t.Errorf("events (-want +got):\n%s", diff)
	}
}

func TestRollingUpdate(t *testing.T) {
	one, zero := intstr.FromInt32(1), intstr.FromInt32(0)
	tests := []struct {
		name string
		d    *appsv1.Deployment
		rss  func(d *appsv1.Deployment) []runtime.Object
		want map[string]int32
	}{{
		name: "new template: new replica set within the surge",
		d:    newDeployment(3, "v2", surge(one, zero)),
		rss: func(d *appsv1.Deployment) []runtime.Object {
			return []runtime.Object{rsOf(d, "v1", time.Hour, "1", 3, 3)}
		},
		want: map[string]int32{"v1": 3, "v2": 1},
	}, {
		name: "new pods not available: old ones stay",
		d:    newDeployment(3, "v2", surge(one, zero)),
		rss: func(d *appsv1.Deployment) []runtime.Object {
			return []runtime.Object{rsOf(d, "v1", time.Hour, "1", 3, 3), rsOf(d, "v2", time.Minute, "2", 1, 0)}
		},
		want: map[string]int32{"v1": 3, "v2": 1},
	}, {
		name: "new pod available: one old one goes",
		d:    newDeployment(3, "v2", surge(one, zero)),
		rss: func(d *appsv1.Deployment) []runtime.Object {
			return []runtime.Object{rsOf(d, "v1", time.Hour, "1", 3, 3), rsOf(d, "v2", time.Minute, "2", 1, 1)}
		},
		want: map[string]int32{"v1": 2, "v2": 1},
	}, {
		name: "old scaled down: new scales up to the surge",
		d:    newDeployment(3, "v2", surge(one, zero)),
		rss: func(d *appsv1.Deployment) []runtime.Object {
			return []runtime.Object{rsOf(d, "v1", time.Hour, "1", 2, 2), rsOf(d, "v2", time.Minute, "2", 1, 1)}
		},
		want: map[string]int32{"v1": 2, "v2": 2},
	}, {
		name: "unavailable old pods go first, within what may go",
		d:    newDeployment(3, "v2", surge(one, one)),
		rss: func(d *appsv1.Deployment) []runtime.Object {
			return []runtime.Object{rsOf(d, "v1", time.Hour, "1", 3, 1), rsOf(d, "v2", time.Minute, "2", 1, 0)}
		},
		// 4 pods - (3 - 1) must stay - 1 new unavailable = 1 may go.
		want: map[string]int32{"v1": 2, "v2": 1},
	}, {
		name: "max unavailable without surge: old goes first",
		d:    newDeployment(4, "v2", surge(zero, intstr.FromString("50%"))),
		rss: func(d *appsv1.Deployment) []runtime.Object {
			return []runtime.Object{rsOf(d, "v1", time.Hour, "1", 4, 4)}
		},
		// The new replica set cannot start above 4 pods: it is created
		// empty, and 2 old pods may go.
		want: map[string]int32{"v1": 2, "v2": 0},
	}, {
		name: "oldest old replica set scaled down first",
		d:    newDeployment(4, "v3", surge(zero, one)),
		rss: func(d *appsv1.Deployment) []runtime.Object {
			return []runtime.Object{rsOf(d, "v1", 2*time.Hour, "1", 2, 2), rsOf(d, "v2", time.Hour, "2", 2, 2), rsOf(d, "v3", time.Minute, "3", 0, 0)}
		},
		want: map[string]int32{"v1": 1, "v2": 2, "v3": 0},
	}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, append(tc.rss(tc.d), tc.d)...)
			h.sync(t)
			if diff := cmp.Diff(tc.want, h.sizesByImage(t)); diff != "" {
				t.Errorf("sizes (-want +got):\n%s", diff)
			}
		})
	}
}

func TestRecreate(t *testing.T) {
	d := newDeployment(3, "v2", recreate)
	oldPod := func(phase corev1.PodPhase) *corev1.Pod {
		old := rsOf(d, "v1", time.Hour, "1", 0, 0)
		return &corev1.Pod{
			ObjectMeta: metav1.ObjectMeta{Name: "old-pod", Namespace: "ns", Labels: old.Spec.Template.Labels,
				OwnerReferences: []metav1.OwnerReference{*metav1.NewControllerRef(old, appsv1.SchemeGroupVersion.WithKind("ReplicaSet"))}},
			Status: corev1.PodStatus{Phase: phase},
		}
	}
	tests := []struct {
		name string
		objs []runtime.Object
		want map[string]int32
	}{{
		name: "old replica sets go to zero first, nothing new yet",
		objs: []runtime.Object{rsOf(d, "v1", time.Hour, "1", 3, 3)},
		want: map[string]int32{"v1": 0},
	}, {
		name: "an old replica set still counts pods",
		objs: []runtime.Object{rsOf(d, "v1", time.Hour, "1", 0, 0, func(rs *appsv1.ReplicaSet) { rs.Status.Replicas = 1 })},
		want: map[string]int32{"v1": 0},
	}, {
		name: "an old pod still runs",
		objs: []runtime.Object{rsOf(d, "v1", time.Hour, "1", 0, 0), oldPod(corev1.PodRunning)},
		want: map[string]int32{"v1": 0},
	}, {
		name: "old pods done: the new replica set at full size",
		objs: []runtime.Object{rsOf(d, "v1", time.Hour, "1", 0, 0), oldPod(corev1.PodSucceeded)},
		want: map[string]int32{"v1": 0, "v2": 3},
	}, {
		name: "an existing new replica set is scaled up once the old pods are gone",
		objs: []runtime.Object{rsOf(d, "v1", time.Hour, "1", 0, 0), rsOf(d, "v2", time.Minute, "2", 0, 0)},
		want: map[string]int32{"v1": 0, "v2": 3},
	}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, append(tc.objs, d)...)
			h.sync(t)
			if diff := cmp.Diff(tc.want, h.sizesByImage(t)); diff != "" {
				t.Errorf("sizes (-want +got):\n%s", diff)
			}
		})
	}
}

// TestUndo plays kubectl rollout undo: the Deployment gets the template and
// annotations of the previous revision's ReplicaSet, which becomes the new
// one with the next revision.
func TestUndo(t *testing.T) {
	d := newDeployment(3, "v1", func(d *appsv1.Deployment) {
		d.Annotations = map[string]string{RevisionAnnotation: "2", "kubernetes.io/change-cause": "first"}
	})
	v1 := rsOf(d, "v1", time.Hour, "1", 0, 0, annotate("kubernetes.io/change-cause", "first"))
	v2 := rsOf(d, "v2", time.Minute, "2", 3, 3, annotate("kubernetes.io/change-cause", "second"))
	h := newHarness(t, d, v1, v2)
	h.sync(t)

	got := h.replicaSet(t, v1.Name)
	wantAnn := map[string]string{
		RevisionAnnotation:           "3",
		RevisionHistoryAnnotation:    "1",
		"kubernetes.io/change-cause": "first",
		// Sized again for this step of the rollout.
		DesiredReplicasAnnotation: "3",
		MaxReplicasAnnotation:     "4",
	}
	if diff := cmp.Diff(wantAnn, got.Annotations); diff != "" {
		t.Errorf("rolled back replica set's annotations (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff("3", h.deployment(t).Annotations[RevisionAnnotation]); diff != "" {
		t.Errorf("deployment revision (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(map[string]int32{"v1": 1, "v2": 3}, h.sizesByImage(t)); diff != "" {
		t.Errorf("sizes (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"Normal ScalingReplicaSet Scaled up replica set " + v1.Name + " from 0 to 1"}, h.events()); diff != "" {
		t.Errorf("events (-want +got):\n%s", diff)
	}
}

func TestRevisionHistory(t *testing.T) {
	tests := []struct {
		name, history, oldRevision, newRevision string
		want                                    map[string]string
	}{{
		name: "first rollback", oldRevision: "1", newRevision: "3",
		want: map[string]string{RevisionAnnotation: "3", RevisionHistoryAnnotation: "1"},
	}, {
		name: "again", history: "1", oldRevision: "3", newRevision: "5",
		want: map[string]string{RevisionAnnotation: "5", RevisionHistoryAnnotation: "1,3"},
	}, {
		name: "never lowered", oldRevision: "7", newRevision: "5",
		want: map[string]string{RevisionAnnotation: "7"},
	}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d := newDeployment(3, "v1")
			rs := rsOf(d, "v1", time.Hour, tc.oldRevision, 3, 3, func(rs *appsv1.ReplicaSet) {
				rs.Annotations = map[string]string{RevisionAnnotation: tc.oldRevision}
				if tc.history != "" {
					rs.Annotations[RevisionHistoryAnnotation] = tc.history
				}
			})
			setNewReplicaSetAnnotations(klog.Background(), d, rs, tc.newRevision, true)
			if diff := cmp.Diff(tc.want, rs.Annotations); diff != "" {
				t.Errorf("annotations (-want +got):\n%s", diff)
			}
		})
	}
}

func TestHashCollision(t *testing.T) {
	d := newDeployment(3, "v1")
	// Someone else's replica set holds the name d's template hashes to.
	squatter := rsOf(d, "other", time.Hour, "", 1, 1, func(rs *appsv1.ReplicaSet) {
		rs.Name = replicaSetName("d", PodTemplateHash(&d.Spec.Template, nil))
		rs.OwnerReferences = nil
		rs.Labels = map[string]string{"app": "other"}
	})
	h := newHarness(t, d, squatter)
	if _, err := h.c.sync(context.Background(), "ns/d"); err == nil {
		t.Fatal("sync succeeded on a collision, want an error to retry")
	}
	if got := h.deployment(t).Status.CollisionCount; ptr.Deref(got, 0) != 1 {
		t.Fatalf("collisionCount = %v, want 1", got)
	}
	h.refresh(t)
	h.sync(t)
	want := replicaSetName("d", PodTemplateHash(&d.Spec.Template, ptr.To[int32](1)))
	rs := h.replicaSet(t, want)
	if diff := cmp.Diff(want[len("d-"):], rs.Spec.Selector.MatchLabels[appsv1.DefaultDeploymentUniqueLabelKey]); diff != "" {
		t.Errorf("selector's hash (-want +got):\n%s", diff)
	}
}

func TestClaimReplicaSets(t *testing.T) {
	d := newDeployment(3, "v1")
	orphan := rsOf(d, "v1", time.Hour, "1", 3, 3, func(rs *appsv1.ReplicaSet) { rs.OwnerReferences = nil })
	relabelled := rsOf(d, "v0", 2*time.Hour, "1", 0, 0, func(rs *appsv1.ReplicaSet) { rs.Labels = map[string]string{"app": "elsewhere"} })
	foreign := rsOf(d, "x", 3*time.Hour, "1", 0, 0, func(rs *appsv1.ReplicaSet) {
		rs.OwnerReferences[0].UID = "someone-else"
	})
	h := newHarness(t, d, orphan, relabelled, foreign)
	claimed, err := h.c.claimReplicaSets(context.Background(), d)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(orphan.Name, rsNames(claimed...)); diff != "" {
		t.Errorf("claimed (-want +got):\n%s", diff)
	}
	controller := func(name string) string {
		if ref := metav1.GetControllerOf(h.replicaSet(t, name)); ref != nil {
			return string(ref.UID)
		}
		return ""
	}
	got := map[string]string{"orphan": controller(orphan.Name), "relabelled": controller(relabelled.Name), "foreign": controller(foreign.Name)}
	if diff := cmp.Diff(map[string]string{"orphan": "d-uid", "relabelled": "", "foreign": "someone-else"}, got); diff != "" {
		t.Errorf("controllers after the claim (-want +got):\n%s", diff)
	}
}

func TestPaused(t *testing.T) {
	paused := func(d *appsv1.Deployment) { d.Spec.Paused = true }
	t.Run("no rollout while paused", func(t *testing.T) {
		d := newDeployment(3, "v2", paused)
		h := newHarness(t, d, rsOf(d, "v1", time.Hour, "1", 3, 3))
		h.sync(t)
		if diff := cmp.Diff(map[string]int32{"v1": 3}, h.sizesByImage(t)); diff != "" {
			t.Errorf("sizes (-want +got):\n%s", diff)
		}
		if diff := cmp.Diff([]string{"Available=True/MinimumReplicasAvailable", "Progressing=Unknown/DeploymentPaused"}, conditions(h.deployment(t))); diff != "" {
			t.Errorf("conditions (-want +got):\n%s", diff)
		}
	})
	t.Run("scaling while paused is proportional", func(t *testing.T) {
		before := newDeployment(4, "v2", paused, surge(intstr.FromInt32(0), intstr.FromInt32(1)))
		d := newDeployment(8, "v2", paused, surge(intstr.FromInt32(0), intstr.FromInt32(1)))
		h := newHarness(t, d, rsOf(before, "v1", time.Hour, "1", 3, 3), rsOf(before, "v2", time.Minute, "2", 1, 1))
		h.sync(t)
		if diff := cmp.Diff(map[string]int32{"v1": 6, "v2": 2}, h.sizesByImage(t)); diff != "" {
			t.Errorf("sizes (-want +got):\n%s", diff)
		}
	})
	t.Run("resumed", func(t *testing.T) {
		d := newDeployment(3, "v1", func(d *appsv1.Deployment) {
			d.Annotations = map[string]string{RevisionAnnotation: "1"}
			d.Status.Conditions = []appsv1.DeploymentCondition{{Type: appsv1.DeploymentProgressing, Status: corev1.ConditionUnknown, Reason: PausedDeployReason}}
		})
		h := newHarness(t, d, rsOf(d, "v1", time.Hour, "1", 3, 3))
		h.sync(t)
		// Recorded as resumed first, so that the deadline counts from
		// now; then found complete.
		if diff := cmp.Diff([]string{ResumedDeployReason, NewRSAvailableReason}, h.progressingWrites()); diff != "" {
			t.Errorf("Progressing reasons written (-want +got):\n%s", diff)
		}
	})
}

func TestCleanup(t *testing.T) {
	complete := func(limit int32) func(*appsv1.Deployment) {
		return func(d *appsv1.Deployment) {
			d.Spec.RevisionHistoryLimit = ptr.To(limit)
			d.Status = appsv1.DeploymentStatus{ObservedGeneration: 1, Replicas: 3, UpdatedReplicas: 3, ReadyReplicas: 3, AvailableReplicas: 3}
		}
	}
	tests := []struct {
		name string
		d    *appsv1.Deployment
		old  func(d *appsv1.Deployment) []runtime.Object
		want []string
	}{{
		name: "oldest revisions beyond the limit go, whatever their age",
		d:    newDeployment(3, "v4", complete(1)),
		old: func(d *appsv1.Deployment) []runtime.Object {
			return []runtime.Object{
				rsOf(d, "v1", time.Minute, "1", 0, 0), rsOf(d, "v2", 2*time.Minute, "2", 0, 0), rsOf(d, "v3", 3*time.Minute, "3", 0, 0),
			}
		},
		want: []string{"v3", "v4"},
	}, {
		name: "only replica sets with nothing left to do",
		d:    newDeployment(3, "v4", complete(0)),
		old: func(d *appsv1.Deployment) []runtime.Object {
			return []runtime.Object{
				rsOf(d, "v1", time.Hour, "1", 0, 0, func(rs *appsv1.ReplicaSet) { rs.Status.Replicas = 1 }),
				rsOf(d, "v2", time.Hour, "2", 0, 0, func(rs *appsv1.ReplicaSet) { rs.Generation = 2 }),
				rsOf(d, "v3", time.Hour, "3", 0, 0),
			}
		},
		want: []string{"v1", "v2", "v4"},
	}, {
		name: "not before the rollout completes",
		d: newDeployment(3, "v4", complete(0), func(d *appsv1.Deployment) {
			d.Status.AvailableReplicas = 2
		}),
		old: func(d *appsv1.Deployment) []runtime.Object {
			return []runtime.Object{rsOf(d, "v3", time.Hour, "3", 0, 0)}
		},
		want: []string{"v3", "v4"},
	}, {
		name: "paused deployments clean up too",
		d: newDeployment(3, "v4", complete(0), func(d *appsv1.Deployment) {
			d.Spec.Paused = true
			d.Status.AvailableReplicas = 2
		}),
		old: func(d *appsv1.Deployment) []runtime.Object {
			return []runtime.Object{rsOf(d, "v3", time.Hour, "3", 0, 0)}
		},
		want: []string{"v4"},
	}, {
		name: "no limit keeps all",
		d:    newDeployment(3, "v4", complete(math.MaxInt32)),
		old: func(d *appsv1.Deployment) []runtime.Object {
			return []runtime.Object{rsOf(d, "v3", time.Hour, "3", 0, 0)}
		},
		want: []string{"v3", "v4"},
	}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			objs := append(tc.old(tc.d), tc.d, rsOf(tc.d, "v4", 0, "4", 3, 3))
			h := newHarness(t, objs...)
			h.sync(t)
			var left []string
			for image := range h.sizesByImage(t) {
				left = append(left, image)
			}
			if diff := cmp.Diff(tc.want, left, cmpopts.SortSlices(func(a, b string) bool { return a < b })); diff != "" {
				t.Errorf("replica sets left (-want +got):\n%s", diff)
			}
		})
	}
}

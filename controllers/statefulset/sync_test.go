package statefulset

import (
	"context"
	"sort"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/ptr"
)

// step is one sync of a scenario: what happens before it, and the pod and
// claim writes it must make.
type step struct {
	name   string
	before func(t *testing.T, h *harness)
	want   []string
	// unordered: Parallel writes within a batch in any order.
	unordered bool
}

func runSteps(t *testing.T, h *harness, steps []step) {
	t.Helper()
	for _, s := range steps {
		if s.before != nil {
			s.before(t, h)
		}
		h.sync(t)
		got := h.podWrites()
		if s.unordered {
			sort.Strings(got)
		}
		if diff := cmp.Diff(s.want, got); diff != "" {
			t.Fatalf("%s: pod writes (-want +got):\n%s\npods: %v", s.name, diff, h.pods(t))
		}
	}
}

func scale(n int32) func(*testing.T, *harness) {
	return func(t *testing.T, h *harness) {
		h.updateSet(t, func(s *appsv1.StatefulSet) { s.Spec.Replicas = ptr.To(n) })
	}
}

func image(img string) func(*testing.T, *harness) {
	return func(t *testing.T, h *harness) {
		h.updateSet(t, func(s *appsv1.StatefulSet) { s.Spec.Template.Spec.Containers[0].Image = img })
	}
}

func runPods(names ...string) func(*testing.T, *harness) {
	return func(t *testing.T, h *harness) { h.run(t, time.Hour, names...) }
}

// TestOrderedReadyScaling: pods are created one at a time in ordinal order,
// each once the one before is Running and Ready, and deleted one at a time
// from the highest ordinal.
func TestOrderedReadyScaling(t *testing.T) {
	h := newHarness(t, newSet(3, "v1"))
	runSteps(t, h, []step{
		{name: "first sync creates web-0 only", want: []string{"create pods web-0"}},
		{name: "pending web-0 holds web-1 back"},
		{name: "running but unready web-0 holds web-1 back", before: func(t *testing.T, h *harness) {
			h.setPod(t, "web-0", func(p *corev1.Pod) { p.Status.Phase = corev1.PodRunning })
		}},
		{name: "ready web-0 lets web-1 come", before: runPods("web-0"), want: []string{"create pods web-1"}},
		{name: "ready web-1 lets web-2 come", before: runPods("web-1"), want: []string{"create pods web-2"}},
		{name: "all ready", before: runPods("web-2")},
		{name: "scale down deletes the highest ordinal first", before: scale(1), want: []string{"delete pods web-2"}},
		{name: "then the next", want: []string{"delete pods web-1"}},
		{name: "done"},
		{name: "scale up again starts at web-1", before: scale(2), want: []string{"create pods web-1"}},
	})
	if diff := cmp.Diff([]string{"web-0:1:Running", "web-1:1:Pending"}, h.pods(t)); diff != "" {
		t.Errorf("pods (-want +got):\n%s", diff)
	}
}

// TestParallelScaling: Parallel creates and deletes without waiting.
func TestParallelScaling(t *testing.T) {
	h := newHarness(t, newSet(3, "v1", parallel))
	runSteps(t, h, []step{
		{name: "creates all at once", want: []string{"create pods web-0", "create pods web-1", "create pods web-2"}, unordered: true},
		{name: "pending pods need nothing"},
		{name: "scale down deletes all surplus at once, unready or not", before: func(t *testing.T, h *harness) {
			h.run(t, time.Hour, "web-0", "web-2")
			scale(0)(t, h)
		}, want: []string{"delete pods web-0", "delete pods web-1", "delete pods web-2"}, unordered: true},
	})
}

// TestOneSync covers single decisions of OrderedReady and Parallel on a
// given set of pods.
func TestOneSync(t *testing.T) {
	type podState struct {
		ordinal     int
		phase       corev1.PodPhase
		ready       bool
		terminating bool
		readyFor    time.Duration
	}
	running := func(ordinals ...int) []podState {
		var out []podState
		for _, o := range ordinals {
			out = append(out, podState{ordinal: o, phase: corev1.PodRunning, ready: true})
		}
		return out
	}
	tests := []struct {
		name       string
		set        *appsv1.StatefulSet
		pods       []podState
		want       []string
		wantEvents []string
	}{
		{
			name: "unready pod halts creation",
			set:  newSet(3, "v1"),
			pods: append(running(0), podState{ordinal: 1, phase: corev1.PodRunning}),
		},
		{
			name: "unready pod halts scale down past it",
			set:  newSet(1, "v1"),
			pods: append([]podState{{ordinal: 0, phase: corev1.PodRunning}}, running(1, 2)...),
		},
		{
			name: "the first unhealthy pod may be scaled away",
			set:  newSet(2, "v1"),
			pods: append(running(0, 1), podState{ordinal: 2, phase: corev1.PodRunning}),
			want: []string{"delete pods web-2"},
		},
		{
			name: "scale down takes healthy pods above an unhealthy one first",
			set:  newSet(1, "v1"),
			pods: append(running(0, 2), podState{ordinal: 1, phase: corev1.PodPending}),
			want: []string{"delete pods web-2"},
		},
		{
			name: "terminating pod halts creation",
			set:  newSet(3, "v1"),
			pods: append(running(0), podState{ordinal: 1, phase: corev1.PodRunning, ready: true, terminating: true}),
		},
		{
			name: "terminating condemned pod halts scale down",
			set:  newSet(1, "v1"),
			pods: append(running(0, 1), podState{ordinal: 2, phase: corev1.PodRunning, ready: true, terminating: true}),
		},
		{
			name: "ready but not yet available for minReadySeconds halts creation",
			set:  newSet(2, "v1", func(s *appsv1.StatefulSet) { s.Spec.MinReadySeconds = 30 }),
			pods: []podState{{ordinal: 0, phase: corev1.PodRunning, ready: true, readyFor: 10 * time.Second}},
		},
		{
			name: "available for minReadySeconds lets the next come",
			set:  newSet(2, "v1", func(s *appsv1.StatefulSet) { s.Spec.MinReadySeconds = 30 }),
			pods: []podState{{ordinal: 0, phase: corev1.PodRunning, ready: true, readyFor: 30 * time.Second}},
			want: []string{"create pods web-1"},
		},
		{
			name:       "failed pod is deleted, to be created again",
			set:        newSet(3, "v1"),
			pods:       append(running(0, 2), podState{ordinal: 1, phase: corev1.PodFailed}),
			want:       []string{"delete pods web-1"},
			wantEvents: []string{"Normal SuccessfulDelete Delete Pod web-1 in StatefulSet web successful"},
		},
		{
			name: "succeeded pod too",
			set:  newSet(1, "v1"),
			pods: []podState{{ordinal: 0, phase: corev1.PodSucceeded}},
			want: []string{"delete pods web-0"},
		},
		{
			name: "Parallel recreates a failed pod and creates a missing one in the same sync",
			set:  newSet(3, "v1", parallel),
			pods: append(running(0), podState{ordinal: 1, phase: corev1.PodFailed}),
			want: []string{"create pods web-2", "delete pods web-1"},
		},
		{
			name:       "spec.ordinals.start",
			set:        newSet(2, "v1", func(s *appsv1.StatefulSet) { s.Spec.Ordinals = &appsv1.StatefulSetOrdinals{Start: 3} }),
			want:       []string{"create pods web-3"},
			wantEvents: []string{"Normal SuccessfulCreate Create Pod web-3 in StatefulSet web successful"},
		},
		{
			name: "pods below a raised start ordinal are scaled away",
			set:  newSet(2, "v1", func(s *appsv1.StatefulSet) { s.Spec.Ordinals = &appsv1.StatefulSetOrdinals{Start: 1} }),
			pods: running(0, 1, 2),
			want: []string{"delete pods web-0"},
		},
		{
			name: "a set being deleted only reports",
			set: newSet(1, "v1", func(s *appsv1.StatefulSet) {
				s.DeletionTimestamp = ptr.To(metav1.NewTime(now))
				s.Finalizers = []string{"foregroundDeletion"}
			}),
			pods: running(1, 2),
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rev := revisionOf(t, tc.set, 1)
			objs := []runtime.Object{tc.set, rev}
			for _, ps := range tc.pods {
				pod := podOf(t, tc.set, rev, ps.ordinal, ps.phase, ps.ready)
				if ps.readyFor > 0 {
					pod.Status.Conditions[0].LastTransitionTime = metav1.NewTime(now.Add(-ps.readyFor))
				}
				if ps.terminating {
					pod.DeletionTimestamp = ptr.To(metav1.NewTime(now))
				}
				objs = append(objs, pod)
			}
			h := newHarness(t, objs...)
			h.sync(t)
			got := h.podWrites()
			sort.Strings(got)
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("pod writes (-want +got):\n%s", diff)
			}
			if tc.wantEvents != nil {
				if diff := cmp.Diff(tc.wantEvents, h.events()); diff != "" {
					t.Errorf("events (-want +got):\n%s", diff)
				}
			}
		})
	}
}

// TestRollingUpdate rolls a new template out from the highest ordinal
// down, one pod at a time, each replacement ready before the next goes.
func TestRollingUpdate(t *testing.T) {
	set := newSet(3, "v1")
	rev := revisionOf(t, set, 1)
	h := newHarness(t, set, rev,
		podOf(t, set, rev, 0, corev1.PodRunning, true), podOf(t, set, rev, 1, corev1.PodRunning, true), podOf(t, set, rev, 2, corev1.PodRunning, true))
	runSteps(t, h, []step{
		{name: "steady"},
		{name: "new template: web-2 goes first", before: image("v2"), want: []string{"delete pods web-2"}},
		{name: "web-2 comes back", want: []string{"create pods web-2"}},
		{name: "web-1 waits for web-2 to be ready"},
		{name: "web-1 goes", before: runPods("web-2"), want: []string{"delete pods web-1"}},
		{name: "web-1 comes back", want: []string{"create pods web-1"}},
		{name: "web-0 goes", before: runPods("web-1"), want: []string{"delete pods web-0"}},
		{name: "web-0 comes back", want: []string{"create pods web-0"}},
		{name: "rolled out", before: runPods("web-0")},
	})
	if diff := cmp.Diff([]string{"web-0:2:Running", "web-1:2:Running", "web-2:2:Running"}, h.pods(t)); diff != "" {
		t.Errorf("pods (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"v1:1", "v2:2"}, h.revisions(t)); diff != "" {
		t.Errorf("revisions (-want +got):\n%s", diff)
	}
	got := h.set(t).Status
	v2 := revisionOf(t, newSet(3, "v2"), 2).Name
	want := appsv1.StatefulSetStatus{ObservedGeneration: 2, Replicas: 3, ReadyReplicas: 3, AvailableReplicas: 3, CurrentReplicas: 3, UpdatedReplicas: 3,
		CurrentRevision: v2, UpdateRevision: v2, CollisionCount: ptr.To[int32](0)}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("status (-want +got):\n%s", diff)
	}
}

// TestRollingUpdateStrategies: partitions, maxUnavailable and OnDelete.
func TestRollingUpdateStrategies(t *testing.T) {
	tests := []struct {
		name     string
		replicas int32
		mutate   func(*appsv1.StatefulSet)
		// unready ordinals, still at the old revision.
		unready []int
		steps   []step
	}{
		{
			name: "partition keeps the pods below it", replicas: 3, mutate: rolling(2, intstr.FromInt32(1)),
			steps: []step{
				{name: "update", before: image("v2"), want: []string{"delete pods web-2"}},
				{name: "recreate", want: []string{"create pods web-2"}},
				{name: "ready, and nothing below the partition moves", before: runPods("web-2")},
				{name: "lowering the partition moves web-1", before: func(t *testing.T, h *harness) {
					h.updateSet(t, func(s *appsv1.StatefulSet) { s.Spec.UpdateStrategy.RollingUpdate.Partition = ptr.To[int32](1) })
				}, want: []string{"delete pods web-1"}},
			},
		},
		{
			name: "partition above the replicas updates nothing", replicas: 3, mutate: rolling(5, intstr.FromInt32(1)),
			steps: []step{{name: "update", before: image("v2")}},
		},
		{
			name: "maxUnavailable 2 replaces two at a time", replicas: 4, mutate: rolling(0, intstr.FromInt32(2)),
			steps: []step{
				{name: "update", before: image("v2"), want: []string{"delete pods web-3", "delete pods web-2"}},
				{name: "OrderedReady recreates one at a time", want: []string{"create pods web-2"}},
				{name: "next", before: runPods("web-2"), want: []string{"create pods web-3"}},
				{name: "two more go", before: runPods("web-3"), want: []string{"delete pods web-1", "delete pods web-0"}},
			},
		},
		{
			name: "maxUnavailable 50% of 5 is 2", replicas: 5, mutate: rolling(0, intstr.FromString("50%")),
			steps: []step{{name: "update", before: image("v2"), want: []string{"delete pods web-4", "delete pods web-3"}}},
		},
		{
			name: "Parallel replaces an unready old pod first and spends the rest of the budget from the top", replicas: 4,
			mutate:  func(s *appsv1.StatefulSet) { parallel(s); rolling(0, intstr.FromInt32(2))(s) },
			unready: []int{1},
			steps: []step{
				{name: "update", before: image("v2"), want: []string{"delete pods web-1", "delete pods web-3"}},
				{name: "both come back at once", want: []string{"create pods web-1", "create pods web-3"}, unordered: true},
			},
		},
		{
			name: "OnDelete replaces only what the user deletes", replicas: 3, mutate: onDelete,
			steps: []step{
				{name: "update deletes nothing", before: image("v2")},
				{name: "a deleted pod comes back at the new revision", before: func(t *testing.T, h *harness) { h.deletePod(t, "web-1") },
					want: []string{"create pods web-1"}},
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			set := newSet(tc.replicas, "v1", tc.mutate)
			rev := revisionOf(t, set, 1)
			objs := []runtime.Object{set, rev}
			for i := range int(tc.replicas) {
				ready := true
				for _, u := range tc.unready {
					ready = ready && u != i
				}
				objs = append(objs, podOf(t, set, rev, i, corev1.PodRunning, ready))
			}
			h := newHarness(t, objs...)
			runSteps(t, h, tc.steps)
		})
	}
}

// TestOnDeleteRevisions: a pod recreated under OnDelete carries the update
// revision, and the status tells current from updated.
func TestOnDeleteRevisions(t *testing.T) {
	set := newSet(2, "v1", onDelete)
	rev := revisionOf(t, set, 1)
	h := newHarness(t, set, rev, podOf(t, set, rev, 0, corev1.PodRunning, true), podOf(t, set, rev, 1, corev1.PodRunning, true))
	h.sync(t)
	image("v2")(t, h)
	h.sync(t)
	h.deletePod(t, "web-1")
	h.sync(t)
	h.run(t, time.Hour, "web-1")
	h.sync(t)
	if diff := cmp.Diff([]string{"web-0:1:Running", "web-1:2:Running"}, h.pods(t)); diff != "" {
		t.Errorf("pods (-want +got):\n%s", diff)
	}
	if got := h.pod(t, "web-1").Spec.Containers[0].Image; got != "v2" {
		t.Errorf("web-1 image = %q, want v2", got)
	}
	s := h.set(t).Status
	if s.CurrentReplicas != 1 || s.UpdatedReplicas != 1 || s.CurrentRevision != rev.Name || s.UpdateRevision == rev.Name {
		t.Errorf("status = %+v, want one pod at each revision, current %s", s, rev.Name)
	}
}

// TestRevisions: creating, reusing and renumbering revisions, the history
// limit, collisions and adoption.
func TestRevisions(t *testing.T) {
	v := func(t *testing.T, image string, n int64) *appsv1.ControllerRevision {
		return revisionOf(t, newSet(3, image), n)
	}
	tests := []struct {
		name string
		set  *appsv1.StatefulSet
		// objs builds the revisions and anything else.
		objs          func(t *testing.T) []runtime.Object
		wantRevisions []string
		wantUpdate    string
		wantCollision int32
	}{
		{
			name:          "a new set records revision 1",
			set:           newSet(3, "v1"),
			objs:          func(*testing.T) []runtime.Object { return nil },
			wantRevisions: []string{"v1:1"},
			wantUpdate:    "v1",
		},
		{
			name:          "the same template keeps its revision",
			set:           newSet(3, "v2"),
			objs:          func(t *testing.T) []runtime.Object { return []runtime.Object{v(t, "v1", 1), v(t, "v2", 2)} },
			wantRevisions: []string{"v1:1", "v2:2"},
			wantUpdate:    "v2",
		},
		{
			name:          "a new template gets the next number",
			set:           newSet(3, "v3"),
			objs:          func(t *testing.T) []runtime.Object { return []runtime.Object{v(t, "v1", 1), v(t, "v2", 2)} },
			wantRevisions: []string{"v1:1", "v2:2", "v3:3"},
			wantUpdate:    "v3",
		},
		{
			name:          "a rollback renumbers the old revision",
			set:           newSet(3, "v1"),
			objs:          func(t *testing.T) []runtime.Object { return []runtime.Object{v(t, "v1", 1), v(t, "v2", 2)} },
			wantRevisions: []string{"v2:2", "v1:3"},
			wantUpdate:    "v1",
		},
		{
			name: "history beyond the limit goes, oldest first, but not what pods use",
			set:  newSet(3, "v5", func(s *appsv1.StatefulSet) { s.Spec.RevisionHistoryLimit = ptr.To[int32](1) }),
			objs: func(t *testing.T) []runtime.Object {
				set := newSet(3, "v5")
				r2 := v(t, "v2", 2)
				return []runtime.Object{v(t, "v1", 1), r2, v(t, "v3", 3), v(t, "v4", 4), v(t, "v5", 5),
					podOf(t, set, r2, 0, corev1.PodRunning, true)}
			},
			wantRevisions: []string{"v2:2", "v4:4", "v5:5"},
			wantUpdate:    "v5",
		},
		{
			name: "a name taken by other data raises the collision count",
			set:  newSet(3, "v1"),
			objs: func(t *testing.T) []runtime.Object {
				// Another set's revision under the name v1 would get.
				taken := v(t, "v9", 1)
				taken.Name = v(t, "v1", 1).Name
				taken.Labels = map[string]string{"app": "other"}
				taken.OwnerReferences[0].UID = "other-uid"
				return []runtime.Object{taken}
			},
			wantRevisions: []string{"v1:1", "v9:1"},
			wantUpdate:    "v1",
			wantCollision: 1,
		},
		{
			name: "orphaned revisions are adopted",
			set:  newSet(3, "v2"),
			objs: func(t *testing.T) []runtime.Object {
				orphan := v(t, "v1", 1)
				orphan.OwnerReferences = nil
				return []runtime.Object{orphan}
			},
			wantRevisions: []string{"v1:1", "v2:2"},
			wantUpdate:    "v2",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, append(tc.objs(t), tc.set)...)
			h.sync(t)
			if diff := cmp.Diff(tc.wantRevisions, h.revisions(t)); diff != "" {
				t.Errorf("revisions (-want +got):\n%s", diff)
			}
			set := h.set(t)
			list, err := h.client.AppsV1().ControllerRevisions("ns").List(context.Background(), metav1.ListOptions{})
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range list.Items {
				if r.Labels["app"] == "web" && !metav1.IsControlledBy(&r, set) {
					t.Errorf("revision %s is not controlled by the set: %v", r.Name, r.OwnerReferences)
				}
				if r.Name != set.Status.UpdateRevision {
					continue
				}
				s, err := applyRevision(set, &r)
				if err != nil {
					t.Fatal(err)
				}
				if got := s.Spec.Template.Spec.Containers[0].Image; got != tc.wantUpdate {
					t.Errorf("update revision %s has image %s, want %s", r.Name, got, tc.wantUpdate)
				}
				if want := revisionName("web", hashRevision(r.Data.Raw, ptr.To(tc.wantCollision))); r.Name != want {
					t.Errorf("update revision name = %s, want %s", r.Name, want)
				}
			}
			if got := ptr.Deref(set.Status.CollisionCount, -1); got != tc.wantCollision {
				t.Errorf("collisionCount = %d, want %d", got, tc.wantCollision)
			}
		})
	}
}

// TestStatus checks what kubectl rollout status reads, mid-rollout and
// after, and the requeue that makes availableReplicas catch up.
func TestStatus(t *testing.T) {
	v1set := newSet(3, "v1", onDelete)
	r1 := revisionOf(t, v1set, 1)
	v2set := newSet(3, "v2", onDelete, func(s *appsv1.StatefulSet) {
		s.Generation = 2
		s.Spec.MinReadySeconds = 30
		s.Status.CurrentRevision = r1.Name
	})
	r2 := revisionOf(t, v2set, 2)
	readyFor := func(p *corev1.Pod, d time.Duration) *corev1.Pod {
		p.Status.Conditions[0].LastTransitionTime = metav1.NewTime(now.Add(-d))
		return p
	}
	terminating := func(p *corev1.Pod) *corev1.Pod {
		p.DeletionTimestamp = ptr.To(metav1.NewTime(now))
		return p
	}
	tests := []struct {
		name      string
		pods      []runtime.Object
		want      appsv1.StatefulSetStatus
		wantAfter time.Duration
	}{
		{
			name: "mid-rollout, one updated pod not yet available",
			pods: []runtime.Object{podOf(t, v2set, r1, 0, corev1.PodRunning, true), podOf(t, v2set, r1, 1, corev1.PodRunning, true),
				readyFor(podOf(t, v2set, r2, 2, corev1.PodRunning, true), 10*time.Second)},
			want: appsv1.StatefulSetStatus{ObservedGeneration: 2, Replicas: 3, ReadyReplicas: 3, AvailableReplicas: 2, CurrentReplicas: 2, UpdatedReplicas: 1,
				CurrentRevision: r1.Name, UpdateRevision: r2.Name, CollisionCount: ptr.To[int32](0)},
			wantAfter: 20 * time.Second,
		},
		{
			name: "rolled out: the update revision becomes current",
			pods: []runtime.Object{podOf(t, v2set, r2, 0, corev1.PodRunning, true), podOf(t, v2set, r2, 1, corev1.PodRunning, true),
				podOf(t, v2set, r2, 2, corev1.PodRunning, true)},
			want: appsv1.StatefulSetStatus{ObservedGeneration: 2, Replicas: 3, ReadyReplicas: 3, AvailableReplicas: 3, CurrentReplicas: 3, UpdatedReplicas: 3,
				CurrentRevision: r2.Name, UpdateRevision: r2.Name, CollisionCount: ptr.To[int32](0)},
		},
		{
			name: "pending and terminating pods",
			pods: []runtime.Object{podOf(t, v2set, r2, 0, corev1.PodRunning, true), podOf(t, v2set, r2, 1, corev1.PodPending, false),
				terminating(podOf(t, v2set, r1, 2, corev1.PodRunning, true))},
			want: appsv1.StatefulSetStatus{ObservedGeneration: 2, Replicas: 3, ReadyReplicas: 2, AvailableReplicas: 2, CurrentReplicas: 0, UpdatedReplicas: 2,
				CurrentRevision: r1.Name, UpdateRevision: r2.Name, CollisionCount: ptr.To[int32](0)},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, append(tc.pods, v2set, r1, r2)...)
			after := h.sync(t)
			if diff := cmp.Diff(tc.want, h.set(t).Status); diff != "" {
				t.Errorf("status (-want +got):\n%s", diff)
			}
			if after != tc.wantAfter {
				t.Errorf("requeue after %v, want %v", after, tc.wantAfter)
			}
			h.sync(t)
			if w := h.writes(); len(w) != 0 {
				t.Errorf("second sync wrote %v, want nothing", w)
			}
		})
	}
}

// TestAdoption: matching orphans with a member's name are adopted; owned
// pods that stop matching, or never had a member's name, are released.
func TestAdoption(t *testing.T) {
	set := newSet(2, "v1")
	rev := revisionOf(t, set, 1)
	orphan := podOf(t, set, rev, 1, corev1.PodRunning, true)
	orphan.OwnerReferences = nil
	notMember := podOf(t, set, rev, 0, corev1.PodRunning, true)
	notMember.Name, notMember.UID, notMember.OwnerReferences = "other-0", "other-0-uid", nil
	relabelled := podOf(t, set, rev, 3, corev1.PodRunning, true)
	relabelled.Labels["app"] = "debug"
	ownedNonMember := podOf(t, set, rev, 0, corev1.PodRunning, true)
	ownedNonMember.Name, ownedNonMember.UID = "web-debug", "web-debug-uid"
	h := newHarness(t, set, rev, orphan, notMember, relabelled, ownedNonMember)
	h.sync(t)
	got := h.podWrites()
	sort.Strings(got)
	want := []string{"create pods web-0", "patch pods web-1", "patch pods web-3", "patch pods web-debug"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("pod writes (-want +got):\n%s", diff)
	}
	owned := map[string]bool{}
	for name, p := range h.podMap(t) {
		owned[name] = metav1.IsControlledBy(p, set)
	}
	if diff := cmp.Diff(map[string]bool{"web-0": true, "web-1": true, "web-3": false, "other-0": false, "web-debug": false}, owned); diff != "" {
		t.Errorf("controlled by the set (-want +got):\n%s", diff)
	}
}

// TestStaleCache: after its own writes, the controller leaves a set alone
// until the caches have seen them.
func TestStaleCache(t *testing.T) {
	h := newHarness(t, newSet(1, "v1"))
	h.refresh(t)
	h.c.writes.wrote("ns/web", "web-uid", resourcePods, "12")
	pods := h.factory.Core().V1().Pods().Informer().GetIndexer()
	for _, tc := range []struct {
		name      string
		storeRV   string
		wantAfter time.Duration
		want      []string
	}{
		{name: "pod cache older than the write", storeRV: "11", wantAfter: staleCacheRecheck},
		{name: "pod cache caught up", storeRV: "12", want: []string{"create pods web-0"}},
	} {
		if err := pods.Replace(nil, tc.storeRV); err != nil {
			t.Fatal(err)
		}
		h.client.ClearActions()
		after, err := h.c.sync(context.Background(), "ns/web")
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if after != tc.wantAfter {
			t.Errorf("%s: requeue after %v, want %v", tc.name, after, tc.wantAfter)
		}
		if diff := cmp.Diff(tc.want, h.podWrites()); diff != "" {
			t.Errorf("%s: pod writes (-want +got):\n%s", tc.name, diff)
		}
	}
}

package daemonset

import (
	"context"
	"fmt"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/ptr"

	"github.com/kubeshim/kubeshim/controllers/deployment"
	"github.com/kubeshim/kubeshim/controllers/expectations"
	"github.com/kubeshim/kubeshim/controllers/queue"
)

var worker = labelled("role", "worker")

// TestRevisionData pins the revision data to upstream's format: kubectl
// rollout undo and the conformance tests compare it byte for byte.
func TestRevisionData(t *testing.T) {
	got, err := revisionData(newDS(func(ds *appsv1.DaemonSet) {
		ds.Spec.Template.Spec.TerminationGracePeriodSeconds = ptr.To[int64](30)
		ds.Spec.Template.Annotations = map[string]string{"z": "<&>", "a": "1"}
	}))
	if err != nil {
		t.Fatal(err)
	}
	want := `{"spec":{"template":{"$patch":"replace","metadata":{"annotations":{"a":"1","z":"\u003c\u0026\u003e"},"labels":{"app":"ds"}},` +
		`"spec":{"containers":[{"image":"v1","name":"c","resources":{}}],"terminationGracePeriodSeconds":30}}}}`
	if diff := cmp.Diff(want, string(got)); diff != "" {
		t.Errorf("revision data (-want +got):\n%s", diff)
	}
}

func TestSyncCreatesOnePodPerEligibleNode(t *testing.T) {
	ds := newDS(nodeSelector("role", "worker"))
	h := newHarness(t, ds, node("n1", worker), node("n2", worker), node("n3"),
		node("n4", worker, tainted("dedicated", corev1.TaintEffectNoSchedule)))
	hash := hashOf(ds)
	h.sync(t)

	if diff := cmp.Diff([]string{"create controllerrevisions ds-" + hash, "create pods ds-*", "create pods ds-*", "update daemonsets/status ds"}, h.writes()); diff != "" {
		t.Errorf("writes (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"Normal SuccessfulCreate Created pod: ds-1", "Normal SuccessfulCreate Created pod: ds-2"}, h.events()); diff != "" {
		t.Errorf("events (-want +got):\n%s", diff)
	}
	cr, err := h.client.AppsV1().ControllerRevisions("ns").Get(context.Background(), "ds-"+hash, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	want := revisionOf(t, ds, 1)
	if diff := cmp.Diff(want, cr, cmpopts.IgnoreFields(metav1.ObjectMeta{}, "ResourceVersion", "ManagedFields"), cmpopts.IgnoreTypes(metav1.TypeMeta{})); diff != "" {
		t.Errorf("controller revision (-want +got):\n%s", diff)
	}

	pods := h.pods(t)
	if diff := cmp.Diff([]string{"n1:cur", "n2:cur"}, layout(t, pods, map[string]string{hash: "cur"})); diff != "" {
		t.Errorf("pods (-want +got):\n%s", diff)
	}
	spec := ds.Spec.Template.Spec.DeepCopy()
	addDaemonTolerations(spec)
	for _, p := range pods {
		n, _ := targetNode(p)
		wantPod := &corev1.Pod{
			ObjectMeta: metav1.ObjectMeta{
				GenerateName:    "ds-",
				Namespace:       "ns",
				Labels:          map[string]string{"app": "ds", appsv1.DefaultDaemonSetUniqueLabelKey: hash},
				OwnerReferences: []metav1.OwnerReference{{APIVersion: "apps/v1", Kind: "DaemonSet", Name: "ds", UID: "ds-uid", Controller: ptr.To(true), BlockOwnerDeletion: ptr.To(true)}},
			},
			Spec: *spec.DeepCopy(),
		}
		// Placed by the scheduler through its node affinity, not by
		// the controller through spec.nodeName.
		wantPod.Spec.Affinity = withNodeAffinity(nil, n)
		if diff := cmp.Diff(wantPod, p, cmpopts.EquateEmpty(), cmpopts.IgnoreFields(metav1.ObjectMeta{}, "Name", "UID", "CreationTimestamp", "ResourceVersion", "ManagedFields"),
			cmpopts.IgnoreTypes(metav1.TypeMeta{})); diff != "" {
			t.Errorf("pod %s (-want +got):\n%s", p.Name, diff)
		}
	}
	if diff := cmp.Diff(appsv1.DaemonSetStatus{DesiredNumberScheduled: 2, NumberUnavailable: 2, ObservedGeneration: 1}, h.ds(t).Status); diff != "" {
		t.Errorf("status after creating (-want +got):\n%s", diff)
	}

	// The informer shows the pods: scheduled, not yet ready.
	h.refresh(t)
	h.sync(t)
	if diff := cmp.Diff([]string{"update daemonsets/status ds"}, h.writes()); diff != "" {
		t.Errorf("writes once the pods are seen (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(appsv1.DaemonSetStatus{DesiredNumberScheduled: 2, CurrentNumberScheduled: 2, UpdatedNumberScheduled: 2, NumberUnavailable: 2, ObservedGeneration: 1},
		h.ds(t).Status); diff != "" {
		t.Errorf("status with pending pods (-want +got):\n%s", diff)
	}

	h.kubelet(t)
	h.refresh(t)
	h.sync(t)
	if diff := cmp.Diff(appsv1.DaemonSetStatus{DesiredNumberScheduled: 2, CurrentNumberScheduled: 2, UpdatedNumberScheduled: 2, NumberReady: 2, NumberAvailable: 2, ObservedGeneration: 1},
		h.ds(t).Status); diff != "" {
		t.Errorf("status with ready pods (-want +got):\n%s", diff)
	}
	h.refresh(t)
	h.writes()
	h.sync(t)
	if diff := cmp.Diff([]string(nil), h.writes()); diff != "" {
		t.Errorf("writes when all is done (-want +got):\n%s", diff)
	}
}

// TestSyncExpectations: until the informer shows the pods a sync created,
// the next sync creates none, unless the wait has lasted too long.
func TestSyncExpectations(t *testing.T) {
	ds := newDS()
	h := newHarness(t, ds, revisionOf(t, ds, 1), node("n1"), node("n2"))
	h.sync(t)
	if diff := cmp.Diff([]string{"create pods ds-*", "create pods ds-*", "update daemonsets/status ds"}, h.writes()); diff != "" {
		t.Errorf("first sync (-want +got):\n%s", diff)
	}
	h.sync(t)
	if diff := cmp.Diff([]string{"update daemonsets/status ds"}, h.writes()); diff != "" {
		t.Errorf("sync before the creates are seen (-want +got):\n%s", diff)
	}
	h.clock.Step(expectations.Timeout + time.Second)
	h.sync(t)
	if diff := cmp.Diff([]string{"create pods ds-*", "create pods ds-*", "update daemonsets/status ds"}, h.writes()); diff != "" {
		t.Errorf("sync after the expectations expired (-want +got):\n%s", diff)
	}
}

func TestSyncPods(t *testing.T) {
	ds := newDS(nodeSelector("role", "worker"))
	hash := hashOf(ds)
	older := func(p *corev1.Pod) { p.CreationTimestamp = metav1.NewTime(now.Add(-3 * time.Hour)) }
	terminating := func(p *corev1.Pod) { p.DeletionTimestamp = ptr.To(metav1.NewTime(now)) }
	tests := []struct {
		name       string
		objs       []runtime.Object
		wantWrites []string
		wantEvents []string
		wantStatus appsv1.DaemonSetStatus
		// wantController maps pod names to their controller's name after
		// the sync ("" for none).
		wantController map[string]string
	}{{
		name:       "a pod on a node relabelled out of the selector is deleted",
		objs:       []runtime.Object{node("n1"), daemonPod("p1", "n1", ds, hash)},
		wantWrites: []string{"delete pods p1", "update daemonsets/status ds"},
		wantEvents: []string{"Normal SuccessfulDelete Deleted pod: p1"},
		wantStatus: appsv1.DaemonSetStatus{NumberMisscheduled: 1, ObservedGeneration: 1},
	}, {
		name:       "an untolerated NoSchedule taint keeps a running pod, misscheduled",
		objs:       []runtime.Object{node("n1", worker, tainted("dedicated", corev1.TaintEffectNoSchedule)), daemonPod("p1", "n1", ds, hash)},
		wantWrites: []string{"update daemonsets/status ds"},
		wantStatus: appsv1.DaemonSetStatus{NumberMisscheduled: 1, ObservedGeneration: 1},
	}, {
		name:       "an untolerated NoSchedule taint keeps a new pod off",
		objs:       []runtime.Object{node("n1", worker, tainted("dedicated", corev1.TaintEffectNoSchedule))},
		wantWrites: []string{"update daemonsets/status ds"},
		wantStatus: appsv1.DaemonSetStatus{ObservedGeneration: 1},
	}, {
		name:       "an untolerated NoExecute taint evicts",
		objs:       []runtime.Object{node("n1", worker, tainted("dedicated", corev1.TaintEffectNoExecute)), daemonPod("p1", "n1", ds, hash)},
		wantWrites: []string{"delete pods p1", "update daemonsets/status ds"},
		wantEvents: []string{"Normal SuccessfulDelete Deleted pod: p1"},
		wantStatus: appsv1.DaemonSetStatus{NumberMisscheduled: 1, ObservedGeneration: 1},
	}, {
		name:       "an unbound pod for a node that is gone is deleted, a bound one is the pod GC's",
		objs:       []runtime.Object{daemonPod("unbound", "gone", ds, hash, unbound), daemonPod("bound", "gone", ds, hash)},
		wantWrites: []string{"delete pods unbound", "update daemonsets/status ds"},
		wantEvents: []string{"Normal SuccessfulDelete Deleted pod: unbound"},
		wantStatus: appsv1.DaemonSetStatus{ObservedGeneration: 1},
	}, {
		name: "surplus pods on a node: the oldest bound one stays",
		objs: []runtime.Object{node("n1", worker), daemonPod("new", "n1", ds, hash), daemonPod("old", "n1", ds, hash, older),
			daemonPod("oldest-unbound", "n1", ds, hash, unbound, func(p *corev1.Pod) { p.CreationTimestamp = metav1.NewTime(now.Add(-5 * time.Hour)) })},
		wantWrites: []string{"delete pods new", "delete pods oldest-unbound", "update daemonsets/status ds"},
		wantEvents: []string{"Normal SuccessfulDelete Deleted pod: new", "Normal SuccessfulDelete Deleted pod: oldest-unbound"},
		wantStatus: appsv1.DaemonSetStatus{DesiredNumberScheduled: 1, CurrentNumberScheduled: 1, NumberReady: 1, NumberAvailable: 1, UpdatedNumberScheduled: 1, ObservedGeneration: 1},
	}, {
		name:       "a failed pod is deleted",
		objs:       []runtime.Object{node("n1", worker), daemonPod("p1", "n1", ds, hash, failed)},
		wantWrites: []string{"delete pods p1", "update daemonsets/status ds"},
		wantEvents: []string{"Normal SuccessfulDelete Deleted pod: p1", "Warning FailedDaemonPod Found failed daemon pod ns/p1 on node n1, will try to kill it"},
		wantStatus: appsv1.DaemonSetStatus{DesiredNumberScheduled: 1, CurrentNumberScheduled: 1, NumberUnavailable: 1, UpdatedNumberScheduled: 1, ObservedGeneration: 1},
	}, {
		name:       "a terminating pod is waited for",
		objs:       []runtime.Object{node("n1", worker), daemonPod("p1", "n1", ds, hash, terminating)},
		wantWrites: []string{"update daemonsets/status ds"},
		wantStatus: appsv1.DaemonSetStatus{DesiredNumberScheduled: 1, CurrentNumberScheduled: 1, NumberReady: 1, NumberAvailable: 1, UpdatedNumberScheduled: 1, ObservedGeneration: 1},
	}, {
		name: "matching orphans are adopted, owned pods that no longer match released and replaced, others' pods left",
		objs: []runtime.Object{node("n1", worker), node("n2", worker), node("n3", worker),
			daemonPod("orphan", "n1", nil, hash),
			daemonPod("relabelled", "n2", ds, hash, func(p *corev1.Pod) { p.Labels = map[string]string{"app": "other"} }),
			daemonPod("others", "n3", newDS(func(o *appsv1.DaemonSet) { o.Name, o.UID = "other", "other-uid" }), hash),
			daemonPod("orphan-terminating", "n3", nil, hash, terminating),
		},
		wantWrites: []string{"create pods ds-*", "create pods ds-*", "patch pods orphan", "patch pods relabelled", "update daemonsets/status ds"},
		wantEvents: []string{"Normal SuccessfulCreate Created pod: ds-1", "Normal SuccessfulCreate Created pod: ds-2"},
		wantStatus: appsv1.DaemonSetStatus{DesiredNumberScheduled: 3, CurrentNumberScheduled: 1, NumberReady: 1, NumberAvailable: 1, NumberUnavailable: 2,
			UpdatedNumberScheduled: 1, ObservedGeneration: 1},
		wantController: map[string]string{"orphan": "ds", "relabelled": "", "others": "other", "orphan-terminating": ""},
	}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, append([]runtime.Object{ds, revisionOf(t, ds, 1)}, tc.objs...)...)
			h.sync(t)
			if diff := cmp.Diff(tc.wantWrites, h.writes()); diff != "" {
				t.Errorf("writes (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tc.wantEvents, h.events()); diff != "" {
				t.Errorf("events (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tc.wantStatus, h.ds(t).Status); diff != "" {
				t.Errorf("status (-want +got):\n%s", diff)
			}
			for name, want := range tc.wantController {
				p, err := h.client.CoreV1().Pods("ns").Get(context.Background(), name, metav1.GetOptions{})
				if err != nil {
					t.Fatal(err)
				}
				got := ""
				if ref := metav1.GetControllerOf(p); ref != nil {
					got = ref.Name
				}
				if got != want {
					t.Errorf("controller of %s = %q, want %q", name, got, want)
				}
			}
		})
	}
}

// TestFailedPodBackoff: a pod that keeps failing on a node is replaced
// after a doubling delay, and the sync asks to come back when it ends.
func TestFailedPodBackoff(t *testing.T) {
	// Observed already: the back-off is per generation the controller saw.
	ds := newDS(func(ds *appsv1.DaemonSet) { ds.Status.ObservedGeneration = 1 })
	h := newHarness(t, ds, revisionOf(t, ds, 1), node("n1"), daemonPod("p0", "n1", ds, hashOf(ds), failed))
	// step syncs and summarises its pod writes and requeue delay.
	step := func() string {
		t.Helper()
		after := h.sync(t)
		var pods []string
		for _, w := range h.writes() {
			if w != "update daemonsets/status ds" {
				pods = append(pods, w)
			}
		}
		h.refresh(t)
		return fmt.Sprintf("%v after %v", pods, after)
	}
	// failAll is the kubelet rejecting the replacement.
	failAll := func() {
		t.Helper()
		for _, p := range h.pods(t) {
			failed(p)
			if _, err := h.client.CoreV1().Pods("ns").UpdateStatus(context.Background(), p, metav1.UpdateOptions{}); err != nil {
				t.Fatal(err)
			}
		}
		h.client.ClearActions()
		h.refresh(t)
	}
	var got []string
	got = append(got, step(), step())
	failAll()
	got = append(got, step())
	h.clock.Step(time.Second)
	got = append(got, step(), step())
	failAll()
	got = append(got, step())
	h.clock.Step(time.Second)
	got = append(got, step())
	h.clock.Step(time.Second)
	got = append(got, step())
	want := []string{
		"[delete pods p0] after 0s",
		"[create pods ds-*] after 0s",
		"[] after 1s",
		"[delete pods ds-1] after 0s",
		"[create pods ds-*] after 0s",
		"[] after 2s",
		"[] after 2s",
		"[delete pods ds-2] after 0s",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("steps (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{
		"Normal SuccessfulCreate Created pod: ds-1",
		"Normal SuccessfulCreate Created pod: ds-2",
		"Normal SuccessfulDelete Deleted pod: ds-1",
		"Normal SuccessfulDelete Deleted pod: ds-2",
		"Normal SuccessfulDelete Deleted pod: p0",
		"Warning FailedDaemonPod Found failed daemon pod ns/ds-1 on node n1, will try to kill it",
		"Warning FailedDaemonPod Found failed daemon pod ns/ds-2 on node n1, will try to kill it",
		"Warning FailedDaemonPod Found failed daemon pod ns/p0 on node n1, will try to kill it",
	}, h.events()); diff != "" {
		t.Errorf("events (-want +got):\n%s", diff)
	}
}

// rolloutRounds syncs, checks the invariant, plays the kubelet, until the
// status reports every node updated and available; it returns the number
// of rounds.
func rolloutRounds(t *testing.T, h *harness, check func(pods []*corev1.Pod)) int {
	t.Helper()
	for round := 1; round <= 30; round++ {
		h.sync(t)
		h.refresh(t)
		check(h.pods(t))
		h.kubelet(t)
		h.clock.Step(time.Second)
		h.refresh(t)
		s := h.ds(t).Status
		if s.UpdatedNumberScheduled == s.DesiredNumberScheduled && s.NumberAvailable == s.DesiredNumberScheduled && len(h.pods(t)) == int(s.DesiredNumberScheduled) {
			return round
		}
	}
	t.Fatalf("rollout did not finish: status %+v, pods %s", h.ds(t).Status, names(h.pods(t)))
	return 0
}

func rolloutHarness(t *testing.T, ds *appsv1.DaemonSet, nodes int) (*harness, string, string) {
	t.Helper()
	old := newDS()
	objs := []runtime.Object{ds, revisionOf(t, old, 1)}
	for i := 1; i <= nodes; i++ {
		n := fmt.Sprintf("n%d", i)
		objs = append(objs, node(n), daemonPod("old-"+n, n, ds, hashOf(old)))
	}
	return newHarness(t, objs...), hashOf(old), hashOf(ds)
}

// availableNodes counts nodes with an available pod not being deleted.
func availableNodes(pods []*corev1.Pod) (available int, perNode map[string]int) {
	perNode = map[string]int{}
	avail := map[string]bool{}
	for _, p := range pods {
		n, _ := targetNode(p)
		perNode[n]++
		if p.DeletionTimestamp == nil && isPodAvailable(p, 0, now.Add(time.Hour)) {
			avail[n] = true
		}
	}
	return len(avail), perNode
}

func TestRollingUpdate(t *testing.T) {
	ds := newDS(image("v2"), func(ds *appsv1.DaemonSet) { ds.Generation = 2 },
		surge(intstr.FromInt32(0), intstr.FromString("50%")))
	h, oldHash, newHash := rolloutHarness(t, ds, 4)
	rounds := rolloutRounds(t, h, func(pods []*corev1.Pod) {
		if avail, _ := availableNodes(pods); avail < 2 {
			t.Errorf("%d nodes with an available pod, want at least 2 (50%% of 4 unavailable): %s", avail, names(pods))
		}
	})
	if rounds > 6 {
		t.Errorf("rollout took %d rounds, want two nodes at a time", rounds)
	}
	if diff := cmp.Diff([]string{"n1:new:ready", "n2:new:ready", "n3:new:ready", "n4:new:ready"},
		layout(t, h.pods(t), map[string]string{oldHash: "old", newHash: "new"})); diff != "" {
		t.Errorf("pods (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(appsv1.DaemonSetStatus{DesiredNumberScheduled: 4, CurrentNumberScheduled: 4, NumberReady: 4, NumberAvailable: 4, UpdatedNumberScheduled: 4, ObservedGeneration: 2},
		h.ds(t).Status); diff != "" {
		t.Errorf("status (-want +got):\n%s", diff)
	}
	revisions := map[string]int64{}
	list, err := h.client.AppsV1().ControllerRevisions("ns").List(context.Background(), metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, cr := range list.Items {
		revisions[cr.Name] = cr.Revision
	}
	if diff := cmp.Diff(map[string]int64{"ds-" + oldHash: 1, "ds-" + newHash: 2}, revisions); diff != "" {
		t.Errorf("revisions (-want +got):\n%s", diff)
	}
}

func TestRollingUpdateSurge(t *testing.T) {
	ds := newDS(image("v2"), surge(intstr.FromInt32(1), intstr.FromInt32(0)))
	h, oldHash, newHash := rolloutHarness(t, ds, 3)
	rolloutRounds(t, h, func(pods []*corev1.Pod) {
		avail, perNode := availableNodes(pods)
		if avail < 3 {
			t.Errorf("%d nodes with an available pod, want all 3 (no unavailability): %s", avail, names(pods))
		}
		doubled := 0
		for _, n := range perNode {
			if n > 1 {
				doubled++
			}
		}
		if doubled > 1 {
			t.Errorf("%d nodes with two pods, want at most 1 (maxSurge): %s", doubled, names(pods))
		}
	})
	if diff := cmp.Diff([]string{"n1:new:ready", "n2:new:ready", "n3:new:ready"},
		layout(t, h.pods(t), map[string]string{oldHash: "old", newHash: "new"})); diff != "" {
		t.Errorf("pods (-want +got):\n%s", diff)
	}
}

func TestOnDelete(t *testing.T) {
	ds := newDS(image("v2"), func(ds *appsv1.DaemonSet) {
		ds.Spec.UpdateStrategy = appsv1.DaemonSetUpdateStrategy{Type: appsv1.OnDeleteDaemonSetStrategyType}
	})
	h, oldHash, newHash := rolloutHarness(t, ds, 2)
	hashes := map[string]string{oldHash: "old", newHash: "new"}
	h.sync(t)
	if diff := cmp.Diff([]string{"create controllerrevisions ds-" + newHash, "update daemonsets/status ds"}, h.writes()); diff != "" {
		t.Errorf("writes (-want +got):\n%s", diff)
	}
	if got := h.ds(t).Status.UpdatedNumberScheduled; got != 0 {
		t.Errorf("updatedNumberScheduled = %d, want 0", got)
	}
	// The user deletes one pod: its replacement is of the new template.
	if err := h.client.CoreV1().Pods("ns").Delete(context.Background(), "old-n1", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	h.refresh(t)
	h.sync(t)
	if diff := cmp.Diff([]string{"n1:new", "n2:old:ready"}, layout(t, h.pods(t), hashes)); diff != "" {
		t.Errorf("pods (-want +got):\n%s", diff)
	}
}

// TestRollback: the template of an earlier revision (kubectl rollout undo
// patched it back) makes that revision current again under the next
// number; no new revision is made, and the rollout replaces the pods.
func TestRollback(t *testing.T) {
	v1, v2 := newDS(), newDS(image("v2"))
	h := newHarness(t, v1, revisionOf(t, v1, 1), revisionOf(t, v2, 2), node("n1"), node("n2"),
		daemonPod("p1", "n1", v1, hashOf(v2)), daemonPod("p2", "n2", v1, hashOf(v2)))
	h.sync(t)
	if diff := cmp.Diff([]string{"delete pods p1", "update controllerrevisions ds-" + hashOf(v1), "update daemonsets/status ds"}, h.writes()); diff != "" {
		t.Errorf("writes (-want +got):\n%s", diff)
	}
	list, err := h.client.AppsV1().ControllerRevisions("ns").List(context.Background(), metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	revisions := map[string]int64{}
	for _, cr := range list.Items {
		revisions[cr.Name] = cr.Revision
	}
	if diff := cmp.Diff(map[string]int64{"ds-" + hashOf(v1): 3, "ds-" + hashOf(v2): 2}, revisions); diff != "" {
		t.Errorf("revisions (-want +got):\n%s", diff)
	}
}

func TestHistoryLimit(t *testing.T) {
	cur := newDS(image("v4"), func(ds *appsv1.DaemonSet) {
		ds.Spec.RevisionHistoryLimit = ptr.To[int32](1)
		ds.Spec.UpdateStrategy = appsv1.DaemonSetUpdateStrategy{Type: appsv1.OnDeleteDaemonSetStrategyType}
	})
	v1, v2, v3 := newDS(image("v1")), newDS(image("v2")), newDS(image("v3"))
	h := newHarness(t, cur, revisionOf(t, v1, 1), revisionOf(t, v2, 2), revisionOf(t, v3, 3), revisionOf(t, cur, 4),
		node("n1"), daemonPod("p1", "n1", cur, hashOf(v1)))
	h.sync(t)
	// Three old revisions, one to keep: v1 is still running, so v2 and v3 go.
	want := []string{"delete controllerrevisions ds-" + hashOf(v2), "delete controllerrevisions ds-" + hashOf(v3), "update daemonsets/status ds"}
	sort.Strings(want)
	if diff := cmp.Diff(want, h.writes()); diff != "" {
		t.Errorf("writes (-want +got):\n%s", diff)
	}
}

// TestAdoption: a DaemonSet deleted with --cascade=orphan and created again
// takes its pods and revisions back, and runs no new pods.
func TestAdoption(t *testing.T) {
	ds := newDS()
	orphanRevision := revisionOf(t, ds, 1)
	orphanRevision.OwnerReferences = nil
	h := newHarness(t, ds, orphanRevision, node("n1"), node("n2"),
		daemonPod("p1", "n1", nil, hashOf(ds)), daemonPod("p2", "n2", nil, hashOf(ds)))
	h.sync(t)
	if diff := cmp.Diff([]string{"patch controllerrevisions ds-" + hashOf(ds), "patch pods p1", "patch pods p2", "update daemonsets/status ds"}, h.writes()); diff != "" {
		t.Errorf("writes (-want +got):\n%s", diff)
	}
	cr, err := h.client.AppsV1().ControllerRevisions("ns").Get(context.Background(), "ds-"+hashOf(ds), metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if !metav1.IsControlledBy(cr, ds) {
		t.Errorf("revision owners %v, want controlled by ds", cr.OwnerReferences)
	}
}

// TestHashCollision: a revision of another template under the name the hash
// gives makes the DaemonSet count a collision and try again with a hash
// that includes the count.
func TestHashCollision(t *testing.T) {
	ds := newDS()
	squatter := revisionOf(t, ds, 1)
	squatter.Data.Raw = []byte(`{"spec":{"template":{"$patch":"replace"}}}`)
	h := newHarness(t, ds, squatter, node("n1"))
	if _, err := h.c.sync(context.Background(), "ns/ds"); err == nil {
		t.Fatal("sync: no error on a hash collision")
	}
	if got := ptr.Deref(h.ds(t).Status.CollisionCount, 0); got != 1 {
		t.Fatalf("collisionCount = %d, want 1", got)
	}
	h.refresh(t)
	h.writes()
	h.sync(t)
	hash := deployment.PodTemplateHash(&ds.Spec.Template, ptr.To[int32](1))
	got := h.writes()
	if diff := cmp.Diff([]string{"create controllerrevisions ds-" + hash, "create pods ds-*", "update daemonsets/status ds"}, got); diff != "" {
		t.Errorf("writes (-want +got):\n%s", diff)
	}
	var revs []string
	list, _ := h.client.AppsV1().ControllerRevisions("ns").List(context.Background(), metav1.ListOptions{})
	for _, cr := range list.Items {
		revs = append(revs, fmt.Sprintf("%s:%d", cr.Name, cr.Revision))
	}
	sort.Strings(revs)
	if diff := cmp.Diff([]string{"ds-" + hashOf(ds) + ":1", "ds-" + hash + ":2"}, revs); diff != "" {
		t.Errorf("revisions (-want +got):\n%s", diff)
	}
}

// TestMinReadySeconds: a ready pod becomes available after minReadySeconds;
// the sync asks to come back then, since no event will say so.
func TestMinReadySeconds(t *testing.T) {
	ds := newDS(func(ds *appsv1.DaemonSet) { ds.Spec.MinReadySeconds = 30 })
	h := newHarness(t, ds, revisionOf(t, ds, 1), node("n1"), daemonPod("p1", "n1", ds, hashOf(ds), readySince(10*time.Second)))
	if after := h.sync(t); after != 21*time.Second {
		t.Errorf("requeue after %v, want 21s", after)
	}
	if s := h.ds(t).Status; s.NumberReady != 1 || s.NumberAvailable != 0 {
		t.Errorf("ready %d, available %d; want 1, 0", s.NumberReady, s.NumberAvailable)
	}
	h.clock.Step(21 * time.Second)
	h.refresh(t)
	if after := h.sync(t); after != 0 {
		t.Errorf("requeue after %v once available, want none", after)
	}
	if s := h.ds(t).Status; s.NumberAvailable != 1 || s.NumberUnavailable != 0 {
		t.Errorf("available %d, unavailable %d; want 1, 0", s.NumberAvailable, s.NumberUnavailable)
	}
}

// TestTemplateGenerationLabel: pods carry the deprecated template
// generation, and a pod with the current one is up to date whatever its
// hash, as upstream.
func TestTemplateGenerationLabel(t *testing.T) {
	ds := newDS(func(ds *appsv1.DaemonSet) {
		ds.Annotations = map[string]string{appsv1.DeprecatedTemplateGeneration: "2"}
	})
	h := newHarness(t, ds, revisionOf(t, ds, 1), node("n1"), node("n2"),
		daemonPod("p1", "n1", ds, "other-hash", func(p *corev1.Pod) { p.Labels[templateGenerationLabel] = "2" }))
	h.sync(t)
	var created *corev1.Pod
	for _, p := range h.pods(t) {
		if p.Name != "p1" {
			created = p
		}
	}
	if created == nil || created.Labels[templateGenerationLabel] != "2" {
		t.Fatalf("created pod %v, want one labelled %s=2", created, templateGenerationLabel)
	}
	if got := h.ds(t).Status.UpdatedNumberScheduled; got != 1 {
		t.Errorf("updatedNumberScheduled = %d, want 1 (p1, by its template generation)", got)
	}
}

// TestSyncNode: a node's new labels or taints sync the DaemonSets whose
// pods must come, go, or count differently there, and no others.
func TestSyncNode(t *testing.T) {
	tests := []struct {
		name         string
		node         *corev1.Node
		hasPod       bool
		misscheduled int32
		want         bool
	}{
		{"eligible, no pod yet", node("n", worker), false, 0, true},
		{"eligible with its pod", node("n", worker), true, 0, false},
		{"eligible with its pod, misscheduled elsewhere or before", node("n", worker), true, 1, true},
		{"relabelled away with a pod", node("n"), true, 0, true},
		{"NoSchedule taint with a pod: it stays, misscheduled", node("n", worker, tainted("dedicated", corev1.TaintEffectNoSchedule)), true, 0, true},
		{"not eligible, no pod", node("n"), false, 0, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ds := newDS(nodeSelector("role", "worker"), func(ds *appsv1.DaemonSet) { ds.Status.NumberMisscheduled = tc.misscheduled })
			objs := []runtime.Object{ds, tc.node}
			if tc.hasPod {
				objs = append(objs, daemonPod("p", "n", ds, hashOf(ds)))
			}
			h := newHarness(t, objs...)
			// A queue whose sync records the keys; the sentinel added last
			// is synced last by the single worker.
			var (
				mu   sync.Mutex
				got  []string
				done = make(chan struct{})
			)
			h.c.queue = queue.New("test", func(_ context.Context, key string) (time.Duration, error) {
				if key == "sentinel" {
					close(done)
					return 0, nil
				}
				mu.Lock()
				defer mu.Unlock()
				got = append(got, key)
				return 0, nil
			})
			if _, err := h.c.syncNode(context.Background(), "n"); err != nil {
				t.Fatal(err)
			}
			h.c.queue.Add("sentinel")
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			go h.c.queue.Run(ctx, 1)
			select {
			case <-done:
			case <-ctx.Done():
				t.Fatal("queue not drained")
			}
			mu.Lock()
			defer mu.Unlock()
			var want []string
			if tc.want {
				want = []string{"ns/ds"}
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("synced (-want +got):\n%s", diff)
			}
		})
	}
}

// TestDedupRevisions: two revisions of the current template (one from
// before the hash label, named otherwise) become one, the highest; pods of
// the other are relabelled to it.
func TestDedupRevisions(t *testing.T) {
	ds := newDS()
	dup := revisionOf(t, ds, 1)
	dup.Name = "ds-legacy"
	delete(dup.Labels, appsv1.DefaultDaemonSetUniqueLabelKey)
	old := newDS(image("v0"))
	h := newHarness(t, ds, dup, revisionOf(t, ds, 2), revisionOf(t, old, 0), node("n1"), node("n2"),
		daemonPod("p1", "n1", ds, "ds-legacy"), daemonPod("p2", "n2", ds, hashOf(old)))
	h.sync(t)
	// p2 runs an older template: it keeps its label, and the rollout
	// replaces it.
	if diff := cmp.Diff([]string{"delete controllerrevisions ds-legacy", "delete pods p2", "patch pods p1", "update controllerrevisions ds-legacy",
		"update daemonsets/status ds"}, h.writes()); diff != "" {
		t.Errorf("writes (-want +got):\n%s", diff)
	}
	p, err := h.client.CoreV1().Pods("ns").Get(context.Background(), "p1", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if got := p.Labels[appsv1.DefaultDaemonSetUniqueLabelKey]; got != hashOf(ds) {
		t.Errorf("pod hash label %q, want %q", got, hashOf(ds))
	}
}

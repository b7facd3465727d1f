package controllers

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/util/retry"
	"k8s.io/utils/ptr"

	"github.com/kubeshim/kubeshim/test/integration/framework"
)

// The shared server has no node agent and no nodes: each DaemonSet test
// makes nodes of its own, named after its namespace and labelled
// dsNodeLabel=<namespace>, and its DaemonSets select that label, so that
// nodes of other tests (or of other DaemonSet tests) never get their pods.
const dsNodeLabel = "kubeshim.test/daemonset"

// dsTest is one DaemonSet test's client, namespace and nodes.
type dsTest struct {
	t      *testing.T
	client kubernetes.Interface
	ns     string
}

func newDSTest(t *testing.T) *dsTest {
	t.Helper()
	// The tests poll while their kubelet writes: more than client-go's
	// default 5 requests a second.
	config := framework.Shared(t)
	config.QPS, config.Burst = 100, 200
	client := kubernetes.NewForConfigOrDie(config)
	return &dsTest{t: t, client: client, ns: framework.Namespace(t, client)}
}

func (d *dsTest) nodeName(i int) string { return fmt.Sprintf("%s-n%d", d.ns, i) }

// addNode registers a ready node of the test's (labelled for its
// DaemonSets unless mutate changes that), deleted when the test ends.
func (d *dsTest) addNode(i int, mutate ...func(*corev1.Node)) string {
	d.t.Helper()
	ctx := context.Background()
	n := &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: d.nodeName(i), Labels: map[string]string{
		dsNodeLabel: d.ns, corev1.LabelHostname: d.nodeName(i)}}}
	for _, m := range mutate {
		m(n)
	}
	if _, err := d.client.CoreV1().Nodes().Create(ctx, n, metav1.CreateOptions{}); err != nil {
		d.t.Fatalf("create node: %v", err)
	}
	d.t.Cleanup(func() { _ = d.client.CoreV1().Nodes().Delete(context.Background(), n.Name, metav1.DeleteOptions{}) })
	// Other controllers (node IPAM) write the new node too.
	err := retry.RetryOnConflict(retry.DefaultRetry, func() error {
		cur, err := d.client.CoreV1().Nodes().Get(ctx, n.Name, metav1.GetOptions{})
		if err != nil {
			return err
		}
		cur.Status.Conditions = []corev1.NodeCondition{{Type: corev1.NodeReady, Status: corev1.ConditionTrue, Reason: "KubeletReady",
			LastHeartbeatTime: metav1.Now(), LastTransitionTime: metav1.Now()}}
		_, err = d.client.CoreV1().Nodes().UpdateStatus(ctx, cur, metav1.UpdateOptions{})
		return err
	})
	if err != nil {
		d.t.Fatalf("make node %s ready: %v", n.Name, err)
	}
	return n.Name
}

// updateNode changes a node, retrying on conflicts.
func (d *dsTest) updateNode(name string, change func(*corev1.Node)) {
	d.t.Helper()
	err := retry.RetryOnConflict(retry.DefaultRetry, func() error {
		n, err := d.client.CoreV1().Nodes().Get(context.Background(), name, metav1.GetOptions{})
		if err != nil {
			return err
		}
		change(n)
		_, err = d.client.CoreV1().Nodes().Update(context.Background(), n, metav1.UpdateOptions{})
		return err
	})
	if err != nil {
		d.t.Fatalf("update node %s: %v", name, err)
	}
}

// createDS creates DaemonSet "ds" of imageV1 on the test's nodes.
func (d *dsTest) createDS(mutate ...func(*appsv1.DaemonSet)) *appsv1.DaemonSet {
	d.t.Helper()
	tmpl := template("ds")
	tmpl.Spec.NodeSelector = map[string]string{dsNodeLabel: d.ns}
	ds := &appsv1.DaemonSet{
		ObjectMeta: metav1.ObjectMeta{Name: "ds"},
		Spec: appsv1.DaemonSetSpec{
			Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": "ds"}},
			Template: tmpl,
		},
	}
	for _, m := range mutate {
		m(ds)
	}
	created, err := d.client.AppsV1().DaemonSets(d.ns).Create(context.Background(), ds, metav1.CreateOptions{})
	if err != nil {
		d.t.Fatalf("create daemon set: %v", err)
	}
	return created
}

// updateDS changes the DaemonSet as kubectl edit would, retrying on
// conflicts with the controller's status writes.
func (d *dsTest) updateDS(change func(*appsv1.DaemonSet)) *appsv1.DaemonSet {
	d.t.Helper()
	var out *appsv1.DaemonSet
	err := retry.RetryOnConflict(retry.DefaultRetry, func() error {
		ds, err := d.client.AppsV1().DaemonSets(d.ns).Get(context.Background(), "ds", metav1.GetOptions{})
		if err != nil {
			return err
		}
		change(ds)
		out, err = d.client.AppsV1().DaemonSets(d.ns).Update(context.Background(), ds, metav1.UpdateOptions{})
		return err
	})
	if err != nil {
		d.t.Fatalf("update daemon set: %v", err)
	}
	return out
}

func (d *dsTest) get(ctx context.Context) (*appsv1.DaemonSet, error) {
	return d.client.AppsV1().DaemonSets(d.ns).Get(ctx, "ds", metav1.GetOptions{})
}

// kubelet plays the scheduler and the node agents for the test's
// namespace until the test ends: it binds each pod to the node its node
// affinity names (the shared server runs no scheduler), marks bound pods
// running and ready unless ready refuses them, and finishes graceful
// deletes.
func (d *dsTest) kubelet(ready func(*corev1.Pod) bool) {
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() {
		for ctx.Err() == nil {
			d.kubeletPass(ctx, ready)
			select {
			case <-ctx.Done():
			case <-time.After(50 * time.Millisecond):
			}
		}
	})
	d.t.Cleanup(func() {
		cancel()
		wg.Wait()
	})
}

// kubeletPass ignores errors: a conflict or a pod gone is retried or moot
// on the next pass.
func (d *dsTest) kubeletPass(ctx context.Context, ready func(*corev1.Pod) bool) {
	pods, err := d.client.CoreV1().Pods(d.ns).List(ctx, metav1.ListOptions{})
	if err != nil {
		return
	}
	for i := range pods.Items {
		p := &pods.Items[i]
		switch {
		case p.DeletionTimestamp != nil:
			_ = d.client.CoreV1().Pods(d.ns).Delete(ctx, p.Name, metav1.DeleteOptions{GracePeriodSeconds: ptr.To[int64](0),
				Preconditions: &metav1.Preconditions{UID: &p.UID}})
		case p.Spec.NodeName == "":
			node := affinityNode(p)
			if node == "" {
				continue
			}
			_ = d.client.CoreV1().Pods(d.ns).Bind(ctx, &corev1.Binding{ObjectMeta: metav1.ObjectMeta{Name: p.Name, UID: p.UID},
				Target: corev1.ObjectReference{Kind: "Node", Name: node}}, metav1.CreateOptions{})
		case p.Status.Phase == corev1.PodPending && ready(p):
			p.Status.Phase = corev1.PodRunning
			p.Status.Conditions = append(p.Status.Conditions, corev1.PodCondition{Type: corev1.PodReady, Status: corev1.ConditionTrue, LastTransitionTime: metav1.Now()})
			_, _ = d.client.CoreV1().Pods(d.ns).UpdateStatus(ctx, p, metav1.UpdateOptions{})
		}
	}
}

// affinityNode is the node a daemon pod's required node affinity names by
// metadata.name, as the scheduler reads it.
func affinityNode(p *corev1.Pod) string {
	a := p.Spec.Affinity
	if a == nil || a.NodeAffinity == nil || a.NodeAffinity.RequiredDuringSchedulingIgnoredDuringExecution == nil {
		return ""
	}
	for _, term := range a.NodeAffinity.RequiredDuringSchedulingIgnoredDuringExecution.NodeSelectorTerms {
		for _, f := range term.MatchFields {
			if f.Key == metav1.ObjectNameField && f.Operator == corev1.NodeSelectorOpIn && len(f.Values) == 1 {
				return f.Values[0]
			}
		}
	}
	return ""
}

// podsOnNodes maps node names to "image" of each of the daemon set's pods
// there that is not being deleted, sorted.
func (d *dsTest) podsOnNodes(ctx context.Context) (map[string][]string, []corev1.Pod, error) {
	pods, err := activePods(ctx, d.client, d.ns, "ds")
	if err != nil {
		return nil, nil, err
	}
	out := map[string][]string{}
	for _, p := range pods {
		node := p.Spec.NodeName
		if node == "" {
			node = affinityNode(&p) + "(unbound)"
		}
		out[node] = append(out[node], p.Spec.Containers[0].Image)
	}
	for _, imgs := range out {
		sort.Strings(imgs)
	}
	return out, pods, nil
}

// waitPods waits until the daemon set's pods are exactly want (node ->
// images).
func (d *dsTest) waitPods(want map[string][]string) []corev1.Pod {
	d.t.Helper()
	var pods []corev1.Pod
	eventually(d.t, "daemon pods", func(ctx context.Context) (string, bool) {
		got, p, err := d.podsOnNodes(ctx)
		if err != nil {
			return err.Error(), false
		}
		pods = p
		return fmt.Sprintf("pods %v, want %v", got, want), cmp.Equal(want, got)
	})
	return pods
}

// dsStatusOf is the status without collisionCount, which no test sets.
func dsStatusOf(ds *appsv1.DaemonSet) appsv1.DaemonSetStatus {
	s := ds.Status
	s.CollisionCount = nil
	s.Conditions = nil
	return s
}

// waitStatus waits for the DaemonSet's status, observed at its current
// generation.
func (d *dsTest) waitStatus(want appsv1.DaemonSetStatus) *appsv1.DaemonSet {
	d.t.Helper()
	var ds *appsv1.DaemonSet
	eventually(d.t, "daemon set status", func(ctx context.Context) (string, bool) {
		var err error
		if ds, err = d.get(ctx); err != nil {
			return err.Error(), false
		}
		w := want
		w.ObservedGeneration = ds.Generation
		return fmt.Sprintf("status %+v, want %+v", ds.Status, w), cmp.Equal(w, dsStatusOf(ds))
	})
	return ds
}

// rolloutStatusDS is kubectl rollout status's verdict on a DaemonSet
// (kubectl's DaemonSetStatusViewer).
func rolloutStatusDS(ds *appsv1.DaemonSet) (string, bool, error) {
	if ds.Spec.UpdateStrategy.Type != appsv1.RollingUpdateDaemonSetStrategyType {
		return "", true, fmt.Errorf("rollout status is only available for %s strategy type", appsv1.RollingUpdateStatefulSetStrategyType)
	}
	if ds.Generation <= ds.Status.ObservedGeneration {
		if ds.Status.UpdatedNumberScheduled < ds.Status.DesiredNumberScheduled {
			return fmt.Sprintf("Waiting for daemon set %q rollout to finish: %d out of %d new pods have been updated...\n", ds.Name, ds.Status.UpdatedNumberScheduled, ds.Status.DesiredNumberScheduled), false, nil
		}
		if ds.Status.NumberAvailable < ds.Status.DesiredNumberScheduled {
			return fmt.Sprintf("Waiting for daemon set %q rollout to finish: %d of %d updated pods are available...\n", ds.Name, ds.Status.NumberAvailable, ds.Status.DesiredNumberScheduled), false, nil
		}
		return fmt.Sprintf("daemon set %q successfully rolled out\n", ds.Name), true, nil
	}
	return "Waiting for daemon set spec update to be observed...\n", false, nil
}

// waitRolledOutDS waits until kubectl rollout status would succeed, calling
// during (if set) at every poll meanwhile.
func (d *dsTest) waitRolledOutDS(during func(ctx context.Context)) *appsv1.DaemonSet {
	d.t.Helper()
	var ds *appsv1.DaemonSet
	eventually(d.t, "rolled out", func(ctx context.Context) (string, bool) {
		if during != nil {
			during(ctx)
		}
		var err error
		if ds, err = d.get(ctx); err != nil {
			return err.Error(), false
		}
		msg, done, err := rolloutStatusDS(ds)
		if err != nil {
			return err.Error(), false
		}
		return fmt.Sprintf("%s; status %+v", msg, ds.Status), done
	})
	return ds
}

// history lists the DaemonSet's revisions as kubectl rollout history does:
// by its selector, controlled by it, in revision order.
func (d *dsTest) history(ctx context.Context, ds *appsv1.DaemonSet) ([]appsv1.ControllerRevision, error) {
	sel, err := metav1.LabelSelectorAsSelector(ds.Spec.Selector)
	if err != nil {
		return nil, err
	}
	list, err := d.client.AppsV1().ControllerRevisions(d.ns).List(ctx, metav1.ListOptions{LabelSelector: sel.String()})
	if err != nil {
		return nil, err
	}
	var out []appsv1.ControllerRevision
	for _, cr := range list.Items {
		if metav1.IsControlledBy(&cr, ds) {
			out = append(out, cr)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Revision < out[j].Revision })
	return out, nil
}

// historySummary is "revision:image" for each revision, the image read
// from the revision's data.
func historySummary(crs []appsv1.ControllerRevision) []string {
	var out []string
	for _, cr := range crs {
		img := "?"
		for _, i := range []string{imageV1, imageV2, imageV3, badImage} {
			if strings.Contains(string(cr.Data.Raw), `"image":"`+i+`"`) {
				img = i
			}
		}
		out = append(out, fmt.Sprintf("%d:%s", cr.Revision, img))
	}
	return out
}

// undoDS does what kubectl rollout undo ds does: the revision before the
// latest is applied to the DaemonSet as the strategic merge patch its data
// is, unless the template already matches it.
func (d *dsTest) undoDS() {
	d.t.Helper()
	ctx := context.Background()
	ds, err := d.get(ctx)
	if err != nil {
		d.t.Fatal(err)
	}
	crs, err := d.history(ctx, ds)
	if err != nil {
		d.t.Fatal(err)
	}
	if len(crs) <= 1 {
		d.t.Fatalf("no last revision to roll back to: %v", historySummary(crs))
	}
	to := crs[len(crs)-2]
	if _, err := d.client.AppsV1().DaemonSets(d.ns).Patch(ctx, ds.Name, types.StrategicMergePatchType, to.Data.Raw, metav1.PatchOptions{}); err != nil {
		d.t.Fatalf("undo to revision %d: %v", to.Revision, err)
	}
}

// dsEvents lists "Reason: message" of the events about the DaemonSet.
func (d *dsTest) events(ctx context.Context) []string {
	list, err := d.client.CoreV1().Events(d.ns).List(ctx, metav1.ListOptions{})
	if err != nil {
		return nil
	}
	var out []string
	for _, e := range list.Items {
		if e.InvolvedObject.Kind == "DaemonSet" {
			out = append(out, e.Reason+": "+e.Message)
		}
	}
	return out
}

func hasReason(events []string, reason string) bool {
	for _, e := range events {
		if strings.HasPrefix(e, reason+": ") {
			return true
		}
	}
	return false
}

const badImage = "foo:non-existent"

// TestDaemonSetNodes runs a DaemonSet over nodes that come, go, change
// labels and get tainted.
func TestDaemonSetNodes(t *testing.T) {
	d := newDSTest(t)
	d.kubelet(allPods)
	n1, n2, n3 := d.addNode(1), d.addNode(2), d.addNode(3)
	// A node of the test without the label: no pod there.
	d.addNode(9, func(n *corev1.Node) { delete(n.Labels, dsNodeLabel) })
	ds := d.createDS()

	pods := d.waitPods(map[string][]string{n1: {imageV1}, n2: {imageV1}, n3: {imageV1}})
	d.waitStatus(appsv1.DaemonSetStatus{DesiredNumberScheduled: 3, CurrentNumberScheduled: 3, NumberReady: 3, NumberAvailable: 3, UpdatedNumberScheduled: 3})
	crs, err := d.history(context.Background(), ds)
	if err != nil {
		t.Fatal(err)
	}
	if len(crs) != 1 || crs[0].Name != "ds-"+crs[0].Labels[appsv1.DefaultDaemonSetUniqueLabelKey] || crs[0].Revision != 1 {
		t.Fatalf("revisions %v, want one, ds-<hash>, revision 1", historySummary(crs))
	}
	hash := crs[0].Labels[appsv1.DefaultDaemonSetUniqueLabelKey]
	for _, p := range pods {
		if p.Labels[appsv1.DefaultDaemonSetUniqueLabelKey] != hash || !metav1.IsControlledBy(&p, ds) {
			t.Errorf("pod %s: labels %v, owners %v; want hash %s, controlled by ds", p.Name, p.Labels, p.OwnerReferences, hash)
		}
		if affinityNode(&p) != p.Spec.NodeName {
			t.Errorf("pod %s on %s requires node %q by affinity", p.Name, p.Spec.NodeName, affinityNode(&p))
		}
	}
	eventually(t, "creation events", func(ctx context.Context) (string, bool) {
		evs := d.events(ctx)
		return fmt.Sprintf("%q", evs), hasReason(evs, "SuccessfulCreate")
	})

	// A new node gets a pod; one with an untolerated NoSchedule taint
	// does not.
	n4 := d.addNode(4)
	d.addNode(5, func(n *corev1.Node) {
		n.Spec.Taints = []corev1.Taint{{Key: "dedicated", Value: "db", Effect: corev1.TaintEffectNoSchedule}}
	})
	d.waitPods(map[string][]string{n1: {imageV1}, n2: {imageV1}, n3: {imageV1}, n4: {imageV1}})
	d.waitStatus(appsv1.DaemonSetStatus{DesiredNumberScheduled: 4, CurrentNumberScheduled: 4, NumberReady: 4, NumberAvailable: 4, UpdatedNumberScheduled: 4})

	// Relabelled out of the selector: its pod goes.
	d.updateNode(n2, func(n *corev1.Node) { n.Labels[dsNodeLabel] = "elsewhere" })
	d.waitPods(map[string][]string{n1: {imageV1}, n3: {imageV1}, n4: {imageV1}})
	// A NoSchedule taint leaves a running pod, misscheduled; a NoExecute
	// one evicts it.
	d.updateNode(n3, func(n *corev1.Node) {
		n.Spec.Taints = []corev1.Taint{{Key: "dedicated", Value: "db", Effect: corev1.TaintEffectNoSchedule}}
	})
	d.waitStatus(appsv1.DaemonSetStatus{DesiredNumberScheduled: 2, CurrentNumberScheduled: 2, NumberMisscheduled: 1, NumberReady: 2, NumberAvailable: 2, UpdatedNumberScheduled: 2})
	d.waitPods(map[string][]string{n1: {imageV1}, n3: {imageV1}, n4: {imageV1}})
	d.updateNode(n3, func(n *corev1.Node) {
		n.Spec.Taints = []corev1.Taint{{Key: "dedicated", Value: "db", Effect: corev1.TaintEffectNoExecute}}
	})
	d.waitPods(map[string][]string{n1: {imageV1}, n4: {imageV1}})
	d.waitStatus(appsv1.DaemonSetStatus{DesiredNumberScheduled: 2, CurrentNumberScheduled: 2, NumberReady: 2, NumberAvailable: 2, UpdatedNumberScheduled: 2})

	// A node removed no longer counts. Its bound pod is the pod garbage
	// collector's to delete, not the DaemonSet's.
	if err := d.client.CoreV1().Nodes().Delete(context.Background(), n4, metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	d.waitStatus(appsv1.DaemonSetStatus{DesiredNumberScheduled: 1, CurrentNumberScheduled: 1, NumberReady: 1, NumberAvailable: 1, UpdatedNumberScheduled: 1})

	// Relabelled back: a pod again.
	d.updateNode(n2, func(n *corev1.Node) { n.Labels[dsNodeLabel] = d.ns })
	d.waitStatus(appsv1.DaemonSetStatus{DesiredNumberScheduled: 2, CurrentNumberScheduled: 2, NumberReady: 2, NumberAvailable: 2, UpdatedNumberScheduled: 2})
	eventually(t, "deletion events", func(ctx context.Context) (string, bool) {
		evs := d.events(ctx)
		return fmt.Sprintf("%q", evs), hasReason(evs, "SuccessfulDelete")
	})
}

// TestDaemonSetFailedPod: a failed daemon pod is replaced, as the
// conformance test "should retry creating failed daemon pods" checks.
func TestDaemonSetFailedPod(t *testing.T) {
	d := newDSTest(t)
	d.kubelet(allPods)
	n1 := d.addNode(1)
	d.createDS()
	pods := d.waitPods(map[string][]string{n1: {imageV1}})
	d.waitStatus(appsv1.DaemonSetStatus{DesiredNumberScheduled: 1, CurrentNumberScheduled: 1, NumberReady: 1, NumberAvailable: 1, UpdatedNumberScheduled: 1})

	failed := pods[0]
	err := retry.RetryOnConflict(retry.DefaultRetry, func() error {
		p, err := d.client.CoreV1().Pods(d.ns).Get(context.Background(), failed.Name, metav1.GetOptions{})
		if err != nil {
			return err
		}
		p.Status.Phase = corev1.PodFailed
		p.Status.Conditions = nil
		_, err = d.client.CoreV1().Pods(d.ns).UpdateStatus(context.Background(), p, metav1.UpdateOptions{})
		return err
	})
	if err != nil {
		t.Fatalf("fail pod %s: %v", failed.Name, err)
	}
	eventually(t, "failed pod replaced and deleted", func(ctx context.Context) (string, bool) {
		_, err := d.client.CoreV1().Pods(d.ns).Get(ctx, failed.Name, metav1.GetOptions{})
		gone := apierrors.IsNotFound(err)
		got, _, err := d.podsOnNodes(ctx)
		if err != nil {
			return err.Error(), false
		}
		return fmt.Sprintf("failed pod gone %v, pods %v", gone, got), gone && cmp.Equal(map[string][]string{n1: {imageV1}}, got)
	})
	d.waitStatus(appsv1.DaemonSetStatus{DesiredNumberScheduled: 1, CurrentNumberScheduled: 1, NumberReady: 1, NumberAvailable: 1, UpdatedNumberScheduled: 1})
	eventually(t, "FailedDaemonPod event", func(ctx context.Context) (string, bool) {
		evs := d.events(ctx)
		return fmt.Sprintf("%q", evs), hasReason(evs, "FailedDaemonPod")
	})
}

// TestDaemonSetRollout rolls a new image out one node at a time, then back
// the way kubectl rollout undo does, checking what kubectl rollout status
// and history read.
func TestDaemonSetRollout(t *testing.T) {
	d := newDSTest(t)
	d.kubelet(allPods)
	n1, n2, n3 := d.addNode(1), d.addNode(2), d.addNode(3)
	created := d.createDS()
	if s := created.Spec.UpdateStrategy; s.Type != appsv1.RollingUpdateDaemonSetStrategyType || s.RollingUpdate.MaxUnavailable.IntValue() != 1 {
		t.Fatalf("defaulted strategy %+v, want a rolling update with maxUnavailable 1", s)
	}
	d.waitRolledOutDS(nil)
	d.waitPods(map[string][]string{n1: {imageV1}, n2: {imageV1}, n3: {imageV1}})

	// kubectl set image: no more than one node without an available pod
	// at any time.
	ds := d.updateDS(func(ds *appsv1.DaemonSet) { ds.Spec.Template.Spec.Containers[0].Image = imageV2 })
	maxDown := 0
	checkUnavailable := func(ctx context.Context) {
		pods, err := activePods(ctx, d.client, d.ns, "ds")
		if err != nil {
			return
		}
		up := map[string]bool{}
		for _, p := range pods {
			if p.Status.Phase == corev1.PodRunning {
				up[p.Spec.NodeName] = true
			}
		}
		maxDown = max(maxDown, 3-len(up))
	}
	ds = d.waitRolledOutDS(checkUnavailable)
	if maxDown > 1 {
		t.Errorf("up to %d nodes were without a running pod during the rollout, want at most 1 (maxUnavailable)", maxDown)
	}
	d.waitPods(map[string][]string{n1: {imageV2}, n2: {imageV2}, n3: {imageV2}})
	if diff := cmp.Diff(appsv1.DaemonSetStatus{ObservedGeneration: ds.Generation, DesiredNumberScheduled: 3, CurrentNumberScheduled: 3,
		NumberReady: 3, NumberAvailable: 3, UpdatedNumberScheduled: 3}, dsStatusOf(ds)); diff != "" {
		t.Errorf("status after the rollout (-want +got):\n%s", diff)
	}
	crs, err := d.history(context.Background(), ds)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"1:" + imageV1, "2:" + imageV2}, historySummary(crs)); diff != "" {
		t.Errorf("history (-want +got):\n%s", diff)
	}
	v1Revision := crs[0].Name

	// kubectl rollout undo: revision 1's template comes back, as
	// revision 3; no new revision is made.
	d.undoDS()
	ds = d.waitRolledOutDS(nil)
	if got := ds.Spec.Template.Spec.Containers[0].Image; got != imageV1 {
		t.Fatalf("template image after undo = %s, want %s", got, imageV1)
	}
	pods := d.waitPods(map[string][]string{n1: {imageV1}, n2: {imageV1}, n3: {imageV1}})
	eventually(t, "history after undo", func(ctx context.Context) (string, bool) {
		crs, err = d.history(ctx, ds)
		if err != nil {
			return err.Error(), false
		}
		got := historySummary(crs)
		return fmt.Sprintf("%v", got), cmp.Equal([]string{"2:" + imageV2, "3:" + imageV1}, got)
	})
	if crs[1].Name != v1Revision {
		t.Errorf("current revision %s, want %s (revision 1's, renumbered)", crs[1].Name, v1Revision)
	}
	for _, p := range pods {
		if h := p.Labels[appsv1.DefaultDaemonSetUniqueLabelKey]; "ds-"+h != v1Revision {
			t.Errorf("pod %s has controller-revision-hash %s, want that of %s", p.Name, h, v1Revision)
		}
	}
}

// TestDaemonSetRollbackMidRollout: an update to an image that never gets
// ready is rolled back before it finishes; pods that were never replaced
// are not restarted (the conformance test "should rollback without
// unnecessary restarts").
func TestDaemonSetRollbackMidRollout(t *testing.T) {
	d := newDSTest(t)
	d.kubelet(func(p *corev1.Pod) bool { return p.Spec.Containers[0].Image != badImage })
	n1, n2, n3 := d.addNode(1), d.addNode(2), d.addNode(3)
	d.createDS()
	d.waitRolledOutDS(nil)
	before := d.waitPods(map[string][]string{n1: {imageV1}, n2: {imageV1}, n3: {imageV1}})

	d.updateDS(func(ds *appsv1.DaemonSet) { ds.Spec.Template.Spec.Containers[0].Image = badImage })
	var stuck []corev1.Pod
	eventually(t, "one bad pod, stuck", func(ctx context.Context) (string, bool) {
		got, pods, err := d.podsOnNodes(ctx)
		if err != nil {
			return err.Error(), false
		}
		stuck = pods
		bad := 0
		for _, imgs := range got {
			for _, i := range imgs {
				if i == badImage {
					bad++
				}
			}
		}
		ds, err := d.get(ctx)
		if err != nil {
			return err.Error(), false
		}
		return fmt.Sprintf("pods %v, status %+v", got, ds.Status), bad == 1 && len(pods) == 3 &&
			ds.Status.ObservedGeneration == ds.Generation && ds.Status.NumberUnavailable == 1
	})
	// Held at one unavailable node: no second old pod goes.
	time.Sleep(time.Second)
	if _, pods, err := d.podsOnNodes(context.Background()); err != nil || len(pods) != 3 {
		t.Fatalf("pods %v (%v) while the bad pod is unavailable, want 3", dsPodNames(pods), err)
	}

	d.updateDS(func(ds *appsv1.DaemonSet) { ds.Spec.Template.Spec.Containers[0].Image = imageV1 })
	d.waitRolledOutDS(nil)
	after := d.waitPods(map[string][]string{n1: {imageV1}, n2: {imageV1}, n3: {imageV1}})
	kept := map[string]bool{}
	for _, p := range after {
		kept[p.Name] = true
	}
	for _, p := range stuck {
		if p.Spec.Containers[0].Image == imageV1 && !kept[p.Name] {
			t.Errorf("pod %s of the old template was restarted by the rollback", p.Name)
		}
	}
	if replaced := len(before) - countKept(before, kept); replaced != 1 {
		t.Errorf("%d of the original pods replaced, want 1 (the node of the bad pod)", replaced)
	}
}

func countKept(pods []corev1.Pod, kept map[string]bool) int {
	n := 0
	for _, p := range pods {
		if kept[p.Name] {
			n++
		}
	}
	return n
}

func dsPodNames(pods []corev1.Pod) []string {
	var out []string
	for _, p := range pods {
		out = append(out, p.Name)
	}
	return out
}

// TestDaemonSetSurge: with maxSurge, the new pod starts beside the old one,
// which goes once the new one is available.
func TestDaemonSetSurge(t *testing.T) {
	d := newDSTest(t)
	d.kubelet(allPods)
	n1, n2 := d.addNode(1), d.addNode(2)
	d.createDS(func(ds *appsv1.DaemonSet) {
		ds.Spec.UpdateStrategy.RollingUpdate = &appsv1.RollingUpdateDaemonSet{
			MaxSurge: ptr.To(intstr.FromInt32(1)), MaxUnavailable: ptr.To(intstr.FromInt32(0))}
	})
	d.waitRolledOutDS(nil)
	d.updateDS(func(ds *appsv1.DaemonSet) { ds.Spec.Template.Spec.Containers[0].Image = imageV2 })
	minUp := 2
	d.waitRolledOutDS(func(ctx context.Context) {
		pods, err := activePods(ctx, d.client, d.ns, "ds")
		if err != nil {
			return
		}
		up := map[string]bool{}
		for _, p := range pods {
			if p.Status.Phase == corev1.PodRunning {
				up[p.Spec.NodeName] = true
			}
		}
		minUp = min(minUp, len(up))
	})
	d.waitPods(map[string][]string{n1: {imageV2}, n2: {imageV2}})
	if minUp < 2 {
		t.Errorf("a node was without a running pod during a surge rollout (maxUnavailable 0)")
	}
}

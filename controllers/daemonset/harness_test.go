package daemonset

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes/fake"
	clienttesting "k8s.io/client-go/testing"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/tools/record"
	testclock "k8s.io/utils/clock/testing"
	"k8s.io/utils/ptr"

	"github.com/kubeshim/kubeshim/controllers/deployment"
	"github.com/kubeshim/kubeshim/controllers/podstate"
)

var now = time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)

// newDS is a defaulted DaemonSet "ds" of image v1 (rolling update, one
// unavailable, no surge, ten revisions kept).
func newDS(mutate ...func(*appsv1.DaemonSet)) *appsv1.DaemonSet {
	ds := &appsv1.DaemonSet{
		ObjectMeta: metav1.ObjectMeta{Name: "ds", Namespace: "ns", UID: "ds-uid", Generation: 1},
		Spec: appsv1.DaemonSetSpec{
			Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": "ds"}},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"app": "ds"}},
				Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "c", Image: "v1"}}},
			},
			UpdateStrategy: appsv1.DaemonSetUpdateStrategy{
				Type: appsv1.RollingUpdateDaemonSetStrategyType,
				RollingUpdate: &appsv1.RollingUpdateDaemonSet{
					MaxUnavailable: ptr.To(intstr.FromInt32(1)),
					MaxSurge:       ptr.To(intstr.FromInt32(0)),
				},
			},
			RevisionHistoryLimit: ptr.To[int32](10),
		},
	}
	for _, m := range mutate {
		m(ds)
	}
	return ds
}

func image(img string) func(*appsv1.DaemonSet) {
	return func(ds *appsv1.DaemonSet) { ds.Spec.Template.Spec.Containers[0].Image = img }
}

func surge(maxSurge, maxUnavailable intstr.IntOrString) func(*appsv1.DaemonSet) {
	return func(ds *appsv1.DaemonSet) {
		ds.Spec.UpdateStrategy.RollingUpdate = &appsv1.RollingUpdateDaemonSet{MaxSurge: &maxSurge, MaxUnavailable: &maxUnavailable}
	}
}

func nodeSelector(kv ...string) func(*appsv1.DaemonSet) {
	return func(ds *appsv1.DaemonSet) {
		ds.Spec.Template.Spec.NodeSelector = map[string]string{}
		for i := 0; i < len(kv); i += 2 {
			ds.Spec.Template.Spec.NodeSelector[kv[i]] = kv[i+1]
		}
	}
}

// hashOf is the revision hash of ds's template (no collisions).
func hashOf(ds *appsv1.DaemonSet) string { return deployment.PodTemplateHash(&ds.Spec.Template, nil) }

// revisionOf is the ControllerRevision the controller makes of ds's
// template, numbered revision.
func revisionOf(t *testing.T, ds *appsv1.DaemonSet, revision int64) *appsv1.ControllerRevision {
	t.Helper()
	data, err := revisionData(ds)
	if err != nil {
		t.Fatal(err)
	}
	hash := hashOf(ds)
	return &appsv1.ControllerRevision{
		ObjectMeta: metav1.ObjectMeta{
			Name: ds.Name + "-" + hash, Namespace: ds.Namespace, ResourceVersion: "1",
			Labels:          map[string]string{"app": "ds", appsv1.DefaultDaemonSetUniqueLabelKey: hash},
			OwnerReferences: []metav1.OwnerReference{*metav1.NewControllerRef(ds, controllerKind)},
		},
		Data:     runtime.RawExtension{Raw: data},
		Revision: revision,
	}
}

func node(name string, mutate ...func(*corev1.Node)) *corev1.Node {
	n := &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: map[string]string{"kubernetes.io/hostname": name}}}
	for _, m := range mutate {
		m(n)
	}
	return n
}

func labelled(kv ...string) func(*corev1.Node) {
	return func(n *corev1.Node) {
		for i := 0; i < len(kv); i += 2 {
			n.Labels[kv[i]] = kv[i+1]
		}
	}
}

func tainted(key string, effect corev1.TaintEffect) func(*corev1.Node) {
	return func(n *corev1.Node) { n.Spec.Taints = append(n.Spec.Taints, corev1.Taint{Key: key, Effect: effect}) }
}

// daemonPod is a pod of owner (nil: an orphan) for node with the given
// revision hash, bound, running and ready for an hour.
func daemonPod(name, nodeName string, owner *appsv1.DaemonSet, hash string, mutate ...func(*corev1.Pod)) *corev1.Pod {
	p := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "ns", UID: types.UID(name + "-uid"), ResourceVersion: "1",
			Labels:            map[string]string{"app": "ds", appsv1.DefaultDaemonSetUniqueLabelKey: hash},
			CreationTimestamp: metav1.NewTime(now.Add(-2 * time.Hour))},
		Spec: corev1.PodSpec{NodeName: nodeName, Containers: []corev1.Container{{Name: "c", Image: "v1"}}},
		Status: corev1.PodStatus{Phase: corev1.PodRunning, Conditions: []corev1.PodCondition{
			{Type: corev1.PodReady, Status: corev1.ConditionTrue, LastTransitionTime: metav1.NewTime(now.Add(-time.Hour))}}},
	}
	if owner != nil {
		p.OwnerReferences = []metav1.OwnerReference{*metav1.NewControllerRef(owner, controllerKind)}
	}
	for _, m := range mutate {
		m(p)
	}
	return p
}

func notReady(p *corev1.Pod) {
	p.Status.Conditions = []corev1.PodCondition{{Type: corev1.PodReady, Status: corev1.ConditionFalse}}
}

func readySince(d time.Duration) func(*corev1.Pod) {
	return func(p *corev1.Pod) {
		p.Status.Conditions = []corev1.PodCondition{{Type: corev1.PodReady, Status: corev1.ConditionTrue, LastTransitionTime: metav1.NewTime(now.Add(-d))}}
	}
}

func failed(p *corev1.Pod) { p.Status.Phase = corev1.PodFailed; notReady(p) }

func unbound(p *corev1.Pod) {
	p.Spec.Affinity = withNodeAffinity(nil, p.Spec.NodeName)
	p.Spec.NodeName = ""
	p.Status = corev1.PodStatus{Phase: corev1.PodPending}
}

type harness struct {
	c        *Controller
	client   *fake.Clientset
	clock    *testclock.FakeClock
	recorder *record.FakeRecorder
	factory  informers.SharedInformerFactory
	seq      int
}

// newHarness builds a controller whose client and caches hold objs, without
// running informers: each test drives sync directly, and refresh plays the
// informers between syncs.
func newHarness(t *testing.T, objs ...runtime.Object) *harness {
	t.Helper()
	client := fake.NewClientset(objs...)
	h := &harness{client: client, clock: testclock.NewFakeClock(now), recorder: record.NewFakeRecorder(1000)}
	// The fake tracker does not implement generateName, creation
	// timestamps or the pods/binding a scheduler would do.
	client.PrependReactor("create", "pods", func(a clienttesting.Action) (bool, runtime.Object, error) {
		p := a.(clienttesting.CreateAction).GetObject().(*corev1.Pod)
		if p.Name == "" {
			h.seq++
			p.Name = fmt.Sprintf("%s%d", p.GenerateName, h.seq)
			p.UID = types.UID(p.Name + "-uid")
		}
		p.CreationTimestamp = metav1.NewTime(h.clock.Now())
		return false, nil, nil
	})
	h.factory = informers.NewSharedInformerFactory(client, 0)
	h.c = newController(client, h.factory.Apps().V1().DaemonSets(), h.factory.Apps().V1().ControllerRevisions(),
		h.factory.Core().V1().Pods(), h.factory.Core().V1().Nodes(), h.clock, h.recorder)
	h.refresh(t)
	client.ClearActions()
	return h
}

// refresh copies the client's objects into the caches and tells the
// controller of pods added and deleted, as the informers would.
func (h *harness) refresh(t *testing.T) {
	t.Helper()
	ctx := context.Background()
	dss, err := h.client.AppsV1().DaemonSets("").List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	crs, err := h.client.AppsV1().ControllerRevisions("").List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	nodes, err := h.client.CoreV1().Nodes().List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	pods, err := h.client.CoreV1().Pods("").List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	replace := func(i cache.SharedIndexInformer, objs []any) {
		if err := i.GetIndexer().Replace(objs, ""); err != nil {
			t.Fatal(err)
		}
	}
	var d, r, n []any
	for i := range dss.Items {
		d = append(d, &dss.Items[i])
	}
	for i := range crs.Items {
		r = append(r, &crs.Items[i])
	}
	for i := range nodes.Items {
		n = append(n, &nodes.Items[i])
	}
	replace(h.factory.Apps().V1().DaemonSets().Informer(), d)
	replace(h.factory.Apps().V1().ControllerRevisions().Informer(), r)
	replace(h.factory.Core().V1().Nodes().Informer(), n)

	indexer := h.factory.Core().V1().Pods().Informer().GetIndexer()
	seen := map[string]bool{}
	for i := range pods.Items {
		p := &pods.Items[i]
		seen[p.Name] = true
		if _, exists, _ := indexer.Get(p); exists {
			if err := indexer.Update(p); err != nil {
				t.Fatal(err)
			}
			continue
		}
		if err := indexer.Add(p); err != nil {
			t.Fatal(err)
		}
		h.c.podAdded(p)
	}
	for _, o := range indexer.List() {
		p := o.(*corev1.Pod)
		if seen[p.Name] {
			continue
		}
		if err := indexer.Delete(p); err != nil {
			t.Fatal(err)
		}
		h.c.podDeleted(p)
	}
}

func (h *harness) sync(t *testing.T) time.Duration {
	t.Helper()
	after, err := h.c.sync(context.Background(), "ns/ds")
	if err != nil {
		t.Fatalf("sync: %v", err)
	}
	return after
}

// writes summarises the client's writes since the last call as
// "verb resource[/subresource] name", sorted (creates and deletes run in
// parallel); a pod created by generateName is "<prefix>*".
func (h *harness) writes() []string {
	var out []string
	for _, a := range h.client.Actions() {
		switch a.GetVerb() {
		case "get", "list", "watch":
			continue
		}
		res := a.GetResource().Resource
		if a.GetSubresource() != "" {
			res += "/" + a.GetSubresource()
		}
		name := ""
		switch a := a.(type) {
		case clienttesting.CreateAction:
			// Actions are recorded before the generateName reactor runs.
			o := a.GetObject().(metav1.Object)
			if name = o.GetName(); name == "" {
				name = o.GetGenerateName() + "*"
			}
		case clienttesting.UpdateAction:
			name = a.GetObject().(metav1.Object).GetName()
		case clienttesting.DeleteAction:
			name = a.GetName()
		case clienttesting.PatchAction:
			name = a.GetName()
		}
		out = append(out, a.GetVerb()+" "+res+" "+name)
	}
	h.client.ClearActions()
	sort.Strings(out)
	return out
}

// events drains the recorded events, sorted.
func (h *harness) events() []string {
	var out []string
	for {
		select {
		case e := <-h.recorder.Events:
			out = append(out, e)
		default:
			sort.Strings(out)
			return out
		}
	}
}

func (h *harness) ds(t *testing.T) *appsv1.DaemonSet {
	t.Helper()
	ds, err := h.client.AppsV1().DaemonSets("ns").Get(context.Background(), "ds", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return ds
}

// podsByNode summarises the pods as node -> "hash" per pod, pods being
// deleted left out; unbound pods count for their target node.
func (h *harness) pods(t *testing.T) []*corev1.Pod {
	t.Helper()
	list, err := h.client.CoreV1().Pods("ns").List(context.Background(), metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var out []*corev1.Pod
	for i := range list.Items {
		out = append(out, &list.Items[i])
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// layout is "node:hash[:ready]" for each pod, sorted.
func layout(t *testing.T, pods []*corev1.Pod, hashes map[string]string) []string {
	t.Helper()
	var out []string
	for _, p := range pods {
		n, err := targetNode(p)
		if err != nil {
			t.Fatal(err)
		}
		s := n + ":" + hashes[p.Labels[appsv1.DefaultDaemonSetUniqueLabelKey]]
		if podstate.Ready(p) {
			s += ":ready"
		}
		out = append(out, s)
	}
	sort.Strings(out)
	return out
}

// kubelet binds every pod to its node and makes it ready since the fake
// clock's now, as the scheduler and node agent would.
func (h *harness) kubelet(t *testing.T) {
	t.Helper()
	for _, p := range h.pods(t) {
		if p.Spec.NodeName != "" && podstate.Ready(p) {
			continue
		}
		n, err := targetNode(p)
		if err != nil {
			t.Fatal(err)
		}
		p.Spec.NodeName = n
		p.Status.Phase = corev1.PodRunning
		p.Status.Conditions = []corev1.PodCondition{{Type: corev1.PodReady, Status: corev1.ConditionTrue, LastTransitionTime: metav1.NewTime(h.clock.Now())}}
		if _, err := h.client.CoreV1().Pods(p.Namespace).Update(context.Background(), p, metav1.UpdateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
}

func names(pods []*corev1.Pod) string {
	var out []string
	for _, p := range pods {
		out = append(out, p.Name)
	}
	return strings.Join(out, ",")
}

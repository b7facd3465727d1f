package statefulset

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
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

	"github.com/kubeshim/kubeshim/apis/apps"
)

var now = time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)

// newSet is StatefulSet "web" of image, defaulted as the API server stores
// it (OrderedReady, RollingUpdate with partition 0 and maxUnavailable 1,
// ten revisions, Retain), at generation 1.
func newSet(replicas int32, image string, mutate ...func(*appsv1.StatefulSet)) *appsv1.StatefulSet {
	set := &appsv1.StatefulSet{
		ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: "ns", UID: "web-uid", Generation: 1},
		Spec: appsv1.StatefulSetSpec{
			Replicas:    ptr.To(replicas),
			ServiceName: "web-svc",
			Selector:    &metav1.LabelSelector{MatchLabels: map[string]string{"app": "web"}},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"app": "web"}},
				Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "c", Image: image}}},
			},
		},
	}
	for _, m := range mutate {
		m(set)
	}
	apps.SetObjectDefaultsStatefulSet(set)
	return set
}

func parallel(set *appsv1.StatefulSet) { set.Spec.PodManagementPolicy = appsv1.ParallelPodManagement }

func onDelete(set *appsv1.StatefulSet) {
	set.Spec.UpdateStrategy = appsv1.StatefulSetUpdateStrategy{Type: appsv1.OnDeleteStatefulSetStrategyType}
}

func rolling(partition int32, maxUnavailable intstr.IntOrString) func(*appsv1.StatefulSet) {
	return func(set *appsv1.StatefulSet) {
		set.Spec.UpdateStrategy = appsv1.StatefulSetUpdateStrategy{
			Type:          appsv1.RollingUpdateStatefulSetStrategyType,
			RollingUpdate: &appsv1.RollingUpdateStatefulSetStrategy{Partition: ptr.To(partition), MaxUnavailable: &maxUnavailable},
		}
	}
}

// withClaims gives the set a claim template "data" and the retention
// policy.
func withClaims(whenScaled, whenDeleted appsv1.PersistentVolumeClaimRetentionPolicyType) func(*appsv1.StatefulSet) {
	return func(set *appsv1.StatefulSet) {
		set.Spec.VolumeClaimTemplates = []corev1.PersistentVolumeClaim{{
			ObjectMeta: metav1.ObjectMeta{Name: "data", Labels: map[string]string{"tier": "storage"}},
			Spec: corev1.PersistentVolumeClaimSpec{
				AccessModes: []corev1.PersistentVolumeAccessMode{corev1.ReadWriteOnce},
				Resources:   corev1.VolumeResourceRequirements{Requests: corev1.ResourceList{corev1.ResourceStorage: resource.MustParse("1Gi")}},
			},
		}}
		set.Spec.PersistentVolumeClaimRetentionPolicy = &appsv1.StatefulSetPersistentVolumeClaimRetentionPolicy{WhenScaled: whenScaled, WhenDeleted: whenDeleted}
	}
}

// revisionOf is the ControllerRevision the controller records for set's
// template, numbered n.
func revisionOf(t *testing.T, set *appsv1.StatefulSet, n int64) *appsv1.ControllerRevision {
	t.Helper()
	rev, err := newRevision(set, n, ptr.To[int32](0))
	if err != nil {
		t.Fatal(err)
	}
	rev.UID = types.UID(rev.Name + "-uid")
	rev.CreationTimestamp = metav1.NewTime(now.Add(time.Duration(n) * time.Second))
	return rev
}

// podOf is set's pod at ordinal, made from rev's template, in phase.
func podOf(t *testing.T, set *appsv1.StatefulSet, rev *appsv1.ControllerRevision, ordinal int, phase corev1.PodPhase, ready bool) *corev1.Pod {
	t.Helper()
	s, err := applyRevision(set, rev)
	if err != nil {
		t.Fatal(err)
	}
	pod := newPod(s, ordinal)
	setPodRevision(pod, rev.Name)
	pod.UID = types.UID(pod.Name + "-uid")
	pod.Status.Phase = phase
	if ready {
		pod.Status.Conditions = []corev1.PodCondition{{Type: corev1.PodReady, Status: corev1.ConditionTrue, LastTransitionTime: metav1.NewTime(now.Add(-time.Hour))}}
	}
	return pod
}

type harness struct {
	c        *Controller
	client   *fake.Clientset
	clock    *testclock.FakeClock
	recorder *record.FakeRecorder
	factory  informers.SharedInformerFactory
	uids     int
}

// newHarness builds a controller whose caches and client hold objs,
// without running informers: each test drives syncs directly, and sync
// copies the client's state into the caches first. The client plays the
// API server's part on create: it gives objects a UID and a creation time,
// and pods phase Pending.
func newHarness(t *testing.T, objs ...runtime.Object) *harness {
	t.Helper()
	client := fake.NewClientset(objs...)
	factory := informers.NewSharedInformerFactory(client, 0)
	clk := testclock.NewFakeClock(now)
	recorder := record.NewFakeRecorder(1000)
	h := &harness{client: client, clock: clk, recorder: recorder, factory: factory}
	h.c = newController(client, factory.Apps().V1().StatefulSets(), factory.Core().V1().Pods(),
		factory.Core().V1().PersistentVolumeClaims(), factory.Apps().V1().ControllerRevisions(), clk, recorder)
	react := clienttesting.ObjectReaction(client.Tracker())
	client.PrependReactor("create", "*", func(a clienttesting.Action) (bool, runtime.Object, error) {
		create := a.(clienttesting.CreateActionImpl)
		obj := create.GetObject().DeepCopyObject()
		m := obj.(metav1.Object)
		h.uids++
		m.SetUID(types.UID(fmt.Sprintf("%s-uid-%d", m.GetName(), h.uids)))
		m.SetCreationTimestamp(metav1.NewTime(h.clock.Now()))
		if pod, ok := obj.(*corev1.Pod); ok {
			pod.Status.Phase = corev1.PodPending
		}
		create.Object = obj
		return react(create)
	})
	return h
}

func (h *harness) refresh(t *testing.T) {
	t.Helper()
	ctx := context.Background()
	sets, err := h.client.AppsV1().StatefulSets("").List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	pods, err := h.client.CoreV1().Pods("").List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	claims, err := h.client.CoreV1().PersistentVolumeClaims("").List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	revs, err := h.client.AppsV1().ControllerRevisions("").List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	replace := func(i cache.SharedIndexInformer, objs []any) {
		if err := i.GetIndexer().Replace(objs, ""); err != nil {
			t.Fatal(err)
		}
	}
	replace(h.factory.Apps().V1().StatefulSets().Informer(), items(sets.Items))
	replace(h.factory.Core().V1().Pods().Informer(), items(pods.Items))
	replace(h.factory.Core().V1().PersistentVolumeClaims().Informer(), items(claims.Items))
	replace(h.factory.Apps().V1().ControllerRevisions().Informer(), items(revs.Items))
}

func items[T any](list []T) []any {
	out := make([]any, len(list))
	for i := range list {
		out[i] = &list[i]
	}
	return out
}

// sync refreshes the caches, forgets earlier client actions and syncs "web".
func (h *harness) sync(t *testing.T) time.Duration {
	t.Helper()
	after, err := h.trySync(t)
	if err != nil {
		t.Fatalf("sync: %v", err)
	}
	return after
}

func (h *harness) trySync(t *testing.T) (time.Duration, error) {
	t.Helper()
	h.refresh(t)
	h.client.ClearActions()
	return h.c.sync(context.Background(), "ns/web")
}

// writes summarises the client's writes as "verb resource[/subresource] name".
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
			name = a.GetObject().(metav1.Object).GetName()
		case clienttesting.UpdateAction:
			name = a.GetObject().(metav1.Object).GetName()
		case clienttesting.DeleteAction:
			name = a.GetName()
		case clienttesting.PatchAction:
			name = a.GetName()
		}
		out = append(out, a.GetVerb()+" "+res+" "+name)
	}
	return out
}

// podWrites is writes without the status and revision writes: the order in
// which pods and claims were created and deleted.
func (h *harness) podWrites() []string {
	var out []string
	for _, w := range h.writes() {
		if strings.Contains(w, " pods ") || strings.Contains(w, " persistentvolumeclaims ") {
			out = append(out, w)
		}
	}
	return out
}

// events drains the recorded events.
func (h *harness) events() []string {
	var out []string
	for {
		select {
		case e := <-h.recorder.Events:
			out = append(out, e)
		default:
			return out
		}
	}
}

func (h *harness) set(t *testing.T) *appsv1.StatefulSet {
	t.Helper()
	set, err := h.client.AppsV1().StatefulSets("ns").Get(context.Background(), "web", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return set
}

// updateSet changes the set's spec as a user would; the API server's
// generation bump included.
func (h *harness) updateSet(t *testing.T, change func(*appsv1.StatefulSet)) {
	t.Helper()
	set := h.set(t)
	change(set)
	apps.SetObjectDefaultsStatefulSet(set)
	set.Generation++
	if err := h.client.Tracker().Update(appsv1.SchemeGroupVersion.WithResource("statefulsets"), set, "ns"); err != nil {
		t.Fatal(err)
	}
}

func (h *harness) pod(t *testing.T, name string) *corev1.Pod {
	t.Helper()
	pod, err := h.client.CoreV1().Pods("ns").Get(context.Background(), name, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return pod
}

func (h *harness) claim(t *testing.T, name string) *corev1.PersistentVolumeClaim {
	t.Helper()
	claim, err := h.client.CoreV1().PersistentVolumeClaims("ns").Get(context.Background(), name, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return claim
}

// setPod changes a pod behind the controller's back (a kubelet, a user).
func (h *harness) setPod(t *testing.T, name string, change func(*corev1.Pod)) {
	t.Helper()
	pod := h.pod(t, name)
	change(pod)
	if err := h.client.Tracker().Update(corev1.SchemeGroupVersion.WithResource("pods"), pod, "ns"); err != nil {
		t.Fatal(err)
	}
}

// run makes pods Running and ready (since readyFor before the harness
// clock), as a kubelet would.
func (h *harness) run(t *testing.T, readyFor time.Duration, names ...string) {
	t.Helper()
	for _, name := range names {
		h.setPod(t, name, func(p *corev1.Pod) {
			p.Status.Phase = corev1.PodRunning
			p.Status.Conditions = []corev1.PodCondition{{Type: corev1.PodReady, Status: corev1.ConditionTrue,
				LastTransitionTime: metav1.NewTime(h.clock.Now().Add(-readyFor))}}
		})
	}
}

// runAll runs every pod that is not running yet.
func (h *harness) runAll(t *testing.T) {
	t.Helper()
	for name, p := range h.podMap(t) {
		if p.Status.Phase != corev1.PodRunning {
			h.run(t, time.Hour, name)
		}
	}
}

func (h *harness) deletePod(t *testing.T, name string) {
	t.Helper()
	if err := h.client.Tracker().Delete(corev1.SchemeGroupVersion.WithResource("pods"), "ns", name); err != nil {
		t.Fatal(err)
	}
}

func (h *harness) podMap(t *testing.T) map[string]*corev1.Pod {
	t.Helper()
	list, err := h.client.CoreV1().Pods("ns").List(context.Background(), metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]*corev1.Pod{}
	for i := range list.Items {
		out[list.Items[i].Name] = &list.Items[i]
	}
	return out
}

// pods summarises the pods as "name:revision number:phase", by name.
func (h *harness) pods(t *testing.T) []string {
	t.Helper()
	revs := map[string]int64{}
	list, err := h.client.AppsV1().ControllerRevisions("ns").List(context.Background(), metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range list.Items {
		revs[r.Name] = r.Revision
	}
	var out []string
	for name, p := range h.podMap(t) {
		out = append(out, fmt.Sprintf("%s:%d:%s", name, revs[podRevision(p)], p.Status.Phase))
	}
	sort.Strings(out)
	return out
}

// revisions summarises the revisions as "name-suffix-free image:number",
// by number.
func (h *harness) revisions(t *testing.T) []string {
	t.Helper()
	list, err := h.client.AppsV1().ControllerRevisions("ns").List(context.Background(), metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	set := h.set(t)
	var revs []*appsv1.ControllerRevision
	for i := range list.Items {
		revs = append(revs, &list.Items[i])
	}
	sortRevisions(revs)
	var out []string
	for _, r := range revs {
		s, err := applyRevision(set, r)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, fmt.Sprintf("%s:%d", s.Spec.Template.Spec.Containers[0].Image, r.Revision))
	}
	return out
}

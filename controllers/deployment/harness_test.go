package deployment

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
)

var now = time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)

// newDeployment is a defaulted Deployment "d" (25%/25% rolling update,
// revisionHistoryLimit 10, progressDeadlineSeconds 600) of image.
func newDeployment(replicas int32, image string, mutate ...func(*appsv1.Deployment)) *appsv1.Deployment {
	d := &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: "d", Namespace: "ns", UID: "d-uid", Generation: 1},
		Spec: appsv1.DeploymentSpec{
			Replicas: ptr.To(replicas),
			Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": "d"}},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"app": "d"}},
				Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "c", Image: image}}},
			},
			Strategy: appsv1.DeploymentStrategy{
				Type: appsv1.RollingUpdateDeploymentStrategyType,
				RollingUpdate: &appsv1.RollingUpdateDeployment{
					MaxSurge:       ptr.To(intstr.FromString("25%")),
					MaxUnavailable: ptr.To(intstr.FromString("25%")),
				},
			},
			RevisionHistoryLimit:    ptr.To[int32](10),
			ProgressDeadlineSeconds: ptr.To[int32](600),
		},
	}
	for _, m := range mutate {
		m(d)
	}
	return d
}

func surge(maxSurge, maxUnavailable intstr.IntOrString) func(*appsv1.Deployment) {
	return func(d *appsv1.Deployment) {
		d.Spec.Strategy.RollingUpdate = &appsv1.RollingUpdateDeployment{MaxSurge: &maxSurge, MaxUnavailable: &maxUnavailable}
	}
}

func recreate(d *appsv1.Deployment) {
	d.Spec.Strategy = appsv1.DeploymentStrategy{Type: appsv1.RecreateDeploymentStrategyType}
}

// rsOf is the ReplicaSet d would make of its template with image, created
// age ago, of the given revision, sized replicas and with that many pods
// available, its status observed; its replicas annotations are d's.
func rsOf(d *appsv1.Deployment, image string, age time.Duration, rev string, replicas, available int32, mutate ...func(*appsv1.ReplicaSet)) *appsv1.ReplicaSet {
	t := d.Spec.Template.DeepCopy()
	t.Spec.Containers[0].Image = image
	hash := PodTemplateHash(t, nil)
	t.Labels = withLabel(t.Labels, appsv1.DefaultDeploymentUniqueLabelKey, hash)
	rs := &appsv1.ReplicaSet{
		ObjectMeta: metav1.ObjectMeta{
			Name: replicaSetName(d.Name, hash), Namespace: d.Namespace, UID: types.UID(image + "-uid"),
			Labels:            t.Labels,
			CreationTimestamp: metav1.NewTime(now.Add(-age)),
			Generation:        1,
			OwnerReferences:   []metav1.OwnerReference{*metav1.NewControllerRef(d, controllerKind)},
			Annotations: map[string]string{
				RevisionAnnotation:        rev,
				DesiredReplicasAnnotation: fmt.Sprint(*d.Spec.Replicas),
				MaxReplicasAnnotation:     fmt.Sprint(*d.Spec.Replicas + maxSurge(d)),
			},
		},
		Spec: appsv1.ReplicaSetSpec{
			Replicas: ptr.To(replicas),
			Selector: &metav1.LabelSelector{MatchLabels: t.Labels},
			Template: *t,
		},
		Status: appsv1.ReplicaSetStatus{Replicas: replicas, ReadyReplicas: available, AvailableReplicas: available,
			ObservedGeneration: 1, TerminatingReplicas: ptr.To[int32](0)},
	}
	for _, m := range mutate {
		m(rs)
	}
	return rs
}

func annotate(kv ...string) func(*appsv1.ReplicaSet) {
	return func(rs *appsv1.ReplicaSet) {
		for i := 0; i < len(kv); i += 2 {
			rs.Annotations[kv[i]] = kv[i+1]
		}
	}
}

type harness struct {
	c        *Controller
	client   *fake.Clientset
	clock    *testclock.FakeClock
	recorder *record.FakeRecorder
	factory  informers.SharedInformerFactory
}

// newHarness builds a controller whose caches and client hold objs,
// without running informers: each test drives the sync directly, and
// refresh copies the client's state into the caches between syncs.
func newHarness(t *testing.T, objs ...runtime.Object) *harness {
	t.Helper()
	client := fake.NewClientset(objs...)
	factory := informers.NewSharedInformerFactory(client, 0)
	clk := testclock.NewFakeClock(now)
	recorder := record.NewFakeRecorder(100)
	c := newController(client, factory.Apps().V1().Deployments(), factory.Apps().V1().ReplicaSets(), factory.Core().V1().Pods(), clk, recorder)
	h := &harness{c: c, client: client, clock: clk, recorder: recorder, factory: factory}
	h.refresh(t)
	client.ClearActions()
	return h
}

func (h *harness) refresh(t *testing.T) {
	t.Helper()
	ctx := context.Background()
	ds, err := h.client.AppsV1().Deployments("").List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	rss, err := h.client.AppsV1().ReplicaSets("").List(ctx, metav1.ListOptions{})
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
	var d, r, p []any
	for i := range ds.Items {
		d = append(d, &ds.Items[i])
	}
	for i := range rss.Items {
		r = append(r, &rss.Items[i])
	}
	for i := range pods.Items {
		p = append(p, &pods.Items[i])
	}
	replace(h.factory.Apps().V1().Deployments().Informer(), d)
	replace(h.factory.Apps().V1().ReplicaSets().Informer(), r)
	replace(h.factory.Core().V1().Pods().Informer(), p)
}

func (h *harness) sync(t *testing.T) time.Duration {
	t.Helper()
	after, err := h.c.sync(context.Background(), "ns/d")
	if err != nil {
		t.Fatalf("sync: %v", err)
	}
	return after
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

func (h *harness) deployment(t *testing.T) *appsv1.Deployment {
	t.Helper()
	d, err := h.client.AppsV1().Deployments("ns").Get(context.Background(), "d", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// sizes maps every ReplicaSet's name to its spec.replicas.
func (h *harness) sizes(t *testing.T) map[string]int32 {
	t.Helper()
	list, err := h.client.AppsV1().ReplicaSets("ns").List(context.Background(), metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]int32{}
	for _, rs := range list.Items {
		out[rs.Name] = *rs.Spec.Replicas
	}
	return out
}

func (h *harness) replicaSet(t *testing.T, name string) *appsv1.ReplicaSet {
	t.Helper()
	rs, err := h.client.AppsV1().ReplicaSets("ns").Get(context.Background(), name, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return rs
}

// conditions summarises d's conditions as "Type=Status/Reason", sorted.
func conditions(d *appsv1.Deployment) []string {
	var out []string
	for _, c := range d.Status.Conditions {
		out = append(out, string(c.Type)+"="+string(c.Status)+"/"+c.Reason)
	}
	sort.Strings(out)
	return out
}

func rsNames(rss ...*appsv1.ReplicaSet) string {
	var names []string
	for _, rs := range rss {
		names = append(names, rs.Name)
	}
	return strings.Join(names, ",")
}

package namespace

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	fakediscovery "k8s.io/client-go/discovery/fake"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes/fake"
	metadatafake "k8s.io/client-go/metadata/fake"
	clienttesting "k8s.io/client-go/testing"
)

var (
	configMaps = corev1.SchemeGroupVersion.WithResource("configmaps")
	pods       = corev1.SchemeGroupVersion.WithResource("pods")
)

// discovery serves a fixed list of namespaced resources; client-go's fake
// discovery answers ServerPreferredNamespacedResources with nothing.
type staticDiscovery struct {
	*fakediscovery.FakeDiscovery
	lists []*metav1.APIResourceList
	err   error
}

func (d *staticDiscovery) ServerPreferredNamespacedResources() ([]*metav1.APIResourceList, error) {
	return d.lists, d.err
}

var allVerbs = metav1.Verbs{"create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"}

func coreResources() []*metav1.APIResourceList {
	return []*metav1.APIResourceList{{
		GroupVersion: "v1",
		APIResources: []metav1.APIResource{
			{Name: "configmaps", Namespaced: true, Kind: "ConfigMap", Verbs: allVerbs},
			{Name: "pods", Namespaced: true, Kind: "Pod", Verbs: allVerbs},
			// Subresources and resources that cannot be deleted as a
			// collection are skipped.
			{Name: "pods/status", Namespaced: true, Kind: "Pod", Verbs: metav1.Verbs{"get", "patch", "update"}},
			{Name: "bindings", Namespaced: true, Kind: "Binding", Verbs: metav1.Verbs{"create"}},
		},
	}}
}

func terminating(name string) *corev1.Namespace {
	return &corev1.Namespace{
		ObjectMeta: metav1.ObjectMeta{Name: name, DeletionTimestamp: &metav1.Time{Time: time.Unix(100, 0)}},
		Spec:       corev1.NamespaceSpec{Finalizers: []corev1.FinalizerName{corev1.FinalizerKubernetes}},
		Status:     corev1.NamespaceStatus{Phase: corev1.NamespaceTerminating},
	}
}

func object(kind, namespace, name string, finalizers ...string) *metav1.PartialObjectMetadata {
	return &metav1.PartialObjectMetadata{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: kind},
		ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: name, Finalizers: finalizers},
	}
}

// fixture is a controller on fake clients.
type fixture struct {
	c         *Controller
	client    *fake.Clientset
	metadata  *metadatafake.FakeMetadataClient
	discovery *staticDiscovery
}

func newFixture(t *testing.T, ns *corev1.Namespace, content ...runtime.Object) *fixture {
	t.Helper()
	var objs []runtime.Object
	if ns != nil {
		objs = append(objs, ns)
	}
	client := fake.NewClientset(objs...)
	scheme := metadatafake.NewTestScheme()
	if err := metav1.AddMetaToScheme(scheme); err != nil {
		t.Fatal(err)
	}
	meta := metadatafake.NewSimpleMetadataClient(scheme, content...)
	// The tracker has no delete-collection; act as the API server does:
	// objects without finalizers go, those with them stay (marked deleted).
	meta.PrependReactor("delete-collection", "*", func(action clienttesting.Action) (bool, runtime.Object, error) {
		gvr, ns := action.GetResource(), action.GetNamespace()
		list, err := meta.Tracker().List(gvr, schema.GroupVersionKind{Group: "fake-metadata-client-group", Version: "v1"}, ns)
		if err != nil {
			return true, nil, err
		}
		for _, item := range list.(*metav1.List).Items {
			obj := item.Object.(*metav1.PartialObjectMetadata)
			if len(obj.Finalizers) > 0 {
				continue
			}
			if err := meta.Tracker().Delete(gvr, ns, obj.Name); err != nil {
				return true, nil, err
			}
		}
		return true, nil, nil
	})
	factory := informers.NewSharedInformerFactory(client, 0)
	c := New(client, meta, factory.Core().V1().Namespaces())
	d := &staticDiscovery{FakeDiscovery: client.Discovery().(*fakediscovery.FakeDiscovery), lists: coreResources()}
	c.discovery = d
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	factory.Start(ctx.Done())
	for typ, ok := range factory.WaitForCacheSync(ctx.Done()) {
		if !ok {
			t.Fatalf("informer for %v did not sync", typ)
		}
	}
	return &fixture{c: c, client: client, metadata: meta, discovery: d}
}

// condition is the part of a NamespaceCondition a test checks.
type condition struct {
	Type    corev1.NamespaceConditionType
	Status  corev1.ConditionStatus
	Reason  string
	Message string
}

func conditions(ns *corev1.Namespace) []condition {
	var out []condition
	for _, c := range ns.Status.Conditions {
		out = append(out, condition{c.Type, c.Status, c.Reason, c.Message})
	}
	return out
}

// allClear are the conditions of a namespace whose content is all gone.
var allClear = []condition{
	{corev1.NamespaceDeletionDiscoveryFailure, corev1.ConditionFalse, "ResourcesDiscovered", "All resources successfully discovered"},
	{corev1.NamespaceDeletionGVParsingFailure, corev1.ConditionFalse, "ParsedGroupVersions", "All legacy kube types successfully parsed"},
	{corev1.NamespaceDeletionContentFailure, corev1.ConditionFalse, "ContentDeleted", "All content successfully deleted, may be waiting on finalization"},
	{corev1.NamespaceContentRemaining, corev1.ConditionFalse, "ContentRemoved", "All content successfully removed"},
	{corev1.NamespaceFinalizersRemaining, corev1.ConditionFalse, "ContentHasNoFinalizers", "All content-preserving finalizers finished"},
}

// with returns allClear with the condition of the same type replaced.
func with(replace ...condition) []condition {
	out := append([]condition(nil), allClear...)
	for _, r := range replace {
		for i := range out {
			if out[i].Type == r.Type {
				out[i] = r
			}
		}
	}
	return out
}

func TestSync(t *testing.T) {
	tests := []struct {
		name      string
		namespace *corev1.Namespace
		content   []runtime.Object
		// deleteErr, when set, fails delete-collection of pods.
		deleteErr    error
		discoveryErr error
		wantRequeue  bool
		wantErr      bool
		// wantFinalized is whether the kubernetes finalizer is removed.
		wantFinalized  bool
		wantConditions []condition
		// wantLeft are the names of the objects still there.
		wantLeft []string
	}{
		{
			name:           "an empty namespace is finalized",
			namespace:      terminating("ns"),
			wantFinalized:  true,
			wantConditions: allClear,
		},
		{
			name:      "its content is deleted, other namespaces' is not, then it is finalized",
			namespace: terminating("ns"),
			content: []runtime.Object{
				object("ConfigMap", "ns", "a"), object("ConfigMap", "ns", "b"), object("Pod", "ns", "p"),
				object("ConfigMap", "other", "kept"),
			},
			wantFinalized:  true,
			wantConditions: allClear,
			wantLeft:       []string{"configmaps other/kept"},
		},
		{
			name:      "pods held by finalizers keep the namespace and the rest of its content",
			namespace: terminating("ns"),
			content: []runtime.Object{
				object("ConfigMap", "ns", "waits"),
				object("Pod", "ns", "p1", "example.com/pod"), object("Pod", "ns", "p2", "example.com/hold"),
				object("Pod", "ns", "gone"),
			},
			wantRequeue: true,
			wantConditions: with(
				condition{corev1.NamespaceContentRemaining, corev1.ConditionTrue, "SomeResourcesRemain",
					"Some resources are remaining: pods. has 2 resource instances"},
				condition{corev1.NamespaceFinalizersRemaining, corev1.ConditionTrue, "SomeFinalizersRemain",
					"Some content in the namespace has finalizers remaining: example.com/hold, example.com/pod"},
			),
			wantLeft: []string{"configmaps ns/waits", "pods ns/p1", "pods ns/p2"},
		},
		{
			name:      "other content held by finalizers keeps the namespace once the pods are gone",
			namespace: terminating("ns"),
			content: []runtime.Object{
				object("ConfigMap", "ns", "held", "example.com/hold"), object("ConfigMap", "ns", "gone"),
				object("Pod", "ns", "p"),
			},
			wantRequeue: true,
			wantConditions: with(
				condition{corev1.NamespaceContentRemaining, corev1.ConditionTrue, "SomeResourcesRemain",
					"Some resources are remaining: configmaps. has 1 resource instances"},
				condition{corev1.NamespaceFinalizersRemaining, corev1.ConditionTrue, "SomeFinalizersRemain",
					"Some content in the namespace has finalizers remaining: example.com/hold"},
			),
			wantLeft: []string{"configmaps ns/held"},
		},
		{
			name:        "a failed delete is reported and keeps the namespace",
			namespace:   terminating("ns"),
			content:     []runtime.Object{object("Pod", "ns", "p"), object("ConfigMap", "ns", "a")},
			deleteErr:   apierrors.NewInternalError(errors.New("boom")),
			wantRequeue: true,
			wantConditions: with(condition{corev1.NamespaceDeletionContentFailure, corev1.ConditionTrue, "ContentDeletionFailed",
				"Failed to delete all resource types, 1 remaining: pods: Internal error occurred: boom"}),
			// Nothing else goes before the pods.
			wantLeft: []string{"configmaps ns/a", "pods ns/p"},
		},
		{
			name:         "a partial discovery failure is reported and keeps the namespace",
			namespace:    terminating("ns"),
			content:      []runtime.Object{object("ConfigMap", "ns", "a")},
			discoveryErr: errors.New("example.com/v1: unavailable"),
			wantRequeue:  true,
			wantConditions: with(condition{corev1.NamespaceDeletionDiscoveryFailure, corev1.ConditionTrue, "DiscoveryFailed",
				"Discovery failed for some groups: example.com/v1: unavailable"}),
		},
		{
			name: "a namespace not being deleted is left alone",
			namespace: &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "ns"},
				Spec: corev1.NamespaceSpec{Finalizers: []corev1.FinalizerName{corev1.FinalizerKubernetes}}},
			content:  []runtime.Object{object("ConfigMap", "ns", "a")},
			wantLeft: []string{"configmaps ns/a"},
		},
		{
			name: "a namespace already finalized is left alone",
			namespace: func() *corev1.Namespace {
				ns := terminating("ns")
				ns.Spec.Finalizers = nil
				return ns
			}(),
			content:  []runtime.Object{object("ConfigMap", "ns", "a")},
			wantLeft: []string{"configmaps ns/a"},
		},
		{
			name: "a namespace that is gone is nothing to do",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, tc.namespace, tc.content...)
			f.discovery.err = tc.discoveryErr
			if tc.deleteErr != nil {
				f.metadata.PrependReactor("delete-collection", "pods", func(clienttesting.Action) (bool, runtime.Object, error) {
					return true, nil, tc.deleteErr
				})
			}
			f.client.ClearActions()
			requeue, err := f.c.sync(context.Background(), "ns")
			if gotErr := err != nil; gotErr != tc.wantErr {
				t.Fatalf("sync error = %v, want error: %v", err, tc.wantErr)
			}
			if got := requeue > 0; got != tc.wantRequeue {
				t.Errorf("requeue after %v, want requeue: %v", requeue, tc.wantRequeue)
			}

			finalized := false
			var statusWritten *corev1.Namespace
			for _, a := range f.client.Actions() {
				switch {
				case a.Matches("create", "namespaces") && a.GetSubresource() == "finalize":
					ns := a.(clienttesting.CreateAction).GetObject().(*corev1.Namespace)
					finalized = len(ns.Spec.Finalizers) == 0
				case a.Matches("update", "namespaces") && a.GetSubresource() == "status":
					statusWritten = a.(clienttesting.UpdateAction).GetObject().(*corev1.Namespace)
				}
			}
			if finalized != tc.wantFinalized {
				t.Errorf("finalized: %v, want %v", finalized, tc.wantFinalized)
			}
			var gotConditions []condition
			if statusWritten != nil {
				gotConditions = conditions(statusWritten)
				if statusWritten.Status.Phase != corev1.NamespaceTerminating {
					t.Errorf("phase %q, want %q", statusWritten.Status.Phase, corev1.NamespaceTerminating)
				}
			}
			if diff := cmp.Diff(tc.wantConditions, gotConditions); diff != "" {
				t.Errorf("conditions (-want +got):\n%s", diff)
			}

			var left []string
			for _, gvr := range []schema.GroupVersionResource{configMaps, pods} {
				list, err := f.metadata.Resource(gvr).List(context.Background(), metav1.ListOptions{})
				if err != nil {
					t.Fatal(err)
				}
				for _, item := range list.Items {
					left = append(left, gvr.Resource+" "+item.Namespace+"/"+item.Name)
				}
			}
			if diff := cmp.Diff(tc.wantLeft, left); diff != "" {
				t.Errorf("objects left (-want +got):\n%s", diff)
			}
		})
	}
}

// TestConditionsKeepTransitionTime checks that a second sync that finds
// the same state does not write the status again, and that a condition
// whose message changes but whose status does not keeps its
// lastTransitionTime.
func TestConditionsKeepTransitionTime(t *testing.T) {
	ns := terminating("ns")
	f := newFixture(t, ns, object("Pod", "ns", "p1", "example.com/hold"), object("Pod", "ns", "p2", "example.com/hold"))
	ctx := context.Background()
	if _, err := f.c.sync(ctx, "ns"); err != nil {
		t.Fatal(err)
	}
	first, err := f.client.CoreV1().Namespaces().Get(ctx, "ns", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	// Let the informer see the written status, as the next sync would.
	waitFor(t, func() bool {
		got, err := f.c.namespaces.Get("ns")
		return err == nil && len(got.Status.Conditions) > 0
	})

	f.client.ClearActions()
	if _, err := f.c.sync(ctx, "ns"); err != nil {
		t.Fatal(err)
	}
	for _, a := range f.client.Actions() {
		if a.Matches("update", "namespaces") {
			t.Errorf("unchanged state written again: %v", a)
		}
	}

	// One of the pods goes: the message changes, the status does not.
	if err := f.metadata.Tracker().Delete(pods, "ns", "p1"); err != nil {
		t.Fatal(err)
	}
	if _, err := f.c.sync(ctx, "ns"); err != nil {
		t.Fatal(err)
	}
	second, err := f.client.CoreV1().Namespaces().Get(ctx, "ns", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	find := func(ns *corev1.Namespace) corev1.NamespaceCondition {
		return ns.Status.Conditions[indexOf(ns.Status.Conditions, corev1.NamespaceContentRemaining)]
	}
	before, after := find(first), find(second)
	if diff := cmp.Diff("Some resources are remaining: pods. has 1 resource instances", after.Message); diff != "" {
		t.Errorf("message (-want +got):\n%s", diff)
	}
	if !before.LastTransitionTime.Equal(&after.LastTransitionTime) {
		t.Errorf("lastTransitionTime changed from %v to %v though the status stayed %s", before.LastTransitionTime, after.LastTransitionTime, after.Status)
	}
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition never held")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestNamespacedResources checks which discovered resources are emptied:
// those that can be listed and deleted as a collection, not subresources.
func TestNamespacedResources(t *testing.T) {
	f := newFixture(t, nil)
	f.discovery.lists = append(coreResources(), &metav1.APIResourceList{
		GroupVersion: "apps/v1",
		APIResources: []metav1.APIResource{
			{Name: "deployments", Namespaced: true, Kind: "Deployment", Verbs: allVerbs},
			{Name: "deployments/scale", Namespaced: true, Kind: "Scale", Verbs: metav1.Verbs{"get", "patch", "update"}},
			{Name: "nolist", Namespaced: true, Kind: "NoList", Verbs: metav1.Verbs{"deletecollection", "get"}},
		},
	}, &metav1.APIResourceList{GroupVersion: "not/a/group/version", APIResources: []metav1.APIResource{{Name: "x", Verbs: allVerbs}}})
	got, err := f.c.namespacedResources()
	if err != nil {
		t.Fatal(err)
	}
	want := []schema.GroupVersionResource{configMaps, pods, {Group: "apps", Version: "v1", Resource: "deployments"}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("resources (-want +got):\n%s", diff)
	}
}

package rootca

import (
	"context"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes/fake"
)

const bundle = "-----BEGIN CERTIFICATE-----\nroot\n-----END CERTIFICATE-----\n"

func namespace(name string, phase corev1.NamespacePhase) *corev1.Namespace {
	return &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name}, Status: corev1.NamespaceStatus{Phase: phase}}
}

func configMap(ns string, data map[string]string, annotations map[string]string) *corev1.ConfigMap {
	return &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: Name, Namespace: ns, Annotations: annotations}, Data: data}
}

// published is the ConfigMap the controller should leave in a namespace.
func published(ns string) *corev1.ConfigMap {
	return configMap(ns, map[string]string{Key: bundle}, map[string]string{descriptionAnnotation: description})
}

// newController returns a controller whose informers have synced with a
// fake clientset holding objs.
func newController(t *testing.T, objs ...runtime.Object) (*Controller, *fake.Clientset) {
	t.Helper()
	client := fake.NewClientset(objs...)
	factory := informers.NewSharedInformerFactory(client, 0)
	c := New(client, []byte(bundle), factory.Core().V1().Namespaces(), factory.Core().V1().ConfigMaps())
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	factory.Start(ctx.Done())
	for typ, ok := range factory.WaitForCacheSync(ctx.Done()) {
		if !ok {
			t.Fatalf("informer for %v did not sync", typ)
		}
	}
	return c, client
}

// ignoreServerFields leaves out what the fake clientset fills in itself.
var ignoreServerFields = cmp.Options{
	cmpopts.IgnoreFields(corev1.ConfigMap{}, "TypeMeta"),
	cmpopts.IgnoreFields(metav1.ObjectMeta{}, "ManagedFields", "ResourceVersion"),
}

func TestSync(t *testing.T) {
	tests := []struct {
		name      string
		namespace *corev1.Namespace
		existing  *corev1.ConfigMap
		// want is the ConfigMap after sync; nil means there is none.
		want *corev1.ConfigMap
	}{
		{
			name:      "created in an active namespace",
			namespace: namespace("a", corev1.NamespaceActive),
			want:      published("a"),
		},
		{
			name:      "not created in a terminating namespace",
			namespace: namespace("a", corev1.NamespaceTerminating),
			want:      nil,
		},
		{
			name:      "not created for a namespace that does not exist",
			namespace: nil,
			want:      nil,
		},
		{
			name:      "edited data is restored",
			namespace: namespace("a", corev1.NamespaceActive),
			existing:  configMap("a", map[string]string{Key: "not the bundle", "extra": "x"}, map[string]string{descriptionAnnotation: description}),
			want:      published("a"),
		},
		{
			name:      "a removed description annotation is restored and other annotations kept",
			namespace: namespace("a", corev1.NamespaceActive),
			existing:  configMap("a", map[string]string{Key: bundle}, map[string]string{"example.com/mine": "yes"}),
			want:      configMap("a", map[string]string{Key: bundle}, map[string]string{descriptionAnnotation: description, "example.com/mine": "yes"}),
		},
		{
			name:      "binary data is dropped",
			namespace: namespace("a", corev1.NamespaceActive),
			existing: func() *corev1.ConfigMap {
				cm := published("a")
				cm.BinaryData = map[string][]byte{"bin": {1}}
				return cm
			}(),
			want: published("a"),
		},
		{
			name:      "an edited config map in a terminating namespace is left alone",
			namespace: namespace("a", corev1.NamespaceTerminating),
			existing:  configMap("a", map[string]string{Key: "old"}, nil),
			want:      configMap("a", map[string]string{Key: "old"}, nil),
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var objs []runtime.Object
			if tc.namespace != nil {
				objs = append(objs, tc.namespace)
			}
			if tc.existing != nil {
				objs = append(objs, tc.existing)
			}
			c, client := newController(t, objs...)
			if err := c.sync(context.Background(), "a"); err != nil {
				t.Fatalf("sync: %v", err)
			}
			list, err := client.CoreV1().ConfigMaps("a").List(context.Background(), metav1.ListOptions{})
			if err != nil {
				t.Fatal(err)
			}
			var got *corev1.ConfigMap
			for i := range list.Items {
				if list.Items[i].Name == Name {
					got = &list.Items[i]
				}
			}
			if diff := cmp.Diff(tc.want, got, ignoreServerFields); diff != "" {
				t.Errorf("%s (-want +got):\n%s", Name, diff)
			}
		})
	}
}

// TestEveryNamespace checks that each active namespace gets the ConfigMap,
// and that one deleted afterwards is put back by the next sync.
func TestEveryNamespace(t *testing.T) {
	ctx := context.Background()
	c, client := newController(t,
		namespace("default", corev1.NamespaceActive),
		namespace("kube-system", corev1.NamespaceActive),
		namespace("going", corev1.NamespaceTerminating),
	)
	for _, ns := range []string{"default", "kube-system", "going"} {
		if err := c.sync(ctx, ns); err != nil {
			t.Fatalf("sync %s: %v", ns, err)
		}
	}
	holders := func() []string {
		list, err := client.CoreV1().ConfigMaps("").List(ctx, metav1.ListOptions{})
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, cm := range list.Items {
			if cm.Name == Name {
				out = append(out, cm.Namespace)
			}
		}
		return out
	}
	if diff := cmp.Diff([]string{"default", "kube-system"}, holders()); diff != "" {
		t.Fatalf("namespaces holding %s (-want +got):\n%s", Name, diff)
	}

	if err := client.CoreV1().ConfigMaps("default").Delete(ctx, Name, metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	// Wait for the informer to see the delete, as the queue would.
	deadline := time.Now().Add(10 * time.Second)
	for {
		if _, err := c.configMaps.ConfigMaps("default").Get(Name); err != nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("informer never saw the delete")
		}
		time.Sleep(10 * time.Millisecond)
	}
	if err := c.sync(ctx, "default"); err != nil {
		t.Fatalf("sync after delete: %v", err)
	}
	got, err := client.CoreV1().ConfigMaps("default").Get(ctx, Name, metav1.GetOptions{})
	if err != nil {
		t.Fatalf("not restored: %v", err)
	}
	if diff := cmp.Diff(published("default"), got, ignoreServerFields); diff != "" {
		t.Errorf("restored %s (-want +got):\n%s", Name, diff)
	}
}

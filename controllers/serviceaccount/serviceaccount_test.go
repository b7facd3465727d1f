package serviceaccount

import (
	"context"
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes/fake"
	clienttesting "k8s.io/client-go/testing"
)

func namespace(name string, phase corev1.NamespacePhase) *corev1.Namespace {
	return &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name}, Status: corev1.NamespaceStatus{Phase: phase}}
}

// newController returns a controller whose informers have synced with a
// fake clientset holding objs.
func newController(t *testing.T, objs ...runtime.Object) (*Controller, *fake.Clientset) {
	t.Helper()
	client := fake.NewClientset(objs...)
	factory := informers.NewSharedInformerFactory(client, 0)
	c := New(client, factory.Core().V1().Namespaces(), factory.Core().V1().ServiceAccounts())
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

// accounts returns namespace/name of every service account the client holds.
func accounts(t *testing.T, client *fake.Clientset) []string {
	t.Helper()
	list, err := client.CoreV1().ServiceAccounts("").List(context.Background(), metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, sa := range list.Items {
		out = append(out, sa.Namespace+"/"+sa.Name)
	}
	return out
}

func TestSync(t *testing.T) {
	tests := []struct {
		name     string
		objs     []runtime.Object
		sync     []string
		want     []string
		creating bool // whether a create call is expected
	}{
		{
			name:     "default is created in every active namespace",
			objs:     []runtime.Object{namespace("a", corev1.NamespaceActive), namespace("b", corev1.NamespaceActive)},
			sync:     []string{"a", "b"},
			want:     []string{"a/default", "b/default"},
			creating: true,
		},
		{
			name: "not in a terminating namespace",
			objs: []runtime.Object{namespace("a", corev1.NamespaceTerminating)},
			sync: []string{"a"},
		},
		{
			name: "not for a namespace that does not exist",
			sync: []string{"gone"},
		},
		{
			name: "an existing default is left alone",
			objs: []runtime.Object{
				namespace("a", corev1.NamespaceActive),
				&corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: Name, Namespace: "a"}},
			},
			sync: []string{"a"},
			want: []string{"a/default"},
		},
		{
			name: "other service accounts do not count",
			objs: []runtime.Object{
				namespace("a", corev1.NamespaceActive),
				&corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: "builder", Namespace: "a"}},
			},
			sync:     []string{"a"},
			want:     []string{"a/builder", "a/default"},
			creating: true,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, client := newController(t, tc.objs...)
			client.ClearActions()
			for _, ns := range tc.sync {
				if err := c.sync(context.Background(), ns); err != nil {
					t.Fatalf("sync %s: %v", ns, err)
				}
			}
			if diff := cmp.Diff(tc.want, accounts(t, client)); diff != "" {
				t.Errorf("service accounts (-want +got):\n%s", diff)
			}
			created := false
			for _, a := range client.Actions() {
				if a.Matches("create", "serviceaccounts") {
					created = true
				}
			}
			if created != tc.creating {
				t.Errorf("create called: %v, want %v", created, tc.creating)
			}
		})
	}
}

// TestCreateErrors checks how sync treats what the API server may answer
// to the create: a lost race and a namespace that began terminating are
// not errors, anything else is returned so the key is retried.
func TestCreateErrors(t *testing.T) {
	terminating := apierrors.NewForbidden(corev1.Resource("serviceaccounts"), Name, errors.New("denied"))
	terminating.ErrStatus.Details.Causes = []metav1.StatusCause{{Type: corev1.NamespaceTerminatingCause}}
	tests := []struct {
		name    string
		err     error
		wantErr bool
	}{
		{name: "already exists", err: apierrors.NewAlreadyExists(corev1.Resource("serviceaccounts"), Name)},
		{name: "namespace terminating", err: terminating},
		{name: "forbidden for another reason", err: apierrors.NewForbidden(corev1.Resource("serviceaccounts"), Name, errors.New("denied")), wantErr: true},
		{name: "server error", err: apierrors.NewInternalError(errors.New("etcd is down")), wantErr: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, client := newController(t, namespace("a", corev1.NamespaceActive))
			client.PrependReactor("create", "serviceaccounts", func(clienttesting.Action) (bool, runtime.Object, error) {
				return true, nil, tc.err
			})
			err := c.sync(context.Background(), "a")
			if gotErr := err != nil; gotErr != tc.wantErr {
				t.Errorf("sync error = %v, want error: %v", err, tc.wantErr)
			}
		})
	}
}

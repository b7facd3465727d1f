package rbac

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"
	authenticationv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/kubeshim/kubeshim/test/integration/framework"
)

func pod(name string) *corev1.Pod {
	return &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "c", Image: "registry.k8s.io/pause:3.10"}}},
	}
}

// TestViewListsButDoesNotCreate: a user bound to view in a namespace reads
// its pods there, and nowhere else, and is refused a create with
// upstream's message.
func TestViewListsButDoesNotCreate(t *testing.T) {
	ctx := context.Background()
	adminConfig := framework.Shared(t)
	admin := kubernetes.NewForConfigOrDie(adminConfig)
	if _, err := admin.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "x"}}, metav1.CreateOptions{}); err != nil {
		t.Fatalf("create namespace x: %v", err)
	}
	other := framework.Namespace(t, admin)
	bind(t, admin, "x", "alice-view", "ClusterRole", "view", subject(rbacv1.UserKind, "alice"))

	alice := as(t, adminConfig, "alice")
	eventually(t, "alice lists pods in x", func(ctx context.Context) (bool, error) {
		_, err := alice.CoreV1().Pods("x").List(ctx, metav1.ListOptions{})
		return err == nil, err
	})
	if _, err := alice.CoreV1().Pods(other).List(ctx, metav1.ListOptions{}); !apierrors.IsForbidden(err) {
		t.Errorf("alice lists pods in %s: error %v, want 403", other, err)
	}
	_, err := alice.CoreV1().Pods("x").Create(ctx, pod("p"), metav1.CreateOptions{})
	want := `pods is forbidden: User "alice" cannot create resource "pods" in API group "" in the namespace "x"`
	if !apierrors.IsForbidden(err) || err.Error() != want {
		t.Errorf("alice creates a pod: error %v, want 403 %q", err, want)
	}
	// Secrets are not view's.
	if _, err := alice.CoreV1().Secrets("x").List(ctx, metav1.ListOptions{}); !apierrors.IsForbidden(err) {
		t.Errorf("alice lists secrets: error %v, want 403", err)
	}
	// A group binding works as a user binding.
	bind(t, admin, other, "editors", "ClusterRole", "edit", subject(rbacv1.GroupKind, "editors"))
	carol := as(t, adminConfig, "carol", "editors")
	eventually(t, "an editor creates a pod", func(ctx context.Context) (bool, error) {
		_, err := carol.CoreV1().Pods(other).Create(ctx, pod("p"), metav1.CreateOptions{})
		return err == nil, err
	})
}

// TestUnboundUser: an authenticated user without bindings may discover the
// API and ask about themselves, nothing more.
func TestUnboundUser(t *testing.T) {
	ctx := context.Background()
	adminConfig := framework.Shared(t)
	bob := as(t, adminConfig, "bob")
	_, err := bob.CoreV1().Pods(metav1.NamespaceDefault).List(ctx, metav1.ListOptions{})
	want := `pods is forbidden: User "bob" cannot list resource "pods" in API group "" in the namespace "default"`
	if !apierrors.IsForbidden(err) || err.Error() != want {
		t.Errorf("bob lists pods: error %v, want 403 %q", err, want)
	}
	_, err = bob.CoreV1().Nodes().List(ctx, metav1.ListOptions{})
	want = `nodes is forbidden: User "bob" cannot list resource "nodes" in API group "" at the cluster scope`
	if !apierrors.IsForbidden(err) || err.Error() != want {
		t.Errorf("bob lists nodes: error %v, want 403 %q", err, want)
	}
	// system:discovery and system:basic-user.
	if _, err := bob.Discovery().ServerGroups(); err != nil {
		t.Errorf("bob discovers the API: %v", err)
	}
	if _, err := bob.Discovery().ServerVersion(); err != nil {
		t.Errorf("bob reads the version: %v", err)
	}
	if _, err := bob.AuthenticationV1().SelfSubjectReviews().Create(ctx, &authenticationv1.SelfSubjectReview{}, metav1.CreateOptions{}); err != nil {
		t.Errorf("bob asks who he is: %v", err)
	}
	// /metrics is system:monitoring's.
	if _, err := bob.Discovery().RESTClient().Get().AbsPath("/metrics").DoRaw(ctx); !apierrors.IsForbidden(err) {
		t.Errorf("bob reads /metrics: error %v, want 403", err)
	}
}

// TestAnonymous: anonymous requests get the public info and 403 for the
// rest, as upstream's defaults give.
func TestAnonymous(t *testing.T) {
	ctx := context.Background()
	anonymousConfig := rest.AnonymousClientConfig(framework.Shared(t))
	anonymous := kubernetes.NewForConfigOrDie(anonymousConfig)
	for _, path := range []string{"/healthz", "/livez", "/readyz", "/version"} {
		if _, err := anonymous.Discovery().RESTClient().Get().AbsPath(path).DoRaw(ctx); err != nil {
			t.Errorf("anonymous GET %s: %v", path, err)
		}
	}
	httpClient, err := rest.HTTPClientFor(anonymousConfig)
	if err != nil {
		t.Fatalf("anonymous HTTP client: %v", err)
	}
	for _, path := range []string{"/api", "/apis", "/openapi/v2", "/metrics"} {
		// Raw, to read the Status a non-resource path is refused with.
		resp, err := httpClient.Get(anonymousConfig.Host + path)
		if err != nil {
			t.Fatalf("anonymous GET %s: %v", path, err)
		}
		var status metav1.Status
		err = json.NewDecoder(resp.Body).Decode(&status)
		resp.Body.Close()
		want := metav1.Status{
			TypeMeta: metav1.TypeMeta{Kind: "Status", APIVersion: "v1"}, Status: metav1.StatusFailure, Reason: metav1.StatusReasonForbidden, Code: 403,
			Message: fmt.Sprintf(`forbidden: User "system:anonymous" cannot get path "%s"`, path), Details: &metav1.StatusDetails{},
		}
		if diff := cmp.Diff(want, status); err != nil || resp.StatusCode != 403 || diff != "" {
			t.Errorf("anonymous GET %s: HTTP %d, decode error %v, status (-want +got):\n%s", path, resp.StatusCode, err, diff)
		}
	}
	_, err = anonymous.CoreV1().Pods(metav1.NamespaceDefault).List(ctx, metav1.ListOptions{})
	want := `pods is forbidden: User "system:anonymous" cannot list resource "pods" in API group "" in the namespace "default"`
	if !apierrors.IsForbidden(err) || err.Error() != want {
		t.Errorf("anonymous lists pods: error %v, want 403 %q", err, want)
	}
}

package rbac

import (
	"context"
	"testing"
	"time"

	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/kubeshim/kubeshim/test/integration/framework"
)

func TestMain(m *testing.M) { framework.Main(m) }

// as returns a client the admin impersonates name with; the server adds
// system:authenticated, as for any user it authenticated.
func as(t *testing.T, admin *rest.Config, name string, groups ...string) kubernetes.Interface {
	t.Helper()
	c := rest.CopyConfig(admin)
	c.Impersonate = rest.ImpersonationConfig{UserName: name, Groups: groups}
	return kubernetes.NewForConfigOrDie(c)
}

func subject(kind, name string) rbacv1.Subject {
	s := rbacv1.Subject{Kind: kind, Name: name}
	if kind != rbacv1.ServiceAccountKind {
		s.APIGroup = rbacv1.GroupName
	}
	return s
}

// bind creates a RoleBinding in namespace of the roleKind roleName to
// subjects.
func bind(t *testing.T, client kubernetes.Interface, namespace, name, roleKind, roleName string, subjects ...rbacv1.Subject) {
	t.Helper()
	_, err := client.RbacV1().RoleBindings(namespace).Create(context.Background(), &rbacv1.RoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: roleKind, Name: roleName},
		Subjects:   subjects,
	}, metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("create rolebinding %s/%s: %v", namespace, name, err)
	}
}

// eventually polls cond until it holds: the authorizer reads informers,
// which see a new binding a moment after it is written.
func eventually(t *testing.T, what string, cond func(ctx context.Context) (bool, error)) {
	t.Helper()
	var last error
	err := wait.PollUntilContextTimeout(context.Background(), 50*time.Millisecond, 30*time.Second, true, func(ctx context.Context) (bool, error) {
		ok, err := cond(ctx)
		last = err
		return ok, nil
	})
	if err != nil {
		t.Fatalf("%s: never happened (last error: %v)", what, last)
	}
}

package apiserver

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/kubeshim/kubeshim/test/integration/framework"
)

// TestAdmissionPolicyParamsAuthorized: writing a policy whose paramKind is
// ConfigMap needs "get" on every ConfigMap, and a binding whose paramRef
// names one needs "get" on it, as upstream's registries require; the
// refusal is a 422 with a Forbidden cause and upstream's message.
func TestAdmissionPolicyParamsAuthorized(t *testing.T) {
	ctx := context.Background()
	adminConfig := framework.Shared(t)
	admin := kubernetes.NewForConfigOrDie(adminConfig)
	ns := framework.Namespace(t, admin)
	user := "policy-writer-" + ns

	role := func(name string, rules ...rbacv1.PolicyRule) {
		t.Helper()
		_, err := admin.RbacV1().ClusterRoles().Create(ctx, &rbacv1.ClusterRole{ObjectMeta: metav1.ObjectMeta{Name: name}, Rules: rules}, metav1.CreateOptions{})
		if err != nil {
			t.Fatal(err)
		}
		_, err = admin.RbacV1().ClusterRoleBindings().Create(ctx, &rbacv1.ClusterRoleBinding{
			ObjectMeta: metav1.ObjectMeta{Name: name},
			RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: name},
			Subjects:   []rbacv1.Subject{{APIGroup: rbacv1.GroupName, Kind: rbacv1.UserKind, Name: user}},
		}, metav1.CreateOptions{})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			admin.RbacV1().ClusterRoleBindings().Delete(context.Background(), name, metav1.DeleteOptions{})
			admin.RbacV1().ClusterRoles().Delete(context.Background(), name, metav1.DeleteOptions{})
		})
	}
	role(user+"-policies", rbacv1.PolicyRule{Verbs: []string{"*"}, APIGroups: []string{admissionregistrationv1.GroupName},
		Resources: []string{"validatingadmissionpolicies", "validatingadmissionpolicybindings"}})
	cfg := rest.CopyConfig(adminConfig)
	cfg.Impersonate = rest.ImpersonationConfig{UserName: user}
	writer := kubernetes.NewForConfigOrDie(cfg)

	policy := vap(ns+"-params", "params != null")
	policy.Spec.ParamKind = &admissionregistrationv1.ParamKind{APIVersion: "v1", Kind: "ConfigMap"}
	// The writer's role reaches the authorizer a moment after it is
	// written: wait until the refusal is about the paramKind.
	var err error
	wait.PollUntilContextTimeout(ctx, 50*time.Millisecond, 30*time.Second, true, func(ctx context.Context) (bool, error) {
		_, err = writer.AdmissionregistrationV1().ValidatingAdmissionPolicies().Create(ctx, policy, metav1.CreateOptions{})
		return apierrors.IsInvalid(err), nil
	})
	wantForbiddenAt(t, err, "spec.paramKind", `must have "get" permission on all objects of the referenced paramKind (kind=ConfigMap, apiVersion=v1)`)

	role(user+"-read-configmaps", rbacv1.PolicyRule{Verbs: []string{"get"}, APIGroups: []string{""}, Resources: []string{"configmaps"}})
	wait.PollUntilContextTimeout(ctx, 50*time.Millisecond, 30*time.Second, true, func(ctx context.Context) (bool, error) {
		_, err = writer.AdmissionregistrationV1().ValidatingAdmissionPolicies().Create(ctx, policy, metav1.CreateOptions{})
		return err == nil, nil
	})
	if err != nil {
		t.Fatalf("create the policy once the writer reads configmaps: %v", err)
	}
	t.Cleanup(func() {
		admin.AdmissionregistrationV1().ValidatingAdmissionPolicies().Delete(context.Background(), policy.Name, metav1.DeleteOptions{})
	})

	// A binding: "get" on the named object, "list" for a selector. The
	// writer reads configmaps but cannot list them.
	binding := func(ref *admissionregistrationv1.ParamRef) *admissionregistrationv1.ValidatingAdmissionPolicyBinding {
		return &admissionregistrationv1.ValidatingAdmissionPolicyBinding{
			ObjectMeta: metav1.ObjectMeta{GenerateName: ns + "-"},
			Spec: admissionregistrationv1.ValidatingAdmissionPolicyBindingSpec{
				PolicyName: policy.Name, ParamRef: ref,
				ValidationActions: []admissionregistrationv1.ValidationAction{admissionregistrationv1.Deny},
			},
		}
	}
	deny := admissionregistrationv1.DenyAction
	b, err := writer.AdmissionregistrationV1().ValidatingAdmissionPolicyBindings().Create(ctx,
		binding(&admissionregistrationv1.ParamRef{Name: "params", Namespace: ns, ParameterNotFoundAction: &deny}), metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("bind with a named paramRef the writer may get: %v", err)
	}
	admin.AdmissionregistrationV1().ValidatingAdmissionPolicyBindings().Delete(ctx, b.Name, metav1.DeleteOptions{})
	_, err = writer.AdmissionregistrationV1().ValidatingAdmissionPolicyBindings().Create(ctx,
		binding(&admissionregistrationv1.ParamRef{Selector: &metav1.LabelSelector{}, Namespace: ns, ParameterNotFoundAction: &deny}), metav1.CreateOptions{})
	wantForbiddenAt(t, err, "spec.paramRef", `does not have "list" permission on the object referenced by paramRef`)
}

func wantForbiddenAt(t *testing.T, err error, path, message string) {
	t.Helper()
	if !apierrors.IsInvalid(err) {
		t.Fatalf("err = %v, want 422 Invalid", err)
	}
	if diff := cmp.Diff([]string{"FieldValueForbidden " + path}, causes(t, err)); diff != "" {
		t.Errorf("causes (-want +got):\n%s", diff)
	}
	if !strings.Contains(err.Error(), message) {
		t.Errorf("err = %v, want it to say %q", err, message)
	}
}

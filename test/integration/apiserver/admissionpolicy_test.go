package apiserver

import (
	"context"
	"strings"
	"testing"
	"time"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/kubernetes"

	"github.com/kubeshim/kubeshim/test/integration/framework"
)

// configMapRules match creating and updating ConfigMaps.
func configMapRules() *admissionregistrationv1.MatchResources {
	return &admissionregistrationv1.MatchResources{ResourceRules: []admissionregistrationv1.NamedRuleWithOperations{{
		RuleWithOperations: admissionregistrationv1.RuleWithOperations{
			Operations: []admissionregistrationv1.OperationType{admissionregistrationv1.Create, admissionregistrationv1.Update},
			Rule:       admissionregistrationv1.Rule{APIGroups: []string{""}, APIVersions: []string{"v1"}, Resources: []string{"configmaps"}},
		},
	}}}
}

// TestAdmissionPolicyValidation: a policy whose CEL does not compile is
// refused when it is written, with the expression's field path; a valid
// policy and its binding are stored and deny what they say, only in the
// namespace the binding selects.
func TestAdmissionPolicyValidation(t *testing.T) {
	ctx := context.Background()
	client := kubernetes.NewForConfigOrDie(framework.Shared(t))
	policies := client.AdmissionregistrationV1().ValidatingAdmissionPolicies()
	bindings := client.AdmissionregistrationV1().ValidatingAdmissionPolicyBindings()
	ns, other := framework.Namespace(t, client), framework.Namespace(t, client)

	const label = "kubeshim.test/forbidden"
	policy := &admissionregistrationv1.ValidatingAdmissionPolicy{
		ObjectMeta: metav1.ObjectMeta{GenerateName: "deny-labelled-"},
		Spec: admissionregistrationv1.ValidatingAdmissionPolicySpec{
			MatchConstraints: configMapRules(),
			Validations: []admissionregistrationv1.Validation{{
				Expression:        "!has(object.metadata.labels) || !('" + label + "' in object.metadata.labels)",
				MessageExpression: "'configmap ' + object.metadata.name + ' carries " + label + "'",
			}},
		},
	}

	t.Run("a validation that does not compile", func(t *testing.T) {
		bad := policy.DeepCopy()
		bad.Spec.Validations[0].Expression = "object.metadata.labels.exists(k, k ==)"
		_, err := policies.Create(ctx, bad, metav1.CreateOptions{})
		wantInvalidAt(t, err, "spec.validations[0].expression", "compilation failed: ERROR: <input>:1:")
	})
	t.Run("a message expression that is not a string", func(t *testing.T) {
		bad := policy.DeepCopy()
		bad.Spec.Validations[0].MessageExpression = "size(object.metadata.name)"
		_, err := policies.Create(ctx, bad, metav1.CreateOptions{})
		wantInvalidAt(t, err, "spec.validations[0].messageExpression", "must evaluate to string but got int")
	})
	t.Run("a mutating policy that would mutate deletes", func(t *testing.T) {
		_, err := client.AdmissionregistrationV1().MutatingAdmissionPolicies().Create(ctx, &admissionregistrationv1.MutatingAdmissionPolicy{
			ObjectMeta: metav1.ObjectMeta{GenerateName: "label-"},
			Spec: admissionregistrationv1.MutatingAdmissionPolicySpec{
				MatchConstraints: &admissionregistrationv1.MatchResources{ResourceRules: []admissionregistrationv1.NamedRuleWithOperations{{
					RuleWithOperations: admissionregistrationv1.RuleWithOperations{
						Operations: []admissionregistrationv1.OperationType{admissionregistrationv1.Delete},
						Rule:       admissionregistrationv1.Rule{APIGroups: []string{""}, APIVersions: []string{"v1"}, Resources: []string{"configmaps"}},
					},
				}}},
				ReinvocationPolicy: admissionregistrationv1.NeverReinvocationPolicy,
				Mutations: []admissionregistrationv1.Mutation{{PatchType: admissionregistrationv1.PatchTypeApplyConfiguration,
					ApplyConfiguration: &admissionregistrationv1.ApplyConfiguration{Expression: "Object{metadata: Object.metadata{labels: {'a': 'b'}}}"}}},
			},
		}, metav1.CreateOptions{})
		if !apierrors.IsInvalid(err) {
			t.Fatalf("err = %v, want 422 Invalid", err)
		}
		if !strings.Contains(err.Error(), `spec.matchConstraints.resourceRules.operations: Unsupported value: "DELETE"`) {
			t.Errorf("err = %v, want DELETE refused", err)
		}
	})
	t.Run("a binding without validation actions", func(t *testing.T) {
		_, err := bindings.Create(ctx, &admissionregistrationv1.ValidatingAdmissionPolicyBinding{
			ObjectMeta: metav1.ObjectMeta{GenerateName: "deny-labelled-"},
			Spec:       admissionregistrationv1.ValidatingAdmissionPolicyBindingSpec{PolicyName: "deny-labelled"},
		}, metav1.CreateOptions{})
		if !apierrors.IsInvalid(err) {
			t.Fatalf("err = %v, want 422 Invalid", err)
		}
		if !strings.Contains(err.Error(), "spec.validationActions: Required value") {
			t.Errorf("err = %v, want validationActions required", err)
		}
	})

	created, err := policies.Create(ctx, policy, metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("create a valid policy: %v", err)
	}
	t.Cleanup(func() { _ = policies.Delete(ctx, created.Name, metav1.DeleteOptions{}) })
	binding, err := bindings.Create(ctx, &admissionregistrationv1.ValidatingAdmissionPolicyBinding{
		ObjectMeta: metav1.ObjectMeta{GenerateName: "deny-labelled-"},
		Spec: admissionregistrationv1.ValidatingAdmissionPolicyBindingSpec{
			PolicyName:        created.Name,
			ValidationActions: []admissionregistrationv1.ValidationAction{admissionregistrationv1.Deny},
			MatchResources: &admissionregistrationv1.MatchResources{NamespaceSelector: &metav1.LabelSelector{
				MatchLabels: map[string]string{corev1.LabelMetadataName: ns}}},
		},
	}, metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("create a valid binding: %v", err)
	}
	t.Cleanup(func() { _ = bindings.Delete(ctx, binding.Name, metav1.DeleteOptions{}) })

	t.Run("an update that adds a validation that is not a bool", func(t *testing.T) {
		bad := created.DeepCopy()
		bad.Spec.Validations = append(bad.Spec.Validations, admissionregistrationv1.Validation{Expression: "size(object.metadata.name)"})
		_, err := policies.Update(ctx, bad, metav1.UpdateOptions{})
		wantInvalidAt(t, err, "spec.validations[1].expression", "must evaluate to bool but got int")
	})

	t.Run("status", func(t *testing.T) {
		cur, err := policies.Get(ctx, created.Name, metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		cur.Status.Conditions = []metav1.Condition{{Type: "Checked", Status: metav1.ConditionTrue, Reason: "Test", LastTransitionTime: metav1.Now()}}
		updated, err := policies.UpdateStatus(ctx, cur, metav1.UpdateOptions{})
		if err != nil {
			t.Fatalf("a valid status: %v", err)
		}
		updated.Status.TypeChecking = &admissionregistrationv1.TypeChecking{ExpressionWarnings: []admissionregistrationv1.ExpressionWarning{{FieldRef: "spec.validations[0].expression"}}}
		_, err = policies.UpdateStatus(ctx, updated, metav1.UpdateOptions{})
		if !apierrors.IsInvalid(err) || !strings.Contains(err.Error(), "status.typeChecking.expressionWarnings[0].warning: Required value") {
			t.Errorf("a warning without text: err = %v, want 422 at status.typeChecking.expressionWarnings[0].warning", err)
		}
	})

	// The admission plugin learns of the policy and binding through
	// informers: create labelled ConfigMaps until one is denied.
	labelled := func(name string) *corev1.ConfigMap {
		return &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{GenerateName: name, Labels: map[string]string{label: "yes"}}}
	}
	var denial error
	err = wait.PollUntilContextTimeout(ctx, 100*time.Millisecond, 30*time.Second, true, func(ctx context.Context) (bool, error) {
		_, denial = client.CoreV1().ConfigMaps(ns).Create(ctx, labelled("labelled-"), metav1.CreateOptions{})
		return denial != nil, nil
	})
	if err != nil {
		t.Fatalf("the policy never denied a labelled ConfigMap: %v", err)
	}
	if !apierrors.IsInvalid(denial) || !strings.Contains(denial.Error(), "carries "+label) {
		t.Fatalf("denial = %v, want 422 Invalid with the message expression's text", denial)
	}
	if _, err := client.CoreV1().ConfigMaps(ns).Create(ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{GenerateName: "plain-"}}, metav1.CreateOptions{}); err != nil {
		t.Errorf("a ConfigMap without the label: %v", err)
	}
	if _, err := client.CoreV1().ConfigMaps(other).Create(ctx, labelled("elsewhere-"), metav1.CreateOptions{}); err != nil {
		t.Errorf("a labelled ConfigMap outside the bound namespace: %v", err)
	}
}

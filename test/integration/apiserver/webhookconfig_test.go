package apiserver

import (
	"context"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/utils/ptr"

	"github.com/kubeshim/kubeshim/test/integration/framework"
)

// webhookBase is what both webhook kinds share. Its rule names a group no
// request uses, so the configurations the tests store never call out.
func webhookBase() (admissionregistrationv1.WebhookClientConfig, []admissionregistrationv1.RuleWithOperations) {
	return admissionregistrationv1.WebhookClientConfig{Service: &admissionregistrationv1.ServiceReference{Namespace: "default", Name: "nowhere"}},
		[]admissionregistrationv1.RuleWithOperations{{
			Operations: []admissionregistrationv1.OperationType{admissionregistrationv1.Create},
			Rule:       admissionregistrationv1.Rule{APIGroups: []string{"unused.kubeshim.test"}, APIVersions: []string{"v1"}, Resources: []string{"widgets"}},
		}}
}

// wantInvalidAt checks err is a 422 Invalid whose one cause is at path, with
// message in its text.
func wantInvalidAt(t *testing.T, err error, path, message string) {
	t.Helper()
	if !apierrors.IsInvalid(err) {
		t.Fatalf("err = %v, want 422 Invalid", err)
	}
	if diff := cmp.Diff([]string{"FieldValueInvalid " + path}, causes(t, err)); diff != "" {
		t.Errorf("causes (-want +got):\n%s", diff)
	}
	if !strings.Contains(err.Error(), message) {
		t.Errorf("err = %v, want it to say %q", err, message)
	}
}

// TestWebhookMatchConditions: match condition expressions are compiled when a
// webhook configuration is written, as the conformance tests "should reject
// ... webhook configurations with invalid match conditions" expect.
func TestWebhookMatchConditions(t *testing.T) {
	ctx := context.Background()
	client := kubernetes.NewForConfigOrDie(framework.Shared(t))
	clientConfig, rules := webhookBase()
	invalid := []admissionregistrationv1.MatchCondition{{Name: "invalid-expression-1", Expression: "... [] bad expression"}}
	valid := []admissionregistrationv1.MatchCondition{{Name: "skip-me", Expression: "object.metadata.name != 'skip-me'"}}
	const path = "webhooks[0].matchConditions[0].expression"

	t.Run("validating", func(t *testing.T) {
		configs := client.AdmissionregistrationV1().ValidatingWebhookConfigurations()
		hook := func(name string, conditions []admissionregistrationv1.MatchCondition) *admissionregistrationv1.ValidatingWebhookConfiguration {
			return &admissionregistrationv1.ValidatingWebhookConfiguration{ObjectMeta: metav1.ObjectMeta{Name: name},
				Webhooks: []admissionregistrationv1.ValidatingWebhook{{Name: "check.kubeshim.test", ClientConfig: clientConfig, Rules: rules,
					SideEffects: ptr.To(admissionregistrationv1.SideEffectClassNone), AdmissionReviewVersions: []string{"v1"}, MatchConditions: conditions}}}
		}
		_, err := configs.Create(ctx, hook("invalid-match-conditions", invalid), metav1.CreateOptions{})
		wantInvalidAt(t, err, path, "compilation failed")

		created, err := configs.Create(ctx, hook("match-conditions", valid), metav1.CreateOptions{})
		if err != nil {
			t.Fatalf("create with a valid match condition: %v", err)
		}
		t.Cleanup(func() { _ = configs.Delete(ctx, created.Name, metav1.DeleteOptions{}) })
		created.Webhooks[0].MatchConditions = []admissionregistrationv1.MatchCondition{{Name: "string", Expression: "'yes'"}}
		_, err = configs.Update(ctx, created, metav1.UpdateOptions{})
		wantInvalidAt(t, err, path, "must evaluate to bool but got string")
	})

	t.Run("mutating", func(t *testing.T) {
		configs := client.AdmissionregistrationV1().MutatingWebhookConfigurations()
		hook := func(name string, conditions []admissionregistrationv1.MatchCondition) *admissionregistrationv1.MutatingWebhookConfiguration {
			return &admissionregistrationv1.MutatingWebhookConfiguration{ObjectMeta: metav1.ObjectMeta{Name: name},
				Webhooks: []admissionregistrationv1.MutatingWebhook{{Name: "default.kubeshim.test", ClientConfig: clientConfig, Rules: rules,
					SideEffects: ptr.To(admissionregistrationv1.SideEffectClassNone), AdmissionReviewVersions: []string{"v1"}, MatchConditions: conditions}}}
		}
		_, err := configs.Create(ctx, hook("invalid-match-conditions", invalid), metav1.CreateOptions{})
		wantInvalidAt(t, err, path, "compilation failed")

		created, err := configs.Create(ctx, hook("match-conditions", valid), metav1.CreateOptions{})
		if err != nil {
			t.Fatalf("create with a valid match condition: %v", err)
		}
		t.Cleanup(func() { _ = configs.Delete(ctx, created.Name, metav1.DeleteOptions{}) })
		created.Webhooks[0].MatchConditions = append(created.Webhooks[0].MatchConditions,
			admissionregistrationv1.MatchCondition{Name: "params", Expression: "params.enabled"})
		_, err = configs.Update(ctx, created, metav1.UpdateOptions{})
		wantInvalidAt(t, err, "webhooks[0].matchConditions[1].expression", "undeclared reference to 'params'")
	})
}

package apiserver

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"
	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	coordinationv1 "k8s.io/api/coordination/v1"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/client-go/kubernetes"
	"k8s.io/utils/ptr"

	"github.com/kubeshim/kubeshim/test/integration/framework"
)

// TestUpdateWithoutResourceVersion: the kinds whose upstream strategy
// refuses unconditional updates (admission configuration, leases,
// disruption budgets, ...) answer a PUT without metadata.resourceVersion
// with upstream's 422, and keep the stored object; other kinds (a
// ConfigMap) take it, the last writer winning.
func TestUpdateWithoutResourceVersion(t *testing.T) {
	ctx := context.Background()
	client := kubernetes.NewForConfigOrDie(framework.Shared(t))
	ns := framework.Namespace(t, client)
	const want = `metadata.resourceVersion: Invalid value: "0": must be specified for an update`

	tests := []struct {
		name   string
		create func() error
		update func() error
		// stored reads back what the update would have changed.
		stored func() (string, error)
	}{
		{
			name: "ValidatingAdmissionPolicy",
			create: func() error {
				_, err := client.AdmissionregistrationV1().ValidatingAdmissionPolicies().Create(ctx, vap(ns+"-p", "true"), metav1.CreateOptions{})
				return err
			},
			update: func() error {
				_, err := client.AdmissionregistrationV1().ValidatingAdmissionPolicies().Update(ctx, vap(ns+"-p", "false"), metav1.UpdateOptions{})
				return err
			},
			stored: func() (string, error) {
				p, err := client.AdmissionregistrationV1().ValidatingAdmissionPolicies().Get(ctx, ns+"-p", metav1.GetOptions{})
				if err != nil {
					return "", err
				}
				return p.Spec.Validations[0].Expression, nil
			},
		},
		{
			name: "Lease",
			create: func() error {
				_, err := client.CoordinationV1().Leases(ns).Create(ctx, lease("l", "a"), metav1.CreateOptions{})
				return err
			},
			update: func() error {
				_, err := client.CoordinationV1().Leases(ns).Update(ctx, lease("l", "b"), metav1.UpdateOptions{})
				return err
			},
			stored: func() (string, error) {
				l, err := client.CoordinationV1().Leases(ns).Get(ctx, "l", metav1.GetOptions{})
				if err != nil {
					return "", err
				}
				return *l.Spec.HolderIdentity, nil
			},
		},
		{
			name: "PodDisruptionBudget",
			create: func() error {
				_, err := client.PolicyV1().PodDisruptionBudgets(ns).Create(ctx, pdb("b", 1), metav1.CreateOptions{})
				return err
			},
			update: func() error {
				_, err := client.PolicyV1().PodDisruptionBudgets(ns).Update(ctx, pdb("b", 2), metav1.UpdateOptions{})
				return err
			},
			stored: func() (string, error) {
				b, err := client.PolicyV1().PodDisruptionBudgets(ns).Get(ctx, "b", metav1.GetOptions{})
				if err != nil {
					return "", err
				}
				return b.Spec.MinAvailable.String(), nil
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.create(); err != nil {
				t.Fatalf("create: %v", err)
			}
			before, err := tt.stored()
			if err != nil {
				t.Fatal(err)
			}
			err = tt.update()
			if !apierrors.IsInvalid(err) || !cmp.Equal(causes(t, err), []string{"FieldValueInvalid metadata.resourceVersion"}) {
				t.Fatalf("update without resourceVersion: %v, want 422 %q", err, want)
			}
			after, err := tt.stored()
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(before, after); diff != "" {
				t.Errorf("stored object changed by the refused update (-before +after):\n%s", diff)
			}
		})
	}

	t.Run("ConfigMap takes it", func(t *testing.T) {
		cm := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "c"}, Data: map[string]string{"k": "1"}}
		if _, err := client.CoreV1().ConfigMaps(ns).Create(ctx, cm, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
		cm.Data["k"] = "2"
		got, err := client.CoreV1().ConfigMaps(ns).Update(ctx, cm, metav1.UpdateOptions{})
		if err != nil || got.Data["k"] != "2" {
			t.Errorf("configmap update without resourceVersion: %v, %v; want it stored", got, err)
		}
	})
}

func vap(name, expression string) *admissionregistrationv1.ValidatingAdmissionPolicy {
	return &admissionregistrationv1.ValidatingAdmissionPolicy{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec: admissionregistrationv1.ValidatingAdmissionPolicySpec{
			MatchConstraints: &admissionregistrationv1.MatchResources{ResourceRules: []admissionregistrationv1.NamedRuleWithOperations{{
				RuleWithOperations: admissionregistrationv1.RuleWithOperations{
					Operations: []admissionregistrationv1.OperationType{admissionregistrationv1.Create},
					Rule:       admissionregistrationv1.Rule{APIGroups: []string{""}, APIVersions: []string{"v1"}, Resources: []string{"configmaps"}},
				},
			}}},
			Validations: []admissionregistrationv1.Validation{{Expression: expression}},
		},
	}
}

func lease(name, holder string) *coordinationv1.Lease {
	return &coordinationv1.Lease{ObjectMeta: metav1.ObjectMeta{Name: name}, Spec: coordinationv1.LeaseSpec{HolderIdentity: ptr.To(holder)}}
}

func pdb(name string, minAvailable int) *policyv1.PodDisruptionBudget {
	return &policyv1.PodDisruptionBudget{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec: policyv1.PodDisruptionBudgetSpec{
			MinAvailable: ptr.To(intstr.FromInt32(int32(minAvailable))),
			Selector:     &metav1.LabelSelector{MatchLabels: map[string]string{"app": name}},
		},
	}
}

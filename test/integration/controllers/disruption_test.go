package controllers

import (
	"context"
	"fmt"
	"testing"

	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	apimeta "k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/client-go/kubernetes"

	"github.com/kubeshim/kubeshim/test/integration/framework"
)

func TestDisruption(t *testing.T) {
	client := kubernetes.NewForConfigOrDie(framework.Shared(t))
	ns := framework.Namespace(t, client)
	ctx := context.Background()

	for _, name := range []string{"guarded-0", "guarded-1"} {
		p, err := client.CoreV1().Pods(ns).Create(ctx, &corev1.Pod{
			ObjectMeta: metav1.ObjectMeta{Name: name, Labels: map[string]string{"app": "guarded"}},
			Spec:       template("guarded").Spec,
		}, metav1.CreateOptions{})
		if err != nil {
			t.Fatal(err)
		}
		markReady(t, client, p)
	}
	minAvailable := intstr.FromInt32(2)
	_, err := client.PolicyV1().PodDisruptionBudgets(ns).Create(ctx, &policyv1.PodDisruptionBudget{
		ObjectMeta: metav1.ObjectMeta{Name: "guard"},
		Spec: policyv1.PodDisruptionBudgetSpec{
			MinAvailable: &minAvailable,
			Selector:     &metav1.LabelSelector{MatchLabels: map[string]string{"app": "guarded"}},
		},
	}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	status := func(current, desired, expected, allowed int32, reason string) func(ctx context.Context) (string, bool) {
		return func(ctx context.Context) (string, bool) {
			got, err := client.PolicyV1().PodDisruptionBudgets(ns).Get(ctx, "guard", metav1.GetOptions{})
			if err != nil {
				return err.Error(), false
			}
			s := got.Status
			cond := apimeta.FindStatusCondition(s.Conditions, policyv1.DisruptionAllowedCondition)
			return fmt.Sprintf("status %+v, generation %d", s, got.Generation),
				s.ObservedGeneration == got.Generation && s.CurrentHealthy == current && s.DesiredHealthy == desired &&
					s.ExpectedPods == expected && s.DisruptionsAllowed == allowed && cond != nil && cond.Reason == reason
		}
	}
	eventually(t, "budget observed with no disruption allowed", status(2, 2, 2, 0, policyv1.InsufficientPodsReason))

	evict := func() error {
		return client.PolicyV1().Evictions(ns).Evict(ctx, &policyv1.Eviction{ObjectMeta: metav1.ObjectMeta{Name: "guarded-0", Namespace: ns}})
	}
	if err := evict(); !apierrors.IsTooManyRequests(err) {
		t.Fatalf("eviction with no disruption allowed: got %v, want 429 Too Many Requests", err)
	}

	patch := []byte(`{"spec":{"minAvailable":1}}`)
	if _, err := client.PolicyV1().PodDisruptionBudgets(ns).Patch(ctx, "guard", types.MergePatchType, patch, metav1.PatchOptions{}); err != nil {
		t.Fatal(err)
	}
	eventually(t, "budget allows one disruption", status(2, 1, 2, 1, policyv1.SufficientPodsReason))
	if err := evict(); err != nil {
		t.Fatalf("eviction with one disruption allowed: %v", err)
	}
	eventually(t, "evicted pod gone", func(ctx context.Context) (string, bool) {
		_, err := client.CoreV1().Pods(ns).Get(ctx, "guarded-0", metav1.GetOptions{})
		return fmt.Sprintf("get: %v", err), apierrors.IsNotFound(err)
	})
	eventually(t, "budget exhausted after the eviction", status(1, 1, 1, 0, policyv1.InsufficientPodsReason))
}

package resource

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/utils/ptr"
)

func deploymentDef() *Definition {
	return &Definition{
		Resource: appsv1.Resource("deployments"), Singular: "deployment", NamespaceScoped: true,
		New: func() runtime.Object { return &appsv1.Deployment{} }, Status: true,
	}
}

type gen struct {
	Generation     int64
	Replicas       int32
	StatusReplicas int32
}

func summary(d *appsv1.Deployment) gen {
	return gen{d.Generation, ptr.Deref(d.Spec.Replicas, -1), d.Status.Replicas}
}

func dep(generation int64, replicas, statusReplicas int32, labels map[string]string) *appsv1.Deployment {
	return &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Generation: generation, Labels: labels},
		Spec:       appsv1.DeploymentSpec{Replicas: ptr.To(replicas)},
		Status:     appsv1.DeploymentStatus{Replicas: statusReplicas},
	}
}

func TestStrategy(t *testing.T) {
	ctx := context.Background()
	main := newStrategy(deploymentDef(), "apps/v1")
	status := newStatusStrategy(deploymentDef(), "apps/v1")

	t.Run("create resets status and starts generation at 1", func(t *testing.T) {
		d := dep(7, 2, 5, nil)
		main.PrepareForCreate(ctx, d)
		if diff := cmp.Diff(gen{1, 2, 0}, summary(d)); diff != "" {
			t.Error(diff)
		}
	})
	for _, tc := range []struct {
		name     string
		strategy interface {
			PrepareForUpdate(context.Context, runtime.Object, runtime.Object)
		}
		obj, old *appsv1.Deployment
		want     gen
	}{
		{"metadata change keeps generation", main, dep(0, 2, 9, map[string]string{"a": "b"}), dep(3, 2, 1, nil), gen{3, 2, 1}},
		{"spec change bumps generation, status is kept", main, dep(0, 4, 9, nil), dep(3, 2, 1, nil), gen{4, 4, 1}},
		{"status update keeps spec", status, dep(3, 8, 9, nil), dep(3, 2, 1, nil), gen{3, 2, 9}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			// The generic registry copies the stored generation before
			// the strategy runs.
			tc.obj.Generation = tc.old.Generation
			tc.strategy.PrepareForUpdate(ctx, tc.obj, tc.old)
			if diff := cmp.Diff(tc.want, summary(tc.obj)); diff != "" {
				t.Error(diff)
			}
		})
	}
	t.Run("kinds without spec or status are left alone", func(t *testing.T) {
		def := &Definition{Resource: corev1.Resource("configmaps"), New: func() runtime.Object { return &corev1.ConfigMap{} }}
		cm := &corev1.ConfigMap{Data: map[string]string{"a": "b"}}
		newStrategy(def, "v1").PrepareForCreate(ctx, cm)
		if cm.Generation != 0 || cm.Data["a"] != "b" {
			t.Errorf("configmap after create: %+v", cm)
		}
	})
	t.Run("default validation requires a DNS subdomain name", func(t *testing.T) {
		cm := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "Not_Valid", Namespace: "ns"}}
		def := &Definition{Resource: corev1.Resource("configmaps"), NamespaceScoped: true}
		if errs := newStrategy(def, "v1").Validate(ctx, cm); len(errs) == 0 {
			t.Error("no error for an invalid name")
		}
	})
	t.Run("reset fields", func(t *testing.T) {
		if got := main.GetResetFields()["apps/v1"].String(); got != ".status" {
			t.Errorf("main resets %s, want .status", got)
		}
		if got := status.GetResetFields()["apps/v1"].String(); got != ".spec" {
			t.Errorf("status resets %s, want .spec", got)
		}
	})
}

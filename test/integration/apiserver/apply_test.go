package apiserver

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	appsv1apply "k8s.io/client-go/applyconfigurations/apps/v1"
	corev1apply "k8s.io/client-go/applyconfigurations/core/v1"
	metav1apply "k8s.io/client-go/applyconfigurations/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/kubeshim/kubeshim/registry/apiserver"
	"github.com/kubeshim/kubeshim/test/integration/framework"
)

func TestServerSideApply(t *testing.T) {
	ctx := context.Background()
	// A server of its own without controllers: on the shared one the
	// deployment controller writes the deployment's status (and a managed
	// fields entry for it) at any moment, and both are what this test reads.
	srv, err := framework.Start(func(o *apiserver.Options) {
		o.Disable = []string{apiserver.RoleScheduler, apiserver.RoleControllers}
	})
	if err != nil {
		t.Fatalf("start API server: %v", err)
	}
	t.Cleanup(func() { srv.Stop() })
	client := kubernetes.NewForConfigOrDie(srv.Config)
	// Without controllers no namespace gets a default service account, which
	// framework.Namespace waits for; deployments do not need one.
	nsObj, err := client.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "ssa"}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("create namespace: %v", err)
	}
	ns := nsObj.Name
	deployments := client.AppsV1().Deployments(ns)

	apply := func(manager string, replicas int32, force bool) error {
		cfg := appsv1apply.Deployment("ssa", ns).WithSpec(appsv1apply.DeploymentSpec().
			WithReplicas(replicas).
			WithSelector(metav1apply.LabelSelector().WithMatchLabels(map[string]string{"app": "ssa"})).
			WithTemplate(corev1apply.PodTemplateSpec().
				WithLabels(map[string]string{"app": "ssa"}).
				WithSpec(corev1apply.PodSpec().WithContainers(corev1apply.Container().WithName("c").WithImage("busybox")))))
		_, err := deployments.Apply(ctx, cfg, metav1.ApplyOptions{FieldManager: manager, Force: force})
		return err
	}
	if err := apply("alice", 2, false); err != nil {
		t.Fatalf("first apply: %v", err)
	}
	d, err := deployments.Get(ctx, "ssa", metav1.GetOptions{})
	if err != nil {
		t.Fatalf("get: %v", err)
	}
	var managers []string
	for _, m := range d.ManagedFields {
		managers = append(managers, m.Manager+"/"+string(m.Operation))
	}
	if diff := cmp.Diff([]string{"alice/Apply"}, managers); diff != "" {
		t.Errorf("managers (-want +got):\n%s", diff)
	}
	// Another manager setting the same field conflicts, unless forced.
	err = apply("bob", 3, false)
	if !apierrors.IsConflict(err) {
		t.Fatalf("conflicting apply: err = %v, want 409 Conflict", err)
	}
	if err := apply("bob", 3, true); err != nil {
		t.Fatalf("forced apply: %v", err)
	}
	if d, err = deployments.Get(ctx, "ssa", metav1.GetOptions{}); err != nil || *d.Spec.Replicas != 3 {
		t.Fatalf("after forced apply: replicas %v, err %v; want 3", d.Spec.Replicas, err)
	}
	// Status is not the main resource's to apply.
	status := appsv1apply.Deployment("ssa", ns).WithStatus(appsv1apply.DeploymentStatus().WithReplicas(9))
	if _, err := deployments.Apply(ctx, status, metav1.ApplyOptions{FieldManager: "carol", Force: true}); err != nil {
		t.Fatalf("apply status through the main resource: %v", err)
	}
	if d, _ = deployments.Get(ctx, "ssa", metav1.GetOptions{}); d.Status.Replicas != 0 {
		t.Errorf("status.replicas = %d after applying it through the main resource, want 0", d.Status.Replicas)
	}
	if _, err := deployments.ApplyStatus(ctx, status, metav1.ApplyOptions{FieldManager: "carol", Force: true}); err != nil {
		t.Fatalf("apply status: %v", err)
	}
	if d, _ = deployments.Get(ctx, "ssa", metav1.GetOptions{}); d.Status.Replicas != 9 {
		t.Errorf("status.replicas = %d after /status apply, want 9", d.Status.Replicas)
	}
}

func TestPatchTypes(t *testing.T) {
	ctx := context.Background()
	client := kubernetes.NewForConfigOrDie(framework.Shared(t))
	ns := framework.Namespace(t, client)
	pods := client.CoreV1().PodTemplates(ns)
	tmpl := &corev1.PodTemplate{
		ObjectMeta: metav1.ObjectMeta{Name: "t", Labels: map[string]string{"a": "1"}},
		Template: corev1.PodTemplateSpec{Spec: corev1.PodSpec{Containers: []corev1.Container{
			{Name: "web", Image: "nginx"},
		}}},
	}
	if _, err := pods.Create(ctx, tmpl, metav1.CreateOptions{}); err != nil {
		t.Fatalf("create: %v", err)
	}
	containers := func() []string {
		got, err := pods.Get(ctx, "t", metav1.GetOptions{})
		if err != nil {
			t.Fatalf("get: %v", err)
		}
		var out []string
		for _, c := range got.Template.Spec.Containers {
			out = append(out, c.Name+"="+c.Image)
		}
		return append(out, "label a="+got.Labels["a"])
	}
	for _, tc := range []struct {
		name  string
		typ   types.PatchType
		patch string
		want  []string
	}{
		{"strategic merges lists by key", types.StrategicMergePatchType,
			`{"template":{"spec":{"containers":[{"name":"sidecar","image":"busybox"}]}}}`,
			[]string{"sidecar=busybox", "web=nginx", "label a=1"}},
		{"merge replaces lists", types.MergePatchType,
			`{"metadata":{"labels":{"a":"2"}},"template":{"spec":{"containers":[{"name":"only","image":"alpine"}]}}}`,
			[]string{"only=alpine", "label a=2"}},
		{"json patch", types.JSONPatchType,
			`[{"op":"replace","path":"/template/spec/containers/0/image","value":"alpine:3"},{"op":"replace","path":"/metadata/labels/a","value":"3"}]`,
			[]string{"only=alpine:3", "label a=3"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := pods.Patch(ctx, "t", tc.typ, []byte(tc.patch), metav1.PatchOptions{}); err != nil {
				t.Fatalf("patch: %v", err)
			}
			if diff := cmp.Diff(tc.want, containers()); diff != "" {
				t.Errorf("after patch (-want +got):\n%s", diff)
			}
		})
	}
	_, err := pods.Patch(ctx, "t", types.JSONPatchType, []byte(`[{"op":"test","path":"/metadata/labels/a","value":"nope"}]`), metav1.PatchOptions{})
	if !apierrors.IsInvalid(err) {
		t.Errorf("failing json patch test op: err = %v, want 422", err)
	}
	_, err = pods.Patch(ctx, "t", types.MergePatchType, []byte(`{"template":`), metav1.PatchOptions{})
	if !apierrors.IsBadRequest(err) {
		t.Errorf("malformed merge patch: err = %v, want 400", err)
	}
}

package apiserver

import (
	"context"
	"reflect"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	nodev1 "k8s.io/api/node/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/utils/ptr"

	"github.com/kubeshim/kubeshim/test/integration/framework"
)

func TestRuntimeClassAdmission(t *testing.T) {
	ctx := context.Background()
	client := kubernetes.NewForConfigOrDie(framework.Shared(t))
	ns := framework.Namespace(t, client)
	pods := client.CoreV1().Pods(ns)

	p := newPod("missing-class", nil)
	p.Spec.RuntimeClassName = ptr.To("does-not-exist")
	_, err := pods.Create(ctx, p, metav1.CreateOptions{})
	if !apierrors.IsForbidden(err) || !strings.Contains(err.Error(), `pod rejected: RuntimeClass "does-not-exist" not found`) {
		t.Fatalf("pod with a missing RuntimeClass: err = %v, want 403 with upstream's message", err)
	}

	class := &nodev1.RuntimeClass{
		ObjectMeta: metav1.ObjectMeta{Name: "sandboxed-" + ns},
		Handler:    "runc",
		Overhead:   &nodev1.Overhead{PodFixed: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("100m")}},
		Scheduling: &nodev1.Scheduling{
			NodeSelector: map[string]string{"sandbox": "yes"},
			Tolerations:  []corev1.Toleration{{Key: "sandbox", Operator: corev1.TolerationOpExists}},
		},
	}
	if _, err := client.NodeV1().RuntimeClasses().Create(ctx, class, metav1.CreateOptions{}); err != nil {
		t.Fatalf("create runtime class: %v", err)
	}
	p = newPod("with-class", nil)
	p.Spec.RuntimeClassName = ptr.To(class.Name)
	p, err = pods.Create(ctx, p, metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("create pod: %v", err)
	}
	// DefaultTolerationSeconds adds its two tolerations beside the class's.
	hasClassToleration := false
	for _, tol := range p.Spec.Tolerations {
		if reflect.DeepEqual(tol, class.Scheduling.Tolerations[0]) {
			hasClassToleration = true
		}
	}
	if p.Spec.Overhead.Cpu().String() != "100m" || p.Spec.NodeSelector["sandbox"] != "yes" || !hasClassToleration {
		t.Errorf("pod: overhead %v nodeSelector %v tolerations %v; want the class's", p.Spec.Overhead, p.Spec.NodeSelector, p.Spec.Tolerations)
	}
	conflicting := newPod("conflict", nil)
	conflicting.Spec.RuntimeClassName = ptr.To(class.Name)
	conflicting.Spec.NodeSelector = map[string]string{"sandbox": "no"}
	if _, err := pods.Create(ctx, conflicting, metav1.CreateOptions{}); !apierrors.IsForbidden(err) {
		t.Errorf("conflicting node selector: err = %v, want 403", err)
	}
}

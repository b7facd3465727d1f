package apiserver

import (
	"context"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/kubernetes"

	"github.com/kubeshim/kubeshim/test/integration/framework"
)

func TestLimitRanger(t *testing.T) {
	ctx := context.Background()
	client := kubernetes.NewForConfigOrDie(framework.Shared(t))
	ns := framework.Namespace(t, client)
	q := resource.MustParse
	lr, err := client.CoreV1().LimitRanges(ns).Create(ctx, &corev1.LimitRange{
		ObjectMeta: metav1.ObjectMeta{Name: "limits"},
		Spec: corev1.LimitRangeSpec{Limits: []corev1.LimitRangeItem{{
			Type:    corev1.LimitTypeContainer,
			Min:     corev1.ResourceList{corev1.ResourceCPU: q("100m")},
			Max:     corev1.ResourceList{corev1.ResourceCPU: q("500m")},
			Default: corev1.ResourceList{corev1.ResourceCPU: q("300m")},
		}}},
	}, metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("create limit range: %v", err)
	}
	// LimitRange defaulting: defaultRequest from default.
	if got := lr.Spec.Limits[0].DefaultRequest.Cpu().String(); got != "300m" {
		t.Errorf("defaultRequest cpu = %s, want 300m (from default)", got)
	}
	pods := client.CoreV1().Pods(ns)
	var p *corev1.Pod
	// The plugin reads LimitRanges from an informer: wait for it to see ours.
	err = wait.PollUntilContextTimeout(ctx, 100*time.Millisecond, 10*time.Second, true, func(ctx context.Context) (bool, error) {
		_ = pods.Delete(ctx, "defaulted", metav1.DeleteOptions{})
		p, err = pods.Create(ctx, newPod("defaulted", nil), metav1.CreateOptions{})
		return err == nil && p.Spec.Containers[0].Resources.Limits.Cpu().String() == "300m", nil
	})
	if err != nil {
		t.Fatalf("pod never got the default limits: %v (last: %+v)", err, p)
	}
	c := p.Spec.Containers[0].Resources
	if c.Requests.Cpu().String() != "300m" || !strings.Contains(p.Annotations["kubernetes.io/limit-ranger"], "cpu request for container c") {
		t.Errorf("defaults: requests %v annotations %v", c.Requests, p.Annotations)
	}
	tooBig := newPod("too-big", nil)
	tooBig.Spec.Containers[0].Resources.Limits = corev1.ResourceList{corev1.ResourceCPU: q("1")}
	_, err = pods.Create(ctx, tooBig, metav1.CreateOptions{})
	if !apierrors.IsForbidden(err) || !strings.Contains(err.Error(), "maximum cpu usage per Container is 500m, but limit is 1") {
		t.Errorf("over the maximum: err = %v, want 403 with upstream's message", err)
	}
	tooSmall := newPod("too-small", nil)
	tooSmall.Spec.Containers[0].Resources.Requests = corev1.ResourceList{corev1.ResourceCPU: q("50m")}
	_, err = pods.Create(ctx, tooSmall, metav1.CreateOptions{})
	if !apierrors.IsForbidden(err) || !strings.Contains(err.Error(), "minimum cpu usage per Container is 100m, but request is 50m") {
		t.Errorf("under the minimum: err = %v, want 403 with upstream's message", err)
	}
}

package apiserver

import (
	"context"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/kubernetes"

	"github.com/kubeshim/kubeshim/test/integration/framework"
)

func TestResourceQuotaStatus(t *testing.T) {
	ctx := context.Background()
	client := kubernetes.NewForConfigOrDie(framework.Shared(t))
	ns := framework.Namespace(t, client)
	q := resource.MustParse
	hard := corev1.ResourceList{
		corev1.ResourcePods: q("5"), corev1.ResourceConfigMaps: q("10"), corev1.ResourceRequestsCPU: q("2"),
		corev1.ResourceName("count/secrets"): q("4"), corev1.ResourceServices: q("3"),
	}
	if _, err := client.CoreV1().ResourceQuotas(ns).Create(ctx, &corev1.ResourceQuota{
		ObjectMeta: metav1.ObjectMeta{Name: "quota"}, Spec: corev1.ResourceQuotaSpec{Hard: hard},
	}, metav1.CreateOptions{}); err != nil {
		t.Fatalf("create quota: %v", err)
	}
	p := newPod("counted", nil)
	p.Spec.Containers[0].Resources.Requests = corev1.ResourceList{corev1.ResourceCPU: q("250m")}
	if _, err := client.CoreV1().Pods(ns).Create(ctx, p, metav1.CreateOptions{}); err != nil {
		t.Fatalf("create pod: %v", err)
	}
	// The namespace holds kube-root-ca.crt and the pod; nothing else.
	want := map[string]string{"pods": "1", "configmaps": "1", "requests.cpu": "250m", "count/secrets": "0", "services": "0"}
	var got map[string]string
	err := wait.PollUntilContextTimeout(ctx, 100*time.Millisecond, 30*time.Second, true, func(ctx context.Context) (bool, error) {
		quota, err := client.CoreV1().ResourceQuotas(ns).Get(ctx, "quota", metav1.GetOptions{})
		if err != nil {
			return false, err
		}
		got = map[string]string{}
		for k, v := range quota.Status.Used {
			got[string(k)] = v.String()
		}
		return len(quota.Status.Hard) == len(hard) && cmp.Equal(want, got), nil
	})
	if err != nil {
		t.Errorf("quota status never settled: %v; used (-want +got):\n%s", err, cmp.Diff(want, got))
	}
}

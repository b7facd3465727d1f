package apiserver

import (
	"context"
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
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

// TestResourceQuotaAdmission: a quota refuses what would exceed it, with
// upstream's Status, charges what it admits at once, and admits again once
// it is raised.
func TestResourceQuotaAdmission(t *testing.T) {
	ctx := context.Background()
	client := kubernetes.NewForConfigOrDie(framework.Shared(t))
	ns := framework.Namespace(t, client)
	q := resource.MustParse
	quotas := client.CoreV1().ResourceQuotas(ns)
	if _, err := quotas.Create(ctx, &corev1.ResourceQuota{
		ObjectMeta: metav1.ObjectMeta{Name: "test-quota"},
		Spec: corev1.ResourceQuotaSpec{Hard: corev1.ResourceList{
			corev1.ResourcePods: q("1"), corev1.ResourceRequestsCPU: q("1"),
			"count/secrets": q("1"), corev1.ResourceServices: q("2"), corev1.ResourceServicesNodePorts: q("0"),
		}},
	}, metav1.CreateOptions{}); err != nil {
		t.Fatalf("create quota: %v", err)
	}
	// Admission refuses everything a quota tracks until the controller has
	// computed its usage ("status unknown for quota"): wait for that.
	waitQuota(t, client, ns, func(rq *corev1.ResourceQuota) bool { return len(rq.Status.Used) == 5 })

	pods := client.CoreV1().Pods(ns)
	withCPU := func(name, cpu string) *corev1.Pod {
		p := newPod(name, nil)
		p.Spec.Containers[0].Resources.Requests = corev1.ResourceList{corev1.ResourceCPU: q(cpu)}
		return p
	}
	if _, err := pods.Create(ctx, withCPU("first", "500m"), metav1.CreateOptions{}); err != nil {
		t.Fatalf("create first pod: %v", err)
	}
	// Charged at admission, before any controller recomputes it.
	rq, err := quotas.Get(ctx, "test-quota", metav1.GetOptions{})
	if err != nil {
		t.Fatalf("get quota: %v", err)
	}
	if got := map[string]string{"pods": rq.Status.Used.Pods().String(), "requests.cpu": rq.Status.Used.Name(corev1.ResourceRequestsCPU, resource.DecimalSI).String()}; !cmp.Equal(got, map[string]string{"pods": "1", "requests.cpu": "500m"}) {
		t.Errorf("used after the first pod = %v, want pods 1, requests.cpu 500m", got)
	}

	forbidden := func(what string, err error, message string) {
		t.Helper()
		var status apierrors.APIStatus
		if !errors.As(err, &status) {
			t.Errorf("%s: err = %v, want a 403 Status", what, err)
			return
		}
		s := status.Status()
		got := struct {
			Code    int32
			Reason  metav1.StatusReason
			Message string
		}{s.Code, s.Reason, s.Message}
		want := got
		want.Code, want.Reason, want.Message = http.StatusForbidden, metav1.StatusReasonForbidden, message
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("%s: status (-want +got):\n%s", what, diff)
		}
	}
	_, err = pods.Create(ctx, withCPU("second", "100m"), metav1.CreateOptions{})
	forbidden("second pod", err, `pods "second" is forbidden: exceeded quota: test-quota, requested: pods=1, used: pods=1, limited: pods=1`)
	_, err = pods.Create(ctx, newPod("no-cpu", nil), metav1.CreateOptions{})
	forbidden("pod without a cpu request", err, `pods "no-cpu" is forbidden: failed quota: test-quota: must specify requests.cpu for: c`)

	secrets := client.CoreV1().Secrets(ns)
	if _, err := secrets.Create(ctx, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "s1"}}, metav1.CreateOptions{}); err != nil {
		t.Fatalf("create secret: %v", err)
	}
	_, err = secrets.Create(ctx, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "s2"}}, metav1.CreateOptions{})
	forbidden("second secret", err, `secrets "s2" is forbidden: exceeded quota: test-quota, requested: count/secrets=1, used: count/secrets=1, limited: count/secrets=1`)

	services := client.CoreV1().Services(ns)
	svc := func(name string, t corev1.ServiceType) *corev1.Service {
		return &corev1.Service{ObjectMeta: metav1.ObjectMeta{Name: name}, Spec: corev1.ServiceSpec{
			Type: t, Selector: map[string]string{"app": name}, Ports: []corev1.ServicePort{{Port: 80}},
		}}
	}
	if _, err := services.Create(ctx, svc("cluster-ip", corev1.ServiceTypeClusterIP), metav1.CreateOptions{}); err != nil {
		t.Fatalf("create ClusterIP service: %v", err)
	}
	_, err = services.Create(ctx, svc("node-port", corev1.ServiceTypeNodePort), metav1.CreateOptions{})
	forbidden("NodePort service", err, `services "node-port" is forbidden: exceeded quota: test-quota, requested: services.nodeports=1, used: services.nodeports=0, limited: services.nodeports=0`)

	// Raised, the quota admits them.
	rq, err = quotas.Get(ctx, "test-quota", metav1.GetOptions{})
	if err != nil {
		t.Fatalf("get quota: %v", err)
	}
	rq.Spec.Hard[corev1.ResourcePods] = q("2")
	rq.Spec.Hard["count/secrets"] = q("2")
	rq.Spec.Hard[corev1.ResourceServicesNodePorts] = q("1")
	if _, err := quotas.Update(ctx, rq, metav1.UpdateOptions{}); err != nil {
		t.Fatalf("raise quota: %v", err)
	}
	// The plugin reads quotas from an informer and takes status.hard as
	// the limit, which the controller copies from spec.hard.
	waitQuota(t, client, ns, func(rq *corev1.ResourceQuota) bool { return rq.Status.Hard.Pods().Value() == 2 })
	create := func(what string, fn func() error) {
		t.Helper()
		if err := wait.PollUntilContextTimeout(ctx, 100*time.Millisecond, 10*time.Second, true, func(context.Context) (bool, error) {
			return fn() == nil, nil
		}); err != nil {
			t.Errorf("%s after the quota was raised: %v (last: %v)", what, err, fn())
		}
	}
	create("second pod", func() error {
		_, err := pods.Create(ctx, withCPU("second", "100m"), metav1.CreateOptions{})
		return err
	})
	create("second secret", func() error {
		_, err := secrets.Create(ctx, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "s2"}}, metav1.CreateOptions{})
		return err
	})
	create("NodePort service", func() error {
		_, err := services.Create(ctx, svc("node-port", corev1.ServiceTypeNodePort), metav1.CreateOptions{})
		return err
	})
	want := map[string]string{"pods": "2", "requests.cpu": "600m", "count/secrets": "2", "services": "2", "services.nodeports": "1"}
	var got map[string]string
	waitQuota(t, client, ns, func(rq *corev1.ResourceQuota) bool {
		got = map[string]string{}
		for k, v := range rq.Status.Used {
			got[string(k)] = v.String()
		}
		return cmp.Equal(want, got)
	})
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("used (-want +got):\n%s", diff)
	}
}

// waitQuota waits for test-quota to satisfy ok.
func waitQuota(t *testing.T, client kubernetes.Interface, ns string, ok func(*corev1.ResourceQuota) bool) {
	t.Helper()
	var last *corev1.ResourceQuota
	err := wait.PollUntilContextTimeout(context.Background(), 100*time.Millisecond, 30*time.Second, true, func(ctx context.Context) (bool, error) {
		rq, err := client.CoreV1().ResourceQuotas(ns).Get(ctx, "test-quota", metav1.GetOptions{})
		if err != nil {
			return false, err
		}
		last = rq
		return ok(rq), nil
	})
	if err != nil {
		t.Fatalf("quota never got there: %v; status %+v", err, last.Status)
	}
}

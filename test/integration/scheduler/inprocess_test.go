package scheduler

import (
	"context"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/kubeshim/kubeshim/registry/apiserver"
	"github.com/kubeshim/kubeshim/test/integration/framework"
)

// TestInProcessScheduler: `kubeshim server` runs the scheduler itself
// (unless --disable=scheduler), leader-elected through the Lease
// kube-system/kube-scheduler as kube-scheduler is. It needs a server of its
// own: the shared one runs without it.
func TestInProcessScheduler(t *testing.T) {
	s, err := framework.Start(func(o *apiserver.Options) { o.Disable = nil })
	if err != nil {
		t.Fatalf("start server: %v", err)
	}
	// Registered first, so it runs last: after the env's cleanups.
	t.Cleanup(func() {
		if err := s.Stop(); err != nil {
			t.Errorf("stop server: %v", err)
		}
	})
	client := kubernetes.NewForConfigOrDie(s.Config)
	e := &env{t: t, config: s.Config, client: client, ns: framework.Namespace(t, client), schedulerName: corev1.DefaultSchedulerName}
	node := e.createNode("n")
	e.createPod("p")
	if got := e.waitBound("p"); got != node {
		t.Errorf("pod bound to %s, want %s", got, node)
	}
	lease, err := client.CoordinationV1().Leases(metav1.NamespaceSystem).Get(context.Background(), "kube-scheduler", metav1.GetOptions{})
	if err != nil {
		t.Fatalf("get lease: %v", err)
	}
	if lease.Spec.HolderIdentity == nil || *lease.Spec.HolderIdentity == "" {
		t.Errorf("lease kube-system/kube-scheduler has no holder")
	}
	e.waitEvent("p", "Scheduled", corev1.EventTypeNormal, "Successfully assigned "+e.ns+"/p to "+node)
}

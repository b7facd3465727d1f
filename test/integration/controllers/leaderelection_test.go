package controllers

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"
	"k8s.io/utils/ptr"

	"github.com/kubeshim/kubeshim/controllers"
	"github.com/kubeshim/kubeshim/registry/apiserver"
	"github.com/kubeshim/kubeshim/test/integration/framework"
)

// TestLeaderElectionFailover: two controller processes against a server
// that runs none; one leads and reconciles, and when it stops the other
// takes the lease over and reconciles what changed meanwhile.
func TestLeaderElectionFailover(t *testing.T) {
	s, err := framework.Start(func(o *apiserver.Options) {
		o.Disable = []string{apiserver.RoleScheduler, apiserver.RoleControllers}
	})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Stop()
	rc, err := clientcmd.BuildConfigFromFlags("", s.Kubeconfig)
	if err != nil {
		t.Fatal(err)
	}
	client := kubernetes.NewForConfigOrDie(rc)

	type instance struct {
		cancel  context.CancelFunc
		done    chan error
		mu      sync.Mutex
		leading bool
	}
	start := func() *instance {
		o := controllers.NewOptions()
		// Short terms so that failover is quick: the lease lapses
		// 3 s after its holder stops renewing, if it did not release it.
		o.LeaderElection.LeaseDuration = metav1.Duration{Duration: 3 * time.Second}
		o.LeaderElection.RenewDeadline = metav1.Duration{Duration: 2 * time.Second}
		o.LeaderElection.RetryPeriod = metav1.Duration{Duration: 200 * time.Millisecond}
		config, le, err := o.Config(rc, nil)
		if err != nil {
			t.Fatal(err)
		}
		if le == nil {
			t.Fatal("leader election is off by default")
		}
		in := &instance{done: make(chan error, 1)}
		le.OnLeading = func(v bool) {
			in.mu.Lock()
			defer in.mu.Unlock()
			in.leading = v
		}
		ctx, cancel := context.WithCancel(context.Background())
		in.cancel = cancel
		go func() { in.done <- controllers.RunLeaderElected(ctx, config, le) }()
		t.Cleanup(func() {
			cancel()
			<-in.done
		})
		return in
	}
	isLeading := func(in *instance) bool {
		in.mu.Lock()
		defer in.mu.Unlock()
		return in.leading
	}
	a, b := start(), start()

	// Exactly one leads, and keeps leading.
	var leader, follower *instance
	err = wait.PollUntilContextTimeout(context.Background(), 100*time.Millisecond, 30*time.Second, true, func(context.Context) (bool, error) {
		switch {
		case isLeading(a) && isLeading(b):
			return false, fmt.Errorf("both instances lead")
		case isLeading(a):
			leader, follower = a, b
		case isLeading(b):
			leader, follower = b, a
		}
		return leader != nil, nil
	})
	if err != nil {
		t.Fatalf("no leader: %v", err)
	}
	lease, err := client.CoordinationV1().Leases(metav1.NamespaceSystem).Get(context.Background(), "kube-controller-manager", metav1.GetOptions{})
	if err != nil {
		t.Fatalf("lease: %v", err)
	}
	if lease.Spec.HolderIdentity == nil || *lease.Spec.HolderIdentity == "" {
		t.Fatalf("lease has no holder: %+v", lease.Spec)
	}

	ns := framework.Namespace(t, client)
	rs := &appsv1.ReplicaSet{
		ObjectMeta: metav1.ObjectMeta{Name: "rs", Namespace: ns},
		Spec: appsv1.ReplicaSetSpec{
			Replicas: ptr.To[int32](1),
			Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": "rs"}},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"app": "rs"}},
				Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "c", Image: "busybox"}}},
			},
		},
	}
	if _, err := client.AppsV1().ReplicaSets(ns).Create(context.Background(), rs, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	waitPods := func(want int) {
		t.Helper()
		var got int
		err := wait.PollUntilContextTimeout(context.Background(), 100*time.Millisecond, 30*time.Second, true, func(ctx context.Context) (bool, error) {
			pods, err := client.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{LabelSelector: labels.Set{"app": "rs"}.String()})
			if err != nil {
				return false, err
			}
			got = len(pods.Items)
			return got == want, nil
		})
		if err != nil {
			t.Fatalf("want %d pods, have %d: %v", want, got, err)
		}
	}
	waitPods(1)

	// The leader stops; the follower takes over and reconciles a change
	// made after.
	leader.cancel()
	if err := <-leader.done; err != nil {
		t.Fatalf("stopped leader: %v", err)
	}
	leader.done <- nil // for the cleanup
	err = wait.PollUntilContextTimeout(context.Background(), 100*time.Millisecond, 30*time.Second, true, func(context.Context) (bool, error) {
		return isLeading(follower), nil
	})
	if err != nil {
		t.Fatal("the follower never took over")
	}
	scaled, err := client.AppsV1().ReplicaSets(ns).Get(context.Background(), "rs", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	scaled.Spec.Replicas = ptr.To[int32](3)
	if _, err := client.AppsV1().ReplicaSets(ns).Update(context.Background(), scaled, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	waitPods(3)
}

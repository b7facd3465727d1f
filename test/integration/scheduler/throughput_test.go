package scheduler

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/cache"

	"github.com/kubeshim/kubeshim/test/integration/framework"
)

// BenchmarkThroughput drains pending pods onto nodes registered through the
// API, as the measurement of kube-scheduler does: all pods are
// created first, then the scheduler starts cold (informers, leader
// election off) and the clock runs until the last pod is bound. The API
// server, etcd and the load generator share the machine.
//
//	go test -run '^$' -bench Throughput -benchtime 1x ./test/integration/scheduler/
func BenchmarkThroughput(b *testing.B) {
	for _, size := range []struct{ nodes, pods int }{{100, 1000}, {1000, 5000}} {
		b.Run(fmt.Sprintf("%dNodes/%dPods", size.nodes, size.pods), func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				drain(b, size.nodes, size.pods)
			}
		})
	}
}

func drain(b *testing.B, nodes, pods int) {
	b.StopTimer()
	config := framework.Shared(b)
	fast := rest.CopyConfig(config)
	fast.QPS, fast.Burst = 5000, 10000
	client := kubernetes.NewForConfigOrDie(fast)
	ns := framework.Namespace(b, client)
	e := &env{t: b, config: config, client: client, ns: ns, schedulerName: "sched-" + ns}
	ctx := context.Background()
	parallel(b, nodes, func(i int) error {
		n := &corev1.Node{
			ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("%s-%05d", ns, i), Labels: map[string]string{corev1.LabelTopologyZone: fmt.Sprintf("zone-%d", i%3)}},
			Status: corev1.NodeStatus{
				Allocatable: resources("cpu", "32", "memory", "128Gi", "pods", "110"),
				Conditions:  []corev1.NodeCondition{{Type: corev1.NodeReady, Status: corev1.ConditionTrue}},
			},
		}
		_, err := client.CoreV1().Nodes().Create(ctx, n, metav1.CreateOptions{})
		return err
	})
	defer parallel(b, nodes, func(i int) error {
		return client.CoreV1().Nodes().Delete(ctx, fmt.Sprintf("%s-%05d", ns, i), metav1.DeleteOptions{})
	})
	parallel(b, pods, func(i int) error {
		p := &corev1.Pod{
			ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("p%05d", i)},
			Spec: corev1.PodSpec{SchedulerName: e.schedulerName, Containers: []corev1.Container{{
				Name: "c", Image: "registry.k8s.io/pause:3.10",
				Resources: corev1.ResourceRequirements{Requests: resources("cpu", "100m", "memory", "128Mi")},
			}}},
		}
		_, err := client.CoreV1().Pods(ns).Create(ctx, p, metav1.CreateOptions{})
		return err
	})

	// Count bindings as the watch shows them.
	var bound atomic.Int64
	done := make(chan struct{})
	factory := informers.NewSharedInformerFactoryWithOptions(client, 0, informers.WithNamespace(ns))
	_, _ = factory.Core().V1().Pods().Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		UpdateFunc: func(oldObj, newObj any) {
			if oldObj.(*corev1.Pod).Spec.NodeName == "" && newObj.(*corev1.Pod).Spec.NodeName != "" {
				if bound.Add(1) == int64(pods) {
					close(done)
				}
			}
		},
	})
	stopInformers := make(chan struct{})
	defer close(stopInformers)
	factory.Start(stopInformers)
	factory.WaitForCacheSync(stopInformers)

	start := time.Now()
	b.StartTimer()
	_, stop := e.startScheduler(nil, nil)
	select {
	case <-done:
	case <-time.After(5 * time.Minute):
		b.Fatalf("only %d of %d pods bound in 5 minutes", bound.Load(), pods)
	}
	b.StopTimer()
	elapsed := time.Since(start)
	stop()
	b.ReportMetric(float64(pods)/elapsed.Seconds(), "pods/s")
	b.ReportMetric(elapsed.Seconds(), "s/drain")
}

// parallel runs fn(0..n-1) on 32 goroutines.
func parallel(b *testing.B, n int, fn func(i int) error) {
	var wg sync.WaitGroup
	var next atomic.Int64
	var failed atomic.Pointer[error]
	for w := 0; w < 32; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := int(next.Add(1)) - 1; i < n; i = int(next.Add(1)) - 1 {
				if err := fn(i); err != nil {
					failed.CompareAndSwap(nil, &err)
					return
				}
			}
		}()
	}
	wg.Wait()
	if err := failed.Load(); err != nil {
		b.Fatal(*err)
	}
}

package scheduler

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/kubeshim/kubeshim/scheduler"
	"github.com/kubeshim/kubeshim/test/integration/framework"
)

const timeout = 30 * time.Second

// env is one test's corner of the shared server. Nodes are cluster-wide, so
// tests run one after the other (none is parallel) and each deletes its
// nodes when done; pods are isolated by namespace and by a scheduler name
// of the test's own, so that a test's scheduler never sees another's pods.
type env struct {
	t             testing.TB
	config        *rest.Config
	client        kubernetes.Interface
	ns            string
	schedulerName string
}

func newEnv(t testing.TB) *env {
	t.Helper()
	config := framework.Shared(t)
	client := kubernetes.NewForConfigOrDie(config)
	ns := framework.Namespace(t, client)
	return &env{t: t, config: config, client: client, ns: ns, schedulerName: "sched-" + ns}
}

// startScheduler runs a scheduler for the env's scheduler name, without
// leader election unless modify turns it on; it stops when the test ends.
// bindings, if not nil, counts the bindings it posts.
func (e *env) startScheduler(modify func(*scheduler.Options), bindings *atomic.Int32) (*scheduler.Scheduler, func()) {
	e.t.Helper()
	o := scheduler.NewOptions()
	o.SchedulerName = e.schedulerName
	o.LeaderElection.LeaderElect = false
	if modify != nil {
		modify(o)
	}
	rc := rest.CopyConfig(e.config)
	if bindings != nil {
		rc.Wrap(func(rt http.RoundTripper) http.RoundTripper { return bindingCounter{rt, bindings} })
	}
	c, err := o.Config(rc)
	if err != nil {
		e.t.Fatalf("scheduler config: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	s, err := scheduler.New(ctx, c)
	if err != nil {
		cancel()
		e.t.Fatalf("new scheduler: %v", err)
	}
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	stop := func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				e.t.Errorf("scheduler: %v", err)
			}
		case <-time.After(timeout):
			e.t.Errorf("scheduler did not stop within %s", timeout)
		}
		done <- nil // a second stop returns at once
	}
	e.t.Cleanup(stop)
	return s, stop
}

type bindingCounter struct {
	rt http.RoundTripper
	n  *atomic.Int32
}

func (b bindingCounter) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/binding") {
		b.n.Add(1)
	}
	return b.rt.RoundTrip(r)
}

func resources(pairs ...string) corev1.ResourceList {
	l := corev1.ResourceList{}
	for i := 0; i+1 < len(pairs); i += 2 {
		l[corev1.ResourceName(pairs[i])] = resource.MustParse(pairs[i+1])
	}
	return l
}

// createNode registers a Ready node with 4 cpu, 8Gi and 110 pods unless
// mutate changes it, as an agent would, and deletes it when the test ends.
// Its name is prefixed with the namespace, to be unique.
func (e *env) createNode(name string, mutate ...func(*corev1.Node)) string {
	e.t.Helper()
	n := &corev1.Node{
		ObjectMeta: metav1.ObjectMeta{Name: e.ns + "-" + name, Labels: map[string]string{corev1.LabelHostname: name}},
		Status: corev1.NodeStatus{
			Capacity:    resources("cpu", "4", "memory", "8Gi", "pods", "110"),
			Allocatable: resources("cpu", "4", "memory", "8Gi", "pods", "110"),
			Conditions:  []corev1.NodeCondition{{Type: corev1.NodeReady, Status: corev1.ConditionTrue, Reason: "KubeletReady"}},
		},
	}
	for _, m := range mutate {
		m(n)
	}
	if _, err := e.client.CoreV1().Nodes().Create(context.Background(), n, metav1.CreateOptions{}); err != nil {
		e.t.Fatalf("create node %s: %v", n.Name, err)
	}
	e.t.Cleanup(func() {
		err := e.client.CoreV1().Nodes().Delete(context.Background(), n.Name, metav1.DeleteOptions{})
		if err != nil && !apierrors.IsNotFound(err) {
			e.t.Errorf("delete node %s: %v", n.Name, err)
		}
	})
	e.waitNotReadyTaintGone(n)
	return n.Name
}

// waitNotReadyTaintGone waits, for a node created Ready, until the node
// lifecycle controller has removed the not-ready:NoSchedule taint that
// TaintNodesByCondition admission puts on every new node, as upstream's
// does. Without the wait a test's scheduler could see the taint and give
// an unschedulable message that names it instead of the plugin under test.
func (e *env) waitNotReadyTaintGone(n *corev1.Node) {
	e.t.Helper()
	ready := false
	for _, c := range n.Status.Conditions {
		ready = ready || (c.Type == corev1.NodeReady && c.Status == corev1.ConditionTrue)
	}
	if !ready {
		return
	}
	err := wait.PollUntilContextTimeout(context.Background(), 20*time.Millisecond, timeout, true, func(ctx context.Context) (bool, error) {
		got, err := e.client.CoreV1().Nodes().Get(ctx, n.Name, metav1.GetOptions{})
		if err != nil {
			return false, err
		}
		for _, taint := range got.Spec.Taints {
			if taint.Key == corev1.TaintNodeNotReady {
				return false, nil
			}
		}
		return true, nil
	})
	if err != nil {
		e.t.Fatalf("node %s kept its %s taint: %v", n.Name, corev1.TaintNodeNotReady, err)
	}
}

func (e *env) node(name string) string { return e.ns + "-" + name }

// createPod creates a pod for the env's scheduler.
func (e *env) createPod(name string, mutate ...func(*corev1.Pod)) *corev1.Pod {
	e.t.Helper()
	p := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec: corev1.PodSpec{
			SchedulerName: e.schedulerName,
			Containers:    []corev1.Container{{Name: "c", Image: "registry.k8s.io/pause:3.10"}},
		},
	}
	for _, m := range mutate {
		m(p)
	}
	p, err := e.client.CoreV1().Pods(e.ns).Create(context.Background(), p, metav1.CreateOptions{})
	if err != nil {
		e.t.Fatalf("create pod %s: %v", name, err)
	}
	return p
}

func requests(pairs ...string) func(*corev1.Pod) {
	return func(p *corev1.Pod) { p.Spec.Containers[0].Resources.Requests = resources(pairs...) }
}

// waitBound waits for the pod to be bound and returns its node.
func (e *env) waitBound(name string) string {
	e.t.Helper()
	var node string
	err := wait.PollUntilContextTimeout(context.Background(), 50*time.Millisecond, timeout, true, func(ctx context.Context) (bool, error) {
		p, err := e.client.CoreV1().Pods(e.ns).Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			return false, err
		}
		node = p.Spec.NodeName
		return node != "", nil
	})
	if err != nil {
		e.t.Fatalf("pod %s not bound: %v", name, err)
	}
	return node
}

// waitUnschedulable waits for the pod's PodScheduled=False condition with
// reason Unschedulable and returns its message.
func (e *env) waitUnschedulable(name string) string {
	e.t.Helper()
	var msg string
	err := wait.PollUntilContextTimeout(context.Background(), 50*time.Millisecond, timeout, true, func(ctx context.Context) (bool, error) {
		p, err := e.client.CoreV1().Pods(e.ns).Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			return false, err
		}
		if p.Spec.NodeName != "" {
			return false, fmt.Errorf("pod %s was bound to %s", name, p.Spec.NodeName)
		}
		for _, c := range p.Status.Conditions {
			if c.Type == corev1.PodScheduled && c.Status == corev1.ConditionFalse && c.Reason == corev1.PodReasonUnschedulable {
				msg = c.Message
				return true, nil
			}
		}
		return false, nil
	})
	if err != nil {
		e.t.Fatalf("pod %s not marked unschedulable: %v", name, err)
	}
	return msg
}

// stillPending checks the pod stays unbound for d.
func (e *env) stillPending(name string, d time.Duration) {
	e.t.Helper()
	for deadline := time.Now().Add(d); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		p, err := e.client.CoreV1().Pods(e.ns).Get(context.Background(), name, metav1.GetOptions{})
		if err != nil {
			e.t.Fatalf("get pod %s: %v", name, err)
		}
		if p.Spec.NodeName != "" {
			e.t.Fatalf("pod %s was bound to %s; it should stay pending", name, p.Spec.NodeName)
		}
	}
}

package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"sort"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/tools/clientcmd"
)

type options struct {
	kubeconfig   string
	pods         int
	workers      int
	waitNodes    int
	nodeSelector string
	cpu, memory  string
	streamPods   int
	streamRate   float64
	timeout      time.Duration
	command      []string
}

func main() {
	var o options
	flag.StringVar(&o.kubeconfig, "kubeconfig", "", "kubeconfig of the cluster")
	flag.IntVar(&o.pods, "pods", 10000, "pods created before the scheduler starts")
	flag.IntVar(&o.workers, "workers", 50, "parallel creates")
	flag.IntVar(&o.waitNodes, "wait-nodes", 0, "wait for this many Ready nodes first")
	flag.StringVar(&o.nodeSelector, "node-label-selector", "kubeshim.io/simulated=true", "the nodes --wait-nodes counts")
	flag.StringVar(&o.cpu, "cpu", "100m", "CPU request of each pod")
	flag.StringVar(&o.memory, "memory", "128Mi", "memory request of each pod")
	flag.IntVar(&o.streamPods, "stream-pods", 2000, "pods created at --stream-rate once the drain is done (0: none)")
	flag.Float64Var(&o.streamRate, "stream-rate", 100, "pods a second of the stream phase")
	flag.DurationVar(&o.timeout, "timeout", 10*time.Minute, "longest wait for each phase")
	flag.Parse()
	o.command = flag.Args()
	if len(o.command) == 0 {
		fmt.Fprintln(os.Stderr, "schedload: no scheduler command after --")
		os.Exit(2)
	}
	if err := run(o); err != nil {
		fmt.Fprintln(os.Stderr, "schedload:", err)
		os.Exit(1)
	}
}

// tracker times each pod's creation and binding as the watch sees it.
type tracker struct {
	mu      sync.Mutex
	created map[string]time.Time // start of the create call
	bound   map[string]time.Time
	count   atomic.Int64
	// want and done: done is closed when count reaches want.
	want int64
	done chan struct{}
}

func newTracker() *tracker {
	return &tracker{created: map[string]time.Time{}, bound: map[string]time.Time{}}
}

// expect arms done for n bindings in all.
func (t *tracker) expect(n int) <-chan struct{} {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.want, t.done = int64(n), make(chan struct{})
	if t.count.Load() >= t.want {
		close(t.done)
	}
	return t.done
}

func (t *tracker) observe(obj any) {
	pod, ok := obj.(*corev1.Pod)
	if !ok || pod.Spec.NodeName == "" {
		return
	}
	now := time.Now()
	t.mu.Lock()
	defer t.mu.Unlock()
	if _, seen := t.bound[pod.Name]; seen {
		return
	}
	t.bound[pod.Name] = now
	if n := t.count.Add(1); t.done != nil && n == t.want {
		close(t.done)
	}
}

func (t *tracker) markCreated(name string, at time.Time) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.created[name] = at
}

// since returns, for the named pods, bound minus from(name), sorted. It
// calls from with t.mu held.
func (t *tracker) since(names []string, from func(string) time.Time) []time.Duration {
	t.mu.Lock()
	defer t.mu.Unlock()
	var out []time.Duration
	for _, n := range names {
		if b, ok := t.bound[n]; ok {
			out = append(out, b.Sub(from(n)))
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out
}

func (t *tracker) span(names []string) (first, last time.Time) {
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, n := range names {
		b := t.bound[n]
		if first.IsZero() || b.Before(first) {
			first = b
		}
		if b.After(last) {
			last = b
		}
	}
	return first, last
}

func run(o options) error {
	rc, err := clientcmd.BuildConfigFromFlags("", o.kubeconfig)
	if err != nil {
		return err
	}
	rc.QPS, rc.Burst = 5000, 10000
	rc.ContentType = "application/vnd.kubernetes.protobuf"
	client, err := kubernetes.NewForConfig(rc)
	if err != nil {
		return err
	}
	ctx := context.Background()
	requests := corev1.ResourceList{}
	for name, v := range map[corev1.ResourceName]string{corev1.ResourceCPU: o.cpu, corev1.ResourceMemory: o.memory} {
		q, err := resource.ParseQuantity(v)
		if err != nil {
			return fmt.Errorf("%s request %q: %w", name, v, err)
		}
		requests[name] = q
	}

	if o.waitNodes > 0 {
		start := time.Now()
		err := wait.PollUntilContextTimeout(ctx, time.Second, o.timeout, true, func(ctx context.Context) (bool, error) {
			nodes, err := client.CoreV1().Nodes().List(ctx, metav1.ListOptions{LabelSelector: o.nodeSelector, ResourceVersion: "0"})
			if err != nil {
				return false, nil
			}
			ready := 0
			for _, n := range nodes.Items {
				if n.Spec.PodCIDR == "" {
					continue
				}
				for _, c := range n.Status.Conditions {
					if c.Type == corev1.NodeReady && c.Status == corev1.ConditionTrue {
						ready++
					}
				}
			}
			logf("%d of %d nodes Ready with a pod CIDR", ready, o.waitNodes)
			return ready >= o.waitNodes, nil
		})
		if err != nil {
			return fmt.Errorf("nodes not Ready: %w", err)
		}
		result("nodes_ready_s", time.Since(start).Seconds())
	}

	ns := fmt.Sprintf("schedload-%d", time.Now().Unix())
	if _, err := client.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}, metav1.CreateOptions{}); err != nil {
		return err
	}
	// Pod admission needs the namespace's default service account.
	if err := wait.PollUntilContextTimeout(ctx, 100*time.Millisecond, time.Minute, true, func(ctx context.Context) (bool, error) {
		_, err := client.CoreV1().ServiceAccounts(ns).Get(ctx, "default", metav1.GetOptions{})
		return err == nil, nil
	}); err != nil {
		return fmt.Errorf("no default service account in %s: %w", ns, err)
	}

	t := newTracker()
	factory := informers.NewSharedInformerFactoryWithOptions(client, 0, informers.WithNamespace(ns))
	podInformer := factory.Core().V1().Pods().Informer()
	if _, err := podInformer.AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    t.observe,
		UpdateFunc: func(_, obj any) { t.observe(obj) },
	}); err != nil {
		return err
	}
	stop := make(chan struct{})
	defer close(stop)
	factory.Start(stop)
	factory.WaitForCacheSync(stop)

	newPod := func(name string) *corev1.Pod {
		return &corev1.Pod{
			ObjectMeta: metav1.ObjectMeta{Name: name, Labels: map[string]string{"app": "schedload"}},
			Spec: corev1.PodSpec{
				TerminationGracePeriodSeconds: new(int64),
				Containers: []corev1.Container{{
					Name: "pause", Image: "registry.k8s.io/pause:3.10",
					Resources: corev1.ResourceRequirements{Requests: requests},
				}},
			},
		}
	}
	create := func(name string) error {
		start := time.Now()
		t.markCreated(name, start)
		_, err := client.CoreV1().Pods(ns).Create(ctx, newPod(name), metav1.CreateOptions{})
		return err
	}

	// Phase 1: the pending pods.
	drainNames := make([]string, o.pods)
	for i := range drainNames {
		drainNames[i] = fmt.Sprintf("drain-%05d", i)
	}
	start := time.Now()
	if err := parallel(o.workers, len(drainNames), func(i int) error { return create(drainNames[i]) }); err != nil {
		return fmt.Errorf("create pods: %w", err)
	}
	result("create_s", time.Since(start).Seconds())
	result("create_rate", float64(o.pods)/time.Since(start).Seconds())
	if n := t.count.Load(); n > 0 {
		return fmt.Errorf("%d pods were bound before the scheduler started: is another scheduler running?", n)
	}

	// Phase 2: the drain.
	cmd := exec.Command(o.command[0], o.command[1:]...)
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGTERM}
	done := t.expect(o.pods)
	exited := make(chan error, 2)
	t0 := time.Now()
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start scheduler: %w", err)
	}
	go func() { exited <- cmd.Wait() }()
	stopped := false
	defer func() {
		if !stopped {
			stopScheduler(cmd, exited)
		}
	}()
	logf("started %s (PID %d)", o.command[0], cmd.Process.Pid)
	progress := time.NewTicker(5 * time.Second)
	defer progress.Stop()
	deadline := time.After(o.timeout)
wait:
	for {
		select {
		case <-done:
			break wait
		case err := <-exited:
			exited <- err
			return fmt.Errorf("scheduler exited (%v) with %d of %d pods bound", err, t.count.Load(), o.pods)
		case <-progress.C:
			logf("%d of %d pods bound after %s", t.count.Load(), o.pods, time.Since(t0).Round(time.Second))
		case <-deadline:
			return fmt.Errorf("only %d of %d pods bound after %s", t.count.Load(), o.pods, o.timeout)
		}
	}
	first, last := t.span(drainNames)
	drain := last.Sub(t0)
	result("pods", float64(o.pods))
	result("first_bind_s", first.Sub(t0).Seconds())
	result("drain_s", drain.Seconds())
	result("throughput", float64(o.pods)/drain.Seconds())
	if o.pods > 1 && last.After(first) {
		result("steady_throughput", float64(o.pods-1)/last.Sub(first).Seconds())
	}
	sinceStart := t.since(drainNames, func(string) time.Time { return t0 })
	result("drain_p50_ms", ms(percentile(sinceStart, 50)))
	result("drain_p99_ms", ms(percentile(sinceStart, 99)))

	// Phase 3: a stream of pods into the running scheduler.
	if o.streamPods > 0 {
		names := make([]string, o.streamPods)
		for i := range names {
			names[i] = fmt.Sprintf("stream-%05d", i)
		}
		done := t.expect(o.pods + o.streamPods)
		interval := time.Duration(float64(time.Second) / o.streamRate)
		sem := make(chan struct{}, o.workers)
		var failed atomic.Pointer[error]
		var wg sync.WaitGroup
		tick := time.NewTicker(interval)
		s0 := time.Now()
		for _, name := range names {
			<-tick.C
			sem <- struct{}{}
			wg.Go(func() {
				defer func() { <-sem }()
				if err := create(name); err != nil {
					failed.CompareAndSwap(nil, &err)
				}
			})
		}
		tick.Stop()
		wg.Wait()
		if err := failed.Load(); err != nil {
			return fmt.Errorf("create stream pods: %w", *err)
		}
		result("stream_create_rate", float64(o.streamPods)/time.Since(s0).Seconds())
		select {
		case <-done:
		case err := <-exited:
			exited <- err
			return fmt.Errorf("scheduler exited (%v) during the stream", err)
		case <-time.After(o.timeout):
			return fmt.Errorf("only %d of %d stream pods bound", t.count.Load()-int64(o.pods), o.streamPods)
		}
		// since holds the lock: created is read under it too.
		lat := t.since(names, func(n string) time.Time { return t.created[n] })
		result("stream_pods", float64(o.streamPods))
		result("stream_rate", o.streamRate)
		result("stream_p50_ms", ms(percentile(lat, 50)))
		result("stream_p99_ms", ms(percentile(lat, 99)))
		result("stream_max_ms", ms(lat[len(lat)-1]))
	}
	stopped = true
	stopScheduler(cmd, exited)
	if st := cmd.ProcessState; st != nil {
		// The scheduler's CPU over its whole life: start, drain, stream.
		result("scheduler_cpu_s", (st.UserTime() + st.SystemTime()).Seconds())
		if ru, ok := st.SysUsage().(*syscall.Rusage); ok {
			result("scheduler_maxrss_mib", float64(ru.Maxrss)/1024)
		}
	}
	return nil
}

// stopScheduler stops the scheduler: SIGTERM, SIGKILL after 30 s.
func stopScheduler(cmd *exec.Cmd, exited chan error) {
	_ = cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-exited:
	case <-time.After(30 * time.Second):
		_ = cmd.Process.Kill()
		<-exited
	}
}

// parallel runs fn(0..n-1) on workers goroutines and returns the first error.
func parallel(workers, n int, fn func(i int) error) error {
	var wg sync.WaitGroup
	var next atomic.Int64
	var failed atomic.Pointer[error]
	for range workers {
		wg.Go(func() {
			for i := int(next.Add(1)) - 1; i < n && failed.Load() == nil; i = int(next.Add(1)) - 1 {
				if err := fn(i); err != nil {
					failed.CompareAndSwap(nil, &err)
				}
			}
		})
	}
	wg.Wait()
	if err := failed.Load(); err != nil {
		return *err
	}
	return nil
}

// percentile is the nearest-rank percentile of sorted d.
func percentile(d []time.Duration, p int) time.Duration {
	if len(d) == 0 {
		return 0
	}
	i := (p*len(d)+99)/100 - 1
	return d[max(0, min(i, len(d)-1))]
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

func result(key string, v float64) { fmt.Printf("%s %.1f\n", key, v) }

func logf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "%s schedload: %s\n", time.Now().Format("15:04:05"), fmt.Sprintf(format, args...))
}

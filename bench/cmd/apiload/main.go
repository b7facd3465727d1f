package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/url"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	"k8s.io/client-go/util/flowcontrol"
)

type options struct {
	kubeconfig  string
	clients     int
	creates     int
	gets        int
	lists       int
	listSize    int
	listLimit   int64
	watchEvents int
	valueBytes  int
	contentType string
	timeout     time.Duration
}

func main() {
	var o options
	flag.StringVar(&o.kubeconfig, "kubeconfig", "", "kubeconfig of the server to load (required; the server must be on 127.0.0.0/8, [::1] or localhost)")
	flag.IntVar(&o.clients, "clients", 50, "concurrent clients, each with its own connection")
	flag.IntVar(&o.creates, "creates", 10000, "configmaps to create in the create phase")
	flag.IntVar(&o.gets, "gets", 10000, "GETs in the get phase")
	flag.IntVar(&o.lists, "lists", 500, "full lists in the list phase")
	flag.IntVar(&o.listSize, "list-size", 1000, "configmaps in the listed namespace")
	flag.Int64Var(&o.listLimit, "list-limit", 500, "page size of the lists")
	flag.IntVar(&o.watchEvents, "watch-events", 1000, "configmaps created while the watch is open")
	flag.IntVar(&o.valueBytes, "value-bytes", 100, "bytes of data in each configmap")
	flag.StringVar(&o.contentType, "content-type", "application/json", "content type of requests and responses (application/json or application/vnd.kubernetes.protobuf)")
	flag.DurationVar(&o.timeout, "timeout", 10*time.Minute, "bound on the whole run")
	flag.Parse()
	if err := run(o); err != nil {
		fmt.Fprintf(os.Stderr, "apiload: %v\n", err)
		os.Exit(1)
	}
}

func run(o options) error {
	if o.kubeconfig == "" {
		return errors.New("--kubeconfig is required")
	}
	if o.clients < 1 || o.creates < 1 || o.gets < 0 || o.lists < 0 || o.listSize < 1 || o.listLimit < 1 || o.watchEvents < 0 {
		return errors.New("--clients, --creates, --list-size and --list-limit must be positive; the other counts not negative")
	}
	config, err := clientcmd.BuildConfigFromFlags("", o.kubeconfig)
	if err != nil {
		return fmt.Errorf("load %s: %w", o.kubeconfig, err)
	}
	if err := checkLoopback(config.Host); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), o.timeout)
	defer cancel()

	clients, err := newClients(config, o)
	if err != nil {
		return err
	}
	l := &load{o: o, clients: clients, value: strings.Repeat("x", o.valueBytes)}
	defer l.cleanup()

	var results []result
	phases := []struct {
		name string
		run  func(context.Context) (result, error)
	}{
		{"create", l.create},
		{"get", l.get},
		{"list", l.list},
		{"watch", l.watch},
	}
	for _, p := range phases {
		fmt.Fprintf(os.Stderr, "apiload: %s...\n", p.name)
		r, err := p.run(ctx)
		if err != nil {
			return fmt.Errorf("%s: %w", p.name, err)
		}
		r.op = p.name
		results = append(results, r)
	}
	fmt.Printf("%-7s %6s %6s %9s %8s %8s\n", "op", "count", "errors", "ops/s", "p50_ms", "p99_ms")
	failed := 0
	for _, r := range results {
		fmt.Println(r)
		failed += r.errors
	}
	if failed > 0 {
		return fmt.Errorf("%d operations failed (first: %v)", failed, l.firstErr.Load())
	}
	return nil
}

// checkLoopback refuses servers that are not on this machine's loopback
// interface: the load is for servers started here to be measured.
func checkLoopback(host string) error {
	u, err := url.Parse(host)
	if err != nil {
		return fmt.Errorf("server %q: %w", host, err)
	}
	h := u.Hostname()
	if ip := net.ParseIP(h); (ip != nil && ip.IsLoopback()) || h == "localhost" {
		return nil
	}
	return fmt.Errorf("server %q is not on the loopback interface; apiload loads only local servers", host)
}

// newClients returns one clientset per worker. Each has its own dialer, which
// keeps client-go from sharing one cached transport (and so one HTTP/2
// connection) between them, and no client-side rate limit.
func newClients(base *rest.Config, o options) ([]kubernetes.Interface, error) {
	clients := make([]kubernetes.Interface, o.clients)
	for i := range clients {
		c := rest.CopyConfig(base)
		c.RateLimiter = flowcontrol.NewFakeAlwaysRateLimiter()
		c.ContentType = o.contentType
		c.AcceptContentTypes = o.contentType
		c.Timeout = time.Minute
		d := &net.Dialer{Timeout: 30 * time.Second, KeepAlive: 30 * time.Second}
		c.Dial = d.DialContext
		cs, err := kubernetes.NewForConfig(c)
		if err != nil {
			return nil, fmt.Errorf("client: %w", err)
		}
		clients[i] = cs
	}
	return clients, nil
}

type load struct {
	o          options
	clients    []kubernetes.Interface
	value      string
	namespaces []string
	createNS   string
	firstErr   atomic.Value
}

func (l *load) configMap(name string) *corev1.ConfigMap {
	return &corev1.ConfigMap{
		ObjectMeta: metav1.ObjectMeta{Name: name, Labels: map[string]string{"app": "apiload"}},
		Data:       map[string]string{"value": l.value},
	}
}

// namespace creates a namespace of its own for a phase.
func (l *load) namespace(ctx context.Context, phase string) (string, error) {
	ns, err := l.clients[0].CoreV1().Namespaces().Create(ctx, &corev1.Namespace{
		ObjectMeta: metav1.ObjectMeta{GenerateName: "apiload-" + phase + "-"},
	}, metav1.CreateOptions{})
	if err != nil {
		return "", fmt.Errorf("create namespace: %w", err)
	}
	l.namespaces = append(l.namespaces, ns.Name)
	return ns.Name, nil
}

// cleanup deletes the namespaces; it does not wait for them to go.
func (l *load) cleanup() {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for _, ns := range l.namespaces {
		if err := l.clients[0].CoreV1().Namespaces().Delete(ctx, ns, metav1.DeleteOptions{}); err != nil {
			fmt.Fprintf(os.Stderr, "apiload: delete namespace %s: %v\n", ns, err)
		}
	}
}

// fill creates n configmaps in ns with all workers, unmeasured, and fails on
// the first error.
func (l *load) fill(ctx context.Context, ns string, n int) error {
	r := l.parallel(ctx, n, func(ctx context.Context, c kubernetes.Interface, i int) error {
		_, err := c.CoreV1().ConfigMaps(ns).Create(ctx, l.configMap(fmt.Sprintf("cm-%d", i)), metav1.CreateOptions{})
		return err
	})
	if r.errors > 0 {
		return fmt.Errorf("fill %s: %d of %d creates failed (first: %v)", ns, r.errors, n, l.firstErr.Load())
	}
	return nil
}

func (l *load) create(ctx context.Context) (result, error) {
	ns, err := l.namespace(ctx, "create")
	if err != nil {
		return result{}, err
	}
	l.createNS = ns
	return l.parallel(ctx, l.o.creates, func(ctx context.Context, c kubernetes.Interface, i int) error {
		_, err := c.CoreV1().ConfigMaps(ns).Create(ctx, l.configMap(fmt.Sprintf("cm-%d", i)), metav1.CreateOptions{})
		return err
	}), nil
}

// get reads the configmaps the create phase made, round robin.
func (l *load) get(ctx context.Context) (result, error) {
	return l.parallel(ctx, l.o.gets, func(ctx context.Context, c kubernetes.Interface, i int) error {
		_, err := c.CoreV1().ConfigMaps(l.createNS).Get(ctx, fmt.Sprintf("cm-%d", i%l.o.creates), metav1.GetOptions{})
		return err
	}), nil
}

func (l *load) list(ctx context.Context) (result, error) {
	ns, err := l.namespace(ctx, "list")
	if err != nil {
		return result{}, err
	}
	if err := l.fill(ctx, ns, l.o.listSize); err != nil {
		return result{}, err
	}
	return l.parallel(ctx, l.o.lists, func(ctx context.Context, c kubernetes.Interface, _ int) error {
		n, cont := 0, ""
		for {
			list, err := c.CoreV1().ConfigMaps(ns).List(ctx, metav1.ListOptions{Limit: l.o.listLimit, Continue: cont})
			if err != nil {
				return err
			}
			n += len(list.Items)
			if cont = list.Continue; cont == "" {
				break
			}
		}
		// The controllers' kube-root-ca.crt may be there too.
		if n < l.o.listSize {
			return fmt.Errorf("listed %d configmaps, want at least %d", n, l.o.listSize)
		}
		return nil
	}), nil
}

// watch opens one watch on a new namespace, has the workers create
// --watch-events configmaps in it, and measures each event's delay from the
// start of its create request.
func (l *load) watch(ctx context.Context) (result, error) {
	n := l.o.watchEvents
	if n == 0 {
		return result{}, nil
	}
	ns, err := l.namespace(ctx, "watch")
	if err != nil {
		return result{}, err
	}
	list, err := l.clients[0].CoreV1().ConfigMaps(ns).List(ctx, metav1.ListOptions{})
	if err != nil {
		return result{}, err
	}
	w, err := l.clients[0].CoreV1().ConfigMaps(ns).Watch(ctx, metav1.ListOptions{ResourceVersion: list.ResourceVersion})
	if err != nil {
		return result{}, err
	}
	defer w.Stop()

	sent := make([]atomic.Int64, n) // UnixNano at the start of each create
	type arrival struct {
		index int
		at    time.Time
	}
	arrivals := make(chan arrival, n)
	watchErr := make(chan error, 1)
	go func() {
		defer close(arrivals)
		for seen := 0; seen < n; {
			select {
			case ev, ok := <-w.ResultChan():
				if !ok {
					watchErr <- errors.New("watch closed early")
					return
				}
				if ev.Type == watch.Error {
					watchErr <- fmt.Errorf("watch error: %v", ev.Object)
					return
				}
				cm, ok := ev.Object.(*corev1.ConfigMap)
				if ev.Type != watch.Added || !ok {
					continue
				}
				var i int
				if _, err := fmt.Sscanf(cm.Name, "cm-%d", &i); err != nil || i < 0 || i >= n {
					continue
				}
				arrivals <- arrival{i, time.Now()}
				seen++
			case <-ctx.Done():
				watchErr <- ctx.Err()
				return
			}
		}
	}()

	start := time.Now()
	created := l.parallel(ctx, n, func(ctx context.Context, c kubernetes.Interface, i int) error {
		sent[i].Store(time.Now().UnixNano())
		_, err := c.CoreV1().ConfigMaps(ns).Create(ctx, l.configMap(fmt.Sprintf("cm-%d", i)), metav1.CreateOptions{})
		return err
	})
	if created.errors > 0 {
		return result{}, fmt.Errorf("%d of %d creates failed (first: %v)", created.errors, n, l.firstErr.Load())
	}
	var latencies []time.Duration
	var last time.Time
	for a := range arrivals {
		latencies = append(latencies, a.at.Sub(time.Unix(0, sent[a.index].Load())))
		last = a.at
	}
	select {
	case err := <-watchErr:
		return result{}, fmt.Errorf("after %d of %d events: %w", len(latencies), n, err)
	default:
	}
	return summarize(latencies, 0, last.Sub(start)), nil
}

// parallel runs op for i in [0, total) on all workers, each taking the next
// index, and measures each call.
func (l *load) parallel(ctx context.Context, total int, op func(context.Context, kubernetes.Interface, int) error) result {
	var (
		next     atomic.Int64
		failures atomic.Int64
		wg       sync.WaitGroup
	)
	perWorker := make([][]time.Duration, len(l.clients))
	start := time.Now()
	for w, c := range l.clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= total || ctx.Err() != nil {
					return
				}
				t := time.Now()
				err := op(ctx, c, i)
				perWorker[w] = append(perWorker[w], time.Since(t))
				if err != nil {
					failures.Add(1)
					l.firstErr.CompareAndSwap(nil, err.Error())
				}
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	var all []time.Duration
	for _, d := range perWorker {
		all = append(all, d...)
	}
	// Operations that never ran because the run timed out count as failed.
	missing := total - len(all)
	if missing > 0 {
		l.firstErr.CompareAndSwap(nil, ctx.Err().Error())
	}
	return summarize(all, int(failures.Load())+missing, elapsed)
}

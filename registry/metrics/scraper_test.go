package metrics

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	genericapirequest "k8s.io/apiserver/pkg/endpoints/request"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes/fake"
	metadatafake "k8s.io/client-go/metadata/fake"
	"k8s.io/client-go/metadata/metadatainformer"
	metricsv1beta1 "k8s.io/metrics/pkg/apis/metrics/v1beta1"
	clocktesting "k8s.io/utils/clock/testing"

	"github.com/kubeshim/kubeshim/nodeagent/simulated"
	"github.com/kubeshim/kubeshim/registry/kubelet"
)

// fakeKubelet is a kubelet API whose node and one container use cpuRate cores; each
// request is answered as of the test clock.
type fakeKubelet struct {
	srv      *httptest.Server
	clock    *clocktesting.FakeClock
	requests atomic.Int32
	status   atomic.Int32 // non-zero: answer with it instead
}

func newFakeKubelet(t *testing.T, clock *clocktesting.FakeClock) *fakeKubelet {
	k := &fakeKubelet{clock: clock}
	k.srv = httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		k.requests.Add(1)
		if r.URL.Path != "/metrics/resource" {
			http.NotFound(w, r)
			return
		}
		if code := int(k.status.Load()); code != 0 {
			http.Error(w, "Forbidden (user=x, verb=get, resource=nodes, subresource(s)=[metrics])", code)
			return
		}
		now := k.clock.Now()
		sec := now.Sub(t0).Seconds()
		ms := now.UnixMilli()
		fmt.Fprintf(w, "node_cpu_usage_seconds_total %g %d\nnode_memory_working_set_bytes 1073741824 %d\n", 100+1.5*sec, ms, ms)
		fmt.Fprintf(w, "container_cpu_usage_seconds_total{container=\"busy\",namespace=\"default\",pod=\"busy\"} %g %d\n", 1+0.2*sec, ms)
		fmt.Fprintf(w, "container_memory_working_set_bytes{container=\"busy\",namespace=\"default\",pod=\"busy\"} 1048576 %d\n", ms)
		fmt.Fprintf(w, "container_start_time_seconds{container=\"busy\",namespace=\"default\",pod=\"busy\"} %d\n", t0.Add(-time.Hour).Unix())
	}))
	t.Cleanup(k.srv.Close)
	return k
}

// fakeKubelets finds every node at the fake kubelet, except those named in down.
type fakeKubelets struct {
	kubelet *fakeKubelet
	down    map[string]bool

	mu    sync.Mutex
	asked []string
}

func (f *fakeKubelets) GetConnectionInfo(_ context.Context, node string) (*kubelet.ConnectionInfo, error) {
	f.mu.Lock()
	f.asked = append(f.asked, node)
	f.mu.Unlock()
	if f.down[node] {
		return nil, errors.New("no preferred addresses found; known addresses: []")
	}
	u, _ := url.Parse(f.kubelet.srv.URL)
	host, port, _ := net.SplitHostPort(u.Host)
	return &kubelet.ConnectionInfo{Scheme: "https", Hostname: host, Port: port, Transport: f.kubelet.srv.Client().Transport}, nil
}

func (f *fakeKubelets) askedFor() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := slices.Clone(f.asked)
	slices.Sort(out)
	return slices.Compact(out)
}

func node(name string, port int32, labels map[string]string) *corev1.Node {
	n := &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: labels}}
	n.Status.DaemonEndpoints.KubeletEndpoint.Port = port
	return n
}

func metadataScheme() *runtime.Scheme {
	s := metadatafake.NewTestScheme()
	metav1.AddMetaToScheme(s)
	return s
}

// newTestScraper is a Scraper over informers of objs, started.
func newTestScraper(t *testing.T, ctx context.Context, clock *clocktesting.FakeClock, kubelets kubelet.ConnectionInfoGetter, objs ...*corev1.Node) *Scraper {
	t.Helper()
	client := fake.NewClientset()
	for _, o := range objs {
		if _, err := client.CoreV1().Nodes().Create(ctx, o, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	pod := &metav1.PartialObjectMetadata{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "Pod"},
		ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: "busy"},
	}
	factory := informers.NewSharedInformerFactory(client, 0)
	podFactory := metadatainformer.NewSharedInformerFactory(metadatafake.NewSimpleMetadataClient(metadataScheme(), pod), 0)
	s, err := New(Config{
		Nodes:    factory.Core().V1().Nodes(),
		Pods:     podFactory.ForResource(corev1.SchemeGroupVersion.WithResource("pods")),
		Kubelets: kubelets,
		Clock:    clock,
	})
	if err != nil {
		t.Fatal(err)
	}
	factory.Start(ctx.Done())
	podFactory.Start(ctx.Done())
	factory.WaitForCacheSync(ctx.Done())
	podFactory.WaitForCacheSync(ctx.Done())
	t.Cleanup(factory.Shutdown)
	t.Cleanup(podFactory.Shutdown)
	return s
}

func TestScrape(t *testing.T) {
	if LabelSimulated != simulated.LabelSimulated {
		t.Fatalf("LabelSimulated = %q, but the simulated agent labels its nodes %q", LabelSimulated, simulated.LabelSimulated)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	clock := clocktesting.NewFakeClock(t0)
	k := newFakeKubelet(t, clock)
	kubelets := &fakeKubelets{kubelet: k, down: map[string]bool{"down": true}}
	s := newTestScraper(t, ctx, clock, kubelets,
		node("real", 10250, nil),
		node("down", 10250, nil),
		node("sim", 10250, map[string]string{LabelSimulated: "true"}),
		node("noport", 0, nil),
	)
	nodes, pods := &nodeREST{s: s}, &podREST{s: s}

	s.scrape(ctx)
	if diff := cmp.Diff([]string{"down", "real"}, kubelets.askedFor()); diff != "" {
		t.Errorf("scraped nodes (-want +got):\n%s", diff)
	}
	if _, err := nodes.Get(ctx, "real", nil); err == nil {
		t.Error("node metrics after one scrape, want NotFound")
	}

	clock.Step(DefaultResolution)
	s.scrape(ctx)
	got, err := nodes.Get(ctx, "real", nil)
	if err != nil {
		t.Fatalf("node metrics after two scrapes: %v", err)
	}
	m := got.(*metricsv1beta1.NodeMetrics)
	if cpu, mem := m.Usage[corev1.ResourceCPU], m.Usage[corev1.ResourceMemory]; cpu.String() != "1500m" || mem.String() != "1Gi" || m.Window.Duration != DefaultResolution {
		t.Errorf("node usage = cpu %s memory %s window %s, want 1500m, 1Gi over %s", cpu.String(), mem.String(), m.Window.Duration, DefaultResolution)
	}
	podCtx := genericapirequest.WithNamespace(ctx, "default")
	got, err = pods.Get(podCtx, "busy", nil)
	if err != nil {
		t.Fatalf("pod metrics after two scrapes: %v", err)
	}
	if c := got.(*metricsv1beta1.PodMetrics).Containers; len(c) != 1 || c[0].Usage.Cpu().String() != "200m" {
		t.Errorf("pod containers = %+v, want busy at 200m", c)
	}

	// A kubelet refusing the scrape drops the node's history.
	k.status.Store(http.StatusForbidden)
	clock.Step(DefaultResolution)
	s.scrape(ctx)
	if _, err := nodes.Get(ctx, "real", nil); err == nil {
		t.Error("node metrics after a failed scrape, want NotFound")
	}
}

func TestRunStopsWithContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	clock := clocktesting.NewFakeClock(t0)
	k := newFakeKubelet(t, clock)
	s := newTestScraper(t, ctx, clock, &fakeKubelets{kubelet: k}, node("real", 10250, nil))

	runCtx, stop := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		s.Run(runCtx)
		close(done)
	}()
	waitFor := func(what string, cond func() bool) {
		t.Helper()
		deadline := time.Now().Add(30 * time.Second)
		for !cond() {
			if time.Now().After(deadline) {
				t.Fatalf("timed out waiting for %s", what)
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	// The first scrape runs at once; the next one when the clock has moved a resolution.
	waitFor("the first scrape", func() bool { return k.requests.Load() == 1 })
	waitFor("the scrape timer", clock.HasWaiters)
	clock.Step(DefaultResolution)
	waitFor("the second scrape", func() bool { _, ok := s.store.node("real"); return ok })

	stop()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		t.Fatal("Run did not return after its context was cancelled")
	}
}

func TestNewValidates(t *testing.T) {
	factory := informers.NewSharedInformerFactory(fake.NewClientset(), 0)
	pods := metadatainformer.NewSharedInformerFactory(metadatafake.NewSimpleMetadataClient(metadataScheme()), 0).
		ForResource(corev1.SchemeGroupVersion.WithResource("pods"))
	kubelets := &fakeKubelets{}
	for _, c := range []Config{
		{Pods: pods, Kubelets: kubelets},
		{Nodes: factory.Core().V1().Nodes(), Kubelets: kubelets},
		{Nodes: factory.Core().V1().Nodes(), Pods: pods},
		{Nodes: factory.Core().V1().Nodes(), Pods: pods, Kubelets: kubelets, Resolution: -time.Second},
	} {
		if _, err := New(c); err == nil {
			t.Errorf("New(%+v) succeeded, want an error", c)
		}
	}
}

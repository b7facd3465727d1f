package metrics

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	apiregistrationv1 "k8s.io/kube-aggregator/pkg/apis/apiregistration/v1"
	aggregator "k8s.io/kube-aggregator/pkg/client/clientset_generated/clientset"
	metricsv1beta1 "k8s.io/metrics/pkg/apis/metrics/v1beta1"
	metricsclient "k8s.io/metrics/pkg/client/clientset/versioned"

	"github.com/kubeshim/kubeshim/registry/apiserver"
	"github.com/kubeshim/kubeshim/test/integration/framework"
)

// resolution is short so that two scrapes come within a second or two.
const resolution = time.Second

// standIn is an HTTPS server standing in for a node's kubelet API on 127.0.0.1,
// requiring a client certificate from the cluster CA as a kubelet does. Its
// /metrics/resource reports counters that grow at fixed rates from its start,
// stamped with the time of each request.
type standIn struct {
	server   *httptest.Server
	port     int32
	start    time.Time
	requests atomic.Int32

	mu      sync.Mutex
	clients map[string]bool // client certificate common names
}

func startStandIn(t *testing.T, ca *x509.CertPool, handler func(s *standIn, w http.ResponseWriter, r *http.Request)) *standIn {
	t.Helper()
	s := &standIn{start: time.Now(), clients: map[string]bool{}}
	s.server = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.requests.Add(1)
		s.mu.Lock()
		s.clients[r.TLS.PeerCertificates[0].Subject.CommonName] = true
		s.mu.Unlock()
		handler(s, w, r)
	}))
	s.server.TLS = &tls.Config{ClientCAs: ca, ClientAuth: tls.RequireAndVerifyClientCert}
	s.server.StartTLS()
	t.Cleanup(s.server.Close)
	_, port, _ := net.SplitHostPort(s.server.Listener.Addr().String())
	p, _ := strconv.Atoi(port)
	s.port = int32(p)
	return s
}

// resourceMetrics serves a node using 1.5 cores and 1Gi, and in namespace ns the
// pods busy (containers busy at 200m and idle at 1m) and quiet (one container at 50m).
func resourceMetrics(ns string) func(s *standIn, w http.ResponseWriter, r *http.Request) {
	return func(s *standIn, w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/metrics/resource" {
			http.NotFound(w, r)
			return
		}
		ms := time.Now().UnixMilli()
		sec := float64(ms-s.start.UnixMilli()) / 1000
		started := s.start.Add(-time.Hour).Unix()
		fmt.Fprintf(w, "# TYPE node_cpu_usage_seconds_total counter\nnode_cpu_usage_seconds_total %g %d\n", 100+1.5*sec, ms)
		fmt.Fprintf(w, "# TYPE node_memory_working_set_bytes gauge\nnode_memory_working_set_bytes %d %d\n", 1<<30, ms)
		for _, c := range []struct {
			pod, container string
			cores          float64
			memory         int
		}{{"busy", "busy", 0.2, 8 << 20}, {"busy", "idle", 0.001, 1 << 20}, {"quiet", "app", 0.05, 4 << 20}} {
			labels := fmt.Sprintf(`{container=%q,namespace=%q,pod=%q}`, c.container, ns, c.pod)
			fmt.Fprintf(w, "container_cpu_usage_seconds_total%s %g %d\n", labels, 1+c.cores*sec, ms)
			fmt.Fprintf(w, "container_memory_working_set_bytes%s %d %d\n", labels, c.memory, ms)
			fmt.Fprintf(w, "container_start_time_seconds%s %d\n", labels, started)
		}
	}
}

func clusterCA(t *testing.T, config *rest.Config) *x509.CertPool {
	t.Helper()
	caPEM := config.CAData
	if len(caPEM) == 0 {
		var err error
		if caPEM, err = os.ReadFile(config.CAFile); err != nil {
			t.Fatalf("read cluster CA: %v", err)
		}
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(caPEM) {
		t.Fatal("no cluster CA in the client configuration")
	}
	return pool
}

func createNode(t *testing.T, client kubernetes.Interface, name string, port int32, labels map[string]string) {
	t.Helper()
	_, err := client.CoreV1().Nodes().Create(context.Background(), &corev1.Node{
		ObjectMeta: metav1.ObjectMeta{Name: name, Labels: labels},
		Status: corev1.NodeStatus{
			Addresses:       []corev1.NodeAddress{{Type: corev1.NodeInternalIP, Address: "127.0.0.1"}},
			DaemonEndpoints: corev1.NodeDaemonEndpoints{KubeletEndpoint: corev1.DaemonEndpoint{Port: port}},
		},
	}, metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("create node %s: %v", name, err)
	}
}

func createPod(t *testing.T, client kubernetes.Interface, ns, name, node string, labels map[string]string, containers ...string) {
	t.Helper()
	pod := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: labels}, Spec: corev1.PodSpec{NodeName: node}}
	for _, c := range containers {
		pod.Spec.Containers = append(pod.Spec.Containers, corev1.Container{Name: c, Image: "busybox"})
	}
	if _, err := client.CoreV1().Pods(ns).Create(context.Background(), pod, metav1.CreateOptions{}); err != nil {
		t.Fatalf("create pod %s: %v", name, err)
	}
}

// within checks that q is within 5% of want millicores: the stand-in's counters and
// timestamps are exact, but the float text format rounds.
func within(t *testing.T, what string, got metricsv1beta1.ContainerMetrics, wantMilli int64, wantMemory string) {
	t.Helper()
	cpu, mem := got.Usage.Cpu(), got.Usage.Memory()
	if m := cpu.MilliValue(); m < wantMilli*95/100 || m > wantMilli*105/100+1 {
		t.Errorf("%s CPU = %s, want about %dm", what, cpu.String(), wantMilli)
	}
	if mem.String() != wantMemory {
		t.Errorf("%s memory = %s, want %s", what, mem.String(), wantMemory)
	}
}

func TestResourceMetricsAPI(t *testing.T) {
	srv, err := framework.Start(func(o *apiserver.Options) { o.MetricResolution = resolution })
	if err != nil {
		t.Fatalf("start server: %v", err)
	}
	t.Cleanup(func() {
		if err := srv.Stop(); err != nil {
			t.Errorf("stop server: %v", err)
		}
	})
	ctx := context.Background()
	client := kubernetes.NewForConfigOrDie(srv.Config)
	metrics := metricsclient.NewForConfigOrDie(srv.Config)
	ns := framework.Namespace(t, client)
	ca := clusterCA(t, srv.Config)

	kubelet := startStandIn(t, ca, resourceMetrics(ns))
	// The simulated node's address reaches a stand-in too: the scraper must not ask it.
	trap := startStandIn(t, ca, func(_ *standIn, w http.ResponseWriter, _ *http.Request) {
		http.Error(w, "not a kubelet", http.StatusNotFound)
	})
	createNode(t, client, "worker", kubelet.port, map[string]string{"zone": "a"})
	createNode(t, client, "simulated", trap.port, map[string]string{"kubeshim.io/simulated": "true"})
	createPod(t, client, ns, "busy", "worker", map[string]string{"app": "busy"}, "busy", "idle")
	createPod(t, client, ns, "quiet", "worker", map[string]string{"app": "quiet"}, "app")
	createPod(t, client, ns, "pending", "", map[string]string{"app": "busy"}, "app")

	var node *metricsv1beta1.NodeMetrics
	err = wait.PollUntilContextTimeout(ctx, 100*time.Millisecond, 60*time.Second, true, func(ctx context.Context) (bool, error) {
		node, err = metrics.MetricsV1beta1().NodeMetricses().Get(ctx, "worker", metav1.GetOptions{})
		if apierrors.IsNotFound(err) {
			return false, nil
		}
		return err == nil, err
	})
	if err != nil {
		t.Fatalf("node metrics of worker: %v (the stand-in kubelet had %d requests)", err, kubelet.requests.Load())
	}
	t.Run("node", func(t *testing.T) {
		within(t, "node", metricsv1beta1.ContainerMetrics{Usage: node.Usage}, 1500, "1Gi")
		if node.Window.Duration <= 0 || node.Window.Duration > 30*resolution {
			t.Errorf("window = %s, want about %s", node.Window.Duration, resolution)
		}
		if diff := cmp.Diff(map[string]string{"zone": "a"}, node.Labels); diff != "" {
			t.Errorf("labels (-want +got):\n%s", diff)
		}
		list, err := metrics.MetricsV1beta1().NodeMetricses().List(ctx, metav1.ListOptions{})
		if err != nil || len(list.Items) != 1 || list.Items[0].Name != "worker" {
			t.Errorf("list node metrics = %+v, %v; want worker alone", list, err)
		}
		list, err = metrics.MetricsV1beta1().NodeMetricses().List(ctx, metav1.ListOptions{LabelSelector: "zone=b"})
		if err != nil || len(list.Items) != 0 {
			t.Errorf("list node metrics zone=b = %+v, %v; want none", list, err)
		}
	})

	t.Run("pods", func(t *testing.T) {
		var pod *metricsv1beta1.PodMetrics
		err := wait.PollUntilContextTimeout(ctx, 100*time.Millisecond, 30*time.Second, true, func(ctx context.Context) (bool, error) {
			pod, err = metrics.MetricsV1beta1().PodMetricses(ns).Get(ctx, "busy", metav1.GetOptions{})
			if apierrors.IsNotFound(err) {
				return false, nil
			}
			return err == nil, err
		})
		if err != nil {
			t.Fatalf("pod metrics of busy: %v", err)
		}
		if len(pod.Containers) != 2 {
			t.Fatalf("containers = %+v, want busy and idle", pod.Containers)
		}
		within(t, "container busy", pod.Containers[0], 200, "8Mi")
		within(t, "container idle", pod.Containers[1], 1, "1Mi")
		if pod.Containers[0].Name != "busy" || pod.Containers[1].Name != "idle" {
			t.Errorf("container names = %s, %s; want busy, idle", pod.Containers[0].Name, pod.Containers[1].Name)
		}

		names := func(opts metav1.ListOptions, namespace string) []string {
			t.Helper()
			list, err := metrics.MetricsV1beta1().PodMetricses(namespace).List(ctx, opts)
			if err != nil {
				t.Fatalf("list pod metrics %+v: %v", opts, err)
			}
			out := []string{}
			for _, m := range list.Items {
				out = append(out, m.Name)
			}
			return out
		}
		for _, tc := range []struct {
			name      string
			opts      metav1.ListOptions
			namespace string
			want      []string
		}{
			{name: "namespace", namespace: ns, want: []string{"busy", "quiet"}},
			{name: "label selector, as the HPA lists", namespace: ns, opts: metav1.ListOptions{LabelSelector: "app=busy"}, want: []string{"busy"}},
			{name: "field selector", namespace: ns, opts: metav1.ListOptions{FieldSelector: "metadata.name=quiet"}, want: []string{"quiet"}},
			{name: "all namespaces", opts: metav1.ListOptions{FieldSelector: "metadata.namespace=" + ns}, want: []string{"busy", "quiet"}},
			{name: "another namespace", namespace: "default", want: []string{}},
		} {
			if diff := cmp.Diff(tc.want, names(tc.opts, tc.namespace)); diff != "" {
				t.Errorf("%s (-want +got):\n%s", tc.name, diff)
			}
		}
		_, err = metrics.MetricsV1beta1().PodMetricses(ns).List(ctx, metav1.ListOptions{FieldSelector: "spec.nodeName=worker"})
		if !apierrors.IsBadRequest(err) {
			t.Errorf("list with field selector spec.nodeName = %v, want BadRequest", err)
		}
		_, err = metrics.MetricsV1beta1().PodMetricses(ns).Get(ctx, "pending", metav1.GetOptions{})
		if want := fmt.Sprintf(`podmetrics.metrics.k8s.io "%s/pending" not found`, ns); !apierrors.IsNotFound(err) || err.Error() != want {
			t.Errorf("pod metrics of pending = %v, want NotFound %q", err, want)
		}
	})

	t.Run("simulated nodes are not scraped", func(t *testing.T) {
		_, err := metrics.MetricsV1beta1().NodeMetricses().Get(ctx, "simulated", metav1.GetOptions{})
		if want := `nodemetrics.metrics.k8s.io "simulated" not found`; !apierrors.IsNotFound(err) || err.Error() != want {
			t.Errorf("node metrics of simulated = %v, want NotFound %q", err, want)
		}
		if n := trap.requests.Load(); n != 0 {
			t.Errorf("the simulated node's address had %d requests, want none", n)
		}
	})

	t.Run("the scraper presents the API server's kubelet client certificate", func(t *testing.T) {
		kubelet.mu.Lock()
		defer kubelet.mu.Unlock()
		if diff := cmp.Diff(map[string]bool{"kube-apiserver-kubelet-client": true}, kubelet.clients); diff != "" {
			t.Errorf("client certificates (-want +got):\n%s", diff)
		}
	})

	t.Run("table", func(t *testing.T) {
		body, err := client.CoreV1().RESTClient().Get().AbsPath("/apis/metrics.k8s.io/v1beta1/namespaces/"+ns+"/pods").
			SetHeader("Accept", "application/json;as=Table;v=v1;g=meta.k8s.io").DoRaw(ctx)
		if err != nil {
			t.Fatalf("get pod metrics as a table: %v", err)
		}
		var table metav1.Table
		if err := json.Unmarshal(body, &table); err != nil {
			t.Fatalf("decode table: %v\n%s", err, body)
		}
		var columns []string
		for _, c := range table.ColumnDefinitions {
			columns = append(columns, c.Name)
		}
		if diff := cmp.Diff([]string{"Name", "cpu", "memory", "Window"}, columns); diff != "" {
			t.Errorf("columns (-want +got):\n%s", diff)
		}
		if len(table.Rows) != 2 || table.Rows[0].Cells[0] != "busy" || table.Rows[1].Cells[0] != "quiet" {
			t.Errorf("rows = %+v, want busy and quiet", table.Rows)
		}
	})

	t.Run("discovery and the local APIService", func(t *testing.T) {
		resources, err := client.Discovery().ServerResourcesForGroupVersion("metrics.k8s.io/v1beta1")
		if err != nil {
			t.Fatalf("discovery: %v", err)
		}
		got := map[string]string{}
		for _, r := range resources.APIResources {
			got[r.Name] = fmt.Sprintf("%s namespaced=%v verbs=%v", r.Kind, r.Namespaced, r.Verbs)
		}
		want := map[string]string{
			"nodes": "NodeMetrics namespaced=false verbs=[get list]",
			"pods":  "PodMetrics namespaced=true verbs=[get list]",
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("resources (-want +got):\n%s", diff)
		}
		agg := aggregator.NewForConfigOrDie(srv.Config)
		err = wait.PollUntilContextTimeout(ctx, 100*time.Millisecond, 30*time.Second, true, func(ctx context.Context) (bool, error) {
			svc, err := agg.ApiregistrationV1().APIServices().Get(ctx, "v1beta1.metrics.k8s.io", metav1.GetOptions{})
			if apierrors.IsNotFound(err) {
				return false, nil
			}
			if err != nil {
				return false, err
			}
			if svc.Spec.Service != nil {
				return false, fmt.Errorf("APIService v1beta1.metrics.k8s.io has service %+v, want none (local)", svc.Spec.Service)
			}
			for _, c := range svc.Status.Conditions {
				if c.Type == apiregistrationv1.Available && c.Status == apiregistrationv1.ConditionTrue {
					return true, nil
				}
			}
			return false, nil
		})
		if err != nil {
			t.Errorf("APIService v1beta1.metrics.k8s.io: %v", err)
		}
	})
}

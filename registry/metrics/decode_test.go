package metrics

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"k8s.io/apimachinery/pkg/types"
)

// kubeletResponse is what the agent's /metrics/resource serves (nodeagent/server's
// TestResourceMetrics), with a second pod.
const kubeletResponse = `# HELP container_cpu_usage_seconds_total [STABLE] Cumulative cpu time consumed by the container in core-seconds
# TYPE container_cpu_usage_seconds_total counter
container_cpu_usage_seconds_total{container="nginx",namespace="default",pod="web"} 1.5 1700000000000
container_cpu_usage_seconds_total{container="sidecar",namespace="default",pod="web"} 0.25 1700000000100
container_cpu_usage_seconds_total{container="app",namespace="kube-system",pod="dns"} 3 1700000000000
# HELP container_memory_working_set_bytes [STABLE] Current working set of the container in bytes
# TYPE container_memory_working_set_bytes gauge
container_memory_working_set_bytes{container="nginx",namespace="default",pod="web"} 2.097152e+06 1700000000000
container_memory_working_set_bytes{container="sidecar",namespace="default",pod="web"} 4096 1700000000100
container_memory_working_set_bytes{container="app",namespace="kube-system",pod="dns"} 8192 1700000000000
# HELP container_start_time_seconds [STABLE] Start time of the container since unix epoch in seconds
# TYPE container_start_time_seconds gauge
container_start_time_seconds{container="nginx",namespace="default",pod="web"} 1.6000000005e+09
container_start_time_seconds{container="sidecar",namespace="default",pod="web"} 1.6e+09
container_start_time_seconds{container="app",namespace="kube-system",pod="dns"} 1.6e+09
# HELP node_cpu_usage_seconds_total [STABLE] Cumulative cpu time consumed by the node in core-seconds
# TYPE node_cpu_usage_seconds_total counter
node_cpu_usage_seconds_total 10.5 1700000000000
# HELP node_memory_working_set_bytes [STABLE] Current working set of the node in bytes
# TYPE node_memory_working_set_bytes gauge
node_memory_working_set_bytes 1.073741824e+09 1700000000000
# HELP pod_cpu_usage_seconds_total [STABLE] Cumulative cpu time consumed by the pod in core-seconds
# TYPE pod_cpu_usage_seconds_total counter
pod_cpu_usage_seconds_total{namespace="default",pod="web"} 2 1700000000000
# HELP resource_scrape_error [STABLE] 1 if there was an error while getting container metrics, 0 otherwise
# TYPE resource_scrape_error gauge
resource_scrape_error 0
`

var t0 = time.Unix(1700000000, 0)

func TestDecode(t *testing.T) {
	web := types.NamespacedName{Namespace: "default", Name: "web"}
	dns := types.NamespacedName{Namespace: "kube-system", Name: "dns"}
	now := time.Unix(1800000000, 0)
	for _, tc := range []struct {
		name string
		in   string
		want *sample
	}{{
		name: "the agent's response",
		in:   kubeletResponse,
		want: &sample{
			node: &point{time: t0, cpu: 10_500_000_000, memory: 1 << 30},
			pods: map[types.NamespacedName]map[string]point{
				web: {
					"nginx":   {start: time.Unix(1600000000, 500_000_000), time: t0, cpu: 1_500_000_000, memory: 2 << 20},
					"sidecar": {start: time.Unix(1600000000, 0), time: t0.Add(100 * time.Millisecond), cpu: 250_000_000, memory: 4096},
				},
				dns: {"app": {start: time.Unix(1600000000, 0), time: t0, cpu: 3_000_000_000, memory: 8192}},
			},
		},
	}, {
		name: "samples without timestamps are taken as of the scrape",
		in: "node_cpu_usage_seconds_total 2\nnode_memory_working_set_bytes 100\n" +
			`container_cpu_usage_seconds_total{container="c",namespace="n",pod="p"} 1` + "\n" +
			`container_memory_working_set_bytes{container="c",namespace="n",pod="p"} 10` + "\n",
		want: &sample{
			node: &point{time: now, cpu: 2_000_000_000, memory: 100},
			pods: map[types.NamespacedName]map[string]point{{Namespace: "n", Name: "p"}: {"c": {time: now, cpu: 1_000_000_000, memory: 10}}},
		},
	}, {
		name: "a node without memory, and a pod with a container without CPU, are dropped",
		in: "node_cpu_usage_seconds_total 2 1700000000000\n" +
			`container_cpu_usage_seconds_total{container="a",namespace="n",pod="p"} 1 1700000000000` + "\n" +
			`container_memory_working_set_bytes{container="a",namespace="n",pod="p"} 10 1700000000000` + "\n" +
			`container_memory_working_set_bytes{container="b",namespace="n",pod="p"} 10 1700000000000` + "\n" +
			`container_cpu_usage_seconds_total{container="a",namespace="n",pod="q"} 1 1700000000000` + "\n" +
			`container_memory_working_set_bytes{container="a",namespace="n",pod="q"} 10 1700000000000` + "\n",
		want: &sample{pods: map[types.NamespacedName]map[string]point{
			{Namespace: "n", Name: "q"}: {"a": {time: t0, cpu: 1_000_000_000, memory: 10}},
		}},
	}, {
		name: "a kubelet with no pods and a scrape error",
		in:   "# TYPE resource_scrape_error gauge\nresource_scrape_error 1\n",
		want: &sample{pods: map[types.NamespacedName]map[string]point{}},
	}} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := decode(strings.NewReader(tc.in), now)
			if err != nil {
				t.Fatalf("decode: %v", err)
			}
			if diff := cmp.Diff(tc.want, got, cmp.AllowUnexported(sample{}, point{})); diff != "" {
				t.Errorf("decode (-want +got):\n%s", diff)
			}
		})
	}
}

func TestDecodeErrors(t *testing.T) {
	for _, in := range []string{
		"node_cpu_usage_seconds_total{ 1\n",
		"node_cpu_usage_seconds_total one\n",
		"<html>not metrics</html>\n",
	} {
		if got, err := decode(strings.NewReader(in), t0); err == nil {
			t.Errorf("decode(%q) = %+v, want an error", in, got)
		}
	}
}

package metrics

import (
	"fmt"
	"io"
	"math"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"k8s.io/apimachinery/pkg/types"
)

// The kubelet's /metrics/resource series that metrics-server reads (the kubelet's
// pkg/kubelet/metrics/collectors/resource_metrics.go); the rest are ignored.
const (
	nodeCPUMetric            = "node_cpu_usage_seconds_total"
	nodeMemoryMetric         = "node_memory_working_set_bytes"
	containerCPUMetric       = "container_cpu_usage_seconds_total"
	containerMemoryMetric    = "container_memory_working_set_bytes"
	containerStartTimeMetric = "container_start_time_seconds"
)

// sample is one node's scrape, decoded.
type sample struct {
	// node is nil when the node's CPU or memory was missing or zero.
	node *point
	pods map[types.NamespacedName]map[string]point
}

// decode reads a /metrics/resource response. A sample without a timestamp is taken as
// of now. As metrics-server, it drops the node's sample unless both its CPU and memory
// are there and non-zero, and a pod's unless every container's are: a zero means the
// kubelet had no value yet, and a rate from it would be wrong.
func decode(in io.Reader, now time.Time) (*sample, error) {
	parser := expfmt.NewTextParser(model.UTF8Validation)
	families, err := parser.TextToMetricFamilies(in)
	if err != nil {
		return nil, fmt.Errorf("parse resource metrics: %w", err)
	}
	out := &sample{pods: map[types.NamespacedName]map[string]point{}}
	var node point
	for _, m := range families[nodeCPUMetric].GetMetric() {
		node.cpu, node.time = cpuNanos(m), timestamp(m, now)
	}
	for _, m := range families[nodeMemoryMetric].GetMetric() {
		node.memory = bytes(m)
		if node.time.IsZero() {
			node.time = timestamp(m, now)
		}
	}
	if node.cpu != 0 && node.memory != 0 {
		out.node = &node
	}

	containers := map[types.NamespacedName]map[string]*point{}
	get := func(m *dto.Metric) *point {
		ref := types.NamespacedName{Namespace: label(m, "namespace"), Name: label(m, "pod")}
		name := label(m, "container")
		if containers[ref] == nil {
			containers[ref] = map[string]*point{}
		}
		if containers[ref][name] == nil {
			containers[ref][name] = &point{}
		}
		return containers[ref][name]
	}
	for _, m := range families[containerCPUMetric].GetMetric() {
		p := get(m)
		p.cpu, p.time = cpuNanos(m), timestamp(m, now)
	}
	for _, m := range families[containerMemoryMetric].GetMetric() {
		p := get(m)
		p.memory = bytes(m)
		if p.time.IsZero() {
			p.time = timestamp(m, now)
		}
	}
	for _, m := range families[containerStartTimeMetric].GetMetric() {
		sec, frac := math.Modf(value(m))
		get(m).start = time.Unix(int64(sec), int64(frac*1e9))
	}
pods:
	for ref, cs := range containers {
		pod := make(map[string]point, len(cs))
		for name, p := range cs {
			if p.cpu == 0 || p.memory == 0 {
				continue pods
			}
			pod[name] = *p
		}
		out.pods[ref] = pod
	}
	return out, nil
}

// cpuNanos converts a counter of core-seconds to core-nanoseconds.
func cpuNanos(m *dto.Metric) uint64 {
	v := value(m)
	if !(v > 0) {
		return 0
	}
	return uint64(v * 1e9)
}

// bytes is a gauge of bytes; a negative or NaN one is no value.
func bytes(m *dto.Metric) uint64 {
	v := value(m)
	if !(v > 0) {
		return 0
	}
	return uint64(v)
}

// value is a sample's value, whatever its declared type.
func value(m *dto.Metric) float64 {
	switch {
	case m.Counter != nil:
		return m.Counter.GetValue()
	case m.Gauge != nil:
		return m.Gauge.GetValue()
	default:
		return m.Untyped.GetValue()
	}
}

func timestamp(m *dto.Metric, now time.Time) time.Time {
	if m.TimestampMs == nil {
		return now
	}
	return time.UnixMilli(m.GetTimestampMs())
}

func label(m *dto.Metric, name string) string {
	for _, l := range m.GetLabel() {
		if l.GetName() == name {
			return l.GetValue()
		}
	}
	return ""
}

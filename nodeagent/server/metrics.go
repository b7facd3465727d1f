package server

import (
	"context"
	"net/http"
	"time"

	"k8s.io/component-base/metrics"
	"k8s.io/klog/v2"
	statsv1alpha1 "k8s.io/kubelet/pkg/apis/stats/v1alpha1"
)

// The metrics of upstream kubelet's /metrics/resource, with their names, help, labels and
// stability levels: metrics-server and `kubectl top` read them.
var (
	nodeCPUUsageDesc = metrics.NewDesc("node_cpu_usage_seconds_total",
		"Cumulative cpu time consumed by the node in core-seconds",
		nil, nil, metrics.STABLE, "")
	nodeMemoryUsageDesc = metrics.NewDesc("node_memory_working_set_bytes",
		"Current working set of the node in bytes",
		nil, nil, metrics.STABLE, "")
	nodeSwapUsageDesc = metrics.NewDesc("node_swap_usage_bytes",
		"Current swap usage of the node in bytes. Reported only on non-windows systems",
		nil, nil, metrics.ALPHA, "")
	containerCPUUsageDesc = metrics.NewDesc("container_cpu_usage_seconds_total",
		"Cumulative cpu time consumed by the container in core-seconds",
		[]string{"container", "pod", "namespace"}, nil, metrics.STABLE, "")
	containerMemoryUsageDesc = metrics.NewDesc("container_memory_working_set_bytes",
		"Current working set of the container in bytes",
		[]string{"container", "pod", "namespace"}, nil, metrics.STABLE, "")
	containerSwapUsageDesc = metrics.NewDesc("container_swap_usage_bytes",
		"Current amount of the container swap usage in bytes. Reported only on non-windows systems",
		[]string{"container", "pod", "namespace"}, nil, metrics.ALPHA, "")
	containerSwapLimitDesc = metrics.NewDesc("container_swap_limit_bytes",
		"Current amount of the container swap limit in bytes. Reported only on non-windows systems",
		[]string{"container", "pod", "namespace"}, nil, metrics.ALPHA, "")
	containerStartTimeDesc = metrics.NewDesc("container_start_time_seconds",
		"Start time of the container since unix epoch in seconds",
		[]string{"container", "pod", "namespace"}, nil, metrics.STABLE, "")
	podCPUUsageDesc = metrics.NewDesc("pod_cpu_usage_seconds_total",
		"Cumulative cpu time consumed by the pod in core-seconds",
		[]string{"pod", "namespace"}, nil, metrics.STABLE, "")
	podMemoryUsageDesc = metrics.NewDesc("pod_memory_working_set_bytes",
		"Current working set of the pod in bytes",
		[]string{"pod", "namespace"}, nil, metrics.STABLE, "")
	podSwapUsageDesc = metrics.NewDesc("pod_swap_usage_bytes",
		"Current amount of the pod swap usage in bytes. Reported only on non-windows systems",
		[]string{"pod", "namespace"}, nil, metrics.ALPHA, "")
	scrapeErrorDesc = metrics.NewDesc("scrape_error",
		"1 if there was an error while getting container metrics, 0 otherwise",
		nil, nil, metrics.ALPHA, "1.29.0")
	resourceScrapeErrorDesc = metrics.NewDesc("resource_scrape_error",
		"1 if there was an error while getting container metrics, 0 otherwise",
		nil, nil, metrics.STABLE, "")
)

// getResourceMetrics serves /metrics/resource from the provider's summary. Each request
// gets its own registry, so that the collector reads the summary with the request's
// context.
func (s *Server) getResourceMetrics(w http.ResponseWriter, req *http.Request) {
	reg := metrics.NewKubeRegistry()
	reg.CustomMustRegister(&resourceCollector{ctx: req.Context(), summary: s.provider.Summary})
	metrics.HandlerFor(reg, metrics.HandlerOpts{ErrorHandling: metrics.ContinueOnError}).ServeHTTP(w, req)
}

// resourceCollector exports a summary's node, pod and container CPU, memory and swap
// usage, and whether the summary could be had.
type resourceCollector struct {
	metrics.BaseStableCollector
	ctx     context.Context
	summary func(context.Context) (*statsv1alpha1.Summary, error)
}

func (c *resourceCollector) DescribeWithStability(ch chan<- *metrics.Desc) {
	for _, d := range []*metrics.Desc{
		nodeCPUUsageDesc, nodeMemoryUsageDesc, nodeSwapUsageDesc,
		containerStartTimeDesc, containerCPUUsageDesc, containerMemoryUsageDesc, containerSwapUsageDesc, containerSwapLimitDesc,
		podCPUUsageDesc, podMemoryUsageDesc, podSwapUsageDesc,
		scrapeErrorDesc, resourceScrapeErrorDesc,
	} {
		ch <- d
	}
}

func (c *resourceCollector) CollectWithStability(ch chan<- metrics.Metric) {
	var scrapeErrors float64
	defer func() {
		ch <- metrics.NewLazyConstMetric(scrapeErrorDesc, metrics.GaugeValue, scrapeErrors)
		ch <- metrics.NewLazyConstMetric(resourceScrapeErrorDesc, metrics.GaugeValue, scrapeErrors)
	}()
	s, err := c.summary(c.ctx)
	if err != nil {
		scrapeErrors = 1
		klog.FromContext(c.ctx).Error(err, "Error getting summary for resourceMetric prometheus endpoint")
		return
	}
	n := s.Node
	if n.CPU != nil && n.CPU.UsageCoreNanoSeconds != nil {
		ch <- metrics.NewLazyMetricWithTimestamp(n.CPU.Time.Time,
			metrics.NewLazyConstMetric(nodeCPUUsageDesc, metrics.CounterValue, seconds(*n.CPU.UsageCoreNanoSeconds)))
	}
	if n.Memory != nil && n.Memory.WorkingSetBytes != nil {
		ch <- metrics.NewLazyMetricWithTimestamp(n.Memory.Time.Time,
			metrics.NewLazyConstMetric(nodeMemoryUsageDesc, metrics.GaugeValue, float64(*n.Memory.WorkingSetBytes)))
	}
	if n.Swap != nil && n.Swap.SwapUsageBytes != nil {
		ch <- metrics.NewLazyMetricWithTimestamp(n.Swap.Time.Time,
			metrics.NewLazyConstMetric(nodeSwapUsageDesc, metrics.GaugeValue, float64(*n.Swap.SwapUsageBytes)))
	}
	for _, p := range s.Pods {
		name, ns := p.PodRef.Name, p.PodRef.Namespace
		for _, ct := range p.Containers {
			if ct.StartTime.Unix() > 0 {
				ch <- metrics.NewLazyConstMetric(containerStartTimeDesc, metrics.GaugeValue,
					float64(ct.StartTime.UnixNano())/float64(time.Second), ct.Name, name, ns)
			}
			if ct.CPU != nil && ct.CPU.UsageCoreNanoSeconds != nil {
				ch <- metrics.NewLazyMetricWithTimestamp(ct.CPU.Time.Time,
					metrics.NewLazyConstMetric(containerCPUUsageDesc, metrics.CounterValue, seconds(*ct.CPU.UsageCoreNanoSeconds), ct.Name, name, ns))
			}
			if ct.Memory != nil && ct.Memory.WorkingSetBytes != nil {
				ch <- metrics.NewLazyMetricWithTimestamp(ct.Memory.Time.Time,
					metrics.NewLazyConstMetric(containerMemoryUsageDesc, metrics.GaugeValue, float64(*ct.Memory.WorkingSetBytes), ct.Name, name, ns))
			}
			if ct.Swap != nil {
				var used float64
				if ct.Swap.SwapUsageBytes != nil {
					used = float64(*ct.Swap.SwapUsageBytes)
					ch <- metrics.NewLazyMetricWithTimestamp(ct.Swap.Time.Time,
						metrics.NewLazyConstMetric(containerSwapUsageDesc, metrics.GaugeValue, used, ct.Name, name, ns))
				}
				if ct.Swap.SwapAvailableBytes != nil {
					ch <- metrics.NewLazyMetricWithTimestamp(ct.Swap.Time.Time,
						metrics.NewLazyConstMetric(containerSwapLimitDesc, metrics.GaugeValue, float64(*ct.Swap.SwapAvailableBytes)+used, ct.Name, name, ns))
				}
			}
		}
		if p.CPU != nil && p.CPU.UsageCoreNanoSeconds != nil {
			ch <- metrics.NewLazyMetricWithTimestamp(p.CPU.Time.Time,
				metrics.NewLazyConstMetric(podCPUUsageDesc, metrics.CounterValue, seconds(*p.CPU.UsageCoreNanoSeconds), name, ns))
		}
		if p.Memory != nil && p.Memory.WorkingSetBytes != nil {
			ch <- metrics.NewLazyMetricWithTimestamp(p.Memory.Time.Time,
				metrics.NewLazyConstMetric(podMemoryUsageDesc, metrics.GaugeValue, float64(*p.Memory.WorkingSetBytes), name, ns))
		}
		if p.Swap != nil && p.Swap.SwapUsageBytes != nil {
			ch <- metrics.NewLazyMetricWithTimestamp(p.Swap.Time.Time,
				metrics.NewLazyConstMetric(podSwapUsageDesc, metrics.GaugeValue, float64(*p.Swap.SwapUsageBytes), name, ns))
		}
	}
}

func seconds(nanos uint64) float64 { return float64(nanos) / float64(time.Second) }

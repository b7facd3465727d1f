// Package metrics serves the resource metrics API, metrics.k8s.io/v1beta1 NodeMetrics
// ("nodes") and PodMetrics ("pods"), from the API server itself: what a Kubernetes
// cluster gets from an aggregated metrics-server, and what `kubectl top` and the
// horizontal pod autoscaler read.
//
// A Scraper asks every node's kubelet API for /metrics/resource (the kubelet's resource
// metrics in the Prometheus text format) through the API server's kubelet client, every
// resolution (15 s by default, metrics-server's --metric-resolution) and in parallel, each
// request bounded to 90% of the resolution. The last two samples of each node and
// container are kept in memory; CPU is served as the rate between them in cores, with the
// window between their timestamps, and memory as the last working set, as metrics-server
// serves them. A node or pod without two samples yet is absent: NotFound for a get,
// missing from a list. Nodes with no kubelet API (kubeshim agent --simulate's, labelled
// kubeshim.io/simulated=true, or reporting kubelet port 0) are not scraped.
//
// The storage is read-only (get and list; label selectors and the metadata.name and
// metadata.namespace field selectors apply to the nodes and pods the metrics are of) and
// converts to tables as metrics-server does, so that `kubectl get nodemetrics` reads well.
//
//	pods := metadatainformer.NewSharedInformerFactory(metadataClient, 0).ForResource(corev1.SchemeGroupVersion.WithResource("pods"))
//	s, err := metrics.New(metrics.Config{Nodes: nodeInformer, Pods: pods, Kubelets: kubelets})
//	storage := s.Storage()     // "nodes" and "pods" for metrics.k8s.io/v1beta1
//	go s.Run(ctx)              // scrapes until ctx is done
package metrics

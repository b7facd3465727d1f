// Package metrics tests the resource metrics API (metrics.k8s.io/v1beta1) of a
// real in-process server: it scrapes a stand-in kubelet on 127.0.0.1 through
// the server's kubelet client, and serves NodeMetrics and PodMetrics to the
// metrics clientset that kubectl top and the HPA use.
package metrics

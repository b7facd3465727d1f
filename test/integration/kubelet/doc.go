// Package kubelet tests the API server's side of the kubelet-backed
// subresources (pods/log, exec, attach, portforward, nodes/proxy) against a
// real in-process server, with a stand-in kubelet API on 127.0.0.1 that
// serves real SPDY streams (k8s.io/cri-streaming).
package kubelet

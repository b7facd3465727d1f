// Package nodeagent is `kubeshim agent`, the node agent (our kubelet): it
// registers the node and keeps its Lease, runs the pods bound to it on
// containerd with CNI networking, and serves the kubelet API on :10250.
// Its parts live in subpackages named after what they do: runtime,
// network, volumes, envvars, logs, images, node, pods and server.
package nodeagent

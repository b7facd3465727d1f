// Package node holds integration tests of the node agent's Node object and
// heartbeat (nodeagent/node) against a real in-process API server: what
// `kubectl get nodes` shows of a registered node, and its lease renewing.
package node

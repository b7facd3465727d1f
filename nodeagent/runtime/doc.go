// Package runtime runs pods on the host's containerd: a network namespace
// and a pause container per pod (the sandbox), and the pod's containers
// joined to the sandbox's namespaces, all in the agent's own containerd
// namespace. It keeps what the agent must know after a restart (which pod,
// which container, which attempt, how it ended) in containerd labels, so a
// restarted agent adopts running containers instead of restarting them.
//
// The runtime knows nothing about the API server: the pod manager
// (nodeagent/pods) decides what should run and asks the runtime to do it.
package runtime

// Package pods is the agent's pod manager: it watches the pods bound to its
// node and drives the runtime towards them, one level-triggered sync per
// pod (sandbox and network, volumes, init containers in order, then the
// app containers, restarts with back-off, graceful termination), and
// writes the pod's status from what the runtime reports.
package pods

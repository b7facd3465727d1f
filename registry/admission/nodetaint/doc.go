// Package nodetaint is the TaintNodesByCondition admission plugin, as
// upstream's: every Node is created with the node.kubernetes.io/not-ready
// NoSchedule taint, so that no pod is scheduled to it before the node
// lifecycle controller has seen it Ready and taken the taint off.
package nodetaint

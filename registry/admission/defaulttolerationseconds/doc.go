// Package defaulttolerationseconds is the DefaultTolerationSeconds
// admission plugin, as upstream's: every pod that does not already tolerate
// the node.kubernetes.io/not-ready or node.kubernetes.io/unreachable
// NoExecute taint (a toleration with that key or no key, and effect
// NoExecute or none) gets a toleration of it for 300 seconds. That is what
// keeps a pod on a node that has gone silent for five minutes before the
// taint-eviction controller deletes it; without it, pods would go the
// moment the node lifecycle controller taints the node.
//
// The seconds are upstream's --default-not-ready-toleration-seconds and
// --default-unreachable-toleration-seconds: Config, given to RegisterWith,
// sets them; Register uses the defaults.
package defaulttolerationseconds

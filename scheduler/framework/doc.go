// Package framework is the scheduling core: the snapshot of nodes and the
// pods assigned to them (NodeInfo, Snapshot), the plugin interfaces
// (PreEnqueue, PreFilter, Filter, PreScore, Score, EnqueueExtensions), the
// registry plugins are built from, and Framework, which runs one scheduling
// pass for a pod over a snapshot: filter the nodes (a fraction of them in
// large clusters, as kube-scheduler's percentageOfNodesToScore), score the
// feasible ones, pick the best, or explain with a FitError why none fits in
// kube-scheduler's words ("0/3 nodes are available: ...").
//
// Nothing here talks to the API server; the scheduler package does.
package framework

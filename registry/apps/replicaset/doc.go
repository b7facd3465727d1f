// Package replicaset stores apps/v1 ReplicaSets (replicasets).
package replicaset

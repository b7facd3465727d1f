// Package replicationcontroller runs the replicaset controller for v1
// ReplicationControllers, as upstream does: a ReplicationController is a
// ReplicaSet with an equality-based selector, so this package only converts
// between the two (the selector map becomes matchLabels) and writes the
// status back in the ReplicationController's own type.
package replicationcontroller

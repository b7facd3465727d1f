// Package replicationcontroller stores core/v1 ReplicationControllers (replicationcontrollers).
package replicationcontroller

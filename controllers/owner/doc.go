// Package owner finds the object a controllerRef names, for the workload
// controllers that manage pods, replica sets or jobs through one.
package owner

// Package scheduling is what the scheduling.k8s.io API group means beyond its
// k8s.io/api types: upstream's defaults for its kinds, registered in the
// server's scheme by Install.
package scheduling

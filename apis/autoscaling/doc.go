// Package autoscaling is what the autoscaling API group means beyond its
// k8s.io/api types: upstream's defaults for its kinds, registered in the
// server's scheme by Install.
package autoscaling

// Package autoscaling holds integration tests of HorizontalPodAutoscalers
// served at autoscaling/v2 and, from the same storage, at autoscaling/v1:
// client-go against a real in-process server with its embedded etcd.
package autoscaling

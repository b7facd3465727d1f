// Package autoscaling is what the autoscaling API group means beyond its
// k8s.io/api types: upstream's defaults and validation for its kinds and the
// conversions between autoscaling/v1 HorizontalPodAutoscalers and the
// autoscaling/v2 hub, registered in the server's scheme by Install.
package autoscaling

// Package horizontalpodautoscaler stores autoscaling/v2 HorizontalPodAutoscalers (horizontalpodautoscalers).
package horizontalpodautoscaler

// Package horizontalpodautoscaler stores HorizontalPodAutoscalers
// (horizontalpodautoscalers) at autoscaling/v2, the storage that serves
// autoscaling/v1 too.
package horizontalpodautoscaler

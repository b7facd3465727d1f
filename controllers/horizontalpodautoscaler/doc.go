// Package horizontalpodautoscaler scales workloads to their metrics, as
// upstream's horizontal pod autoscaler controller (kube-controller-manager's
// horizontal-pod-autoscaler, pkg/controller/podautoscaler) does.
//
// Every HorizontalPodAutoscaler is reconciled when it is created or its spec
// changes, and then every Options.SyncPeriod (15 s). A reconcile reads the
// scale subresource of spec.scaleTargetRef, whatever its kind (Deployment,
// ReplicaSet, StatefulSet, ReplicationController, a custom resource with
// a scale subresource), through a discovery RESTMapper and client-go's
// scale client. A target outside [minReplicas, maxReplicas] is moved to the
// bound without reading metrics. Otherwise each metric proposes a replica
// count and the highest wins:
//
//   - Resource and ContainerResource metrics come from the resource metrics
//     API (metrics.k8s.io PodMetrics): a utilization is the pods' usage over
//     their requests, an average value their mean usage.
//   - Pods and Object metrics come from the custom metrics API
//     (custom.metrics.k8s.io), External ones from the external metrics API
//     (external.metrics.k8s.io), when something serves them.
//
// The usage ratio is taken over the running pods that have a sample; pods
// without one, pending pods, and (for CPU) pods whose samples are suspect
// because they are starting (Options.CPUInitializationPeriod 5 min,
// Options.InitialReadinessDelay 30 s) are then counted in whichever way
// damps the change. A ratio within the tolerance (0.1, or the HPA's
// behavior tolerances) changes nothing.
//
// The proposal is stabilized and rate-limited: without spec.behavior, by
// the highest recommendation of the last Options.DownscaleStabilization
// (5 min) and a scale-up limit of twice the replicas (at least 4); with
// it, by the scale-up and scale-down stabilization windows and the
// policies' rates under selectPolicy. Those windows are kept in memory
// and read an injected clock.
//
// The status (currentReplicas, desiredReplicas, currentMetrics,
// lastScaleTime, observedGeneration) and the conditions AbleToScale,
// ScalingActive, ScalingLimited and ScaledToZero carry upstream's reasons
// and messages, and so do the events (SuccessfulRescale, FailedGetScale,
// FailedGetResourceMetric, FailedComputeMetricsReplicas, ...), so that
// `kubectl describe hpa` reads as on a Kubernetes cluster.
package horizontalpodautoscaler

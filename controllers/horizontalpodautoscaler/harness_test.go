package horizontalpodautoscaler

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	autoscalingv1 "k8s.io/api/autoscaling/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	apimeta "k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/informers"
	k8sfake "k8s.io/client-go/kubernetes/fake"
	scalefake "k8s.io/client-go/scale/fake"
	clienttesting "k8s.io/client-go/testing"
	"k8s.io/client-go/tools/record"
	custommetricsv1beta2 "k8s.io/metrics/pkg/apis/custom_metrics/v1beta2"
	externalmetricsv1beta1 "k8s.io/metrics/pkg/apis/external_metrics/v1beta1"
	metricsv1beta1 "k8s.io/metrics/pkg/apis/metrics/v1beta1"
	metricsfake "k8s.io/metrics/pkg/client/clientset/versioned/fake"
	customfake "k8s.io/metrics/pkg/client/custom_metrics/fake"
	externalfake "k8s.io/metrics/pkg/client/external_metrics/fake"
	clocktesting "k8s.io/utils/clock/testing"
	"k8s.io/utils/ptr"
)

const ns = "default"

// t0 is the tests' now; pods started ten minutes before, past the CPU
// initialization period.
var t0 = time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)

// harness drives a controller against fake clients: a Deployment "web"
// whose scale subresource lives in scale, the pods and pod metrics given,
// and custom and external metrics APIs that answer through customValue and
// externalValues (or are not served, when nil).
type harness struct {
	t        *testing.T
	c        *Controller
	client   *k8sfake.Clientset
	metrics  *metricsfake.Clientset
	recorder *record.FakeRecorder
	clock    *clocktesting.FakePassiveClock
	factory  informers.SharedInformerFactory

	scale       autoscalingv1.Scale
	scaleGetErr error
	scaleUpdErr error
	scaleWrites []int32

	customValue    map[string]int64 // metric name → per-object milli-value
	externalValues map[string][]int64
}

func newHarness(t *testing.T, replicas int32, pods ...*corev1.Pod) *harness {
	t.Helper()
	h := &harness{
		t:        t,
		client:   k8sfake.NewClientset(),
		metrics:  metricsfake.NewSimpleClientset(),
		recorder: record.NewFakeRecorder(100),
		clock:    clocktesting.NewFakePassiveClock(t0),
		scale: autoscalingv1.Scale{
			ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: ns, ResourceVersion: "1"},
			Spec:       autoscalingv1.ScaleSpec{Replicas: replicas},
			Status:     autoscalingv1.ScaleStatus{Replicas: replicas, Selector: "app=web"},
		},
	}
	scales := &scalefake.FakeScaleClient{}
	scales.AddReactor("get", "deployments", func(a clienttesting.Action) (bool, runtime.Object, error) {
		if h.scaleGetErr != nil {
			return true, nil, h.scaleGetErr
		}
		s := h.scale.DeepCopy()
		return true, s, nil
	})
	scales.AddReactor("update", "deployments", func(a clienttesting.Action) (bool, runtime.Object, error) {
		if h.scaleUpdErr != nil {
			return true, nil, h.scaleUpdErr
		}
		s := a.(clienttesting.UpdateAction).GetObject().(*autoscalingv1.Scale)
		h.scaleWrites = append(h.scaleWrites, s.Spec.Replicas)
		h.scale.Spec.Replicas = s.Spec.Replicas
		return true, s.DeepCopy(), nil
	})
	mapper := apimeta.NewDefaultRESTMapper([]schema.GroupVersion{appsv1.SchemeGroupVersion})
	mapper.Add(appsv1.SchemeGroupVersion.WithKind("Deployment"), apimeta.RESTScopeNamespace)

	custom := &customfake.FakeCustomMetricsClient{}
	custom.AddReactor("get", "*", func(a clienttesting.Action) (bool, runtime.Object, error) {
		if h.customValue == nil {
			return true, nil, errors.New("no custom metrics API (custom.metrics.k8s.io) registered")
		}
		get := a.(customfake.GetForActionImpl)
		v, ok := h.customValue[get.GetMetricName()]
		if !ok {
			return true, nil, apierrors.NewNotFound(schema.GroupResource{Group: "custom.metrics.k8s.io", Resource: get.GetMetricName()}, get.GetName())
		}
		item := custommetricsv1beta2.MetricValue{
			Metric:    custommetricsv1beta2.MetricIdentifier{Name: get.GetMetricName()},
			Timestamp: metav1.NewTime(h.clock.Now()),
			Value:     *resource.NewMilliQuantity(v, resource.DecimalSI),
		}
		list := &custommetricsv1beta2.MetricValueList{}
		if get.GetName() != "*" {
			item.DescribedObject = corev1.ObjectReference{Kind: get.GetResource().Resource, Name: get.GetName()}
			list.Items = append(list.Items, item)
			return true, list, nil
		}
		// Per pod: one value for each pod the selector picks.
		pods, _ := h.factory.Core().V1().Pods().Lister().Pods(ns).List(get.GetLabelSelector())
		for _, p := range pods {
			it := item
			it.DescribedObject = corev1.ObjectReference{Kind: "Pod", Name: p.Name}
			list.Items = append(list.Items, it)
		}
		return true, list, nil
	})
	external := &externalfake.FakeExternalMetricsClient{}
	external.AddReactor("list", "*", func(a clienttesting.Action) (bool, runtime.Object, error) {
		name := a.GetResource().Resource
		if h.externalValues == nil {
			return true, nil, apierrors.NewGenericServerResponse(http.StatusNotFound, "get", schema.GroupResource{Group: "external.metrics.k8s.io", Resource: name}, "", "", 0, false)
		}
		list := &externalmetricsv1beta1.ExternalMetricValueList{}
		for _, v := range h.externalValues[name] {
			list.Items = append(list.Items, externalmetricsv1beta1.ExternalMetricValue{MetricName: name, Timestamp: metav1.NewTime(h.clock.Now()), Value: *resource.NewMilliQuantity(v, resource.DecimalSI)})
		}
		return true, list, nil
	})

	h.factory = informers.NewSharedInformerFactory(h.client, 10*time.Minute)
	for _, p := range pods {
		if err := h.factory.Core().V1().Pods().Informer().GetIndexer().Add(p); err != nil {
			t.Fatal(err)
		}
	}
	h.c = newController(h.client, scales, mapper, NewMetricsClient(h.metrics.MetricsV1beta1(), custom, external),
		h.factory.Autoscaling().V2().HorizontalPodAutoscalers(), h.factory.Core().V1().Pods(), Options{}, h.clock, h.recorder)
	return h
}

// noMetricsAPI makes the resource metrics API answer as a server that does
// not serve it.
func (h *harness) noMetricsAPI() {
	h.metrics.PrependReactor("list", "pods", func(clienttesting.Action) (bool, runtime.Object, error) {
		return true, nil, apierrors.NewGenericServerResponse(http.StatusNotFound, "get", schema.GroupResource{Group: "metrics.k8s.io", Resource: "pods"}, "", "", 0, false)
	})
}

// usage publishes pod metrics: each pod's containers use the given CPU
// (milli-cores) and memory (bytes), sampled now over a 30 s window.
func (h *harness) usage(pod string, containers map[string][2]int64) {
	h.t.Helper()
	names := make([]string, 0, len(containers))
	for c := range containers {
		names = append(names, c)
	}
	sort.Strings(names)
	pm := &metricsv1beta1.PodMetrics{
		ObjectMeta: metav1.ObjectMeta{Name: pod, Namespace: ns, Labels: map[string]string{"app": "web"}},
		Timestamp:  metav1.NewTime(h.clock.Now()),
		Window:     metav1.Duration{Duration: 30 * time.Second},
	}
	for _, c := range names {
		u := containers[c]
		pm.Containers = append(pm.Containers, metricsv1beta1.ContainerMetrics{Name: c, Usage: corev1.ResourceList{
			corev1.ResourceCPU:    *resource.NewMilliQuantity(u[0], resource.DecimalSI),
			corev1.ResourceMemory: *resource.NewQuantity(u[1], resource.BinarySI),
		}})
	}
	if err := h.metrics.Tracker().Create(metricsv1beta1.SchemeGroupVersion.WithResource("pods"), pm, ns); err != nil {
		h.t.Fatal(err)
	}
}

// cpu publishes one container "c" per pod at the given milli-cores.
func (h *harness) cpu(milli map[string]int64) {
	h.t.Helper()
	for pod, m := range milli {
		h.usage(pod, map[string][2]int64{"c": {m, 64 << 20}})
	}
}

// create stores the HPA (defaulted as the API server would) and returns it.
func (h *harness) create(hpa *autoscalingv2.HorizontalPodAutoscaler) *autoscalingv2.HorizontalPodAutoscaler {
	h.t.Helper()
	out, err := h.client.AutoscalingV2().HorizontalPodAutoscalers(ns).Create(context.Background(), hpa, metav1.CreateOptions{})
	if err != nil {
		h.t.Fatal(err)
	}
	h.c.tracked.add(out.Namespace, out.Name)
	return out
}

// reconcile runs one reconcile of the stored HPA and returns it as stored
// after, with the error and the events it recorded.
func (h *harness) reconcile(name string) (*autoscalingv2.HorizontalPodAutoscaler, error, []string) {
	h.t.Helper()
	ctx := context.Background()
	hpa, err := h.client.AutoscalingV2().HorizontalPodAutoscalers(ns).Get(ctx, name, metav1.GetOptions{})
	if err != nil {
		h.t.Fatal(err)
	}
	rerr := h.c.reconcile(ctx, hpa, ns+"/"+name)
	out, err := h.client.AutoscalingV2().HorizontalPodAutoscalers(ns).Get(ctx, name, metav1.GetOptions{})
	if err != nil {
		h.t.Fatal(err)
	}
	return out, rerr, h.events()
}

func (h *harness) events() []string {
	var out []string
	for {
		select {
		case e := <-h.recorder.Events:
			out = append(out, e)
		default:
			return out
		}
	}
}

// pod is a running, ready pod of "web" with one container "c" requesting
// cpu (milli-cores) and 128Mi, started ten minutes before t0.
func pod(name string, cpuRequest int64) *corev1.Pod {
	return &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns, Labels: map[string]string{"app": "web"}},
		Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "c", Resources: corev1.ResourceRequirements{Requests: corev1.ResourceList{
			corev1.ResourceCPU:    *resource.NewMilliQuantity(cpuRequest, resource.DecimalSI),
			corev1.ResourceMemory: resource.MustParse("128Mi"),
		}}}}},
		Status: corev1.PodStatus{
			Phase:     corev1.PodRunning,
			StartTime: ptr.To(metav1.NewTime(t0.Add(-10 * time.Minute))),
			Conditions: []corev1.PodCondition{{
				Type: corev1.PodReady, Status: corev1.ConditionTrue, LastTransitionTime: metav1.NewTime(t0.Add(-9 * time.Minute)),
			}},
		},
	}
}

// cpuHPA targets a CPU utilization of web.
func cpuHPA(name string, minReplicas, maxReplicas, utilization int32) *autoscalingv2.HorizontalPodAutoscaler {
	return &autoscalingv2.HorizontalPodAutoscaler{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns, Generation: 1},
		Spec: autoscalingv2.HorizontalPodAutoscalerSpec{
			ScaleTargetRef: autoscalingv2.CrossVersionObjectReference{APIVersion: "apps/v1", Kind: "Deployment", Name: "web"},
			MinReplicas:    ptr.To(minReplicas),
			MaxReplicas:    maxReplicas,
			Metrics: []autoscalingv2.MetricSpec{{Type: autoscalingv2.ResourceMetricSourceType, Resource: &autoscalingv2.ResourceMetricSource{
				Name:   corev1.ResourceCPU,
				Target: autoscalingv2.MetricTarget{Type: autoscalingv2.UtilizationMetricType, AverageUtilization: ptr.To(utilization)},
			}}},
		},
	}
}

// condition returns "Status Reason: Message" of a condition, or "".
func condition(hpa *autoscalingv2.HorizontalPodAutoscaler, t autoscalingv2.HorizontalPodAutoscalerConditionType) string {
	for _, c := range hpa.Status.Conditions {
		if c.Type == t {
			return fmt.Sprintf("%s %s: %s", c.Status, c.Reason, c.Message)
		}
	}
	return ""
}

func conditions(hpa *autoscalingv2.HorizontalPodAutoscaler) map[string]string {
	out := map[string]string{}
	for _, c := range hpa.Status.Conditions {
		out[string(c.Type)] = condition(hpa, c.Type)
	}
	return out
}

func hasPrefix(s []string, prefix string) bool {
	for _, e := range s {
		if strings.HasPrefix(e, prefix) {
			return true
		}
	}
	return false
}

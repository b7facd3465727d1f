package controllers

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	apiextensions "k8s.io/apiextensions-apiserver/pkg/client/clientset/clientset"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/utils/ptr"

	"github.com/kubeshim/kubeshim/test/integration/framework"
)

// The in-process server runs no agent: pods stay Pending and have no
// samples in the resource metrics API, so these tests cover what the
// autoscaler does without metrics.

func cpuAutoscaler(name string, target autoscalingv2.CrossVersionObjectReference, minReplicas, maxReplicas int32) *autoscalingv2.HorizontalPodAutoscaler {
	return &autoscalingv2.HorizontalPodAutoscaler{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec: autoscalingv2.HorizontalPodAutoscalerSpec{
			ScaleTargetRef: target,
			MinReplicas:    ptr.To(minReplicas),
			MaxReplicas:    maxReplicas,
			Metrics: []autoscalingv2.MetricSpec{{Type: autoscalingv2.ResourceMetricSourceType, Resource: &autoscalingv2.ResourceMetricSource{
				Name:   corev1.ResourceCPU,
				Target: autoscalingv2.MetricTarget{Type: autoscalingv2.UtilizationMetricType, AverageUtilization: ptr.To[int32](50)},
			}}},
		},
	}
}

var webDeployment = autoscalingv2.CrossVersionObjectReference{APIVersion: "apps/v1", Kind: "Deployment", Name: "web"}

// waitForHPA polls the HPA until done accepts it.
func waitForHPA(t *testing.T, client kubernetes.Interface, ns, name string, timeout time.Duration, done func(*autoscalingv2.HorizontalPodAutoscaler) error) *autoscalingv2.HorizontalPodAutoscaler {
	t.Helper()
	var hpa *autoscalingv2.HorizontalPodAutoscaler
	var last error
	err := wait.PollUntilContextTimeout(context.Background(), 100*time.Millisecond, timeout, true, func(ctx context.Context) (bool, error) {
		var err error
		hpa, err = client.AutoscalingV2().HorizontalPodAutoscalers(ns).Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			return false, err
		}
		last = done(hpa)
		return last == nil, nil
	})
	if err != nil {
		t.Fatalf("HPA %s: %v (last: %v)\nstatus: %+v", name, err, last, hpa.Status)
	}
	return hpa
}

func hpaCondition(hpa *autoscalingv2.HorizontalPodAutoscaler, t autoscalingv2.HorizontalPodAutoscalerConditionType) *autoscalingv2.HorizontalPodAutoscalerCondition {
	for i := range hpa.Status.Conditions {
		if hpa.Status.Conditions[i].Type == t {
			return &hpa.Status.Conditions[i]
		}
	}
	return nil
}

// hpaEvents returns "Type Reason Message" of the events about an HPA.
func hpaEvents(t *testing.T, client kubernetes.Interface, ns, name string) []string {
	t.Helper()
	list, err := client.CoreV1().Events(ns).List(context.Background(), metav1.ListOptions{
		FieldSelector: fields.Set{"involvedObject.kind": "HorizontalPodAutoscaler", "involvedObject.name": name}.String(),
	})
	if err != nil {
		t.Fatalf("list events: %v", err)
	}
	var out []string
	for _, e := range list.Items {
		if e.Source.Component != "horizontal-pod-autoscaler" {
			t.Errorf("event %s from %q, want horizontal-pod-autoscaler", e.Reason, e.Source.Component)
		}
		out = append(out, e.Type+" "+e.Reason+" "+e.Message)
	}
	return out
}

func waitForEvent(t *testing.T, client kubernetes.Interface, ns, name, prefix string) []string {
	t.Helper()
	var events []string
	err := wait.PollUntilContextTimeout(context.Background(), 100*time.Millisecond, 30*time.Second, true, func(context.Context) (bool, error) {
		events = hpaEvents(t, client, ns, name)
		for _, e := range events {
			if strings.HasPrefix(e, prefix) {
				return true, nil
			}
		}
		return false, nil
	})
	if err != nil {
		t.Fatalf("no event %q about HPA %s; events: %q", prefix, name, events)
	}
	return events
}

func TestHPAWithoutMetricsIsNotActive(t *testing.T) {
	client, ns := deploymentClients(t)
	createDeployment(t, client, ns, 2)
	if _, err := client.AutoscalingV2().HorizontalPodAutoscalers(ns).Create(context.Background(), cpuAutoscaler("web", webDeployment, 1, 5), metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	const prefix = "the HPA was unable to compute the replica count: failed to get cpu utilization: unable to get metrics for resource cpu: "
	hpa := waitForHPA(t, client, ns, "web", 30*time.Second, func(hpa *autoscalingv2.HorizontalPodAutoscaler) error {
		c := hpaCondition(hpa, autoscalingv2.ScalingActive)
		if c == nil || c.Status != corev1.ConditionFalse || c.Reason != "FailedGetResourceMetric" {
			return fmt.Errorf("ScalingActive = %+v", c)
		}
		return nil
	})
	active := hpaCondition(hpa, autoscalingv2.ScalingActive)
	t.Logf("ScalingActive: %s", active.Message)
	if !strings.HasPrefix(active.Message, prefix) {
		t.Errorf("ScalingActive message = %q, want it to start with %q", active.Message, prefix)
	}
	if c := hpaCondition(hpa, autoscalingv2.AbleToScale); c == nil || c.Status != corev1.ConditionTrue || c.Reason != "SucceededGetScale" ||
		c.Message != "the HPA controller was able to get the target's current scale" {
		t.Errorf("AbleToScale = %+v", c)
	}
	if hpa.Status.CurrentReplicas != 2 || hpa.Status.LastScaleTime != nil {
		t.Errorf("status: currentReplicas %d, lastScaleTime %v; want 2 and none", hpa.Status.CurrentReplicas, hpa.Status.LastScaleTime)
	}
	if g := hpa.Status.ObservedGeneration; g == nil || *g != hpa.Generation {
		t.Errorf("observedGeneration = %v, want %d", g, hpa.Generation)
	}
	waitForEvent(t, client, ns, "web", "Warning FailedGetResourceMetric failed to get cpu utilization: unable to get metrics for resource cpu: ")
	waitForEvent(t, client, ns, "web", "Warning FailedComputeMetricsReplicas invalid metrics (1 invalid out of 1), first error is: failed to get cpu resource metric value: ")
	d, err := client.AppsV1().Deployments(ns).Get(context.Background(), "web", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if *d.Spec.Replicas != 2 {
		t.Errorf("deployment replicas = %d, want 2 (untouched)", *d.Spec.Replicas)
	}
}

func TestHPAScalesUpToMinReplicasWithoutMetrics(t *testing.T) {
	client, ns := deploymentClients(t)
	createDeployment(t, client, ns, 1)
	if _, err := client.AutoscalingV2().HorizontalPodAutoscalers(ns).Create(context.Background(), cpuAutoscaler("web", webDeployment, 3, 5), metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	hpa := waitForHPA(t, client, ns, "web", 30*time.Second, func(hpa *autoscalingv2.HorizontalPodAutoscaler) error {
		if hpa.Status.DesiredReplicas != 3 || hpa.Status.LastScaleTime == nil {
			return fmt.Errorf("desiredReplicas %d, lastScaleTime %v", hpa.Status.DesiredReplicas, hpa.Status.LastScaleTime)
		}
		return nil
	})
	if c := hpaCondition(hpa, autoscalingv2.AbleToScale); c == nil || c.Reason != "SucceededRescale" ||
		c.Message != "the HPA controller was able to update the target scale to 3" {
		t.Errorf("AbleToScale = %+v", c)
	}
	d, err := client.AppsV1().Deployments(ns).Get(context.Background(), "web", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if *d.Spec.Replicas != 3 {
		t.Errorf("deployment replicas = %d, want 3", *d.Spec.Replicas)
	}
	waitForEvent(t, client, ns, "web", "Normal SuccessfulRescale New size: 3; reason: Current number of replicas below Spec.MinReplicas")
	// The deployment controller acts on it: three pods.
	err = wait.PollUntilContextTimeout(context.Background(), 100*time.Millisecond, 30*time.Second, true, func(ctx context.Context) (bool, error) {
		pods, err := client.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{LabelSelector: "app=web"})
		return err == nil && len(pods.Items) == 3, nil
	})
	if err != nil {
		t.Errorf("the deployment did not get 3 pods: %v", err)
	}
}

// TestHPAScalesAnyScaleSubresource scales down, to maxReplicas, a
// StatefulSet and a custom resource with a scale subresource: the
// controller finds them through discovery.
func TestHPAScalesAnyScaleSubresource(t *testing.T) {
	cfg := framework.Shared(t)
	client := kubernetes.NewForConfigOrDie(cfg)
	ns := framework.Namespace(t, client)
	ctx := context.Background()

	t.Run("statefulset", func(t *testing.T) {
		tmpl := template("db")
		_, err := client.AppsV1().StatefulSets(ns).Create(ctx, &appsv1.StatefulSet{
			ObjectMeta: metav1.ObjectMeta{Name: "db"},
			Spec: appsv1.StatefulSetSpec{
				Replicas: ptr.To[int32](4),
				Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": "db"}},
				Template: tmpl,
			},
		}, metav1.CreateOptions{})
		if err != nil {
			t.Fatal(err)
		}
		ref := autoscalingv2.CrossVersionObjectReference{APIVersion: "apps/v1", Kind: "StatefulSet", Name: "db"}
		if _, err := client.AutoscalingV2().HorizontalPodAutoscalers(ns).Create(ctx, cpuAutoscaler("db", ref, 1, 2), metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
		waitForHPA(t, client, ns, "db", 30*time.Second, func(hpa *autoscalingv2.HorizontalPodAutoscaler) error {
			if hpa.Status.DesiredReplicas != 2 {
				return fmt.Errorf("desiredReplicas %d", hpa.Status.DesiredReplicas)
			}
			return nil
		})
		s, err := client.AppsV1().StatefulSets(ns).Get(ctx, "db", metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if *s.Spec.Replicas != 2 {
			t.Errorf("statefulset replicas = %d, want 2", *s.Spec.Replicas)
		}
		waitForEvent(t, client, ns, "db", "Normal SuccessfulRescale New size: 2; reason: Current number of replicas above Spec.MaxReplicas")
	})

	t.Run("custom resource", func(t *testing.T) {
		ext := apiextensions.NewForConfigOrDie(cfg)
		crd := &apiextensionsv1.CustomResourceDefinition{
			ObjectMeta: metav1.ObjectMeta{Name: "workers.hpa.example.com"},
			Spec: apiextensionsv1.CustomResourceDefinitionSpec{
				Group: "hpa.example.com",
				Names: apiextensionsv1.CustomResourceDefinitionNames{Plural: "workers", Singular: "worker", Kind: "Worker", ListKind: "WorkerList"},
				Scope: apiextensionsv1.NamespaceScoped,
				Versions: []apiextensionsv1.CustomResourceDefinitionVersion{{
					Name: "v1", Served: true, Storage: true,
					Schema: &apiextensionsv1.CustomResourceValidation{OpenAPIV3Schema: &apiextensionsv1.JSONSchemaProps{
						Type: "object", XPreserveUnknownFields: ptr.To(true),
					}},
					Subresources: &apiextensionsv1.CustomResourceSubresources{
						Status: &apiextensionsv1.CustomResourceSubresourceStatus{},
						Scale: &apiextensionsv1.CustomResourceSubresourceScale{
							SpecReplicasPath: ".spec.replicas", StatusReplicasPath: ".status.replicas", LabelSelectorPath: ptr.To(".status.selector"),
						},
					},
				}},
			},
		}
		if _, err := ext.ApiextensionsV1().CustomResourceDefinitions().Create(ctx, crd, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			_ = ext.ApiextensionsV1().CustomResourceDefinitions().Delete(context.Background(), crd.Name, metav1.DeleteOptions{})
		})
		gvr := schema.GroupVersionResource{Group: "hpa.example.com", Version: "v1", Resource: "workers"}
		dyn := dynamic.NewForConfigOrDie(cfg)
		w := &unstructured.Unstructured{Object: map[string]any{
			"apiVersion": "hpa.example.com/v1", "kind": "Worker",
			"metadata": map[string]any{"name": "w"},
			"spec":     map[string]any{"replicas": int64(6)},
		}}
		// The CRD is served a moment after it is created.
		err := wait.PollUntilContextTimeout(ctx, 100*time.Millisecond, 30*time.Second, true, func(ctx context.Context) (bool, error) {
			_, err := dyn.Resource(gvr).Namespace(ns).Create(ctx, w, metav1.CreateOptions{})
			return err == nil, nil
		})
		if err != nil {
			t.Fatalf("create worker: %v", err)
		}
		ref := autoscalingv2.CrossVersionObjectReference{APIVersion: "hpa.example.com/v1", Kind: "Worker", Name: "w"}
		if _, err := client.AutoscalingV2().HorizontalPodAutoscalers(ns).Create(ctx, cpuAutoscaler("w", ref, 1, 4), metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
		// The controller's discovery is refreshed every 30 s, and the
		// HPA retried every 15 s: a kind installed just now may take
		// both to be found.
		waitForHPA(t, client, ns, "w", 90*time.Second, func(hpa *autoscalingv2.HorizontalPodAutoscaler) error {
			if hpa.Status.DesiredReplicas != 4 {
				return fmt.Errorf("desiredReplicas %d, conditions %+v", hpa.Status.DesiredReplicas, hpa.Status.Conditions)
			}
			return nil
		})
		got, err := dyn.Resource(gvr).Namespace(ns).Get(ctx, "w", metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if r, _, _ := unstructured.NestedInt64(got.Object, "spec", "replicas"); r != 4 {
			t.Errorf("worker spec.replicas = %d, want 4", r)
		}
	})
}

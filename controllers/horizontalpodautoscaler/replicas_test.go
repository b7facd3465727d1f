package horizontalpodautoscaler

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/utils/ptr"
)

// Pod variants.

// neverReady is a pod whose readiness went False 5 s after it started and
// stayed so: it has never been ready.
func neverReady(p *corev1.Pod) *corev1.Pod {
	p.Status.Conditions[0].Status = corev1.ConditionFalse
	p.Status.Conditions[0].LastTransitionTime = metav1.NewTime(p.Status.StartTime.Add(5 * time.Second))
	return p
}

// turnedUnready is a pod that was ready and went unready two minutes ago.
func turnedUnready(p *corev1.Pod) *corev1.Pod {
	p.Status.Conditions[0].Status = corev1.ConditionFalse
	p.Status.Conditions[0].LastTransitionTime = metav1.NewTime(t0.Add(-2 * time.Minute))
	return p
}

// starting is a pod started a minute ago (within the CPU initialization
// period) that became ready readyFor ago.
func starting(readyFor time.Duration) func(*corev1.Pod) *corev1.Pod {
	return func(p *corev1.Pod) *corev1.Pod {
		p.Status.StartTime = ptr.To(metav1.NewTime(t0.Add(-time.Minute)))
		p.Status.Conditions[0].LastTransitionTime = metav1.NewTime(t0.Add(-readyFor))
		return p
	}
}

func pending(p *corev1.Pod) *corev1.Pod {
	p.Status.Phase = corev1.PodPending
	p.Status.Conditions = nil
	return p
}

func deleted(p *corev1.Pod) *corev1.Pod {
	p.DeletionTimestamp = ptr.To(metav1.NewTime(t0))
	return p
}

func failed(p *corev1.Pod) *corev1.Pod {
	p.Status.Phase = corev1.PodFailed
	return p
}

func noCPURequest(p *corev1.Pod) *corev1.Pod {
	delete(p.Spec.Containers[0].Resources.Requests, corev1.ResourceCPU)
	return p
}

func withSidecar(p *corev1.Pod) *corev1.Pod {
	p.Spec.Containers = append(p.Spec.Containers, corev1.Container{Name: "sidecar", Resources: corev1.ResourceRequirements{Requests: corev1.ResourceList{
		corev1.ResourceCPU: resource.MustParse("100m"),
	}}})
	return p
}

func podLevelRequest(cpu string) func(*corev1.Pod) *corev1.Pod {
	return func(p *corev1.Pod) *corev1.Pod {
		p.Spec.Resources = &corev1.ResourceRequirements{Requests: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse(cpu)}}
		return p
	}
}

func pods1000m(names string, mods ...map[string]func(*corev1.Pod) *corev1.Pod) []*corev1.Pod {
	var out []*corev1.Pod
	for _, n := range strings.Fields(names) {
		p := pod(n, 1000)
		for _, m := range mods {
			if f, ok := m[n]; ok {
				p = f(p)
			}
		}
		out = append(out, p)
	}
	return out
}

func TestResourceReplicas(t *testing.T) {
	type mods = map[string]func(*corev1.Pod) *corev1.Pod
	const mi = int64(1 << 20)
	cases := []struct {
		name        string
		pods        []*corev1.Pod
		cpu         map[string]int64    // pod → milli-cores of container c
		containers  map[string][2]int64 // pod's other per-container usage, when set
		resource    corev1.ResourceName
		container   string
		current     int32
		target      int32
		want        int32
		wantUtil    int32
		wantRaw     int64
		wantErr     string
		memoryUsage int64
	}{{
		name: "usage above target scales up by the ratio",
		pods: pods1000m("a b c"), cpu: map[string]int64{"a": 900, "b": 900, "c": 900},
		current: 3, target: 30, want: 9, wantUtil: 90, wantRaw: 900,
	}, {
		name: "within the tolerance nothing changes",
		pods: pods1000m("a b c"), cpu: map[string]int64{"a": 540, "b": 540, "c": 540},
		current: 3, target: 50, want: 3, wantUtil: 54, wantRaw: 540,
	}, {
		name: "usage below target scales down",
		pods: pods1000m("a b c"), cpu: map[string]int64{"a": 100, "b": 100, "c": 100},
		current: 3, target: 50, want: 1, wantUtil: 10, wantRaw: 100,
	}, {
		name: "on a scale-down a pod without metrics uses its whole request",
		pods: pods1000m("a b c d"), cpu: map[string]int64{"a": 100, "b": 100, "c": 100},
		current: 4, target: 50, want: 3, wantUtil: 10, wantRaw: 100,
	}, {
		name: "on a scale-up a pod without metrics uses nothing",
		pods: pods1000m("a b c"), cpu: map[string]int64{"a": 900, "b": 900},
		current: 3, target: 50, want: 4, wantUtil: 90, wantRaw: 900,
	}, {
		name: "a missing pod that would reverse the direction keeps the count",
		pods: pods1000m("a b c"), cpu: map[string]int64{"a": 200, "b": 200},
		current: 3, target: 25, want: 3, wantUtil: 20, wantRaw: 200,
	}, {
		name: "on a scale-up an unready pod uses nothing",
		pods: pods1000m("a b c", mods{"c": neverReady}), cpu: map[string]int64{"a": 900, "b": 900, "c": 900},
		current: 3, target: 50, want: 4, wantUtil: 90, wantRaw: 900,
	}, {
		name: "on a scale-down an unready pod is left out",
		pods: pods1000m("a b c", mods{"c": neverReady}), cpu: map[string]int64{"a": 100, "b": 100, "c": 900},
		current: 3, target: 50, want: 1, wantUtil: 10, wantRaw: 100,
	}, {
		name: "a pending pod is unready",
		pods: pods1000m("a b c", mods{"c": pending}), cpu: map[string]int64{"a": 100, "b": 100},
		current: 3, target: 50, want: 1, wantUtil: 10, wantRaw: 100,
	}, {
		name: "deleted and failed pods are ignored",
		pods: pods1000m("a b c d", mods{"c": deleted, "d": failed}), cpu: map[string]int64{"a": 100, "b": 100, "c": 900, "d": 900},
		current: 4, target: 50, want: 1, wantUtil: 10, wantRaw: 100,
	}, {
		name: "a starting pod's sample taken within a window of its readiness is unready",
		pods: pods1000m("a b c", mods{"c": starting(10 * time.Second)}), cpu: map[string]int64{"a": 900, "b": 900, "c": 2000},
		current: 3, target: 50, want: 4, wantUtil: 90, wantRaw: 900,
	}, {
		name: "a starting pod's sample taken a window after its readiness counts",
		pods: pods1000m("a b c", mods{"c": starting(40 * time.Second)}), cpu: map[string]int64{"a": 900, "b": 900, "c": 900},
		current: 3, target: 50, want: 6, wantUtil: 90, wantRaw: 900,
	}, {
		name: "a pod that was ready and is not any more counts after the initialization period",
		pods: pods1000m("a b c", mods{"c": turnedUnready}), cpu: map[string]int64{"a": 900, "b": 900, "c": 900},
		current: 3, target: 50, want: 6, wantUtil: 90, wantRaw: 900,
	}, {
		name: "readiness does not matter to memory",
		pods: pods1000m("a b c", mods{"c": neverReady}), memoryUsage: 64 * mi, resource: corev1.ResourceMemory,
		current: 3, target: 25, want: 6, wantUtil: 50, wantRaw: 64 * mi * 1000,
	}, {
		name: "one container's utilization",
		pods: pods1000m("a b", mods{"a": withSidecar, "b": withSidecar}), container: "c",
		containers: map[string][2]int64{"c": {900, 0}, "sidecar": {10, 0}},
		current:    2, target: 30, want: 6, wantUtil: 90, wantRaw: 900,
	}, {
		name:       "the pod's utilization sums its containers",
		pods:       pods1000m("a b", mods{"a": withSidecar, "b": withSidecar}),
		containers: map[string][2]int64{"c": {900, 0}, "sidecar": {10, 0}},
		current:    2, target: 82, want: 2, wantUtil: 82, wantRaw: 910,
	}, {
		name: "a pod-level request wins over the containers'",
		pods: pods1000m("a b", mods{"a": podLevelRequest("2"), "b": podLevelRequest("2")}), cpu: map[string]int64{"a": 1000, "b": 1000},
		current: 2, target: 25, want: 4, wantUtil: 50, wantRaw: 1000,
	}, {
		name: "a container without a request fails",
		pods: pods1000m("a b", mods{"b": noCPURequest}), cpu: map[string]int64{"a": 900, "b": 900},
		current: 2, target: 50, wantErr: "missing request for cpu in container c of Pod b",
	}, {
		name: "a container a pod lacks fails",
		pods: pods1000m("a b", mods{"a": withSidecar}), container: "sidecar",
		containers: map[string][2]int64{"c": {900, 0}, "sidecar": {10, 0}},
		current:    2, target: 50, wantErr: "container sidecar not found in Pod b",
	}, {
		name:    "no metrics at all",
		pods:    pods1000m("a b"),
		current: 2, target: 50, wantErr: "unable to get metrics for resource cpu: no metrics returned from resource metrics API",
	}, {
		name: "only unready pods have metrics",
		pods: pods1000m("a b", mods{"a": neverReady, "b": neverReady}), cpu: map[string]int64{"a": 900, "b": 900},
		current: 2, target: 50, wantErr: "did not receive metrics for targeted pods (pods might be unready)",
	}}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, tc.current, tc.pods...)
			h.cpu(tc.cpu)
			for _, p := range tc.pods {
				switch {
				case tc.containers != nil:
					h.usage(p.Name, tc.containers)
				case tc.memoryUsage != 0:
					h.usage(p.Name, map[string][2]int64{"c": {1, tc.memoryUsage}})
				}
			}
			res := tc.resource
			if res == "" {
				res = corev1.ResourceCPU
			}
			got, util, raw, ts, err := h.c.calc.resourceReplicas(context.Background(), tc.current, tc.target, res, tolerances{0.1, 0.1},
				ns, labels.SelectorFromSet(labels.Set{"app": "web"}), tc.container)
			if tc.wantErr != "" {
				if err == nil || err.Error() != tc.wantErr {
					t.Fatalf("error = %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			type result struct {
				Replicas, Utilization int32
				Raw                   int64
				Timestamp             time.Time
			}
			if diff := cmp.Diff(result{tc.want, tc.wantUtil, tc.wantRaw, t0}, result{got, util, raw, ts}); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestPlainReplicas(t *testing.T) {
	type mods = map[string]func(*corev1.Pod) *corev1.Pod
	cases := []struct {
		name      string
		pods      []*corev1.Pod
		usage     map[string]int64
		current   int32
		target    int64
		want      int32
		wantUsage int64
	}{{
		name: "average above target", pods: pods1000m("a b"), usage: map[string]int64{"a": 300, "b": 500},
		current: 2, target: 200, want: 4, wantUsage: 400,
	}, {
		name: "within tolerance", pods: pods1000m("a b"), usage: map[string]int64{"a": 210, "b": 210},
		current: 2, target: 200, want: 2, wantUsage: 210,
	}, {
		name: "on a scale-down a pod without a value uses the target", pods: pods1000m("a b c d"), usage: map[string]int64{"a": 50, "b": 50, "c": 50},
		// (50*3 + 200) / 4 = 87 → 0.4375 * 4 → 2
		current: 4, target: 200, want: 2, wantUsage: 50,
	}, {
		name: "readiness does not matter to custom metrics", pods: pods1000m("a b", mods{"b": neverReady}), usage: map[string]int64{"a": 400, "b": 400},
		current: 2, target: 200, want: 4, wantUsage: 400,
	}}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, tc.current, tc.pods...)
			m := podMetrics{}
			for p, v := range tc.usage {
				m[p] = podMetric{Value: v, Timestamp: t0, Window: time.Minute}
			}
			got, usage, err := h.c.calc.plainReplicas(m, tc.current, tc.target, tolerances{0.1, 0.1}, ns, labels.SelectorFromSet(labels.Set{"app": "web"}), "")
			if err != nil {
				t.Fatal(err)
			}
			if got != tc.want || usage != tc.wantUsage {
				t.Errorf("replicas, usage = %d, %d; want %d, %d", got, usage, tc.want, tc.wantUsage)
			}
		})
	}
}

var crossRef = autoscalingv2.CrossVersionObjectReference{APIVersion: "networking.k8s.io/v1", Kind: "Ingress", Name: "main"}

func TestObjectAndExternalReplicas(t *testing.T) {
	ctx := context.Background()
	sel := labels.SelectorFromSet(labels.Set{"app": "web"})
	tol := tolerances{0.1, 0.1}
	t.Run("object value scales the ready pods", func(t *testing.T) {
		h := newHarness(t, 3, pods1000m("a b c", map[string]func(*corev1.Pod) *corev1.Pod{"c": pending})...)
		h.customValue = map[string]int64{"requests-per-second": 3000}
		got, usage, _, err := h.c.calc.objectReplicas(ctx, 3, 1000, "requests-per-second", tol, ns, &crossRef, sel, labels.Everything())
		if err != nil {
			t.Fatal(err)
		}
		// ratio 3 over the 2 ready pods.
		if got != 6 || usage != 3000 {
			t.Errorf("replicas, usage = %d, %d; want 6, 3000", got, usage)
		}
	})
	t.Run("from zero replicas the ratio is the count", func(t *testing.T) {
		h := newHarness(t, 0)
		h.customValue = map[string]int64{"queue": 2500}
		got, _, _, err := h.c.calc.objectReplicas(ctx, 0, 1000, "queue", tol, ns, &crossRef, sel, labels.Everything())
		if err != nil || got != 3 {
			t.Errorf("replicas = %d, %v; want 3", got, err)
		}
	})
	t.Run("object average value per pod", func(t *testing.T) {
		h := newHarness(t, 2)
		h.customValue = map[string]int64{"queue": 5000}
		got, usage, _, err := h.c.calc.objectPerPodReplicas(ctx, 2, 1000, "queue", tol, ns, &crossRef, labels.Everything())
		if err != nil || got != 5 || usage != 2500 {
			t.Errorf("replicas, usage = %d, %d, %v; want 5, 2500", got, usage, err)
		}
	})
	t.Run("external values are summed", func(t *testing.T) {
		h := newHarness(t, 2, pods1000m("a b")...)
		h.externalValues = map[string][]int64{"queue_depth": {1500, 2500}}
		got, usage, _, err := h.c.calc.externalReplicas(ctx, 2, 1000, "queue_depth", tol, ns, nil, sel)
		if err != nil || got != 8 || usage != 4000 {
			t.Errorf("replicas, usage = %d, %d, %v; want 8, 4000", got, usage, err)
		}
		got, usage, _, err = h.c.calc.externalPerPodReplicas(ctx, 2, 1000, "queue_depth", tol, ns, nil)
		if err != nil || got != 4 || usage != 2000 {
			t.Errorf("per pod: replicas, usage = %d, %d, %v; want 4, 2000", got, usage, err)
		}
	})
	t.Run("external metrics not served", func(t *testing.T) {
		h := newHarness(t, 2, pods1000m("a b")...)
		_, _, _, err := h.c.calc.externalReplicas(ctx, 2, 1000, "queue_depth", tol, ns, nil, sel)
		want := "unable to get external metric default/queue_depth/nil: unable to fetch metrics from external metrics API: the server could not find the requested resource (get queue_depth.external.metrics.k8s.io)"
		if err == nil || err.Error() != want {
			t.Errorf("error = %v\nwant %s", err, want)
		}
	})
}

package horizontalpodautoscaler

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	clocktesting "k8s.io/utils/clock/testing"
	"k8s.io/utils/ptr"

	"github.com/kubeshim/kubeshim/apis/autoscaling"
)

// behavior is a defaulted behavior (as the API server stores it) with the
// given changes.
func behavior(modify func(b *autoscalingv2.HorizontalPodAutoscalerBehavior)) *autoscalingv2.HorizontalPodAutoscalerBehavior {
	hpa := &autoscalingv2.HorizontalPodAutoscaler{Spec: autoscalingv2.HorizontalPodAutoscalerSpec{
		Behavior: &autoscalingv2.HorizontalPodAutoscalerBehavior{},
	}}
	autoscaling.SetObjectDefaultsHorizontalPodAutoscaler(hpa)
	if modify != nil {
		modify(hpa.Spec.Behavior)
	}
	return hpa.Spec.Behavior
}

func policies(select_ autoscalingv2.ScalingPolicySelect, ps ...autoscalingv2.HPAScalingPolicy) *autoscalingv2.HPAScalingRules {
	return &autoscalingv2.HPAScalingRules{SelectPolicy: &select_, Policies: ps}
}

func pods(n, period int32) autoscalingv2.HPAScalingPolicy {
	return autoscalingv2.HPAScalingPolicy{Type: autoscalingv2.PodsScalingPolicy, Value: n, PeriodSeconds: period}
}

func percent(n, period int32) autoscalingv2.HPAScalingPolicy {
	return autoscalingv2.HPAScalingPolicy{Type: autoscalingv2.PercentScalingPolicy, Value: n, PeriodSeconds: period}
}

func TestNormalize(t *testing.T) {
	type rec struct {
		replicas int32
		age      time.Duration
	}
	type event struct {
		change int32
		age    time.Duration
	}
	cases := []struct {
		name                  string
		behavior              *autoscalingv2.HorizontalPodAutoscalerBehavior
		recs                  []rec
		ups, downs            []event
		current, proposal     int32
		minReplicas, maxRepl  int32
		want                  int32
		wantAble, wantLimited string
	}{{
		name: "without behavior a recent higher recommendation holds a scale-down",
		recs: []rec{{5, 4 * time.Minute}, {9, 6 * time.Minute}}, current: 5, proposal: 2, minReplicas: 1, maxRepl: 10, want: 5,
		wantAble:    "True ScaleDownStabilized: recent recommendations were higher than current one, applying the highest recent recommendation",
		wantLimited: "False DesiredWithinRange: the desired count is within the acceptable range",
	}, {
		name: "without behavior recommendations older than the window do not count",
		recs: []rec{{9, 6 * time.Minute}}, current: 5, proposal: 2, minReplicas: 1, maxRepl: 10, want: 2,
		wantAble:    "True ReadyForNewScale: recommended size matches current size",
		wantLimited: "False DesiredWithinRange: the desired count is within the acceptable range",
	}, {
		name:    "without behavior a scale-up goes to 4 at most from 1",
		current: 1, proposal: 10, minReplicas: 1, maxRepl: 20, want: 4,
		wantAble:    "True ReadyForNewScale: recommended size matches current size",
		wantLimited: "True ScaleUpLimit: the desired replica count is increasing faster than the maximum scale rate",
	}, {
		name:    "without behavior a scale-up at most doubles",
		current: 5, proposal: 30, minReplicas: 1, maxRepl: 20, want: 10,
		wantAble:    "True ReadyForNewScale: recommended size matches current size",
		wantLimited: "True ScaleUpLimit: the desired replica count is increasing faster than the maximum scale rate",
	}, {
		name:    "without behavior maxReplicas bounds",
		current: 5, proposal: 8, minReplicas: 1, maxRepl: 6, want: 6,
		wantAble:    "True ReadyForNewScale: recommended size matches current size",
		wantLimited: "True TooManyReplicas: the desired replica count is more than the maximum replica count",
	}, {
		name:    "without behavior minReplicas bounds",
		current: 5, proposal: 1, minReplicas: 2, maxRepl: 6, want: 2,
		wantAble:    "True ReadyForNewScale: recommended size matches current size",
		wantLimited: "True TooFewReplicas: the desired replica count is less than the minimum replica count",
	}, {
		name:     "the default behavior adds 4 pods or 100% per 15 s, whichever is more",
		behavior: behavior(nil), current: 3, proposal: 20, minReplicas: 1, maxRepl: 20, want: 7,
		wantAble:    "True ReadyForNewScale: recommended size matches current size",
		wantLimited: "True ScaleUpLimit: the desired replica count is increasing faster than the maximum scale rate",
	}, {
		name: "selectPolicy Min takes the least permissive policy",
		behavior: behavior(func(b *autoscalingv2.HorizontalPodAutoscalerBehavior) {
			b.ScaleUp.SelectPolicy = ptr.To(autoscalingv2.MinChangePolicySelect)
		}), current: 3, proposal: 20, minReplicas: 1, maxRepl: 20, want: 6,
		wantAble:    "True ReadyForNewScale: recommended size matches current size",
		wantLimited: "True ScaleUpLimit: the desired replica count is increasing faster than the maximum scale rate",
	}, {
		name: "selectPolicy Disabled does not scale up",
		behavior: behavior(func(b *autoscalingv2.HorizontalPodAutoscalerBehavior) {
			b.ScaleUp.SelectPolicy = ptr.To(autoscalingv2.DisabledPolicySelect)
		}), current: 3, proposal: 20, minReplicas: 1, maxRepl: 20, want: 3,
		wantAble:    "True ReadyForNewScale: recommended size matches current size",
		wantLimited: "True ScaleUpLimit: the desired replica count is increasing faster than the maximum scale rate",
	}, {
		name: "scale-ups within the period count against the policy",
		behavior: behavior(func(b *autoscalingv2.HorizontalPodAutoscalerBehavior) {
			b.ScaleUp.Policies = []autoscalingv2.HPAScalingPolicy{pods(4, 60)}
		}), ups: []event{{4, 30 * time.Second}}, current: 7, proposal: 20, minReplicas: 1, maxRepl: 20, want: 7,
		wantAble:    "True ReadyForNewScale: recommended size matches current size",
		wantLimited: "True ScaleUpLimit: the desired replica count is increasing faster than the maximum scale rate",
	}, {
		name: "scale-ups before the period do not",
		behavior: behavior(func(b *autoscalingv2.HorizontalPodAutoscalerBehavior) {
			b.ScaleUp.Policies = []autoscalingv2.HPAScalingPolicy{pods(4, 60)}
		}), ups: []event{{4, 61 * time.Second}}, current: 7, proposal: 20, minReplicas: 1, maxRepl: 20, want: 11,
		wantAble:    "True ReadyForNewScale: recommended size matches current size",
		wantLimited: "True ScaleUpLimit: the desired replica count is increasing faster than the maximum scale rate",
	}, {
		name: "a scale-down policy limits the rate",
		behavior: behavior(func(b *autoscalingv2.HorizontalPodAutoscalerBehavior) {
			b.ScaleDown = policies(autoscalingv2.MaxChangePolicySelect, percent(50, 60))
			b.ScaleDown.StabilizationWindowSeconds = ptr.To[int32](0)
		}), current: 10, proposal: 1, minReplicas: 1, maxRepl: 20, want: 5,
		wantAble:    "True ReadyForNewScale: recommended size matches current size",
		wantLimited: "True ScaleDownLimit: the desired replica count is decreasing faster than the maximum scale rate",
	}, {
		name: "scale-downs within the period count against it",
		behavior: behavior(func(b *autoscalingv2.HorizontalPodAutoscalerBehavior) {
			b.ScaleDown = policies(autoscalingv2.MaxChangePolicySelect, percent(50, 60))
			b.ScaleDown.StabilizationWindowSeconds = ptr.To[int32](0)
		}), downs: []event{{5, 20 * time.Second}}, current: 5, proposal: 1, minReplicas: 1, maxRepl: 20, want: 5,
		wantAble:    "True ReadyForNewScale: recommended size matches current size",
		wantLimited: "True ScaleDownLimit: the desired replica count is decreasing faster than the maximum scale rate",
	}, {
		name: "scale-down selectPolicy Min takes the smallest change",
		behavior: behavior(func(b *autoscalingv2.HorizontalPodAutoscalerBehavior) {
			b.ScaleDown = policies(autoscalingv2.MinChangePolicySelect, percent(50, 60), pods(2, 60))
			b.ScaleDown.StabilizationWindowSeconds = ptr.To[int32](0)
		}), current: 10, proposal: 1, minReplicas: 1, maxRepl: 20, want: 8,
		wantAble:    "True ReadyForNewScale: recommended size matches current size",
		wantLimited: "True ScaleDownLimit: the desired replica count is decreasing faster than the maximum scale rate",
	}, {
		name: "minReplicas below the policies' limit",
		behavior: behavior(func(b *autoscalingv2.HorizontalPodAutoscalerBehavior) {
			b.ScaleDown.StabilizationWindowSeconds = ptr.To[int32](0)
		}), current: 10, proposal: 1, minReplicas: 3, maxRepl: 20, want: 3,
		wantAble:    "True ReadyForNewScale: recommended size matches current size",
		wantLimited: "True TooFewReplicas: the desired replica count is less than the minimum replica count",
	}, {
		name:     "the scale-down window defaults to the controller's",
		behavior: behavior(nil), recs: []rec{{8, 299 * time.Second}}, current: 8, proposal: 2, minReplicas: 1, maxRepl: 20, want: 8,
		wantAble:    "True ScaleDownStabilized: recent recommendations were higher than current one, applying the highest recent recommendation",
		wantLimited: "False DesiredWithinRange: the desired count is within the acceptable range",
	}, {
		name: "a scale-down window of its own",
		behavior: behavior(func(b *autoscalingv2.HorizontalPodAutoscalerBehavior) {
			b.ScaleDown.StabilizationWindowSeconds = ptr.To[int32](60)
		}), recs: []rec{{8, 61 * time.Second}, {6, 30 * time.Second}}, current: 8, proposal: 2, minReplicas: 1, maxRepl: 20, want: 6,
		wantAble:    "True ScaleDownStabilized: recent recommendations were higher than current one, applying the highest recent recommendation",
		wantLimited: "False DesiredWithinRange: the desired count is within the acceptable range",
	}, {
		name: "a scale-up window holds a scale-up to the lowest recent recommendation",
		behavior: behavior(func(b *autoscalingv2.HorizontalPodAutoscalerBehavior) {
			b.ScaleUp.StabilizationWindowSeconds = ptr.To[int32](120)
		}), recs: []rec{{3, 60 * time.Second}, {5, 30 * time.Second}}, current: 3, proposal: 8, minReplicas: 1, maxRepl: 20, want: 3,
		wantAble:    "True ScaleUpStabilized: recent recommendations were lower than current one, applying the lowest recent recommendation",
		wantLimited: "False DesiredWithinRange: the desired count is within the acceptable range",
	}}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			clk := clocktesting.NewFakePassiveClock(t0)
			h := newHistory(clk, DefaultDownscaleStabilization)
			for _, r := range tc.recs {
				h.recommendations["k"] = append(h.recommendations["k"], recommendation{r.replicas, t0.Add(-r.age)})
			}
			for _, e := range tc.ups {
				h.scaleUps["k"] = append(h.scaleUps["k"], scaleEvent{change: e.change, at: t0.Add(-e.age)})
			}
			for _, e := range tc.downs {
				h.scaleDowns["k"] = append(h.scaleDowns["k"], scaleEvent{change: e.change, at: t0.Add(-e.age)})
			}
			hpa := cpuHPA("k", tc.minReplicas, tc.maxRepl, 50)
			hpa.Spec.Behavior = tc.behavior
			var got int32
			if tc.behavior == nil {
				got = h.normalize(hpa, "k", tc.current, tc.proposal, tc.minReplicas, t0)
			} else {
				got = h.normalizeWithBehavior(hpa, "k", tc.current, tc.proposal, tc.minReplicas, t0)
			}
			want := map[string]string{"AbleToScale": tc.wantAble, "ScalingLimited": tc.wantLimited}
			if diff := cmp.Diff(want, conditions(hpa)); diff != "" {
				t.Errorf("conditions (-want +got):\n%s", diff)
			}
			if got != tc.want {
				t.Errorf("desired = %d, want %d", got, tc.want)
			}
			// The unstabilized proposal is what later reconciles look back on.
			found := false
			for _, r := range h.recommendations["k"] {
				found = found || r == recommendation{tc.proposal, t0}
			}
			if !found {
				t.Errorf("recommendations %v do not hold the proposal %d", h.recommendations["k"], tc.proposal)
			}
		})
	}
}

// TestRecordScale checks that scale events are kept per direction and that
// one older than the longest policy period is reused.
func TestRecordScale(t *testing.T) {
	clk := clocktesting.NewFakePassiveClock(t0)
	h := newHistory(clk, DefaultDownscaleStabilization)
	b := behavior(func(b *autoscalingv2.HorizontalPodAutoscalerBehavior) {
		b.ScaleUp.Policies = []autoscalingv2.HPAScalingPolicy{pods(4, 60)}
	})
	h.recordScale(nil, "k", 1, 3) // no behavior: nothing kept
	h.recordScale(b, "k", 1, 3)
	clk.SetTime(t0.Add(30 * time.Second))
	h.recordScale(b, "k", 3, 5)
	h.recordScale(b, "k", 5, 4)
	clk.SetTime(t0.Add(90 * time.Second))
	h.recordScale(b, "k", 4, 6) // the first scale-up is outdated: its slot is reused
	want := []scaleEvent{{change: 2, at: t0.Add(90 * time.Second)}, {change: 2, at: t0.Add(30 * time.Second)}}
	if diff := cmp.Diff(want, h.scaleUps["k"], cmp.AllowUnexported(scaleEvent{})); diff != "" {
		t.Errorf("scale-ups (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]scaleEvent{{change: 1, at: t0.Add(30 * time.Second)}}, h.scaleDowns["k"], cmp.AllowUnexported(scaleEvent{})); diff != "" {
		t.Errorf("scale-downs (-want +got):\n%s", diff)
	}
	// 6 now, 2 added within the last 60 s: the period started at 4, so
	// at most 8.
	if got := scaleUpLimit(clk.Now(), 6, h.scaleUps["k"], h.scaleDowns["k"], b.ScaleUp); got != 8 {
		t.Errorf("scale-up limit = %d, want 8", got)
	}
}

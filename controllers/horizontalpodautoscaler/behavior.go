package horizontalpodautoscaler

import (
	"math"
	"sync"
	"time"

	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/utils/clock"
)

// Without spec.behavior a scale-up may at most double the replicas, or go
// to 4 when that is more: a bogus usage spike must not flood the cluster.
const (
	scaleUpLimitFactor  = 2.0
	scaleUpLimitMinimum = 4.0
)

type recommendation struct {
	replicas int32
	at       time.Time
}

type scaleEvent struct {
	change   int32 // always positive
	at       time.Time
	outdated bool
}

// history holds, per HPA key, what stabilization and the scaling policies
// look back on: the recent unstabilized recommendations and the recent
// scale-ups and scale-downs. It lives in memory only, as upstream's: a
// restarted controller starts its windows afresh.
type history struct {
	clock clock.PassiveClock
	// downscaleStabilization is the window of an HPA without spec.behavior
	// (--horizontal-pod-autoscaler-downscale-stabilization), and the
	// default scale-down window of one with behavior.
	downscaleStabilization time.Duration

	mu              sync.Mutex
	recommendations map[string][]recommendation
	scaleUps        map[string][]scaleEvent
	scaleDowns      map[string][]scaleEvent
}

func newHistory(clk clock.PassiveClock, downscaleStabilization time.Duration) *history {
	return &history{
		clock:                  clk,
		downscaleStabilization: downscaleStabilization,
		recommendations:        map[string][]recommendation{},
		scaleUps:               map[string][]scaleEvent{},
		scaleDowns:             map[string][]scaleEvent{},
	}
}

// forget drops a deleted HPA's history.
func (h *history) forget(key string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	delete(h.recommendations, key)
	delete(h.scaleUps, key)
	delete(h.scaleDowns, key)
}

// seed records the current replicas as the first recommendation, so that a
// new HPA does not scale down within its first window.
func (h *history) seed(key string, current int32) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.recommendations[key] == nil {
		h.recommendations[key] = []recommendation{{current, h.clock.Now()}}
	}
}

// record stores rec, reusing the slot of one that left every window.
func (h *history) record(key string, rec int32, reuse int) {
	r := recommendation{rec, h.clock.Now()}
	if reuse >= 0 {
		h.recommendations[key][reuse] = r
		return
	}
	h.recommendations[key] = append(h.recommendations[key], r)
}

// stabilize returns the highest recommendation of the downscale window,
// the proposal included, and records the proposal.
func (h *history) stabilize(key string, proposal int32) int32 {
	h.mu.Lock()
	defer h.mu.Unlock()
	highest := proposal
	cutoff := h.clock.Now().Add(-h.downscaleStabilization)
	reuse := -1
	for i, r := range h.recommendations[key] {
		if r.at.Before(cutoff) {
			reuse = i
		} else if r.replicas > highest {
			highest = r.replicas
		}
	}
	h.record(key, proposal, reuse)
	return highest
}

// normalize bounds an HPA without spec.behavior: the downscale window,
// then minReplicas, maxReplicas and the scale-up limit. It sets AbleToScale
// and ScalingLimited.
func (h *history) normalize(hpa *autoscalingv2.HorizontalPodAutoscaler, key string, current, proposal, minReplicas int32, now time.Time) int32 {
	stabilized := h.stabilize(key, proposal)
	if stabilized != proposal {
		setCondition(hpa, autoscalingv2.AbleToScale, corev1.ConditionTrue, "ScaleDownStabilized", "recent recommendations were higher than current one, applying the highest recent recommendation", now)
	} else {
		setCondition(hpa, autoscalingv2.AbleToScale, corev1.ConditionTrue, "ReadyForNewScale", "recommended size matches current size", now)
	}
	desired, reason, message := limitWithoutBehavior(current, stabilized, minReplicas, hpa.Spec.MaxReplicas)
	limited := corev1.ConditionFalse
	if desired != stabilized {
		limited = corev1.ConditionTrue
	}
	setCondition(hpa, autoscalingv2.ScalingLimited, limited, reason, message, now)
	return desired
}

func limitWithoutBehavior(current, desired, minReplicas, maxReplicas int32) (int32, string, string) {
	upLimit := int32(math.Max(scaleUpLimitFactor*float64(current), scaleUpLimitMinimum))
	maxAllowed, reason, message := maxReplicas, "TooManyReplicas", "the desired replica count is more than the maximum replica count"
	if maxReplicas > upLimit {
		maxAllowed, reason, message = upLimit, "ScaleUpLimit", "the desired replica count is increasing faster than the maximum scale rate"
	}
	switch {
	case desired < minReplicas:
		return minReplicas, "TooFewReplicas", "the desired replica count is less than the minimum replica count"
	case desired > maxAllowed:
		return maxAllowed, reason, message
	}
	return desired, "DesiredWithinRange", "the desired count is within the acceptable range"
}

// normalizeWithBehavior bounds an HPA with spec.behavior (defaulted by the
// API server, so both rules and their selectPolicy are set): the two
// stabilization windows, then the scaling policies' rates with minReplicas
// and maxReplicas. It sets AbleToScale and ScalingLimited.
func (h *history) normalizeWithBehavior(hpa *autoscalingv2.HorizontalPodAutoscaler, key string, current, proposal, minReplicas int32, now time.Time) int32 {
	up, down := scalingRules(hpa.Spec.Behavior, h.downscaleStabilization)
	stabilized, reason, message := h.stabilizeWithBehavior(key, current, proposal, up, down)
	if stabilized != proposal {
		setCondition(hpa, autoscalingv2.AbleToScale, corev1.ConditionTrue, reason, message, now)
	} else {
		setCondition(hpa, autoscalingv2.AbleToScale, corev1.ConditionTrue, "ReadyForNewScale", "recommended size matches current size", now)
	}
	desired, reason, message := h.limitWithBehavior(key, current, stabilized, minReplicas, hpa.Spec.MaxReplicas, up, down)
	limited := corev1.ConditionFalse
	if desired != stabilized {
		limited = corev1.ConditionTrue
	}
	setCondition(hpa, autoscalingv2.ScalingLimited, limited, reason, message, now)
	return desired
}

// scalingRules are the behavior's rules with what the API server's
// defaulting would have filled in, in case an object was stored without it:
// a scale-down window of --horizontal-pod-autoscaler-downscale-stabilization
// (upstream fills only that in the controller; the rest is defaulting).
func scalingRules(b *autoscalingv2.HorizontalPodAutoscalerBehavior, downWindow time.Duration) (up, down *autoscalingv2.HPAScalingRules) {
	maxPolicy := autoscalingv2.MaxChangePolicySelect
	up = &autoscalingv2.HPAScalingRules{}
	if b.ScaleUp != nil {
		up = b.ScaleUp.DeepCopy()
	}
	if up.StabilizationWindowSeconds == nil {
		up.StabilizationWindowSeconds = new(int32)
	}
	if up.SelectPolicy == nil {
		up.SelectPolicy = &maxPolicy
	}
	if len(up.Policies) == 0 {
		up.Policies = []autoscalingv2.HPAScalingPolicy{
			{Type: autoscalingv2.PodsScalingPolicy, Value: 4, PeriodSeconds: 15},
			{Type: autoscalingv2.PercentScalingPolicy, Value: 100, PeriodSeconds: 15},
		}
	}
	down = &autoscalingv2.HPAScalingRules{}
	if b.ScaleDown != nil {
		down = b.ScaleDown.DeepCopy()
	}
	if down.StabilizationWindowSeconds == nil {
		w := int32(downWindow.Seconds())
		down.StabilizationWindowSeconds = &w
	}
	if down.SelectPolicy == nil {
		down.SelectPolicy = &maxPolicy
	}
	if len(down.Policies) == 0 {
		down.Policies = []autoscalingv2.HPAScalingPolicy{{Type: autoscalingv2.PercentScalingPolicy, Value: 100, PeriodSeconds: 15}}
	}
	return up, down
}

// stabilizeWithBehavior keeps the recommendation between the lowest of the
// scale-up window and the highest of the scale-down window (the current
// replicas when both allow), and records the proposal.
func (h *history) stabilizeWithBehavior(key string, current, proposal int32, up, down *autoscalingv2.HPAScalingRules) (int32, string, string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	now := h.clock.Now()
	upCutoff := now.Add(-time.Duration(*up.StabilizationWindowSeconds) * time.Second)
	downCutoff := now.Add(-time.Duration(*down.StabilizationWindowSeconds) * time.Second)
	upRec, downRec := proposal, proposal
	reuse := -1
	for i, r := range h.recommendations[key] {
		if r.at.After(upCutoff) {
			upRec = min(upRec, r.replicas)
		}
		if r.at.After(downCutoff) {
			downRec = max(downRec, r.replicas)
		}
		if r.at.Before(upCutoff) && r.at.Before(downCutoff) {
			reuse = i
		}
	}
	rec := min(max(current, upRec), downRec)
	h.record(key, proposal, reuse)
	if proposal >= current {
		return rec, "ScaleUpStabilized", "recent recommendations were lower than current one, applying the lowest recent recommendation"
	}
	return rec, "ScaleDownStabilized", "recent recommendations were higher than current one, applying the highest recent recommendation"
}

// limitWithBehavior applies the policies' rates and the replica bounds.
func (h *history) limitWithBehavior(key string, current, desired, minReplicas, maxReplicas int32, up, down *autoscalingv2.HPAScalingRules) (int32, string, string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	now := h.clock.Now()
	switch {
	case desired > current:
		// A limit below the current count (scale-downs since) holds the
		// count rather than scaling down.
		limit := max(scaleUpLimit(now, current, h.scaleUps[key], h.scaleDowns[key], up), current)
		maxAllowed, reason, message := maxReplicas, "TooManyReplicas", "the desired replica count is more than the maximum replica count"
		if maxReplicas > limit {
			maxAllowed, reason, message = limit, "ScaleUpLimit", "the desired replica count is increasing faster than the maximum scale rate"
		}
		if desired > maxAllowed {
			return maxAllowed, reason, message
		}
	case desired < current:
		limit := min(scaleDownLimit(now, current, h.scaleUps[key], h.scaleDowns[key], down), current)
		minAllowed, reason, message := minReplicas, "TooFewReplicas", "the desired replica count is less than the minimum replica count"
		if minReplicas < limit {
			minAllowed, reason, message = limit, "ScaleDownLimit", "the desired replica count is decreasing faster than the maximum scale rate"
		}
		if desired < minAllowed {
			return minAllowed, reason, message
		}
	}
	return desired, "DesiredWithinRange", "the desired count is within the acceptable range"
}

// changeWithin sums the changes of the events in the last period seconds.
func changeWithin(now time.Time, periodSeconds int32, events []scaleEvent) int32 {
	cutoff := now.Add(-time.Duration(periodSeconds) * time.Second)
	var sum int32
	for _, e := range events {
		if e.at.After(cutoff) {
			sum += e.change
		}
	}
	return sum
}

// scaleUpLimit is the most replicas the policies allow now: each policy
// measures from the count at the start of its period; selectPolicy Max
// takes the most permissive policy, Min the least, Disabled none.
func scaleUpLimit(now time.Time, current int32, ups, downs []scaleEvent, rules *autoscalingv2.HPAScalingRules) int32 {
	pick, result := maxInt32, int32(math.MinInt32)
	switch *rules.SelectPolicy {
	case autoscalingv2.DisabledPolicySelect:
		return current
	case autoscalingv2.MinChangePolicySelect:
		pick, result = minInt32, math.MaxInt32
	}
	for _, p := range rules.Policies {
		start := current - changeWithin(now, p.PeriodSeconds, ups) + changeWithin(now, p.PeriodSeconds, downs)
		var proposed int32
		switch p.Type {
		case autoscalingv2.PodsScalingPolicy:
			proposed = start + p.Value
		case autoscalingv2.PercentScalingPolicy:
			// Rounded up, or a small target could never grow.
			proposed = int32(math.Ceil(float64(start) * (1 + float64(p.Value)/100)))
		}
		result = pick(result, proposed)
	}
	return result
}

// scaleDownLimit is the fewest replicas the policies allow now.
func scaleDownLimit(now time.Time, current int32, ups, downs []scaleEvent, rules *autoscalingv2.HPAScalingRules) int32 {
	pick, result := minInt32, int32(math.MaxInt32)
	switch *rules.SelectPolicy {
	case autoscalingv2.DisabledPolicySelect:
		return current
	case autoscalingv2.MinChangePolicySelect:
		pick, result = maxInt32, math.MinInt32
	}
	for _, p := range rules.Policies {
		start := current - changeWithin(now, p.PeriodSeconds, ups) + changeWithin(now, p.PeriodSeconds, downs)
		var proposed int32
		switch p.Type {
		case autoscalingv2.PodsScalingPolicy:
			proposed = start - p.Value
		case autoscalingv2.PercentScalingPolicy:
			proposed = int32(float64(start) * (1 - float64(p.Value)/100))
		}
		result = pick(result, proposed)
	}
	return result
}

func minInt32(a, b int32) int32 { return min(a, b) }
func maxInt32(a, b int32) int32 { return max(a, b) }

// recordScale stores a rescale of an HPA with behavior, in the slot of an
// event older than the longest policy period when there is one.
func (h *history) recordScale(b *autoscalingv2.HorizontalPodAutoscalerBehavior, key string, from, to int32) {
	if b == nil {
		return // only the policies look back on them
	}
	up, down := scalingRules(b, h.downscaleStabilization)
	h.mu.Lock()
	defer h.mu.Unlock()
	now := h.clock.Now()
	events, rules, change := h.scaleDowns, down, from-to
	if to > from {
		events, rules, change = h.scaleUps, up, to-from
	}
	var longest int32
	for _, p := range rules.Policies {
		longest = max(longest, p.PeriodSeconds)
	}
	cutoff := now.Add(-time.Duration(longest) * time.Second)
	list := events[key]
	reuse := -1
	for i := range list {
		if list[i].at.Before(cutoff) {
			list[i].outdated = true
		}
		if list[i].outdated {
			reuse = i
		}
	}
	e := scaleEvent{change: change, at: now}
	if reuse >= 0 {
		list[reuse] = e
	} else {
		list = append(list, e)
	}
	events[key] = list
}

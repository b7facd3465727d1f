package replicaset

import (
	"math"
	"strconv"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"

	"github.com/kubeshim/kubeshim/controllers/podstate"
)

// podPhaseOrdinal orders phases for deletion: pods that have done less are
// cheaper to lose.
var podPhaseOrdinal = map[corev1.PodPhase]int{corev1.PodPending: 0, corev1.PodUnknown: 1, corev1.PodRunning: 2}

// isPodAvailable is upstream's podutil.IsPodAvailable: ready for at least
// minReadySeconds.
func isPodAvailable(p *corev1.Pod, minReadySeconds int32, now time.Time) bool {
	if !podstate.Ready(p) {
		return false
	}
	c := podstate.ReadyCondition(p)
	return minReadySeconds == 0 ||
		(!c.LastTransitionTime.IsZero() && c.LastTransitionTime.Add(time.Duration(minReadySeconds)*time.Second).Compare(now) <= 0)
}

// nextAvailabilityCheck is how long until the first ready but not yet
// available pod becomes available, or nil when none will.
func nextAvailabilityCheck(pods []*corev1.Pod, minReadySeconds int32, now time.Time) *time.Duration {
	if minReadySeconds <= 0 {
		return nil
	}
	var next *time.Duration
	for _, p := range pods {
		if !podstate.Ready(p) {
			continue
		}
		c := podstate.ReadyCondition(p)
		if c.LastTransitionTime.IsZero() {
			continue
		}
		d := c.LastTransitionTime.Add(time.Duration(minReadySeconds) * time.Second).Sub(now)
		if d > 0 && (next == nil || d < *next) {
			next = &d
		}
	}
	return next
}

// deletionCost is the pod-deletion-cost annotation, 0 when absent or
// invalid (values with a leading '+' or leading zeros are invalid).
func deletionCost(p *corev1.Pod) int32 {
	v, ok := p.Annotations[corev1.PodDeletionCost]
	if !ok || v == "" {
		return 0
	}
	if !(v[0] == '-' || v == "0" || (v[0] >= '1' && v[0] <= '9')) {
		return 0
	}
	i, err := strconv.ParseInt(v, 10, 32)
	if err != nil {
		return 0
	}
	return int32(i)
}

func maxRestarts(p *corev1.Pod) (regular, sidecar int32) {
	for _, c := range p.Status.ContainerStatuses {
		regular = max(regular, c.RestartCount)
	}
	sidecars := map[string]bool{}
	for _, c := range p.Spec.InitContainers {
		if c.RestartPolicy != nil && *c.RestartPolicy == corev1.ContainerRestartPolicyAlways {
			sidecars[c.Name] = true
		}
	}
	for _, c := range p.Status.InitContainerStatuses {
		if sidecars[c.Name] {
			sidecar = max(sidecar, c.RestartCount)
		}
	}
	return regular, sidecar
}

// rankedPods sorts pods so that the ones to delete first come first; it is
// upstream's controller.ActivePodsWithRanks. rank[i] counts the active
// related pods on pods[i]'s node: a pod doubled up with others goes first.
type rankedPods struct {
	pods []*corev1.Pod
	rank []int
	now  time.Time
}

func (s rankedPods) Len() int { return len(s.pods) }

func (s rankedPods) Swap(i, j int) {
	s.pods[i], s.pods[j] = s.pods[j], s.pods[i]
	s.rank[i], s.rank[j] = s.rank[j], s.rank[i]
}

func (s rankedPods) Less(i, j int) bool {
	pi, pj := s.pods[i], s.pods[j]
	// 1. Unassigned < assigned.
	if pi.Spec.NodeName != pj.Spec.NodeName && (pi.Spec.NodeName == "" || pj.Spec.NodeName == "") {
		return pi.Spec.NodeName == ""
	}
	// 2. Pending < Unknown < Running.
	if podPhaseOrdinal[pi.Status.Phase] != podPhaseOrdinal[pj.Status.Phase] {
		return podPhaseOrdinal[pi.Status.Phase] < podPhaseOrdinal[pj.Status.Phase]
	}
	// 3. Not ready < ready.
	if podstate.Ready(pi) != podstate.Ready(pj) {
		return !podstate.Ready(pi)
	}
	// 4. Lower pod-deletion-cost < higher (PodDeletionCost is on by default).
	if ci, cj := deletionCost(pi), deletionCost(pj); ci != cj {
		return ci < cj
	}
	// 5. Doubled up < not doubled up.
	if s.rank[i] != s.rank[j] {
		return s.rank[i] > s.rank[j]
	}
	// 6. Ready for a shorter time < longer, in log2 buckets of age.
	if podstate.Ready(pi) && podstate.Ready(pj) {
		ti, tj := podstate.ReadyCondition(pi).LastTransitionTime, podstate.ReadyCondition(pj).LastTransitionTime
		if !ti.Equal(&tj) {
			if s.now.IsZero() || ti.IsZero() || tj.IsZero() {
				return afterOrZero(ti, tj)
			}
			if d := logRankDiff(ti.Time, tj.Time, s.now); d != 0 {
				return d < 0
			}
			return pi.UID < pj.UID
		}
	}
	// 7. More restarts < fewer, regular containers before sidecars.
	ri, si := maxRestarts(pi)
	rj, sj := maxRestarts(pj)
	if ri != rj {
		return ri > rj
	}
	if si != sj {
		return si > sj
	}
	// 8. No creation time < newer < older, in log2 buckets of age.
	if ci, cj := pi.CreationTimestamp, pj.CreationTimestamp; !ci.Equal(&cj) {
		if s.now.IsZero() || ci.IsZero() || cj.IsZero() {
			return afterOrZero(ci, cj)
		}
		if d := logRankDiff(ci.Time, cj.Time, s.now); d != 0 {
			return d < 0
		}
		return pi.UID < pj.UID
	}
	return false
}

// afterOrZero reports whether t1 is after t2, a zero time counting as the
// latest.
func afterOrZero(t1, t2 metav1.Time) bool {
	if t1.IsZero() || t2.IsZero() {
		return t1.IsZero()
	}
	return t1.After(t2.Time)
}

// logRankDiff compares the base-2 logarithms of two ages, so that pods of
// about the same age are not told apart by their exact timestamps.
func logRankDiff(t1, t2, now time.Time) int64 {
	r := func(t time.Time) int64 {
		if d := now.Sub(t); d > 0 {
			return int64(math.Log2(float64(d)))
		}
		return -1
	}
	return r(t1) - r(t2)
}

// filterClaimed keeps the pods controlled by owner that its selector matches.
func filterClaimed(owner metav1.Object, selector labels.Selector, pods []*corev1.Pod) []*corev1.Pod {
	var out []*corev1.Pod
	for _, p := range pods {
		if metav1.IsControlledBy(p, owner) && selector.Matches(labels.Set(p.Labels)) {
			out = append(out, p)
		}
	}
	return out
}

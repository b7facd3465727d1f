package job

import (
	"fmt"
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/sets"
	"k8s.io/apiserver/pkg/storage/names"
	"k8s.io/klog/v2"
)

const (
	// completionIndexEnv is the variable an Indexed job's containers read
	// their index from, through the downward API on the index label.
	completionIndexEnv = "JOB_COMPLETION_INDEX"
	// noIndex is the completion index of a pod without a valid one.
	noIndex = -1
)

// interval is the indexes first to last, both included.
type interval struct{ first, last int }

// intervals is a set of indexes as sorted, disjoint, non-adjacent
// intervals: the form of status.completedIndexes and status.failedIndexes
// ("1,3-5,7").
type intervals []interval

// parseIntervals reads an index list, dropping indexes at or above
// completions and skipping malformed parts (status is the controller's own
// writing, but a user may have written it through the status subresource).
func parseIntervals(logger klog.Logger, s string, completions int) intervals {
	if s == "" {
		return nil
	}
	var out intervals
	for _, part := range strings.Split(s, ",") {
		bounds := strings.Split(part, "-")
		first, err := strconv.Atoi(bounds[0])
		if err != nil {
			logger.Info("Ignoring a corrupted index interval", "interval", part, "err", err)
			continue
		}
		if first >= completions {
			break
		}
		last := first
		if len(bounds) > 1 {
			if last, err = strconv.Atoi(bounds[1]); err != nil {
				logger.Info("Ignoring a corrupted index interval", "interval", part, "err", err)
				continue
			}
			last = min(last, completions-1)
		}
		if n := len(out); n > 0 && out[n-1].last == first-1 {
			out[n-1].last = last
		} else {
			out = append(out, interval{first, last})
		}
	}
	return out
}

// withIndexes returns the union with sorted indexes.
func (ivs intervals) withIndexes(sorted []int) intervals {
	add := make(intervals, len(sorted))
	for i, ix := range sorted {
		add[i] = interval{ix, ix}
	}
	return ivs.merge(add)
}

// merge returns the union of two interval lists.
func (ivs intervals) merge(other intervals) intervals {
	all := append(slices.Clone(ivs), other...)
	slices.SortStableFunc(all, func(a, b interval) int { return a.first - b.first })
	var out intervals
	for _, iv := range all {
		if n := len(out); n > 0 && iv.first <= out[n-1].last+1 {
			out[n-1].last = max(out[n-1].last, iv.last)
			continue
		}
		out = append(out, iv)
	}
	return out
}

func (ivs intervals) total() int {
	n := 0
	for _, iv := range ivs {
		n += iv.last - iv.first + 1
	}
	return n
}

func (ivs intervals) has(ix int) bool {
	i := sort.Search(len(ivs), func(i int) bool { return ivs[i].last >= ix })
	return i < len(ivs) && ivs[i].first <= ix
}

// String writes two adjacent indexes as "a,b" and longer runs as "a-b", as
// upstream does.
func (ivs intervals) String() string {
	var b strings.Builder
	for _, iv := range ivs {
		if b.Len() > 0 {
			b.WriteByte(',')
		}
		b.WriteString(strconv.Itoa(iv.first))
		switch {
		case iv.last == iv.first+1:
			b.WriteByte(',')
			b.WriteString(strconv.Itoa(iv.last))
		case iv.last > iv.first:
			b.WriteByte('-')
			b.WriteString(strconv.Itoa(iv.last))
		}
	}
	return b.String()
}

// completionIndex is a pod's index from its annotation, noIndex when absent
// or invalid.
func completionIndex(p *corev1.Pod) int {
	v, ok := p.Annotations[batchv1.JobCompletionIndexAnnotation]
	if !ok {
		return noIndex
	}
	i, err := strconv.Atoi(v)
	if err != nil || i < 0 {
		return noIndex
	}
	return i
}

// validIndex returns the pod's index when it is one of the job's, noIndex
// otherwise (completions may have been scaled down under it).
func validIndex(job *batchv1.Job, p *corev1.Pod) int {
	ix := completionIndex(p)
	if ix == noIndex || ix >= int(*job.Spec.Completions) {
		return noIndex
	}
	return ix
}

func indexesOf(pods []*corev1.Pod) sets.Set[int] {
	out := sets.New[int]()
	for _, p := range pods {
		if ix := completionIndex(p); ix != noIndex {
			out.Insert(ix)
		}
	}
	return out
}

// sortByIndex orders pods by completion index, pods without one first.
func sortByIndex(pods []*corev1.Pod) {
	sort.SliceStable(pods, func(i, j int) bool { return completionIndex(pods[i]) < completionIndex(pods[j]) })
}

// annotationCount reads a non-negative int32 counter annotation, 0 when
// absent or invalid: a user can write any annotation.
func annotationCount(logger klog.Logger, p *corev1.Pod, key string) int32 {
	v, ok := p.Annotations[key]
	if !ok {
		return 0
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 || n > math.MaxInt32 {
		logger.Info("Ignoring an invalid counter annotation", "pod", klog.KObj(p), "annotation", key, "value", v)
		return 0
	}
	return int32(n)
}

// indexFailures is how many pods of the index failed before this one, counted
// against backoffLimitPerIndex.
func indexFailures(logger klog.Logger, p *corev1.Pod) int32 {
	return annotationCount(logger, p, batchv1.JobIndexFailureCountAnnotation)
}

// indexAbsoluteFailures also counts the failures podFailurePolicy ignored:
// they still lengthen the index's back-off.
func indexAbsoluteFailures(logger klog.Logger, p *corev1.Pod) int32 {
	return indexFailures(logger, p) + annotationCount(logger, p, batchv1.JobIndexIgnoredFailureCountAnnotation)
}

// podGenerateName is "<job>-<index>-", the job name cut so that the server
// can still append its random suffix.
func podGenerateName(job string, index int) string {
	suffix := "-" + strconv.Itoa(index) + "-"
	if len(job)+len(suffix) > names.MaxGeneratedNameLength {
		job = job[:names.MaxGeneratedNameLength-len(suffix)]
	}
	return job + suffix
}

// addCompletionIndexEnv gives every container JOB_COMPLETION_INDEX from the
// pod's index label, unless it sets the variable itself.
func addCompletionIndexEnv(spec *corev1.PodSpec) {
	add := func(c *corev1.Container) {
		for _, e := range c.Env {
			if e.Name == completionIndexEnv {
				return
			}
		}
		c.Env = append(c.Env, corev1.EnvVar{Name: completionIndexEnv, ValueFrom: &corev1.EnvVarSource{
			FieldRef: &corev1.ObjectFieldSelector{FieldPath: fmt.Sprintf("metadata.labels['%s']", batchv1.JobCompletionIndexAnnotation)},
		}})
	}
	for i := range spec.InitContainers {
		add(&spec.InitContainers[i])
	}
	for i := range spec.Containers {
		add(&spec.Containers[i])
	}
}

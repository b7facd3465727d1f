package job

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strconv"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	apivalidation "k8s.io/apimachinery/pkg/api/validation"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/klog/v2"
	"k8s.io/utils/ptr"

	"github.com/kubeshim/kubeshim/controllers/podstate"
)

var controllerKind = batchv1.SchemeGroupVersion.WithKind("Job")

// onlyReplaceFailedPods: with podReplacementPolicy Failed a terminating pod
// is still running, so it is neither replaced nor counted failed until it
// reaches the Failed phase.
func onlyReplaceFailedPods(job *batchv1.Job) bool {
	return ptr.Deref(job.Spec.PodReplacementPolicy, batchv1.TerminatingOrFailed) == batchv1.Failed
}

// isPodFailed says whether the job counts the pod as failed. A pod deleted
// before it finished counts too (unless the job waits for the Failed
// phase): an orphaned or evicted pod may never reach it.
func isPodFailed(p *corev1.Pod, job *batchv1.Job) bool {
	if p.Status.Phase == corev1.PodFailed {
		return true
	}
	if onlyReplaceFailedPods(job) {
		return false
	}
	return p.DeletionTimestamp != nil && p.Status.Phase != corev1.PodSucceeded
}

func hasTrackingFinalizer(p *corev1.Pod) bool {
	return slices.Contains(p.Finalizers, batchv1.JobTrackingFinalizer)
}

// removeFinalizerPatch is a strategic merge patch that removes the tracking
// finalizer and leaves any other.
func removeFinalizerPatch() []byte {
	return []byte(`{"metadata":{"$deleteFromPrimitiveList/finalizers":["` + batchv1.JobTrackingFinalizer + `"]}}`)
}

// removeFinalizerPatchAt is removeFinalizerPatch that conflicts unless the pod
// is still at resourceVersion.
func removeFinalizerPatchAt(resourceVersion string) []byte {
	return []byte(`{"metadata":{"resourceVersion":` + strconv.Quote(resourceVersion) + `,"$deleteFromPrimitiveList/finalizers":["` + batchv1.JobTrackingFinalizer + `"]}}`)
}

// activePodOrder sorts pods so that those that have done least come first,
// the ones to delete first (upstream's controller.ActivePods): unassigned
// before assigned, Pending before Unknown before Running, not ready before
// ready, ready more recently first, more restarts first, newer first.
func activePodOrder(pods []*corev1.Pod) {
	phase := map[corev1.PodPhase]int{corev1.PodPending: 0, corev1.PodUnknown: 1, corev1.PodRunning: 2}
	sort.SliceStable(pods, func(i, j int) bool {
		a, b := pods[i], pods[j]
		if a.Spec.NodeName != b.Spec.NodeName && (a.Spec.NodeName == "" || b.Spec.NodeName == "") {
			return a.Spec.NodeName == ""
		}
		if phase[a.Status.Phase] != phase[b.Status.Phase] {
			return phase[a.Status.Phase] < phase[b.Status.Phase]
		}
		if podstate.Ready(a) != podstate.Ready(b) {
			return !podstate.Ready(a)
		}
		if podstate.Ready(a) && podstate.Ready(b) {
			ta, tb := podstate.ReadyCondition(a).LastTransitionTime, podstate.ReadyCondition(b).LastTransitionTime
			if !ta.Equal(&tb) {
				return afterOrZero(ta, tb)
			}
		}
		if ra, rb := maxRestarts(a), maxRestarts(b); ra != rb {
			return ra > rb
		}
		if !a.CreationTimestamp.Equal(&b.CreationTimestamp) {
			return afterOrZero(a.CreationTimestamp, b.CreationTimestamp)
		}
		return false
	})
}

// afterOrZero reports whether t1 is after t2, a zero time being the latest.
func afterOrZero(t1, t2 metav1.Time) bool {
	if t1.IsZero() || t2.IsZero() {
		return t1.IsZero()
	}
	return t1.After(t2.Time)
}

func maxRestarts(p *corev1.Pod) int32 {
	var n int32
	for _, c := range p.Status.ContainerStatuses {
		n = max(n, c.RestartCount)
	}
	return n
}

// podsForRemoval picks at least n active pods to delete: for an Indexed job
// first the pods without a valid index and all but one pod of a repeated
// index, then the pods that have done least.
func podsForRemoval(job *batchv1.Job, active []*corev1.Pod, n int) []*corev1.Pod {
	var rm, keep []*corev1.Pod
	if isIndexed(job) {
		byIndex := map[int][]*corev1.Pod{}
		for _, p := range active {
			if ix := validIndex(job, p); ix == noIndex {
				rm = append(rm, p)
			} else {
				byIndex[ix] = append(byIndex[ix], p)
			}
		}
		for _, ix := range sortedKeys(byIndex) {
			same := byIndex[ix]
			// The pod that has done most keeps the index.
			activePodOrder(same)
			rm = append(rm, same[:len(same)-1]...)
			keep = append(keep, same[len(same)-1])
		}
	} else {
		keep = slices.Clone(active)
	}
	if len(rm) < n {
		activePodOrder(keep)
		rm = append(rm, keep[:n-len(rm)]...)
	}
	return rm
}

func sortedKeys[V any](m map[int]V) []int {
	keys := make([]int, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// pastBackoffLimitOnFailure: with restartPolicy OnFailure failures show as
// container restarts in running pods, and their sum is held against
// backoffLimit.
func pastBackoffLimitOnFailure(job *batchv1.Job, pods []*corev1.Pod) bool {
	if job.Spec.Template.Spec.RestartPolicy != corev1.RestartPolicyOnFailure {
		return false
	}
	var restarts int32
	for _, p := range pods {
		if p.Status.Phase != corev1.PodRunning && p.Status.Phase != corev1.PodPending {
			continue
		}
		for _, c := range p.Status.InitContainerStatuses {
			restarts += c.RestartCount
		}
		for _, c := range p.Status.ContainerStatuses {
			restarts += c.RestartCount
		}
	}
	if *job.Spec.BackoffLimit == 0 {
		return restarts > 0
	}
	return restarts >= *job.Spec.BackoffLimit
}

// controllerRef is the ownerReference a job puts on its pods.
func controllerRef(job *batchv1.Job) *metav1.OwnerReference {
	return metav1.NewControllerRef(job, controllerKind)
}

// claim adopts matching orphans (adding the tracking finalizer) and releases
// owned pods that stopped matching (removing it), returning the pods the job
// now controls, as upstream's PodControllerRefManager. A job being deleted
// neither adopts nor releases.
func (c *Controller) claim(ctx context.Context, job *batchv1.Job, selector labels.Selector, pods []*corev1.Pod) ([]*corev1.Pod, error) {
	var (
		claimed  []*corev1.Pod
		errs     []error
		canAdopt *error
	)
	for _, pod := range pods {
		matches := selector.Matches(labels.Set(pod.Labels))
		if ref := metav1.GetControllerOfNoCopy(pod); ref != nil {
			if ref.UID != job.UID {
				continue
			}
			if matches {
				claimed = append(claimed, pod)
			} else if job.DeletionTimestamp == nil {
				if err := c.release(ctx, job, pod); err != nil {
					errs = append(errs, err)
				}
			}
			continue
		}
		if job.DeletionTimestamp != nil || !matches || pod.DeletionTimestamp != nil || pod.Namespace != job.Namespace {
			continue
		}
		if canAdopt == nil {
			// Adopting for a job that is being deleted would keep its
			// pods from the garbage collector: check past the cache, once.
			err := c.recheckNotDeleted(ctx, job)
			canAdopt = &err
		}
		if *canAdopt != nil {
			errs = append(errs, fmt.Errorf("adopt pod %s/%s: %w", pod.Namespace, pod.Name, *canAdopt))
			continue
		}
		if err := c.adopt(ctx, job, pod); err != nil {
			if !apierrors.IsNotFound(err) {
				errs = append(errs, err)
			}
			continue
		}
		// The cache does not show the adoption yet; count the pod as the
		// job's, tracked.
		adopted := pod.DeepCopy()
		adopted.OwnerReferences = append(adopted.OwnerReferences, *controllerRef(job))
		if !hasTrackingFinalizer(adopted) {
			adopted.Finalizers = append(adopted.Finalizers, batchv1.JobTrackingFinalizer)
		}
		claimed = append(claimed, adopted)
	}
	if len(errs) > 0 {
		return claimed, fmt.Errorf("claim pods of %s/%s: %w", job.Namespace, job.Name, errors.Join(errs...))
	}
	return claimed, nil
}

func (c *Controller) recheckNotDeleted(ctx context.Context, job *batchv1.Job) error {
	fresh, err := c.client.BatchV1().Jobs(job.Namespace).Get(ctx, job.Name, metav1.GetOptions{})
	if err != nil {
		return fmt.Errorf("recheck deletion timestamp: %w", err)
	}
	if fresh.UID != job.UID {
		return fmt.Errorf("job %s/%s is gone: uid %s, want %s", job.Namespace, job.Name, fresh.UID, job.UID)
	}
	if fresh.DeletionTimestamp != nil {
		return fmt.Errorf("job %s/%s is being deleted", job.Namespace, job.Name)
	}
	return nil
}

// adopt makes the job the pod's controller and adds the tracking finalizer,
// in one patch that names the pod's UID so it cannot apply to a pod
// recreated under the same name.
func (c *Controller) adopt(ctx context.Context, job *batchv1.Job, pod *corev1.Pod) error {
	patch, err := json.Marshal(map[string]any{"metadata": map[string]any{
		"uid":             pod.UID,
		"ownerReferences": []metav1.OwnerReference{*controllerRef(job)},
		"finalizers":      []string{batchv1.JobTrackingFinalizer},
	}})
	if err != nil {
		return err
	}
	if _, err := c.client.CoreV1().Pods(pod.Namespace).Patch(ctx, pod.Name, types.StrategicMergePatchType, patch, metav1.PatchOptions{}); err != nil {
		return fmt.Errorf("adopt pod %s/%s: %w", pod.Namespace, pod.Name, err)
	}
	klog.FromContext(ctx).V(2).Info("Adopted pod", "pod", klog.KObj(pod), "job", klog.KObj(job))
	return nil
}

// release removes the job's ownerReference and the tracking finalizer. A
// pod that is gone, or whose UID changed (the patch is then invalid), needs
// no release.
func (c *Controller) release(ctx context.Context, job *batchv1.Job, pod *corev1.Pod) error {
	patch, err := json.Marshal(map[string]any{"metadata": map[string]any{
		"uid":                                 pod.UID,
		"ownerReferences":                     []map[string]string{{"$patch": "delete", "uid": string(job.UID)}},
		"$deleteFromPrimitiveList/finalizers": []string{batchv1.JobTrackingFinalizer},
	}})
	if err != nil {
		return err
	}
	_, err = c.client.CoreV1().Pods(pod.Namespace).Patch(ctx, pod.Name, types.StrategicMergePatchType, patch, metav1.PatchOptions{})
	if err != nil && !apierrors.IsNotFound(err) && !apierrors.IsInvalid(err) {
		return fmt.Errorf("release pod %s/%s: %w", pod.Namespace, pod.Name, err)
	}
	klog.FromContext(ctx).V(2).Info("Released pod", "pod", klog.KObj(pod), "job", klog.KObj(job))
	return nil
}

// removeFinalizer removes the tracking finalizer from a pod; a pod already
// gone has none.
func (c *Controller) removeFinalizer(ctx context.Context, pod *corev1.Pod) error {
	if !hasTrackingFinalizer(pod) {
		return nil
	}
	_, err := c.client.CoreV1().Pods(pod.Namespace).Patch(ctx, pod.Name, types.StrategicMergePatchType, removeFinalizerPatch(), metav1.PatchOptions{})
	if err != nil && !apierrors.IsNotFound(err) {
		return fmt.Errorf("remove tracking finalizer of pod %s/%s: %w", pod.Namespace, pod.Name, err)
	}
	return nil
}

// createPod creates a pod from template for the job, named from generateName
// (the job's name and a dash when empty), and records the event upstream's
// pod control does.
func (c *Controller) createPod(ctx context.Context, job *batchv1.Job, template *corev1.PodTemplateSpec, generateName string) error {
	if len(template.Labels) == 0 {
		return fmt.Errorf("unable to create pods, no labels")
	}
	if generateName == "" {
		generateName = podPrefix(job.Name)
	}
	pod := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{
			GenerateName:    generateName,
			Labels:          copyMap(template.Labels),
			Annotations:     copyMap(template.Annotations),
			Finalizers:      slices.Clone(template.Finalizers),
			OwnerReferences: []metav1.OwnerReference{*controllerRef(job)},
		},
		Spec: *template.Spec.DeepCopy(),
	}
	created, err := c.client.CoreV1().Pods(job.Namespace).Create(ctx, pod, metav1.CreateOptions{})
	if err != nil {
		if !apierrors.HasStatusCause(err, corev1.NamespaceTerminatingCause) {
			c.recorder.Eventf(job, corev1.EventTypeWarning, "FailedCreate", "Error creating: %v", err)
		}
		return fmt.Errorf("create pod for job %s/%s: %w", job.Namespace, job.Name, err)
	}
	klog.FromContext(ctx).V(4).Info("Created pod", "pod", klog.KObj(created), "job", klog.KObj(job))
	c.recorder.Eventf(job, corev1.EventTypeNormal, "SuccessfulCreate", "Created pod: %v", created.Name)
	return nil
}

// deletePod deletes one of the job's pods and records the event.
func (c *Controller) deletePod(ctx context.Context, job *batchv1.Job, pod *corev1.Pod) error {
	err := c.client.CoreV1().Pods(pod.Namespace).Delete(ctx, pod.Name, metav1.DeleteOptions{})
	if err != nil {
		if apierrors.IsNotFound(err) {
			return err
		}
		c.recorder.Eventf(job, corev1.EventTypeWarning, "FailedDelete", "Error deleting: %v", err)
		return fmt.Errorf("delete pod %s/%s: %w", pod.Namespace, pod.Name, err)
	}
	klog.FromContext(ctx).V(4).Info("Deleted pod", "pod", klog.KObj(pod), "job", klog.KObj(job))
	c.recorder.Eventf(job, corev1.EventTypeNormal, "SuccessfulDelete", "Deleted pod: %v", pod.Name)
	return nil
}

// podPrefix is "<name>-", or the bare name when the dash would make an
// invalid prefix.
func podPrefix(name string) string {
	if p := name + "-"; len(apivalidation.NameIsDNSSubdomain(p, true)) == 0 {
		return p
	}
	return name
}

func copyMap(m map[string]string) map[string]string {
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

package pod

import (
	"context"
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	genericregistry "k8s.io/apiserver/pkg/registry/generic/registry"
	"k8s.io/apiserver/pkg/registry/rest"
	"k8s.io/apiserver/pkg/storage"
	policyclient "k8s.io/client-go/kubernetes/typed/policy/v1"
	"k8s.io/client-go/util/retry"
)

// maxDisruptedPods bounds a budget's status.disruptedPods, as upstream.
const maxDisruptedPods = 2000

// EvictionREST is pods/eviction: a delete that honours the pod's
// PodDisruptionBudget.
type EvictionREST struct {
	store *genericregistry.Store
	// budgets reads and updates PodDisruptionBudgets through the API, as
	// upstream's eviction does, so that their own rules apply.
	budgets policyclient.PodDisruptionBudgetsGetter
}

var (
	_ rest.NamedCreater             = &EvictionREST{}
	_ rest.GroupVersionKindProvider = &EvictionREST{}
)

// GroupVersionKind is policy/v1 Eviction, served under core's pods.
func (r *EvictionREST) GroupVersionKind(schema.GroupVersion) schema.GroupVersionKind {
	return policyv1.SchemeGroupVersion.WithKind("Eviction")
}

// NamespaceScoped is true.
func (r *EvictionREST) NamespaceScoped() bool { return true }

// New returns an empty Eviction.
func (r *EvictionREST) New() runtime.Object { return &policyv1.Eviction{} }

// Destroy does nothing.
func (r *EvictionREST) Destroy() {}

// Create evicts the named pod.
func (r *EvictionREST) Create(ctx context.Context, name string, obj runtime.Object, createValidation rest.ValidateObjectFunc, options *metav1.CreateOptions) (runtime.Object, error) {
	eviction, ok := obj.(*policyv1.Eviction)
	if !ok {
		return nil, apierrors.NewBadRequest(fmt.Sprintf("not a Eviction object: %T", obj))
	}
	if name != eviction.Name {
		return nil, apierrors.NewBadRequest("name in URL does not match name in Eviction object")
	}
	deleteOptions := &metav1.DeleteOptions{}
	if eviction.DeleteOptions != nil {
		deleteOptions = eviction.DeleteOptions.DeepCopy()
	}
	if len(options.DryRun) > 0 {
		deleteOptions.DryRun = options.DryRun
	}
	if createValidation != nil {
		if err := createValidation(ctx, eviction.DeepCopyObject()); err != nil {
			return nil, err
		}
	}
	podObj, err := r.store.Get(ctx, name, &metav1.GetOptions{})
	if err != nil {
		return nil, err
	}
	pod := podObj.(*corev1.Pod)
	if !budgetApplies(pod) {
		return r.evict(ctx, pod, deleteOptions)
	}
	list, err := r.budgets.PodDisruptionBudgets(pod.Namespace).List(ctx, metav1.ListOptions{})
	if err != nil {
		return nil, err
	}
	var matching []policyv1.PodDisruptionBudget
	for _, pdb := range list.Items {
		if pdb.Spec.Selector == nil {
			continue
		}
		sel, err := metav1.LabelSelectorAsSelector(pdb.Spec.Selector)
		if err != nil || sel.Empty() && len(pdb.Spec.Selector.MatchExpressions) > 0 {
			continue
		}
		if sel.Matches(labels.Set(pod.Labels)) {
			matching = append(matching, pdb)
		}
	}
	switch len(matching) {
	case 0:
		return r.evict(ctx, pod, deleteOptions)
	case 1:
	default:
		return &metav1.Status{
			Status:  metav1.StatusFailure,
			Code:    500,
			Message: "This pod has more than one PodDisruptionBudget, which the eviction subresource does not support.",
		}, nil
	}
	pdb := &matching[0]
	if !ready(pod) {
		// An unhealthy pod does not count towards the budget: evicting it
		// costs nothing when the budget is met or says so.
		if p := pdb.Spec.UnhealthyPodEvictionPolicy; p != nil && *p == policyv1.AlwaysAllow ||
			pdb.Status.CurrentHealthy >= pdb.Status.DesiredHealthy && pdb.Status.DesiredHealthy > 0 {
			return r.evict(ctx, pod, deleteOptions)
		}
	}
	err = retry.RetryOnConflict(retry.DefaultRetry, func() error {
		current, err := r.budgets.PodDisruptionBudgets(pod.Namespace).Get(ctx, pdb.Name, metav1.GetOptions{})
		if err != nil {
			return err
		}
		return r.decrement(ctx, pod, current, len(deleteOptions.DryRun) > 0)
	})
	if err != nil {
		return nil, err
	}
	return r.evict(ctx, pod, deleteOptions)
}

// budgetApplies reports whether a disruption budget guards the pod: a pod
// that is not running (pending, finished, already terminating) is not
// disrupted by its eviction.
func budgetApplies(pod *corev1.Pod) bool {
	switch pod.Status.Phase {
	case corev1.PodSucceeded, corev1.PodFailed, corev1.PodPending:
		return false
	}
	return pod.DeletionTimestamp == nil
}

func ready(pod *corev1.Pod) bool {
	for _, c := range pod.Status.Conditions {
		if c.Type == corev1.PodReady {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}

// decrement spends one of the budget's allowed disruptions on the pod.
func (r *EvictionREST) decrement(ctx context.Context, pod *corev1.Pod, pdb *policyv1.PodDisruptionBudget, dryRun bool) error {
	switch {
	case pdb.Status.ObservedGeneration < pdb.Generation:
		// The disruption controller has not seen this budget yet: worth
		// retrying soon, so the client is told to come back in 10 s.
		return tooManyRequests(pdb, 10, "")
	case pdb.Status.DisruptionsAllowed < 0:
		return apierrors.NewForbidden(policyv1.Resource("poddisruptionbudget"), pdb.Name, fmt.Errorf("pdb disruptions allowed is negative"))
	case len(pdb.Status.DisruptedPods) > maxDisruptedPods:
		return apierrors.NewForbidden(policyv1.Resource("poddisruptionbudget"), pdb.Name, fmt.Errorf("DisruptedPods map too big - too many evictions not confirmed by PDB controller"))
	case pdb.Status.DisruptionsAllowed == 0:
		return tooManyRequests(pdb, 0, fmt.Sprintf("The disruption budget %s needs %d healthy pods and has %d currently",
			pdb.Name, pdb.Status.DesiredHealthy, pdb.Status.CurrentHealthy))
	}
	pdb.Status.DisruptionsAllowed--
	if pdb.Status.DisruptionsAllowed == 0 {
		// The disruption controller recomputes the condition; until then
		// the budget reads as exhausted, as upstream leaves it.
		pdb.Status.Conditions = setBudgetCondition(pdb.Status.Conditions, metav1.ConditionFalse, policyv1.InsufficientPodsReason)
	}
	if dryRun {
		return nil
	}
	if pdb.Status.DisruptedPods == nil {
		pdb.Status.DisruptedPods = map[string]metav1.Time{}
	}
	pdb.Status.DisruptedPods[pod.Name] = metav1.NewTime(time.Now())
	_, err := r.budgets.PodDisruptionBudgets(pod.Namespace).UpdateStatus(ctx, pdb, metav1.UpdateOptions{})
	return err
}

func setBudgetCondition(conds []metav1.Condition, status metav1.ConditionStatus, reason string) []metav1.Condition {
	for i := range conds {
		if conds[i].Type == policyv1.DisruptionAllowedCondition {
			if conds[i].Status != status {
				conds[i].LastTransitionTime = metav1.Now()
			}
			conds[i].Status, conds[i].Reason = status, reason
			return conds
		}
	}
	return append(conds, metav1.Condition{Type: policyv1.DisruptionAllowedCondition, Status: status, Reason: reason, LastTransitionTime: metav1.Now()})
}

func tooManyRequests(pdb *policyv1.PodDisruptionBudget, retryAfter int, cause string) error {
	err := apierrors.NewTooManyRequests("Cannot evict pod as it would violate the pod's disruption budget.", retryAfter)
	if cause != "" {
		err.ErrStatus.Details.Causes = append(err.ErrStatus.Details.Causes, metav1.StatusCause{Type: policyv1.DisruptionBudgetCause, Message: cause})
	}
	return err
}

// evict marks the pod as a disruption target, as upstream does so that
// controllers can tell an eviction from a crash, and deletes it.
func (r *EvictionREST) evict(ctx context.Context, pod *corev1.Pod, options *metav1.DeleteOptions) (runtime.Object, error) {
	if len(options.DryRun) == 0 {
		key, err := r.store.KeyFunc(ctx, pod.Name)
		if err != nil {
			return nil, err
		}
		err = r.store.Storage.GuaranteedUpdate(ctx, key, &corev1.Pod{}, false, nil, storage.SimpleUpdate(func(obj runtime.Object) (runtime.Object, error) {
			p := obj.(*corev1.Pod)
			if p.DeletionTimestamp != nil || p.Status.Phase == corev1.PodSucceeded || p.Status.Phase == corev1.PodFailed {
				return p, nil
			}
			SetCondition(&p.Status, corev1.PodCondition{
				Type: corev1.DisruptionTarget, Status: corev1.ConditionTrue,
				Reason: "EvictionByEvictionAPI", Message: "Eviction API: evicting",
			})
			return p, nil
		}), false, nil)
		if err != nil && !storage.IsNotFound(err) {
			return nil, apierrors.NewInternalError(err)
		}
	}
	if _, _, err := r.store.Delete(ctx, pod.Name, rest.ValidateAllObjectFunc, options); err != nil {
		return nil, err
	}
	return &metav1.Status{Status: metav1.StatusSuccess}, nil
}

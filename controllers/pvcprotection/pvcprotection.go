package pvcprotection

import (
	"context"
	"fmt"
	"slices"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	coreinformers "k8s.io/client-go/informers/core/v1"
	"k8s.io/client-go/kubernetes"
	corelisters "k8s.io/client-go/listers/core/v1"
	"k8s.io/client-go/tools/cache"
	"k8s.io/component-helpers/storage/ephemeral"
	"k8s.io/klog/v2"

	"github.com/kubeshim/kubeshim/controllers/podclaims"
	"github.com/kubeshim/kubeshim/controllers/queue"
)

// Name is upstream's controller name.
const Name = "persistentvolumeclaim-protection-controller"

// Finalizer is the claim's protection finalizer.
const Finalizer = "kubernetes.io/pvc-protection"

// Controller guards claims in use.
type Controller struct {
	client kubernetes.Interface
	claims corelisters.PersistentVolumeClaimLister
	pods   cache.Indexer
	synced []cache.InformerSynced
	now    func() metav1.Time
	queue  *queue.Queue
}

// New returns the controller on the shared claim and pod informers.
func New(client kubernetes.Interface, claims coreinformers.PersistentVolumeClaimInformer, pods coreinformers.PodInformer) (*Controller, error) {
	if err := podclaims.AddIndex(pods.Informer()); err != nil {
		return nil, err
	}
	c := &Controller{
		client: client,
		claims: claims.Lister(),
		pods:   pods.Informer().GetIndexer(),
		synced: []cache.InformerSynced{claims.Informer().HasSynced, pods.Informer().HasSynced},
		now:    metav1.Now,
	}
	c.queue = queue.New("pvcprotection", c.sync)
	_, err := claims.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    c.claimChanged,
		UpdateFunc: func(_, obj any) { c.claimChanged(obj) },
	})
	if err != nil {
		return nil, fmt.Errorf("claim event handler: %w", err)
	}
	_, err = pods.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    func(obj any) { c.podChanged(nil, obj) },
		UpdateFunc: func(old, obj any) { c.podChanged(old, obj) },
		DeleteFunc: func(obj any) { c.podChanged(nil, obj) },
	})
	if err != nil {
		return nil, fmt.Errorf("pod event handler: %w", err)
	}
	return c, nil
}

// Run protects claims until ctx is done.
func (c *Controller) Run(ctx context.Context, workers int) {
	klog.FromContext(ctx).Info("Starting controller", "controller", Name)
	c.queue.Run(ctx, workers, c.synced...)
}

func (c *Controller) claimChanged(obj any) {
	claim, ok := obj.(*corev1.PersistentVolumeClaim)
	if !ok {
		return
	}
	if unusedCondition(claim) == nil || needsFinalizer(claim) || deletionCandidate(claim) {
		c.queue.Add(queue.Key(claim.Namespace, claim.Name))
	}
}

// podChanged looks again at every claim the pod uses: a pod that comes,
// finishes or goes changes whether they are in use. A pod replaced under
// the same name counts as the old one gone.
func (c *Controller) podChanged(old, obj any) {
	pod, ok := queue.Unwrap(obj).(*corev1.Pod)
	if !ok {
		return
	}
	c.enqueueClaims(pod)
	if oldPod, ok := old.(*corev1.Pod); ok && oldPod.UID != pod.UID {
		c.enqueueClaims(oldPod)
	}
}

func (c *Controller) enqueueClaims(pod *corev1.Pod) {
	for _, name := range podclaims.ClaimNames(pod) {
		c.queue.Add(queue.Key(pod.Namespace, name))
	}
}

func (c *Controller) sync(ctx context.Context, key string) (time.Duration, error) {
	logger := klog.FromContext(ctx)
	namespace, name, err := cache.SplitMetaNamespaceKey(key)
	if err != nil {
		return 0, nil
	}
	claim, err := c.claims.PersistentVolumeClaims(namespace).Get(name)
	if apierrors.IsNotFound(err) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	// One live list of the namespace's pods serves both questions.
	var live []corev1.Pod
	if claim.DeletionTimestamp == nil && claim.Status.Phase == corev1.ClaimBound {
		used, err := c.inUse(ctx, claim, &live, usesForUnusedSince)
		if err != nil {
			return 0, err
		}
		if claim, err = c.updateUnusedCondition(ctx, claim, used); err != nil {
			return 0, err
		}
	}
	if deletionCandidate(claim) {
		used, err := c.inUse(ctx, claim, &live, usesForDeletion)
		if err != nil {
			return 0, err
		}
		if !used {
			return 0, c.removeFinalizer(ctx, claim)
		}
		logger.V(2).Info("Keeping PVC because it is being used", "claim", klog.KObj(claim))
	}
	if needsFinalizer(claim) {
		return 0, c.addFinalizer(ctx, claim)
	}
	return 0, nil
}

type usesFunc func(pod *corev1.Pod, claim *corev1.PersistentVolumeClaim) bool

// inUse asks the informer first; if it knows of no pod using the claim,
// the API server, whose answer is not behind. live caches the namespace's
// pods for the rest of the sync.
func (c *Controller) inUse(ctx context.Context, claim *corev1.PersistentVolumeClaim, live *[]corev1.Pod, uses usesFunc) (bool, error) {
	pods, err := podclaims.Pods(c.pods, claim.Namespace, claim.Name)
	if err != nil {
		return false, err
	}
	for _, pod := range pods {
		if uses(pod, claim) {
			return true, nil
		}
	}
	if *live == nil {
		list, err := c.client.CoreV1().Pods(claim.Namespace).List(ctx, metav1.ListOptions{})
		if err != nil {
			return false, fmt.Errorf("live list of pods failed: %w", err)
		}
		*live = append(make([]corev1.Pod, 0, len(list.Items)), list.Items...)
	}
	for i := range *live {
		if uses(&(*live)[i], claim) {
			return true, nil
		}
	}
	klog.FromContext(ctx).V(4).Info("PVC is unused", "claim", klog.KObj(claim))
	return false, nil
}

// usesForDeletion: a scheduled pod that names the claim holds it, whatever
// its phase: the node may still have the volume mounted until the pod
// object is gone. A generic ephemeral claim is released once its pod is
// being deleted with no grace left.
func usesForDeletion(pod *corev1.Pod, claim *corev1.PersistentVolumeClaim) bool {
	if pod.Spec.NodeName == "" {
		return false
	}
	for i := range pod.Spec.Volumes {
		v := &pod.Spec.Volumes[i]
		if v.PersistentVolumeClaim != nil && v.PersistentVolumeClaim.ClaimName == claim.Name {
			return true
		}
		if v.Ephemeral != nil && !shutDown(pod) && ephemeral.VolumeClaimName(pod, v) == claim.Name && ephemeral.VolumeIsForPod(pod, claim) == nil {
			return true
		}
	}
	return false
}

// usesForUnusedSince: any pod that has not terminated and names the
// claim, scheduled or not.
func usesForUnusedSince(pod *corev1.Pod, claim *corev1.PersistentVolumeClaim) bool {
	if podclaims.Terminated(pod) {
		return false
	}
	for i := range pod.Spec.Volumes {
		v := &pod.Spec.Volumes[i]
		if v.PersistentVolumeClaim != nil && v.PersistentVolumeClaim.ClaimName == claim.Name {
			return true
		}
		if v.Ephemeral != nil && ephemeral.VolumeClaimName(pod, v) == claim.Name && ephemeral.VolumeIsForPod(pod, claim) == nil {
			return true
		}
	}
	return false
}

func shutDown(pod *corev1.Pod) bool {
	return pod.DeletionTimestamp != nil && pod.DeletionGracePeriodSeconds != nil && *pod.DeletionGracePeriodSeconds == 0
}

// updateUnusedCondition sets the Unused condition when it changes and
// returns the claim as stored.
func (c *Controller) updateUnusedCondition(ctx context.Context, claim *corev1.PersistentVolumeClaim, used bool) (*corev1.PersistentVolumeClaim, error) {
	existing := unusedCondition(claim)
	want := corev1.PersistentVolumeClaimCondition{Type: corev1.PersistentVolumeClaimUnused}
	switch {
	case used && (existing == nil || existing.Status == corev1.ConditionTrue):
		want.Status, want.Reason, want.Message = corev1.ConditionFalse, "PodUsingPVC", "A pod is currently referencing this PVC"
	case !used && (existing == nil || existing.Status != corev1.ConditionTrue):
		want.Status, want.Reason, want.Message = corev1.ConditionTrue, "NoPodsUsingPVC", "No pods are currently referencing this PVC"
	default:
		return claim, nil
	}
	want.LastTransitionTime = c.now()
	clone := claim.DeepCopy()
	if cond := unusedCondition(clone); cond != nil {
		*cond = want
	} else {
		clone.Status.Conditions = append(clone.Status.Conditions, want)
	}
	updated, err := c.client.CoreV1().PersistentVolumeClaims(clone.Namespace).UpdateStatus(ctx, clone, metav1.UpdateOptions{})
	if err != nil {
		return nil, fmt.Errorf("set Unused condition of claim %s/%s: %w", claim.Namespace, claim.Name, err)
	}
	klog.FromContext(ctx).V(3).Info("Updated Unused condition in PVC status", "claim", klog.KObj(claim), "status", want.Status)
	return updated, nil
}

func (c *Controller) addFinalizer(ctx context.Context, claim *corev1.PersistentVolumeClaim) error {
	clone := claim.DeepCopy()
	clone.Finalizers = append(clone.Finalizers, Finalizer)
	if _, err := c.client.CoreV1().PersistentVolumeClaims(clone.Namespace).Update(ctx, clone, metav1.UpdateOptions{}); err != nil {
		return fmt.Errorf("add protection finalizer to claim %s/%s: %w", claim.Namespace, claim.Name, err)
	}
	klog.FromContext(ctx).V(3).Info("Added protection finalizer to PVC", "claim", klog.KObj(claim))
	return nil
}

func (c *Controller) removeFinalizer(ctx context.Context, claim *corev1.PersistentVolumeClaim) error {
	clone := claim.DeepCopy()
	clone.Finalizers = slices.DeleteFunc(clone.Finalizers, func(f string) bool { return f == Finalizer })
	if _, err := c.client.CoreV1().PersistentVolumeClaims(clone.Namespace).Update(ctx, clone, metav1.UpdateOptions{}); err != nil {
		return fmt.Errorf("remove protection finalizer from claim %s/%s: %w", claim.Namespace, claim.Name, err)
	}
	klog.FromContext(ctx).V(3).Info("Removed protection finalizer from PVC", "claim", klog.KObj(claim))
	return nil
}

func unusedCondition(claim *corev1.PersistentVolumeClaim) *corev1.PersistentVolumeClaimCondition {
	for i := range claim.Status.Conditions {
		if claim.Status.Conditions[i].Type == corev1.PersistentVolumeClaimUnused {
			return &claim.Status.Conditions[i]
		}
	}
	return nil
}

func needsFinalizer(claim *corev1.PersistentVolumeClaim) bool {
	return claim.DeletionTimestamp == nil && !slices.Contains(claim.Finalizers, Finalizer)
}

func deletionCandidate(claim *corev1.PersistentVolumeClaim) bool {
	return claim.DeletionTimestamp != nil && slices.Contains(claim.Finalizers, Finalizer)
}

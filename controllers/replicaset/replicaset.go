package replicaset

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"sort"
	"strings"
	"sync"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	apivalidation "k8s.io/apimachinery/pkg/api/validation"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/types"
	coreinformers "k8s.io/client-go/informers/core/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/cache"
	"k8s.io/klog/v2"
	"k8s.io/utils/clock"
	"k8s.io/utils/ptr"

	"github.com/kubeshim/kubeshim/controllers/expectations"
	"github.com/kubeshim/kubeshim/controllers/owner"
	"github.com/kubeshim/kubeshim/controllers/podstate"
	"github.com/kubeshim/kubeshim/controllers/queue"
)

const (
	// BurstReplicas caps the creates or deletes of one sync, as upstream.
	BurstReplicas = 500
	// slowStartInitialBatch is the first batch of creates; each next batch
	// doubles, so a failing create (quota, admission) costs few calls.
	slowStartInitialBatch = 1
	// podControllerIndex indexes pods by their controller (or, for
	// orphans, by namespace alone); every Kind's controller shares it.
	podControllerIndex = "kubeshim.io/pod-controller"
)

// Controller reconciles the owners of one Kind with their pods.
type Controller struct {
	kind   Kind
	client kubernetes.Interface
	pods   cache.Indexer
	synced []cache.InformerSynced
	clock  clock.PassiveClock
	exp    *expectations.Tracking
	burst  int
	queue  *queue.Queue
}

// New returns a controller of kind's owners on the shared pod informer.
// Call it before the informers start: it adds an index to the pod informer.
func New(client kubernetes.Interface, kind Kind, pods coreinformers.PodInformer) *Controller {
	return newController(client, kind, pods, clock.RealClock{})
}

func newController(client kubernetes.Interface, kind Kind, pods coreinformers.PodInformer, clk clock.PassiveClock) *Controller {
	c := &Controller{
		kind:   kind,
		client: client,
		pods:   pods.Informer().GetIndexer(),
		synced: []cache.InformerSynced{kind.Informer().HasSynced, pods.Informer().HasSynced},
		clock:  clk,
		exp:    expectations.NewTracking(clk),
		burst:  BurstReplicas,
	}
	name := strings.ToLower(kind.GroupVersionKind().Kind)
	c.queue = queue.New(name, c.sync)
	if _, ok := pods.Informer().GetIndexer().GetIndexers()[podControllerIndex]; !ok {
		// An error means the informer already started; the controller
		// cannot work then, and that is a programming error.
		if err := pods.Informer().AddIndexers(cache.Indexers{podControllerIndex: podControllerKeys}); err != nil {
			panic(fmt.Sprintf("add pod controller index: %v", err))
		}
	}
	_, _ = kind.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    c.ownerChanged,
		UpdateFunc: c.ownerUpdated,
		DeleteFunc: c.ownerDeleted,
	})
	_, _ = pods.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    c.podAdded,
		UpdateFunc: c.podUpdated,
		DeleteFunc: c.podDeleted,
	})
	return c
}

func podControllerKey(namespace string, ref *metav1.OwnerReference) string {
	if ref == nil {
		return namespace
	}
	return namespace + "/" + ref.Kind + "/" + ref.Name + "/" + string(ref.UID)
}

func podControllerKeys(obj any) ([]string, error) {
	pod, ok := obj.(*corev1.Pod)
	if !ok {
		return nil, nil
	}
	return []string{podControllerKey(pod.Namespace, metav1.GetControllerOfNoCopy(pod))}, nil
}

// Run processes owners until ctx is done.
func (c *Controller) Run(ctx context.Context, workers int) {
	klog.FromContext(ctx).Info("Starting controller", "kind", c.kind.GroupVersionKind().Kind)
	c.queue.Run(ctx, workers, c.synced...)
}

func (c *Controller) ownerChanged(obj any) {
	if rs, err := c.kind.Convert(obj); err == nil {
		c.queue.Add(queue.Key(rs.Namespace, rs.Name))
	}
}

func (c *Controller) ownerUpdated(oldObj, newObj any) {
	old, err1 := c.kind.Convert(oldObj)
	cur, err2 := c.kind.Convert(newObj)
	if err1 != nil || err2 != nil {
		return
	}
	if old.UID != cur.UID {
		// Deleted and recreated under the same name between two
		// observations: what was expected of the old one is moot.
		c.exp.Forget(queue.Key(old.Namespace, old.Name))
	}
	c.queue.Add(queue.Key(cur.Namespace, cur.Name))
}

func (c *Controller) ownerDeleted(obj any) {
	rs, err := c.kind.Convert(queue.Unwrap(obj))
	if err != nil {
		return
	}
	k := queue.Key(rs.Namespace, rs.Name)
	c.exp.Forget(k)
	c.queue.Add(k)
}

// resolve returns the owner a controllerRef names, if it is of this kind and
// still the same object.
func (c *Controller) resolve(namespace string, ref *metav1.OwnerReference) *appsv1.ReplicaSet {
	return owner.Resolve(ref, c.kind.GroupVersionKind().Kind, func(name string) (*appsv1.ReplicaSet, error) {
		return c.kind.Get(namespace, name)
	})
}

// selecting returns the owners whose selector matches pod: candidates to
// adopt it.
func (c *Controller) selecting(pod *corev1.Pod) []*appsv1.ReplicaSet {
	all, err := c.kind.List(pod.Namespace)
	if err != nil {
		return nil
	}
	var out []*appsv1.ReplicaSet
	for _, rs := range all {
		sel, err := metav1.LabelSelectorAsSelector(rs.Spec.Selector)
		if err != nil || sel.Empty() || !sel.Matches(labels.Set(pod.Labels)) {
			continue
		}
		out = append(out, rs)
	}
	return out
}

func (c *Controller) podAdded(obj any) {
	pod := obj.(*corev1.Pod)
	if pod.DeletionTimestamp != nil {
		// Seen for the first time already terminating (a restart of the
		// informer): a create of ours must not wait on it.
		c.podDeleted(pod)
		return
	}
	if ref := metav1.GetControllerOfNoCopy(pod); ref != nil {
		if rs := c.resolve(pod.Namespace, ref); rs != nil {
			k := queue.Key(rs.Namespace, rs.Name)
			c.exp.CreationObserved(k)
			c.queue.Add(k)
		}
		return
	}
	for _, rs := range c.selecting(pod) {
		c.queue.Add(queue.Key(rs.Namespace, rs.Name))
	}
}

func (c *Controller) podUpdated(oldObj, newObj any) {
	old, cur := oldObj.(*corev1.Pod), newObj.(*corev1.Pod)
	if old.ResourceVersion == cur.ResourceVersion {
		// A resync: nothing changed.
		return
	}
	labelsChanged := !reflect.DeepEqual(old.Labels, cur.Labels)
	if cur.DeletionTimestamp != nil {
		// A graceful delete began: count it as the delete the owner
		// expects, so that a replacement is made without waiting for the
		// grace period. With the labels changed too, the old owner may
		// need a replacement as well.
		c.podDeleted(cur)
		if labelsChanged {
			c.podDeleted(old)
		}
		return
	}
	curRef, oldRef := metav1.GetControllerOfNoCopy(cur), metav1.GetControllerOfNoCopy(old)
	refChanged := !reflect.DeepEqual(curRef, oldRef)
	if refChanged && oldRef != nil {
		if rs := c.resolve(old.Namespace, oldRef); rs != nil {
			c.queue.Add(queue.Key(rs.Namespace, rs.Name))
		}
	}
	if curRef != nil {
		// A readiness change with minReadySeconds is followed up by the
		// sync itself, which asks to come back when the pod is available.
		if rs := c.resolve(cur.Namespace, curRef); rs != nil {
			c.queue.Add(queue.Key(rs.Namespace, rs.Name))
		}
		return
	}
	if labelsChanged || refChanged {
		for _, rs := range c.selecting(cur) {
			c.queue.Add(queue.Key(rs.Namespace, rs.Name))
		}
	}
}

func (c *Controller) podDeleted(obj any) {
	pod, ok := queue.Unwrap(obj).(*corev1.Pod)
	if !ok {
		return
	}
	ref := metav1.GetControllerOfNoCopy(pod)
	if ref == nil {
		return
	}
	rs := c.resolve(pod.Namespace, ref)
	if rs == nil {
		return
	}
	k := queue.Key(rs.Namespace, rs.Name)
	c.exp.DeletionObserved(k, queue.Key(pod.Namespace, pod.Name))
	c.queue.Add(k)
}

// sync reconciles one owner: claim pods, create or delete the difference
// (unless earlier writes are still unseen), write status.
func (c *Controller) sync(ctx context.Context, k string) (time.Duration, error) {
	logger := klog.FromContext(ctx)
	namespace, name, err := cache.SplitMetaNamespaceKey(k)
	if err != nil {
		return 0, nil
	}
	rs, err := c.kind.Get(namespace, name)
	if apierrors.IsNotFound(err) {
		c.exp.Forget(k)
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	needsSync := c.exp.Satisfied(k)
	selector, err := metav1.LabelSelectorAsSelector(rs.Spec.Selector)
	if err != nil {
		// Validation refuses such selectors; nothing to retry.
		logger.Error(err, "Invalid selector", "owner", klog.KObj(rs))
		return 0, nil
	}
	all, err := c.ownedAndOrphans(rs)
	if err != nil {
		return 0, err
	}
	var active []*corev1.Pod
	for _, p := range all {
		if podstate.Active(p) {
			active = append(active, p)
		}
	}
	claimed, err := c.claim(ctx, rs, selector, active)
	if err != nil {
		return 0, err
	}
	var terminating []*corev1.Pod
	if c.kind.TerminatingReplicas() {
		for _, p := range all {
			if podstate.Terminating(p) {
				terminating = append(terminating, p)
			}
		}
		terminating = filterClaimed(rs, selector, terminating)
	}

	var manageErr error
	if needsSync && rs.DeletionTimestamp == nil {
		manageErr = c.manage(ctx, rs, claimed)
	}
	now := c.clock.Now()
	status := c.calculateStatus(rs, claimed, terminating, manageErr, now)
	updated, err := c.updateStatus(ctx, rs, status)
	if err != nil {
		return 0, fmt.Errorf("update status of %s: %w", k, err)
	}
	if manageErr != nil {
		return 0, manageErr
	}
	if updated.Spec.MinReadySeconds > 0 && updated.Status.ReadyReplicas != updated.Status.AvailableReplicas {
		after := time.Duration(updated.Spec.MinReadySeconds) * time.Second
		if next := nextAvailabilityCheck(claimed, updated.Spec.MinReadySeconds, c.clock.Now()); next != nil {
			after = *next
		}
		return after, nil
	}
	return 0, nil
}

// ownedAndOrphans returns the pods rs controls and the namespace's orphans.
func (c *Controller) ownedAndOrphans(rs *appsv1.ReplicaSet) ([]*corev1.Pod, error) {
	ref := &metav1.OwnerReference{Kind: c.kind.GroupVersionKind().Kind, Name: rs.Name, UID: rs.UID}
	var out []*corev1.Pod
	for _, idx := range []string{podControllerKey(rs.Namespace, ref), podControllerKey(rs.Namespace, nil)} {
		objs, err := c.pods.ByIndex(podControllerIndex, idx)
		if err != nil {
			return nil, fmt.Errorf("list pods of %s/%s: %w", rs.Namespace, rs.Name, err)
		}
		for _, o := range objs {
			if p, ok := o.(*corev1.Pod); ok {
				out = append(out, p)
			}
		}
	}
	return out, nil
}

// claim adopts matching orphans and releases owned pods that stopped
// matching, returning the pods rs now owns (upstream's
// PodControllerRefManager). An owner being deleted neither adopts nor
// releases: the garbage collector is orphaning or deleting its pods.
func (c *Controller) claim(ctx context.Context, rs *appsv1.ReplicaSet, selector labels.Selector, pods []*corev1.Pod) ([]*corev1.Pod, error) {
	var (
		claimed  []*corev1.Pod
		errs     []error
		canAdopt *error
	)
	for _, pod := range pods {
		matches := selector.Matches(labels.Set(pod.Labels))
		if ref := metav1.GetControllerOfNoCopy(pod); ref != nil {
			if ref.UID != rs.UID {
				continue
			}
			if matches {
				claimed = append(claimed, pod)
				continue
			}
			if rs.DeletionTimestamp != nil {
				continue
			}
			if err := c.release(ctx, rs, pod); err != nil {
				errs = append(errs, err)
			}
			continue
		}
		if rs.DeletionTimestamp != nil || !matches || pod.DeletionTimestamp != nil || pod.Namespace != rs.Namespace {
			continue
		}
		if canAdopt == nil {
			// Recheck against the API once per sync: the cache may not
			// show yet that the owner is being deleted, and adopting then
			// would race the garbage collector's orphaning.
			err := c.recheckNotDeleted(ctx, rs)
			canAdopt = &err
		}
		if *canAdopt != nil {
			errs = append(errs, fmt.Errorf("adopt pod %s/%s: %w", pod.Namespace, pod.Name, *canAdopt))
			continue
		}
		err := c.adopt(ctx, rs, pod)
		switch {
		case err == nil:
			claimed = append(claimed, pod)
		case apierrors.IsNotFound(err):
		default:
			errs = append(errs, err)
		}
	}
	return claimed, errors.Join(errs...)
}

func (c *Controller) recheckNotDeleted(ctx context.Context, rs *appsv1.ReplicaSet) error {
	fresh, err := c.kind.GetLive(ctx, rs.Namespace, rs.Name)
	if err != nil {
		return fmt.Errorf("recheck deletion timestamp: %w", err)
	}
	if fresh.UID != rs.UID {
		return fmt.Errorf("%s %s/%s is gone: uid %s, want %s", c.kind.GroupVersionKind().Kind, rs.Namespace, rs.Name, fresh.UID, rs.UID)
	}
	if fresh.DeletionTimestamp != nil {
		return fmt.Errorf("%s/%s is being deleted", rs.Namespace, rs.Name)
	}
	return nil
}

// controllerRef is the ownerReference rs puts on its pods.
func (c *Controller) controllerRef(rs *appsv1.ReplicaSet) *metav1.OwnerReference {
	gvk := c.kind.GroupVersionKind()
	return &metav1.OwnerReference{
		APIVersion:         gvk.GroupVersion().String(),
		Kind:               gvk.Kind,
		Name:               rs.Name,
		UID:                rs.UID,
		Controller:         ptr.To(true),
		BlockOwnerDeletion: ptr.To(true),
	}
}

// adopt adds rs as the pod's controller. The patch names the pod's UID so
// that it cannot apply to a pod recreated under the same name.
func (c *Controller) adopt(ctx context.Context, rs *appsv1.ReplicaSet, pod *corev1.Pod) error {
	patch, err := json.Marshal(map[string]any{"metadata": map[string]any{
		"uid":             pod.UID,
		"ownerReferences": []metav1.OwnerReference{*c.controllerRef(rs)},
	}})
	if err != nil {
		return err
	}
	if _, err := c.client.CoreV1().Pods(pod.Namespace).Patch(ctx, pod.Name, types.StrategicMergePatchType, patch, metav1.PatchOptions{}); err != nil {
		return fmt.Errorf("adopt pod %s/%s: %w", pod.Namespace, pod.Name, err)
	}
	klog.FromContext(ctx).V(2).Info("Adopted pod", "pod", klog.KObj(pod), "owner", klog.KObj(rs))
	return nil
}

// release removes rs's ownerReference from the pod. A pod that is gone, or
// whose UID changed (the patch is then invalid), needs no release.
func (c *Controller) release(ctx context.Context, rs *appsv1.ReplicaSet, pod *corev1.Pod) error {
	patch, err := json.Marshal(map[string]any{"metadata": map[string]any{
		"uid":             pod.UID,
		"ownerReferences": []map[string]string{{"$patch": "delete", "uid": string(rs.UID)}},
	}})
	if err != nil {
		return err
	}
	_, err = c.client.CoreV1().Pods(pod.Namespace).Patch(ctx, pod.Name, types.StrategicMergePatchType, patch, metav1.PatchOptions{})
	if err != nil && !apierrors.IsNotFound(err) && !apierrors.IsInvalid(err) {
		return fmt.Errorf("release pod %s/%s: %w", pod.Namespace, pod.Name, err)
	}
	klog.FromContext(ctx).V(2).Info("Released pod", "pod", klog.KObj(pod), "owner", klog.KObj(rs))
	return nil
}

// manage creates or deletes pods to bring active to rs's replicas.
func (c *Controller) manage(ctx context.Context, rs *appsv1.ReplicaSet, active []*corev1.Pod) error {
	logger := klog.FromContext(ctx)
	k := queue.Key(rs.Namespace, rs.Name)
	want := int(ptr.Deref(rs.Spec.Replicas, 1))
	diff := len(active) - want
	switch {
	case diff < 0:
		n := min(-diff, c.burst)
		c.exp.ExpectCreations(k, n)
		logger.V(2).Info("Too few replicas", "owner", klog.KObj(rs), "need", want, "creating", n)
		created, err := slowStartBatch(n, slowStartInitialBatch, func() error {
			err := c.createPod(ctx, rs)
			if err != nil && apierrors.HasStatusCause(err, corev1.NamespaceTerminatingCause) {
				// Nothing can be created in a terminating namespace;
				// that is not this owner's failure.
				return nil
			}
			return err
		})
		// Creates never issued will never be observed.
		for i := created; i < n; i++ {
			c.exp.CreationObserved(k)
		}
		return err
	case diff > 0:
		n := min(diff, c.burst)
		logger.V(2).Info("Too many replicas", "owner", klog.KObj(rs), "need", want, "deleting", n)
		victims := c.podsToDelete(rs, active, n)
		keys := make([]string, len(victims))
		for i, p := range victims {
			keys[i] = queue.Key(p.Namespace, p.Name)
		}
		c.exp.ExpectDeletions(k, keys)
		var (
			wg   sync.WaitGroup
			mu   sync.Mutex
			errs []error
		)
		for _, pod := range victims {
			wg.Go(func() {
				err := c.client.CoreV1().Pods(pod.Namespace).Delete(ctx, pod.Name, metav1.DeleteOptions{})
				if err == nil {
					logger.V(2).Info("Deleted pod", "pod", klog.KObj(pod), "owner", klog.KObj(rs))
					return
				}
				// No delete event will come for a failed delete.
				c.exp.DeletionObserved(k, queue.Key(pod.Namespace, pod.Name))
				if !apierrors.IsNotFound(err) {
					mu.Lock()
					errs = append(errs, fmt.Errorf("delete pod %s/%s: %w", pod.Namespace, pod.Name, err))
					mu.Unlock()
				}
			})
		}
		wg.Wait()
		if len(errs) > 0 {
			return errs[0]
		}
	}
	return nil
}

// createPod creates one pod from rs's template, controlled by rs, named by
// the server from generateName "<owner>-".
func (c *Controller) createPod(ctx context.Context, rs *appsv1.ReplicaSet) error {
	t := &rs.Spec.Template
	if len(t.Labels) == 0 {
		return fmt.Errorf("unable to create pods, no labels")
	}
	pod := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{
			GenerateName:    podPrefix(rs.Name),
			Labels:          copyMap(t.Labels),
			Annotations:     copyMap(t.Annotations),
			Finalizers:      append([]string(nil), t.Finalizers...),
			OwnerReferences: []metav1.OwnerReference{*c.controllerRef(rs)},
		},
		Spec: *t.Spec.DeepCopy(),
	}
	created, err := c.client.CoreV1().Pods(rs.Namespace).Create(ctx, pod, metav1.CreateOptions{})
	if err != nil {
		return fmt.Errorf("create pod for %s/%s: %w", rs.Namespace, rs.Name, err)
	}
	klog.FromContext(ctx).V(4).Info("Created pod", "pod", klog.KObj(created), "owner", klog.KObj(rs))
	return nil
}

// podPrefix is "<name>-", or the bare name when the dash would make an
// invalid prefix (upstream's getPodsPrefix).
func podPrefix(name string) string {
	if p := name + "-"; len(apivalidation.NameIsDNSSubdomain(p, true)) == 0 {
		return p
	}
	return name
}

func copyMap(m map[string]string) map[string]string {
	if m == nil {
		return map[string]string{}
	}
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// podsToDelete picks the n pods to delete first. Pods of the owner's
// siblings (owners with the same controller, e.g. a Deployment's
// ReplicaSets) count towards doubling up on a node.
func (c *Controller) podsToDelete(rs *appsv1.ReplicaSet, active []*corev1.Pod, n int) []*corev1.Pod {
	if n >= len(active) {
		return active
	}
	onNode := map[string]int{}
	for _, p := range c.relatedPods(rs) {
		if podstate.Active(p) {
			onNode[p.Spec.NodeName]++
		}
	}
	ranked := rankedPods{pods: append([]*corev1.Pod(nil), active...), rank: make([]int, len(active)), now: c.clock.Now()}
	for i, p := range ranked.pods {
		ranked.rank[i] = onNode[p.Spec.NodeName]
	}
	sort.Sort(ranked)
	return ranked.pods[:n]
}

// relatedPods returns the pods selected by rs and by the owners that share
// its controller; rs alone when it has none.
func (c *Controller) relatedPods(rs *appsv1.ReplicaSet) []*corev1.Pod {
	owners := []*appsv1.ReplicaSet{rs}
	if ref := metav1.GetControllerOfNoCopy(rs); ref != nil {
		owners = nil
		all, _ := c.kind.List(rs.Namespace)
		for _, o := range all {
			if r := metav1.GetControllerOfNoCopy(o); r != nil && r.UID == ref.UID {
				owners = append(owners, o)
			}
		}
	}
	seen := map[types.UID]bool{}
	var out []*corev1.Pod
	for _, o := range owners {
		sel, err := metav1.LabelSelectorAsSelector(o.Spec.Selector)
		if err != nil {
			continue
		}
		objs, _ := c.pods.ByIndex(cache.NamespaceIndex, o.Namespace)
		for _, obj := range objs {
			p, ok := obj.(*corev1.Pod)
			if !ok || seen[p.UID] || !sel.Matches(labels.Set(p.Labels)) {
				continue
			}
			seen[p.UID] = true
			out = append(out, p)
		}
	}
	return out
}

// slowStartBatch calls fn count times in batches of initial, 2*initial,
// ... in parallel within a batch, and stops after the first batch with an
// error. It returns the number of successful calls.
func slowStartBatch(count, initial int, fn func() error) (int, error) {
	remaining, successes := count, 0
	for batch := min(remaining, initial); batch > 0; batch = min(2*batch, remaining) {
		errCh := make(chan error, batch)
		var wg sync.WaitGroup
		for range batch {
			wg.Go(func() {
				if err := fn(); err != nil {
					errCh <- err
				}
			})
		}
		wg.Wait()
		successes += batch - len(errCh)
		if len(errCh) > 0 {
			return successes, <-errCh
		}
		remaining -= batch
	}
	return successes, nil
}

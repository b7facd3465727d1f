package daemonset

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"sync"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	apivalidation "k8s.io/apimachinery/pkg/api/validation"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/klog/v2"

	"github.com/kubeshim/kubeshim/controllers/podstate"
	"github.com/kubeshim/kubeshim/controllers/queue"
)

// templateGenerationLabel is the label that carried the template generation
// of extensions/v1beta1 DaemonSets; pods still get it when the DaemonSet has
// the deprecated annotation, and it still marks a pod up to date.
const templateGenerationLabel = "pod-template-generation"

// slowStartInitialBatch is the first batch of creates; each next batch
// doubles, so that a create that fails (quota, admission) fails few times.
const slowStartInitialBatch = 1

// claimPods returns the pods ds controls, adopting orphans its selector
// matches and releasing owned pods it no longer matches.
func (c *Controller) claimPods(ctx context.Context, ds *appsv1.DaemonSet) ([]*corev1.Pod, error) {
	selector, err := metav1.LabelSelectorAsSelector(ds.Spec.Selector)
	if err != nil {
		return nil, fmt.Errorf("selector: %w", err)
	}
	var pods []*corev1.Pod
	for _, idx := range []string{ownerKey(ds.Namespace, ds.UID), ds.Namespace} {
		objs, err := c.pods.ByIndex(podOwnerIndex, idx)
		if err != nil {
			return nil, fmt.Errorf("list pods: %w", err)
		}
		for _, o := range objs {
			pods = append(pods, o.(*corev1.Pod))
		}
	}
	return claim(ctx, c, ds, selector, pods, func(ctx context.Context, p *corev1.Pod, patch []byte) error {
		_, err := c.client.CoreV1().Pods(p.Namespace).Patch(ctx, p.Name, strategicMerge, patch, metav1.PatchOptions{})
		return err
	})
}

// podsByNode maps node names to ds's pods there (bound, or made for the
// node and not yet bound). Pods that are finished and being deleted are left
// out unless includeDeletedTerminal: they are nobody's business but the
// revision history's.
func podsByNode(logger klog.Logger, ds *appsv1.DaemonSet, pods []*corev1.Pod, includeDeletedTerminal bool) map[string][]*corev1.Pod {
	out := map[string][]*corev1.Pod{}
	for _, pod := range pods {
		if !includeDeletedTerminal && isPodTerminal(pod) && pod.DeletionTimestamp != nil {
			continue
		}
		node, err := targetNode(pod)
		if err != nil {
			logger.V(4).Info("Failed to get target node name of Pod in DaemonSet", "pod", klog.KObj(pod), "daemonset", klog.KObj(ds), "err", err)
			continue
		}
		out[node] = append(out[node], pod)
	}
	return out
}

// manage deletes the pods of nodes that should not run one, failed pods and
// duplicates, and creates a pod on every node that should run one and has
// none. It returns how long until a failed pod's back-off ends, if one held
// a delete back.
func (c *Controller) manage(ctx context.Context, ds *appsv1.DaemonSet, pods []*corev1.Pod, nodes []*corev1.Node, hash string) (time.Duration, error) {
	byNode := podsByNode(klog.FromContext(ctx), ds, pods, false)
	place := newPlacement(ds)
	var (
		create, del []string
		after       time.Duration
	)
	for _, node := range nodes {
		cr, d, a := c.podsShouldBeOnNode(ctx, node, byNode[node.Name], ds, hash, place)
		if cr {
			create = append(create, node.Name)
		}
		del = append(del, d...)
		after = earliest(after, a)
	}
	// A pod for a node that is gone will never be bound, so the pod
	// garbage collector (which deletes bound pods of missing nodes) would
	// never see it.
	del = append(del, unscheduledPodsWithoutNode(nodes, byNode)...)
	return after, c.syncNodes(ctx, ds, del, create, hash)
}

// podsShouldBeOnNode is upstream's decision for one node: whether to create
// a pod there, which pods to delete, and how long a failed pod's back-off
// still holds its delete.
func (c *Controller) podsShouldBeOnNode(ctx context.Context, node *corev1.Node, pods []*corev1.Pod, ds *appsv1.DaemonSet,
	hash string, place placement) (create bool, del []string, after time.Duration) {
	logger := klog.FromContext(ctx)
	shouldRun, shouldContinueRunning := place.check(logger, node)
	exists := len(pods) > 0
	switch {
	case shouldRun && !exists:
		return true, nil, 0
	case !shouldContinueRunning:
		for _, pod := range pods {
			if pod.DeletionTimestamp == nil {
				del = append(del, pod.Name)
			}
		}
		return false, del, 0
	}

	// Failed and succeeded pods go; they are replaced on a later sync,
	// once the delete is seen.
	var running []*corev1.Pod
	for _, pod := range pods {
		if pod.DeletionTimestamp != nil {
			continue
		}
		switch pod.Status.Phase {
		case corev1.PodFailed:
			// The kubelet may be rejecting the pod over and over: back
			// off per DaemonSet generation and node.
			backoffKey := fmt.Sprintf("%s/%d/%s", ds.UID, ds.Status.ObservedGeneration, node.Name)
			now := c.failedPods.Clock.Now()
			if c.failedPods.IsInBackOffSinceUpdate(backoffKey, now) {
				delay := c.failedPods.Get(backoffKey)
				logger.V(4).Info("Deleting failed pod on node has been limited by backoff", "pod", klog.KObj(pod), "node", klog.KObj(node), "currentDelay", delay)
				after = earliest(after, delay)
				continue
			}
			c.failedPods.Next(backoffKey, now)
			logger.V(2).Info("Found failed daemon pod on node, will try to kill it", "pod", klog.KObj(pod), "node", klog.KObj(node))
			c.recorder.Eventf(ds, corev1.EventTypeWarning, FailedDaemonPodReason, "Found failed daemon pod %s/%s on node %s, will try to kill it", pod.Namespace, pod.Name, node.Name)
			del = append(del, pod.Name)
		case corev1.PodSucceeded:
			logger.V(2).Info("Found succeeded daemon pod on node, will try to delete it", "pod", klog.KObj(pod), "node", klog.KObj(node))
			c.recorder.Eventf(ds, corev1.EventTypeNormal, SucceededDaemonPodReason, "Found succeeded daemon pod %s/%s on node %s, will try to delete it", pod.Namespace, pod.Name, node.Name)
			del = append(del, pod.Name)
		default:
			running = append(running, pod)
		}
	}

	if !allowsSurge(ds) {
		// One pod per node: keep the oldest.
		if len(running) > 1 {
			sort.Sort(podsByAge(running))
			for _, pod := range running[1:] {
				del = append(del, pod.Name)
			}
		}
		return false, del, after
	}
	if len(running) <= 1 {
		// Surging, a node needs one pod that is not being deleted.
		return len(running) == 0 && shouldRun, del, after
	}
	// With surge, two pods may share a node: the oldest of the current
	// revision while it is not yet available, beside the oldest of an older
	// revision while it is ready. Everything else goes.
	sort.Sort(podsByAge(running))
	var oldestNew, oldestOld *corev1.Pod
	for _, pod := range running {
		switch {
		case pod.Labels[appsv1.DefaultDaemonSetUniqueLabelKey] == hash && oldestNew == nil:
			oldestNew = pod
		case pod.Labels[appsv1.DefaultDaemonSetUniqueLabelKey] != hash && oldestOld == nil:
			oldestOld = pod
		default:
			del = append(del, pod.Name)
		}
	}
	if oldestNew != nil && oldestOld != nil {
		switch {
		case !podstate.Ready(oldestOld):
			logger.V(5).Info("Pod from daemonset is no longer ready and will be replaced with newer pod", "oldPod", klog.KObj(oldestOld), "daemonset", klog.KObj(ds), "newPod", klog.KObj(oldestNew))
			del = append(del, oldestOld.Name)
		case isPodAvailable(oldestNew, ds.Spec.MinReadySeconds, c.clock.Now()):
			logger.V(5).Info("Pod from daemonset is now ready and will replace older pod", "newPod", klog.KObj(oldestNew), "daemonset", klog.KObj(ds), "oldPod", klog.KObj(oldestOld))
			del = append(del, oldestOld.Name)
		}
	}
	return false, del, after
}

// unscheduledPodsWithoutNode lists the pods made for nodes that no longer
// exist and never bound.
func unscheduledPodsWithoutNode(nodes []*corev1.Node, byNode map[string][]*corev1.Pod) []string {
	exists := make(map[string]bool, len(nodes))
	for _, n := range nodes {
		exists[n.Name] = true
	}
	var out []string
	for name, pods := range byNode {
		if exists[name] {
			continue
		}
		for _, pod := range pods {
			if pod.Spec.NodeName == "" {
				out = append(out, pod.Name)
			}
		}
	}
	sort.Strings(out)
	return out
}

// syncNodes deletes the named pods and creates a pod for each named node,
// at most burst of each, expecting to see them all before the next manage.
func (c *Controller) syncNodes(ctx context.Context, ds *appsv1.DaemonSet, del, create []string, hash string) error {
	logger := klog.FromContext(ctx)
	k := queue.Key(ds.Namespace, ds.Name)
	create = create[:min(len(create), c.burst)]
	del = del[:min(len(del), c.burst)]
	// Expectations first: the informer may deliver a create before the
	// call returns.
	c.exp.Expect(k, len(create), len(del))

	var (
		mu   sync.Mutex
		errs []error
	)
	fail := func(err error) {
		mu.Lock()
		defer mu.Unlock()
		errs = append(errs, err)
	}
	if len(create) > 0 {
		logger.V(4).Info("Nodes needing daemon pods for daemon set, creating", "daemonset", klog.KObj(ds), "nodes", create)
		template := podTemplate(ds, hash)
		for pos, batch := 0, min(len(create), slowStartInitialBatch); pos < len(create); pos, batch = pos+batch, min(2*batch, len(create)-pos-batch) {
			var wg sync.WaitGroup
			failed := false
			for _, node := range create[pos : pos+batch] {
				wg.Go(func() {
					err := c.createPod(ctx, ds, template, node)
					if err == nil {
						return
					}
					// No event will come for a create that failed.
					c.exp.CreationObserved(k)
					if apierrors.HasStatusCause(err, corev1.NamespaceTerminatingCause) {
						return
					}
					mu.Lock()
					failed = true
					mu.Unlock()
					fail(err)
				})
			}
			wg.Wait()
			if skipped := len(create) - pos - batch; failed && skipped > 0 {
				// The rest would most likely fail the same way; the next
				// sync starts slow again.
				logger.V(2).Info("Slow-start failure. Skipping creation pods, decrementing expectations for daemon set", "skippedPods", skipped, "daemonset", klog.KObj(ds))
				c.exp.Lower(k, skipped, 0)
				break
			}
		}
	}
	if len(del) > 0 {
		logger.V(4).Info("Pods to delete for daemon set, deleting", "daemonset", klog.KObj(ds), "pods", del)
		var wg sync.WaitGroup
		for _, name := range del {
			wg.Go(func() {
				if err := c.deletePod(ctx, ds, name); err != nil {
					// No event will come for a delete that failed.
					c.exp.DeletionObserved(k)
					if !apierrors.IsNotFound(err) {
						fail(err)
					}
				}
			})
		}
		wg.Wait()
	}
	return errors.Join(errs...)
}

// podTemplate is ds's template as its pods get it: with the daemon
// tolerations and labelled with the revision hash (and the deprecated
// template generation, if the DaemonSet has one).
func podTemplate(ds *appsv1.DaemonSet, hash string) *corev1.PodTemplateSpec {
	t := ds.Spec.Template.DeepCopy()
	addDaemonTolerations(&t.Spec)
	if t.Labels == nil {
		t.Labels = map[string]string{}
	}
	if gen := templateGeneration(ds); gen != nil {
		t.Labels[templateGenerationLabel] = strconv.FormatInt(*gen, 10)
	}
	if hash != "" {
		t.Labels[appsv1.DefaultDaemonSetUniqueLabelKey] = hash
	}
	return t
}

// templateGeneration is the deprecated template generation annotation's
// value; nil when absent or unparsable (the hash then decides alone).
func templateGeneration(ds *appsv1.DaemonSet) *int64 {
	v, ok := ds.Annotations[appsv1.DeprecatedTemplateGeneration]
	if !ok {
		return nil
	}
	gen, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		return nil
	}
	return &gen
}

// isPodUpdated reports whether pod runs ds's current template: its revision
// hash, or its template generation, is the current one.
func isPodUpdated(pod *corev1.Pod, hash string, generation *int64) bool {
	if generation != nil && pod.Labels[templateGenerationLabel] == strconv.FormatInt(*generation, 10) {
		return true
	}
	return hash != "" && pod.Labels[appsv1.DefaultDaemonSetUniqueLabelKey] == hash
}

// createPod creates a pod of template for node, controlled by ds and named
// by the server from "<daemonset>-". The scheduler binds it: the pod
// requires the node by its name.
func (c *Controller) createPod(ctx context.Context, ds *appsv1.DaemonSet, template *corev1.PodTemplateSpec, node string) error {
	if len(template.Labels) == 0 {
		return errors.New("unable to create pods, no labels")
	}
	spec := template.Spec.DeepCopy()
	spec.Affinity = withNodeAffinity(spec.Affinity, node)
	pod := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{
			GenerateName:    podPrefix(ds.Name),
			Labels:          copyMap(template.Labels),
			Annotations:     copyMap(template.Annotations),
			Finalizers:      append([]string(nil), template.Finalizers...),
			OwnerReferences: []metav1.OwnerReference{*metav1.NewControllerRef(ds, controllerKind)},
		},
		Spec: *spec,
	}
	created, err := c.client.CoreV1().Pods(ds.Namespace).Create(ctx, pod, metav1.CreateOptions{})
	if err != nil {
		if !apierrors.HasStatusCause(err, corev1.NamespaceTerminatingCause) {
			c.recorder.Eventf(ds, corev1.EventTypeWarning, FailedCreateReason, "Error creating: %v", err)
		}
		return fmt.Errorf("create pod for node %s: %w", node, err)
	}
	klog.FromContext(ctx).V(4).Info("Controller created pod", "controller", ds.Name, "pod", klog.KObj(created), "node", node)
	c.recorder.Eventf(ds, corev1.EventTypeNormal, SuccessfulCreateReason, "Created pod: %v", created.Name)
	return nil
}

func (c *Controller) deletePod(ctx context.Context, ds *appsv1.DaemonSet, name string) error {
	logger := klog.FromContext(ctx)
	logger.V(2).Info("Deleting pod", "controller", ds.Name, "pod", klog.KRef(ds.Namespace, name))
	err := c.client.CoreV1().Pods(ds.Namespace).Delete(ctx, name, metav1.DeleteOptions{})
	switch {
	case apierrors.IsNotFound(err):
		return err
	case err != nil:
		c.recorder.Eventf(ds, corev1.EventTypeWarning, FailedDeleteReason, "Error deleting: %v", err)
		return fmt.Errorf("delete pod %s/%s: %w", ds.Namespace, name, err)
	}
	c.recorder.Eventf(ds, corev1.EventTypeNormal, SuccessfulDeleteReason, "Deleted pod: %v", name)
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
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// isPodAvailable is upstream's podutil.IsPodAvailable: ready for more than
// minReadySeconds.
func isPodAvailable(p *corev1.Pod, minReadySeconds int32, now time.Time) bool {
	if !podstate.Ready(p) {
		return false
	}
	if minReadySeconds == 0 {
		return true
	}
	c := podstate.ReadyCondition(p)
	return !c.LastTransitionTime.IsZero() && c.LastTransitionTime.Add(time.Duration(minReadySeconds)*time.Second).Before(now)
}

func isPodTerminal(p *corev1.Pod) bool {
	return p.Status.Phase == corev1.PodFailed || p.Status.Phase == corev1.PodSucceeded
}

// podsByAge orders a node's pods: bound before unbound, then oldest first,
// then by name (upstream's podByCreationTimestampAndPhase).
type podsByAge []*corev1.Pod

func (o podsByAge) Len() int      { return len(o) }
func (o podsByAge) Swap(i, j int) { o[i], o[j] = o[j], o[i] }

func (o podsByAge) Less(i, j int) bool {
	if bi, bj := o[i].Spec.NodeName != "", o[j].Spec.NodeName != ""; bi != bj {
		return bi
	}
	if o[i].CreationTimestamp.Equal(&o[j].CreationTimestamp) {
		return o[i].Name < o[j].Name
	}
	return o[i].CreationTimestamp.Before(&o[j].CreationTimestamp)
}

// selects reports whether selector matches obj's labels.
func selects(selector labels.Selector, obj metav1.Object) bool {
	return selector.Matches(labels.Set(obj.GetLabels()))
}

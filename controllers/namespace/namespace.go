package namespace

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/sets"
	"k8s.io/client-go/discovery"
	coreinformers "k8s.io/client-go/informers/core/v1"
	"k8s.io/client-go/kubernetes"
	corelisters "k8s.io/client-go/listers/core/v1"
	"k8s.io/client-go/metadata"
	"k8s.io/client-go/tools/cache"

	"github.com/kubeshim/kubeshim/controllers/queue"
)

// Controller deletes the content of terminating namespaces.
type Controller struct {
	client     kubernetes.Interface
	metadata   metadata.Interface
	discovery  discovery.DiscoveryInterface
	namespaces corelisters.NamespaceLister
	synced     cache.InformerSynced
	queue      *queue.Queue
	// recheck is how long to wait before looking at a namespace whose
	// content is still going (pods terminating gracefully, finalizers).
	recheck time.Duration
}

// New returns a controller on the namespace informer.
func New(client kubernetes.Interface, meta metadata.Interface, namespaces coreinformers.NamespaceInformer) *Controller {
	c := &Controller{
		client:     client,
		metadata:   meta,
		discovery:  client.Discovery(),
		namespaces: namespaces.Lister(),
		synced:     namespaces.Informer().HasSynced,
		recheck:    2 * time.Second,
	}
	c.queue = queue.New("namespace", c.sync)
	_, _ = namespaces.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    c.enqueue,
		UpdateFunc: func(_, obj any) { c.enqueue(obj) },
	})
	return c
}

func (c *Controller) enqueue(obj any) {
	ns, ok := obj.(*corev1.Namespace)
	if ok && ns.DeletionTimestamp != nil {
		c.queue.Add(ns.Name)
	}
}

// Run processes namespaces until ctx is done.
func (c *Controller) Run(ctx context.Context, workers int) {
	c.queue.Run(ctx, workers, c.synced)
}

// sync deletes what is in the namespace and finalizes it when it is empty.
// While content remains (pods terminating, finalizers), it looks again
// after c.recheck.
func (c *Controller) sync(ctx context.Context, name string) (time.Duration, error) {
	remaining, err := c.deleteContent(ctx, name)
	if remaining && err == nil {
		return c.recheck, nil
	}
	return 0, err
}

// deleteContent reports whether content remains.
func (c *Controller) deleteContent(ctx context.Context, name string) (bool, error) {
	ns, err := c.namespaces.Get(name)
	if apierrors.IsNotFound(err) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	if ns.DeletionTimestamp == nil || !hasFinalizer(ns) {
		return false, nil
	}
	resources, discoveryErr := c.namespacedResources()
	if len(resources) == 0 && discoveryErr != nil {
		return false, fmt.Errorf("discover namespaced resources: %w", discoveryErr)
	}
	remaining := map[string]int{}
	finalizers := sets.New[string]()
	var deleteErrs []string
	// Pods first, and nothing else while any is left (upstream's
	// OrderedNamespaceDeletion, on by default since 1.33): a terminating
	// pod may still need its service account, secrets, configmaps and
	// claims, and a policy object deleted before the pods it governs
	// would let them run unchecked meanwhile.
	pods := corev1.SchemeGroupVersion.WithResource("pods")
	if slices.Contains(resources, pods) {
		left, fins, err := c.deleteAll(ctx, name, pods)
		if err != nil {
			deleteErrs = append(deleteErrs, fmt.Sprintf("%s: %v", pods.GroupResource(), err))
		}
		if left > 0 {
			remaining["pods."] = left
			finalizers.Insert(fins...)
		}
		if left > 0 || err != nil {
			if err := c.updateConditions(ctx, ns, remaining, finalizers, deleteErrs, discoveryErr); err != nil {
				return true, err
			}
			return true, nil
		}
	}
	for _, gvr := range resources {
		if gvr == pods {
			continue
		}
		left, fins, err := c.deleteAll(ctx, name, gvr)
		if err != nil {
			deleteErrs = append(deleteErrs, fmt.Sprintf("%s: %v", gvr.GroupResource(), err))
			continue
		}
		if left > 0 {
			remaining[gvr.Resource+"."+gvr.Group] = left // upstream's "pods." form, core group included
			finalizers.Insert(fins...)
		}
	}
	if err := c.updateConditions(ctx, ns, remaining, finalizers, deleteErrs, discoveryErr); err != nil {
		return true, err
	}
	if len(remaining) > 0 || len(deleteErrs) > 0 || discoveryErr != nil {
		return true, nil
	}
	return false, c.finalize(ctx, name)
}

// namespacedResources lists every namespaced resource that can be listed
// and deleted as a collection, at its preferred version.
func (c *Controller) namespacedResources() ([]schema.GroupVersionResource, error) {
	lists, err := c.discovery.ServerPreferredNamespacedResources()
	var out []schema.GroupVersionResource
	for _, list := range lists {
		gv, parseErr := schema.ParseGroupVersion(list.GroupVersion)
		if parseErr != nil {
			continue
		}
		for _, r := range list.APIResources {
			verbs := sets.New[string](r.Verbs...)
			if strings.Contains(r.Name, "/") || !verbs.HasAll("list", "deletecollection") {
				continue
			}
			out = append(out, gv.WithResource(r.Name))
		}
	}
	return out, err
}

// deleteAll deletes a resource's collection in the namespace, then counts
// what is left (terminating pods, objects held by finalizers).
func (c *Controller) deleteAll(ctx context.Context, namespace string, gvr schema.GroupVersionResource) (int, []string, error) {
	client := c.metadata.Resource(gvr).Namespace(namespace)
	background := metav1.DeletePropagationBackground
	err := client.DeleteCollection(ctx, metav1.DeleteOptions{PropagationPolicy: &background}, metav1.ListOptions{})
	if err != nil && !apierrors.IsNotFound(err) && !apierrors.IsMethodNotSupported(err) {
		return 0, nil, err
	}
	list, err := client.List(ctx, metav1.ListOptions{})
	if apierrors.IsNotFound(err) {
		return 0, nil, nil
	}
	if err != nil {
		return 0, nil, err
	}
	var fins []string
	for _, item := range list.Items {
		fins = append(fins, item.Finalizers...)
	}
	return len(list.Items), fins, nil
}

// updateConditions writes upstream's deletion conditions to the namespace
// status, so that `kubectl describe ns` says why it is still there.
func (c *Controller) updateConditions(ctx context.Context, ns *corev1.Namespace, remaining map[string]int, finalizers sets.Set[string], deleteErrs []string, discoveryErr error) error {
	now := metav1.Now()
	cond := func(t corev1.NamespaceConditionType, bad bool, reason, message string) corev1.NamespaceCondition {
		if !bad {
			return corev1.NamespaceCondition{Type: t, Status: corev1.ConditionFalse, LastTransitionTime: now, Reason: okReasons[t], Message: okMessages[t]}
		}
		return corev1.NamespaceCondition{Type: t, Status: corev1.ConditionTrue, LastTransitionTime: now, Reason: reason, Message: message}
	}
	var content []string
	for r, n := range remaining {
		content = append(content, fmt.Sprintf("%s has %d resource instances", r, n))
	}
	sort.Strings(content)
	discoveryMsg := ""
	if discoveryErr != nil {
		discoveryMsg = "Discovery failed for some groups: " + discoveryErr.Error()
	}
	want := []corev1.NamespaceCondition{
		cond(corev1.NamespaceDeletionDiscoveryFailure, discoveryErr != nil, "DiscoveryFailed", discoveryMsg),
		cond(corev1.NamespaceDeletionGVParsingFailure, false, "", ""),
		cond(corev1.NamespaceDeletionContentFailure, len(deleteErrs) > 0, "ContentDeletionFailed", "Failed to delete all resource types, "+fmt.Sprint(len(deleteErrs))+" remaining: "+strings.Join(deleteErrs, ", ")),
		cond(corev1.NamespaceContentRemaining, len(remaining) > 0, "SomeResourcesRemain", "Some resources are remaining: "+strings.Join(content, ", ")),
		cond(corev1.NamespaceFinalizersRemaining, finalizers.Len() > 0, "SomeFinalizersRemain", "Some content in the namespace has finalizers remaining: "+strings.Join(sets.List(finalizers), ", ")),
	}
	updated := ns.DeepCopy()
	changed := updated.Status.Phase != corev1.NamespaceTerminating
	updated.Status.Phase = corev1.NamespaceTerminating
	for _, w := range want {
		i := indexOf(updated.Status.Conditions, w.Type)
		if i < 0 {
			updated.Status.Conditions = append(updated.Status.Conditions, w)
			changed = true
			continue
		}
		old := updated.Status.Conditions[i]
		if old.Status == w.Status && old.Reason == w.Reason && old.Message == w.Message {
			continue
		}
		if old.Status == w.Status {
			w.LastTransitionTime = old.LastTransitionTime
		}
		updated.Status.Conditions[i] = w
		changed = true
	}
	if !changed {
		return nil
	}
	_, err := c.client.CoreV1().Namespaces().UpdateStatus(ctx, updated, metav1.UpdateOptions{})
	if apierrors.IsNotFound(err) || apierrors.IsConflict(err) {
		// Gone, or changed under us: the next sync sees the new state.
		return nil
	}
	return err
}

var okReasons = map[corev1.NamespaceConditionType]string{
	corev1.NamespaceDeletionDiscoveryFailure: "ResourcesDiscovered",
	corev1.NamespaceDeletionGVParsingFailure: "ParsedGroupVersions",
	corev1.NamespaceDeletionContentFailure:   "ContentDeleted",
	corev1.NamespaceContentRemaining:         "ContentRemoved",
	corev1.NamespaceFinalizersRemaining:      "ContentHasNoFinalizers",
}

var okMessages = map[corev1.NamespaceConditionType]string{
	corev1.NamespaceDeletionDiscoveryFailure: "All resources successfully discovered",
	corev1.NamespaceDeletionGVParsingFailure: "All legacy kube types successfully parsed",
	corev1.NamespaceDeletionContentFailure:   "All content successfully deleted, may be waiting on finalization",
	corev1.NamespaceContentRemaining:         "All content successfully removed",
	corev1.NamespaceFinalizersRemaining:      "All content-preserving finalizers finished",
}

func indexOf(conds []corev1.NamespaceCondition, t corev1.NamespaceConditionType) int {
	for i := range conds {
		if conds[i].Type == t {
			return i
		}
	}
	return -1
}

func hasFinalizer(ns *corev1.Namespace) bool {
	for _, f := range ns.Spec.Finalizers {
		if f == corev1.FinalizerKubernetes {
			return true
		}
	}
	return false
}

// finalize removes the "kubernetes" finalizer; the API server then deletes
// the namespace.
func (c *Controller) finalize(ctx context.Context, name string) error {
	ns, err := c.client.CoreV1().Namespaces().Get(ctx, name, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return nil
	}
	if err != nil {
		return err
	}
	var keep []corev1.FinalizerName
	for _, f := range ns.Spec.Finalizers {
		if f != corev1.FinalizerKubernetes {
			keep = append(keep, f)
		}
	}
	ns.Spec.Finalizers = keep
	_, err = c.client.CoreV1().Namespaces().Finalize(ctx, ns, metav1.UpdateOptions{})
	if apierrors.IsNotFound(err) {
		return nil
	}
	return err
}

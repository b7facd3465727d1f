package garbagecollector

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/sets"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/discovery/cached/memory"
	"k8s.io/client-go/metadata"
	"k8s.io/client-go/metadata/metadatainformer"
	"k8s.io/client-go/restmapper"
	"k8s.io/client-go/tools/cache"
	"k8s.io/klog/v2"

	"github.com/kubeshim/kubeshim/controllers/queue"
)

// ignored are the resources upstream's garbage collector does not watch by
// default: events are many, short-lived and never owners.
var ignored = sets.New(
	schema.GroupResource{Resource: "events"},
	schema.GroupResource{Group: "events.k8s.io", Resource: "events"},
)

// GarbageCollector deletes dependents of deleted owners.
type GarbageCollector struct {
	metadata  metadata.Interface
	discovery discovery.DiscoveryInterface
	mapper    *restmapper.DeferredDiscoveryRESTMapper
	graph     *graph

	attemptToDelete *queue.Queue
	attemptToOrphan *queue.Queue

	// Rediscover is how often discovery is read again for new or removed
	// resources.
	Rediscover time.Duration

	mu         sync.Mutex
	monitors   map[schema.GroupVersionResource]*monitor
	discovered bool
}

// monitor is one resource's metadata informer.
type monitor struct {
	informer cache.SharedIndexInformer
	stop     context.CancelFunc
}

// New returns a garbage collector that reads and writes through meta and
// finds resources through disc.
func New(meta metadata.Interface, disc discovery.DiscoveryInterface) *GarbageCollector {
	gc := &GarbageCollector{
		metadata:   meta,
		discovery:  disc,
		mapper:     restmapper.NewDeferredDiscoveryRESTMapper(memory.NewMemCacheClient(disc)),
		graph:      newGraph(),
		Rediscover: 30 * time.Second,
		monitors:   map[schema.GroupVersionResource]*monitor{},
	}
	gc.attemptToDelete = queue.New("garbagecollector-delete", gc.syncDelete)
	gc.attemptToOrphan = queue.New("garbagecollector-orphan", gc.syncOrphan)
	return gc
}

// Run watches resources and processes the graph until ctx is done.
func (gc *GarbageCollector) Run(ctx context.Context, workers int) {
	logger := klog.FromContext(ctx)
	defer func() {
		gc.mu.Lock()
		defer gc.mu.Unlock()
		for _, m := range gc.monitors {
			m.stop()
		}
	}()
	go wait.UntilWithContext(ctx, func(ctx context.Context) {
		if err := gc.syncMonitors(ctx); err != nil {
			logger.Error(err, "Garbage collector discovery incomplete")
		}
	}, gc.Rediscover)
	go gc.attemptToDelete.Run(ctx, workers, gc.synced)
	go gc.attemptToOrphan.Run(ctx, workers, gc.synced)
	<-ctx.Done()
}

// synced reports whether discovery ran and every informer has listed: the
// graph is complete enough that a missing owner is worth a live lookup.
func (gc *GarbageCollector) synced() bool {
	gc.mu.Lock()
	defer gc.mu.Unlock()
	if !gc.discovered {
		return false
	}
	for _, m := range gc.monitors {
		if !m.informer.HasSynced() {
			return false
		}
	}
	return true
}

// syncMonitors starts informers for new deletable resources and stops
// those of resources that went away. A partial discovery failure keeps the
// informers of the groups that failed.
func (gc *GarbageCollector) syncMonitors(ctx context.Context) error {
	gc.mapper.Reset()
	lists, discErr := gc.discovery.ServerPreferredResources()
	var failed map[schema.GroupVersion]error
	var groupErr *discovery.ErrGroupDiscoveryFailed
	if errors.As(discErr, &groupErr) {
		failed = groupErr.Groups
	} else if discErr != nil {
		return fmt.Errorf("discover resources: %w", discErr)
	}
	want := map[schema.GroupVersionResource]bool{}
	for _, list := range lists {
		gv, err := schema.ParseGroupVersion(list.GroupVersion)
		if err != nil {
			continue
		}
		for _, r := range list.APIResources {
			verbs := sets.New(r.Verbs...)
			if strings.Contains(r.Name, "/") || !verbs.HasAll("list", "watch", "delete") || ignored.Has(gv.WithResource(r.Name).GroupResource()) {
				continue
			}
			want[gv.WithResource(r.Name)] = r.Namespaced
		}
	}
	gc.mu.Lock()
	defer gc.mu.Unlock()
	for gvr, m := range gc.monitors {
		if _, ok := want[gvr]; ok {
			continue
		}
		if _, ok := failed[gvr.GroupVersion()]; ok {
			continue
		}
		m.stop()
		delete(gc.monitors, gvr)
	}
	for gvr := range want {
		if gc.monitors[gvr] == nil {
			gc.monitors[gvr] = gc.startMonitor(ctx, gvr)
		}
	}
	gc.discovered = true
	return discErr
}

func (gc *GarbageCollector) startMonitor(ctx context.Context, gvr schema.GroupVersionResource) *monitor {
	informer := metadatainformer.NewFilteredMetadataInformer(gc.metadata, gvr, metav1.NamespaceAll, 0, cache.Indexers{}, nil).Informer()
	_, _ = informer.AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    func(obj any) { gc.observe(gvr, obj) },
		UpdateFunc: func(_, obj any) { gc.observe(gvr, obj) },
		DeleteFunc: func(obj any) {
			obj = queue.Unwrap(obj)
			if m, err := meta.Accessor(obj); err == nil {
				gc.enqueue(gc.graph.remove(m.GetUID()))
			}
		},
	})
	ctx, cancel := context.WithCancel(ctx)
	go informer.RunWithContext(ctx)
	return &monitor{informer: informer, stop: cancel}
}

func (gc *GarbageCollector) observe(gvr schema.GroupVersionResource, obj any) {
	m, err := meta.Accessor(obj)
	if err != nil {
		return
	}
	gc.enqueue(gc.graph.upsert(object{
		identity:   identity{resource: gvr, namespace: m.GetNamespace(), name: m.GetName(), uid: m.GetUID()},
		owners:     m.GetOwnerReferences(),
		deleted:    m.GetDeletionTimestamp() != nil,
		finalizers: m.GetFinalizers(),
	}))
}

func (gc *GarbageCollector) enqueue(w work) {
	for _, uid := range w.delete {
		gc.attemptToDelete.Add(string(uid))
	}
	for _, uid := range w.orphan {
		gc.attemptToOrphan.Add(string(uid))
	}
}

func (gc *GarbageCollector) client(id identity) metadata.ResourceInterface {
	return gc.metadata.Resource(id.resource).Namespace(id.namespace)
}

// live reads an observed object; it returns nil when the object is gone
// or was replaced by another of the same name (its delete event will come).
func (gc *GarbageCollector) live(ctx context.Context, id identity) (*metav1.PartialObjectMetadata, error) {
	obj, err := gc.client(id).Get(ctx, id.name, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("get %s %s/%s: %w", id.resource.Resource, id.namespace, id.name, err)
	}
	if obj.UID != id.uid {
		return nil, nil
	}
	return obj, nil
}

// errUnresolvable marks a reference that can never resolve: a
// cluster-scoped object naming a namespaced owner. Retrying does not help.
var errUnresolvable = errors.New("cluster-scoped objects cannot refer to namespaced owners")

// ownerState looks an owner up where the dependent may refer to it: in the
// dependent's namespace for a namespaced kind, at cluster scope otherwise;
// an object there with another UID does not count.
func (gc *GarbageCollector) ownerState(ctx context.Context, dependentNamespace string, ref metav1.OwnerReference) (ownerState, error) {
	gv, err := schema.ParseGroupVersion(ref.APIVersion)
	if err != nil {
		return 0, fmt.Errorf("owner apiVersion %q: %w", ref.APIVersion, err)
	}
	mapping, err := gc.mapper.RESTMapping(gv.WithKind(ref.Kind).GroupKind(), gv.Version)
	if err != nil {
		return 0, fmt.Errorf("map owner kind %s: %w", gv.WithKind(ref.Kind), err)
	}
	namespace := ""
	if mapping.Scope.Name() == meta.RESTScopeNameNamespace {
		if dependentNamespace == "" {
			return 0, errUnresolvable
		}
		namespace = dependentNamespace
	}
	owner, err := gc.metadata.Resource(mapping.Resource).Namespace(namespace).Get(ctx, ref.Name, metav1.GetOptions{})
	switch {
	case apierrors.IsNotFound(err):
		return dangling, nil
	case err != nil:
		return 0, fmt.Errorf("get owner %s %s: %w", ref.Kind, ref.Name, err)
	case owner.UID != ref.UID:
		return dangling, nil
	case owner.DeletionTimestamp != nil && hasFinalizer(owner.Finalizers, metav1.FinalizerDeleteDependents):
		return waiting, nil
	}
	return solid, nil
}

// syncDelete is upstream's attemptToDeleteItem for the node with this UID.
func (gc *GarbageCollector) syncDelete(ctx context.Context, key string) (time.Duration, error) {
	logger := klog.FromContext(ctx)
	n, ok := gc.graph.get(types.UID(key))
	if !ok || !n.observed {
		return 0, nil
	}
	latest, err := gc.live(ctx, n.identity)
	if latest == nil || err != nil {
		return 0, err
	}
	if latest.DeletionTimestamp != nil {
		if hasFinalizer(latest.Finalizers, metav1.FinalizerDeleteDependents) {
			return 0, gc.deleteDependents(ctx, n)
		}
		// Being deleted: a one-way trip; its delete event will come.
		return 0, nil
	}
	if len(latest.OwnerReferences) == 0 {
		return 0, nil
	}
	states := map[types.UID]ownerState{}
	for _, ref := range latest.OwnerReferences {
		s, err := gc.ownerState(ctx, n.namespace, ref)
		if errors.Is(err, errUnresolvable) {
			logger.V(2).Info("Ignoring object with a namespaced owner", "object", klog.KRef(n.namespace, n.name), "owner", ref.Name)
			return 0, nil
		}
		if err != nil {
			return 0, err
		}
		states[ref.UID] = s
	}
	depDeleting := false
	for _, d := range n.dependents {
		depDeleting = depDeleting || d.deletingDependents
	}
	a := decide(latest.OwnerReferences, states, len(n.dependents) > 0, depDeleting, latest.Finalizers)
	switch a.kind {
	case removeRefs:
		logger.V(2).Info("Removing references to absent or waiting owners", "resource", n.resource, "object", klog.KRef(n.namespace, n.name), "owners", a.drop)
		drop := sets.New(a.drop...)
		var refs []metav1.OwnerReference
		for _, r := range latest.OwnerReferences {
			if !drop.Has(r.UID) {
				refs = append(refs, r)
			}
		}
		return 0, gc.patchOwners(ctx, n.identity, latest.ResourceVersion, refs)
	case deleteObject:
		rv := latest.ResourceVersion
		if a.unblock {
			refs := make([]metav1.OwnerReference, len(latest.OwnerReferences))
			copy(refs, latest.OwnerReferences)
			f := false
			for i := range refs {
				if blocks(refs[i]) {
					refs[i].BlockOwnerDeletion = &f
				}
			}
			if err := gc.patchOwners(ctx, n.identity, rv, refs); err != nil {
				return 0, err
			}
			rv = "" // the patch changed it; the UID still guards the delete
		}
		logger.V(2).Info("Deleting object whose owners are gone", "resource", n.resource, "object", klog.KRef(n.namespace, n.name), "propagationPolicy", a.policy)
		pre := metav1.Preconditions{UID: &n.uid}
		if rv != "" {
			pre.ResourceVersion = &rv
		}
		err := gc.client(n.identity).Delete(ctx, n.name, metav1.DeleteOptions{Preconditions: &pre, PropagationPolicy: &a.policy})
		if apierrors.IsNotFound(err) {
			return 0, nil
		}
		if err != nil {
			return 0, fmt.Errorf("delete %s %s/%s: %w", n.resource.Resource, n.namespace, n.name, err)
		}
	}
	return 0, nil
}

// deleteDependents drives a foreground deletion: the blocking dependents
// are deleted (each in its turn, by syncDelete); once none is left, the
// foregroundDeletion finalizer goes and the server deletes the owner.
// Non-blocking dependents do not hold the owner: they are collected
// after it, in the background.
func (gc *GarbageCollector) deleteDependents(ctx context.Context, n snapshot) error {
	blocking := 0
	for _, d := range n.dependents {
		if !d.blocking {
			continue
		}
		blocking++
		if !d.deletingDependents {
			gc.attemptToDelete.Add(string(d.uid))
		}
	}
	if blocking > 0 {
		return nil
	}
	klog.FromContext(ctx).V(2).Info("Removing the foregroundDeletion finalizer", "resource", n.resource, "object", klog.KRef(n.namespace, n.name))
	return gc.removeFinalizer(ctx, n.identity, metav1.FinalizerDeleteDependents)
}

// syncOrphan is upstream's attemptToOrphan for the owner with this UID:
// its references are removed from every dependent, then its orphan
// finalizer.
func (gc *GarbageCollector) syncOrphan(ctx context.Context, key string) (time.Duration, error) {
	n, ok := gc.graph.get(types.UID(key))
	if !ok || !n.observed {
		return 0, nil
	}
	latest, err := gc.live(ctx, n.identity)
	if latest == nil || err != nil {
		return 0, err
	}
	if latest.DeletionTimestamp == nil || !hasFinalizer(latest.Finalizers, metav1.FinalizerOrphanDependents) {
		return 0, nil
	}
	var errs []error
	for _, d := range n.dependents {
		if err := gc.dropOwner(ctx, d.identity, n.uid); err != nil {
			errs = append(errs, err)
		}
	}
	if len(errs) > 0 {
		return 0, fmt.Errorf("orphan dependents of %s %s/%s: %w", n.resource.Resource, n.namespace, n.name, errors.Join(errs...))
	}
	klog.FromContext(ctx).V(2).Info("Orphaned dependents", "resource", n.resource, "object", klog.KRef(n.namespace, n.name), "dependents", len(n.dependents))
	return 0, gc.removeFinalizer(ctx, n.identity, metav1.FinalizerOrphanDependents)
}

// dropOwner removes the references to owner from a live dependent.
func (gc *GarbageCollector) dropOwner(ctx context.Context, id identity, owner types.UID) error {
	latest, err := gc.live(ctx, id)
	if latest == nil || err != nil {
		return err
	}
	var refs []metav1.OwnerReference
	for _, r := range latest.OwnerReferences {
		if r.UID != owner {
			refs = append(refs, r)
		}
	}
	if len(refs) == len(latest.OwnerReferences) {
		return nil
	}
	return gc.patchOwners(ctx, id, latest.ResourceVersion, refs)
}

// patchOwners replaces an object's ownerReferences. It is a JSON merge
// patch, which every resource (custom ones too) accepts; the
// resourceVersion makes it fail with a conflict, and so retry, if the
// object changed since it was read.
func (gc *GarbageCollector) patchOwners(ctx context.Context, id identity, resourceVersion string, refs []metav1.OwnerReference) error {
	return gc.patchMeta(ctx, id, map[string]any{"ownerReferences": refs, "resourceVersion": resourceVersion})
}

// removeFinalizer removes one finalizer from a live object.
func (gc *GarbageCollector) removeFinalizer(ctx context.Context, id identity, finalizer string) error {
	latest, err := gc.live(ctx, id)
	if latest == nil || err != nil {
		return err
	}
	var keep []string
	for _, f := range latest.Finalizers {
		if f != finalizer {
			keep = append(keep, f)
		}
	}
	if len(keep) == len(latest.Finalizers) {
		return nil
	}
	return gc.patchMeta(ctx, id, map[string]any{"finalizers": keep, "resourceVersion": latest.ResourceVersion})
}

func (gc *GarbageCollector) patchMeta(ctx context.Context, id identity, metadata map[string]any) error {
	body, err := json.Marshal(map[string]any{"metadata": metadata})
	if err != nil {
		return err
	}
	_, err = gc.client(id).Patch(ctx, id.name, types.MergePatchType, body, metav1.PatchOptions{})
	if apierrors.IsNotFound(err) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("patch %s %s/%s: %w", id.resource.Resource, id.namespace, id.name, err)
	}
	return nil
}

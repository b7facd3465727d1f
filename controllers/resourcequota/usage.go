package resourcequota

import (
	"fmt"
	"strings"
	"sync"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/apimachinery/pkg/runtime/schema"
	quotav1 "k8s.io/apiserver/pkg/quota/v1"
	"k8s.io/apiserver/pkg/quota/v1/generic"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/tools/cache"
	"k8s.io/utils/clock"

	quotaadmission "github.com/kubeshim/kubeshim/registry/admission/resourcequota"
)

// counter computes quotas' usage with the ResourceQuota admission plugin's
// evaluators, so that what admission charges and what the controller
// recomputes agree. Resources beyond the ones those evaluators know are
// counted under count/<resource>.<group> once a quota names them: the first
// such quota starts an informer for the resource.
type counter struct {
	factory  informers.SharedInformerFactory
	registry quotav1.Registry
	// mapper turns count/<resource>.<group> into a version to watch.
	mapper meta.ResettableRESTMapper
	// onWatch is called with each informer started for a counted resource,
	// to enqueue the quotas of a namespace whose objects change.
	onWatch func(cache.SharedIndexInformer)

	mu sync.Mutex
	// stop is the controller's; nil until Run, and no informer is started
	// before then.
	stop <-chan struct{}
	// synced holds the started informers' HasSynced.
	synced []cache.InformerSynced
}

func newCounter(f informers.SharedInformerFactory, mapper meta.ResettableRESTMapper, c clock.PassiveClock) *counter {
	lister := func(gvr schema.GroupVersionResource) (cache.GenericLister, error) {
		inf, err := f.ForResource(gvr)
		if err != nil {
			return nil, err
		}
		return inf.Lister(), nil
	}
	return &counter{factory: f, mapper: mapper, registry: generic.NewRegistry(quotaadmission.Evaluators(lister, c))}
}

// countedResource parses an object-count name: count/pods, count/deployments.apps.
func countedResource(name corev1.ResourceName) (schema.GroupResource, bool) {
	rest, ok := strings.CutPrefix(string(name), "count/")
	if !ok || rest == "" {
		return schema.GroupResource{}, false
	}
	return schema.ParseGroupResource(rest), true
}

// watch makes sure every count/ name in hard has an evaluator; it returns
// false while an informer it started has not synced.
func (c *counter) watch(hard corev1.ResourceList) (bool, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	var errs []error
	for name := range hard {
		gr, ok := countedResource(name)
		if !ok || c.registry.Get(gr) != nil || c.stop == nil {
			continue
		}
		if _, ignored := quotaadmission.IgnoredResources()[gr]; ignored {
			continue
		}
		gvr, err := c.mapper.ResourceFor(gr.WithVersion(""))
		if err != nil {
			// Perhaps a resource served since discovery was read.
			c.mapper.Reset()
			errs = append(errs, fmt.Errorf("%s: %w", name, err))
			continue
		}
		inf, err := c.factory.ForResource(gvr)
		if err != nil {
			// Not a built-in resource (a custom resource): not counted.
			errs = append(errs, fmt.Errorf("%s: %w", name, err))
			continue
		}
		if c.onWatch != nil {
			c.onWatch(inf.Informer())
		}
		c.factory.Start(c.stop)
		c.synced = append(c.synced, inf.Informer().HasSynced)
		c.registry.Add(generic.NewObjectCountEvaluator(gr, generic.ListResourceUsingListerFunc(func(schema.GroupVersionResource) (cache.GenericLister, error) {
			return inf.Lister(), nil
		}, gvr), ""))
	}
	for _, synced := range c.synced {
		if !synced() {
			return false, nil
		}
	}
	if len(errs) > 0 {
		return true, fmt.Errorf("cannot count %v", errs)
	}
	return true, nil
}

// usage computes status.used for the quota; names nothing counts are
// reported as 0 used. That includes a custom resource's
// count/<resource>.<group>: admission charges it, and the next
// recomputation takes the charge back, which at least releases it when the
// objects go (keeping it instead would never release it).
func (c *counter) usage(q *corev1.ResourceQuota) (corev1.ResourceList, error) {
	used, err := quotav1.CalculateUsage(q.Namespace, q.Spec.Scopes, q.Spec.Hard, c.registry, q.Spec.ScopeSelector)
	if err != nil {
		return nil, err
	}
	for name := range q.Spec.Hard {
		if _, ok := used[name]; !ok {
			used[name] = resource.MustParse("0")
		}
	}
	return used, nil
}

package limitranger

import (
	"context"
	"fmt"
	"io"
	"sort"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/apimachinery/pkg/labels"
	utilerrors "k8s.io/apimachinery/pkg/util/errors"
	"k8s.io/apiserver/pkg/admission"
	"k8s.io/apiserver/pkg/admission/initializer"
	"k8s.io/client-go/informers"
	corelisters "k8s.io/client-go/listers/core/v1"

	"github.com/kubeshim/kubeshim/apis/core"
)

// PluginName is upstream's.
const PluginName = "LimitRanger"

// annotation records which defaults the plugin set, as upstream.
const annotation = "kubernetes.io/limit-ranger"

// Register adds the plugin to plugins.
func Register(plugins *admission.Plugins) {
	plugins.Register(PluginName, func(io.Reader) (admission.Interface, error) { return New(), nil })
}

// Plugin applies LimitRanges.
type Plugin struct {
	*admission.Handler
	ranges corelisters.LimitRangeLister
}

var (
	_ admission.MutationInterface                  = &Plugin{}
	_ admission.ValidationInterface                = &Plugin{}
	_ initializer.WantsExternalKubeInformerFactory = &Plugin{}
	_ admission.InitializationValidator            = &Plugin{}
)

// New returns the plugin; the admission initializers give it its informers.
func New() *Plugin { return &Plugin{Handler: admission.NewHandler(admission.Create, admission.Update)} }

// SetExternalKubeInformerFactory implements initializer.WantsExternalKubeInformerFactory.
func (p *Plugin) SetExternalKubeInformerFactory(f informers.SharedInformerFactory) {
	informer := f.Core().V1().LimitRanges()
	p.ranges = informer.Lister()
	p.SetReadyFunc(informer.Informer().HasSynced)
}

// ValidateInitialization implements admission.InitializationValidator.
func (p *Plugin) ValidateInitialization() error {
	if p.ranges == nil {
		return fmt.Errorf("%s admission needs informers", PluginName)
	}
	return nil
}

// applies reports whether the request is one LimitRanges govern: pod
// creation, and claim creation and update.
func applies(a admission.Attributes) bool {
	if a.GetSubresource() != "" {
		return false
	}
	switch a.GetResource().GroupResource() {
	case corev1.Resource("pods"):
		return a.GetOperation() == admission.Create
	case corev1.Resource("persistentvolumeclaims"):
		return true
	}
	return false
}

func (p *Plugin) each(a admission.Attributes, fn func(*corev1.LimitRange) error) error {
	if !applies(a) {
		return nil
	}
	ranges, err := p.ranges.LimitRanges(a.GetNamespace()).List(labels.Everything())
	if err != nil {
		return admission.NewForbidden(a, fmt.Errorf("unable to %s %v at this time because there was an error enforcing limit ranges", a.GetOperation(), a.GetResource()))
	}
	// A stable order, so that the recorded annotation is too.
	sort.Slice(ranges, func(i, j int) bool { return ranges[i].Name < ranges[j].Name })
	for _, lr := range ranges {
		if err := fn(lr); err != nil {
			return admission.NewForbidden(a, err)
		}
	}
	return nil
}

// Admit sets the containers' default requests and limits.
func (p *Plugin) Admit(_ context.Context, a admission.Attributes, _ admission.ObjectInterfaces) error {
	return p.each(a, func(lr *corev1.LimitRange) error {
		if pod, ok := a.GetObject().(*corev1.Pod); ok {
			setDefaults(pod, lr)
		}
		return nil
	})
}

// Validate checks the minimums, maximums and ratios.
func (p *Plugin) Validate(_ context.Context, a admission.Attributes, _ admission.ObjectInterfaces) error {
	return p.each(a, func(lr *corev1.LimitRange) error {
		switch obj := a.GetObject().(type) {
		case *corev1.Pod:
			return validatePod(obj, lr)
		case *corev1.PersistentVolumeClaim:
			return validateClaim(obj, lr)
		}
		return nil
	})
}

func setDefaults(pod *corev1.Pod, lr *corev1.LimitRange) {
	requests, limits := corev1.ResourceList{}, corev1.ResourceList{}
	for _, item := range lr.Spec.Limits {
		if item.Type != corev1.LimitTypeContainer {
			continue
		}
		for k, v := range item.DefaultRequest {
			requests[k] = v.DeepCopy()
		}
		for k, v := range item.Default {
			limits[k] = v.DeepCopy()
		}
	}
	var notes []string
	fill := func(c *corev1.Container, kind string) {
		var setReq, setLim []string
		if c.Resources.Limits == nil {
			c.Resources.Limits = corev1.ResourceList{}
		}
		if c.Resources.Requests == nil {
			c.Resources.Requests = corev1.ResourceList{}
		}
		for k, v := range limits {
			if _, ok := c.Resources.Limits[k]; !ok {
				c.Resources.Limits[k] = v.DeepCopy()
				setLim = append(setLim, string(k))
			}
		}
		for k, v := range requests {
			if _, ok := c.Resources.Requests[k]; !ok {
				c.Resources.Requests[k] = v.DeepCopy()
				setReq = append(setReq, string(k))
			}
		}
		sort.Strings(setReq)
		sort.Strings(setLim)
		if len(setReq) > 0 {
			notes = append(notes, strings.Join(setReq, ", ")+" request for "+kind+" "+c.Name)
		}
		if len(setLim) > 0 {
			notes = append(notes, strings.Join(setLim, ", ")+" limit for "+kind+" "+c.Name)
		}
	}
	for i := range pod.Spec.Containers {
		fill(&pod.Spec.Containers[i], "container")
	}
	for i := range pod.Spec.InitContainers {
		fill(&pod.Spec.InitContainers[i], "init container")
	}
	if len(notes) > 0 {
		if pod.Annotations == nil {
			pod.Annotations = map[string]string{}
		}
		pod.Annotations[annotation] = "LimitRanger plugin set: " + strings.Join(notes, "; ")
	}
}

func validatePod(pod *corev1.Pod, lr *corev1.LimitRange) error {
	var errs []error
	check := func(kind corev1.LimitType, item corev1.LimitRangeItem, requests, limits corev1.ResourceList) {
		for k, v := range item.Min {
			errs = append(errs, minimum(kind, k, v, requests, limits))
		}
		for k, v := range item.Max {
			errs = append(errs, maximum(kind, k, v, requests, limits))
		}
		for k, v := range item.MaxLimitRequestRatio {
			errs = append(errs, ratio(kind, k, v, requests, limits))
		}
	}
	for _, item := range lr.Spec.Limits {
		switch item.Type {
		case corev1.LimitTypeContainer:
			for _, c := range append(append([]corev1.Container{}, pod.Spec.Containers...), pod.Spec.InitContainers...) {
				check(item.Type, item, c.Resources.Requests, c.Resources.Limits)
			}
		case corev1.LimitTypePod:
			check(item.Type, item, core.PodResources(pod, core.Requests, false),
				core.PodResources(pod, core.Limits, false))
		}
	}
	return utilerrors.NewAggregate(errs)
}

func validateClaim(pvc *corev1.PersistentVolumeClaim, lr *corev1.LimitRange) error {
	var errs []error
	for _, item := range lr.Spec.Limits {
		if item.Type != corev1.LimitTypePersistentVolumeClaim {
			continue
		}
		for k, v := range item.Min {
			errs = append(errs, minimum(item.Type, k, v, pvc.Spec.Resources.Requests, corev1.ResourceList{}))
		}
		for k, v := range item.Max {
			req, ok := pvc.Spec.Resources.Requests[k]
			switch {
			case !ok:
				errs = append(errs, fmt.Errorf("maximum %s usage per %s is %s.  No request is specified", k, item.Type, v.String()))
			case req.Cmp(v) > 0:
				errs = append(errs, fmt.Errorf("maximum %s usage per %s is %s, but request is %s", k, item.Type, v.String(), req.String()))
			}
		}
	}
	return utilerrors.NewAggregate(errs)
}

// The messages below are upstream's, word for word (two spaces included).

func minimum(kind corev1.LimitType, name corev1.ResourceName, enforced resource.Quantity, requests, limits corev1.ResourceList) error {
	req, hasReq := requests[name]
	lim, hasLim := limits[name]
	switch {
	case !hasReq:
		return fmt.Errorf("minimum %s usage per %s is %s.  No request is specified", name, kind, enforced.String())
	case req.Cmp(enforced) < 0:
		return fmt.Errorf("minimum %s usage per %s is %s, but request is %s", name, kind, enforced.String(), req.String())
	case hasLim && lim.Cmp(enforced) < 0:
		return fmt.Errorf("minimum %s usage per %s is %s, but limit is %s", name, kind, enforced.String(), lim.String())
	}
	return nil
}

func maximum(kind corev1.LimitType, name corev1.ResourceName, enforced resource.Quantity, requests, limits corev1.ResourceList) error {
	req, hasReq := requests[name]
	lim, hasLim := limits[name]
	switch {
	case !hasLim:
		return fmt.Errorf("maximum %s usage per %s is %s.  No limit is specified", name, kind, enforced.String())
	case lim.Cmp(enforced) > 0:
		return fmt.Errorf("maximum %s usage per %s is %s, but limit is %s", name, kind, enforced.String(), lim.String())
	case hasReq && req.Cmp(enforced) > 0:
		return fmt.Errorf("maximum %s usage per %s is %s, but request is %s", name, kind, enforced.String(), req.String())
	}
	return nil
}

func ratio(kind corev1.LimitType, name corev1.ResourceName, enforced resource.Quantity, requests, limits corev1.ResourceList) error {
	req, hasReq := requests[name]
	lim, hasLim := limits[name]
	if !hasReq || req.IsZero() {
		return fmt.Errorf("%s max limit to request ratio per %s is %s, but no request is specified or request is 0", name, kind, enforced.String())
	}
	if !hasLim || lim.IsZero() {
		return fmt.Errorf("%s max limit to request ratio per %s is %s, but no limit is specified or limit is 0", name, kind, enforced.String())
	}
	observed := float64(lim.MilliValue()) / float64(req.MilliValue())
	if observed > float64(enforced.MilliValue())/1000 {
		return fmt.Errorf("%s max limit to request ratio per %s is %s, but provided ratio is %f", name, kind, enforced.String(), observed)
	}
	return nil
}

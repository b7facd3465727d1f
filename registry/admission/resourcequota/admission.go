package resourcequota

import (
	corev1 "k8s.io/api/core/v1"
	eventsv1 "k8s.io/api/events/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apiserver/pkg/admission"
	"k8s.io/apiserver/pkg/admission/initializer"
	plugin "k8s.io/apiserver/pkg/admission/plugin/resourcequota"
	quota "k8s.io/apiserver/pkg/quota/v1"
	"k8s.io/apiserver/pkg/quota/v1/generic"
	"k8s.io/utils/clock"
)

// PluginName is upstream's.
const PluginName = plugin.PluginName

// Register adds k8s.io/apiserver's ResourceQuota plugin to plugins. It only
// works with Initializer in the admission chain's initializers, which hands
// it our evaluators.
func Register(plugins *admission.Plugins) { plugin.Register(plugins) }

// legacyCounts are the resources counted under a bare name besides
// count/<resource>, from before count/ existed.
var legacyCounts = map[schema.GroupResource]corev1.ResourceName{
	corev1.Resource("configmaps"):             corev1.ResourceConfigMaps,
	corev1.Resource("resourcequotas"):         corev1.ResourceQuotas,
	corev1.Resource("replicationcontrollers"): corev1.ResourceReplicationControllers,
	corev1.Resource("secrets"):                corev1.ResourceSecrets,
}

// Evaluators are the evaluators that know more than an object count: pods,
// services, persistent volume claims, resource claims, and the legacy
// counted names. f lists
// a resource for aggregate usage (the controller); admission passes nil, as
// it only ever asks what one object costs.
func Evaluators(f quota.ListerForResourceFunc, c clock.PassiveClock) []quota.Evaluator {
	evaluators := []quota.Evaluator{NewPodEvaluator(f, c), NewServiceEvaluator(f), NewClaimEvaluator(f), NewResourceClaimEvaluator(f)}
	for gr, alias := range legacyCounts {
		var list generic.ListFuncByNamespace
		if f != nil {
			list = generic.ListResourceUsingListerFunc(f, gr.WithVersion("v1"))
		}
		evaluators = append(evaluators, generic.NewObjectCountEvaluator(gr, list, alias))
	}
	return evaluators
}

// ignored are never charged: virtual resources that are not stored, and
// events, which quota has never counted.
var ignored = map[schema.GroupResource]struct{}{
	corev1.Resource("bindings"):                                            {},
	corev1.Resource("componentstatuses"):                                   {},
	{Group: "authentication.k8s.io", Resource: "tokenreviews"}:             {},
	{Group: "authentication.k8s.io", Resource: "selfsubjectreviews"}:       {},
	{Group: "authorization.k8s.io", Resource: "subjectaccessreviews"}:      {},
	{Group: "authorization.k8s.io", Resource: "selfsubjectaccessreviews"}:  {},
	{Group: "authorization.k8s.io", Resource: "localsubjectaccessreviews"}: {},
	{Group: "authorization.k8s.io", Resource: "selfsubjectrulesreviews"}:   {},
	corev1.Resource("events"):                                              {},
	{Group: eventsv1.GroupName, Resource: "events"}:                        {},
}

// IgnoredResources are the resources quota never charges.
func IgnoredResources() map[schema.GroupResource]struct{} { return ignored }

// Configuration is the quota configuration for admission.
func Configuration() quota.Configuration {
	return generic.NewConfiguration(Evaluators(nil, clock.RealClock{}), IgnoredResources())
}

// Initializer hands the quota configuration to the plugins that want it
// (the ResourceQuota plugin). It must come after the generic initializer,
// which gives the plugin its drained notification first: the plugin builds
// its evaluator when it gets the configuration.
type Initializer struct {
	Config quota.Configuration
}

var _ admission.PluginInitializer = Initializer{}

// Initialize implements admission.PluginInitializer.
func (i Initializer) Initialize(p admission.Interface) {
	if w, ok := p.(initializer.WantsQuotaConfiguration); ok {
		w.SetQuotaConfiguration(i.Config)
	}
}

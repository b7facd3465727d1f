package apiserver

import (
	"strings"
	"sync"

	apiextensionsinformers "k8s.io/apiextensions-apiserver/pkg/client/informers/externalversions/apiextensions/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/sets"
	genericapiserver "k8s.io/apiserver/pkg/server"
	"k8s.io/client-go/tools/cache"
	"k8s.io/klog/v2"
	apiregistrationv1 "k8s.io/kube-aggregator/pkg/apis/apiregistration/v1"
	aggregatorapiserver "k8s.io/kube-aggregator/pkg/apiserver"
	apiregistrationclient "k8s.io/kube-aggregator/pkg/client/clientset_generated/clientset/typed/apiregistration/v1"
	"k8s.io/kube-aggregator/pkg/controllers/autoregister"
)

// priority orders a group and its versions in discovery (and so in
// `kubectl api-resources`); the numbers are kube-apiserver's.
type priority struct{ group, version int32 }

var priorities = map[schema.GroupVersion]priority{
	{Group: "", Version: "v1"}:                             {18000, 1},
	{Group: "apps", Version: "v1"}:                         {17800, 15},
	{Group: "events.k8s.io", Version: "v1"}:                {17750, 15},
	{Group: "authentication.k8s.io", Version: "v1"}:        {17700, 15},
	{Group: "authorization.k8s.io", Version: "v1"}:         {17600, 15},
	{Group: "autoscaling", Version: "v2"}:                  {17500, 30},
	{Group: "autoscaling", Version: "v1"}:                  {17500, 15},
	{Group: "batch", Version: "v1"}:                        {17400, 15},
	{Group: "certificates.k8s.io", Version: "v1"}:          {17300, 15},
	{Group: "networking.k8s.io", Version: "v1"}:            {17200, 15},
	{Group: "policy", Version: "v1"}:                       {17100, 15},
	{Group: "rbac.authorization.k8s.io", Version: "v1"}:    {17000, 15},
	{Group: "storage.k8s.io", Version: "v1"}:               {16800, 15},
	{Group: "apiextensions.k8s.io", Version: "v1"}:         {16700, 15},
	{Group: "admissionregistration.k8s.io", Version: "v1"}: {16700, 15},
	{Group: "scheduling.k8s.io", Version: "v1"}:            {16600, 15},
	{Group: "coordination.k8s.io", Version: "v1"}:          {16500, 15},
	{Group: "node.k8s.io", Version: "v1"}:                  {16300, 15},
	{Group: "discovery.k8s.io", Version: "v1"}:             {16200, 15},
	{Group: "resource.k8s.io", Version: "v1"}:              {16200, 21},
	// Not kube-apiserver's own: metrics-server's APIService, so that
	// core's nodes and pods still win for "kubectl get nodes".
	{Group: "metrics.k8s.io", Version: "v1beta1"}: {100, 100},
}

// installAutoRegistration keeps an APIService for every group version the
// delegates serve and every CRD version, as kube-apiserver's
// autoregistration and CRD registration controllers do: the aggregator's
// discovery is built from APIServices.
func installAutoRegistration(agg *aggregatorapiserver.APIAggregator, config aggregatorapiserver.CompletedConfig, delegate genericapiserver.DelegationTarget, crds apiextensionsinformers.CustomResourceDefinitionInformer) error {
	client, err := apiregistrationclient.NewForConfig(config.GenericConfig.LoopbackClientConfig)
	if err != nil {
		return err
	}
	auto := autoregister.NewAutoRegisterController(agg.APIRegistrationInformers.Apiregistration().V1().APIServices(), client)
	for _, path := range delegate.ListedPaths() {
		var gv schema.GroupVersion
		switch {
		case path == "/api/v1":
			gv = schema.GroupVersion{Version: "v1"}
		case strings.HasPrefix(path, "/apis/") && strings.Count(path, "/") == 3:
			parts := strings.Split(path, "/")
			gv = schema.GroupVersion{Group: parts[2], Version: parts[3]}
		default:
			continue
		}
		if svc := apiService(gv, 0); svc != nil {
			auto.AddAPIServiceToSyncOnStart(svc)
		}
	}
	if m := config.GenericConfig.AggregatedDiscoveryGroupManager; m != nil {
		for gv, p := range priorities {
			m.SetGroupVersionPriority(metav1.GroupVersion(gv), int(p.group), int(p.version))
		}
	}
	crdSync := &crdRegistration{auto: auto, informer: crds}
	return agg.GenericAPIServer.AddPostStartHook("kubeshim-apiservice-autoregistration", func(ctx genericapiserver.PostStartHookContext) error {
		go func() {
			// Register the CRDs' versions before the first sync, or it
			// would delete the APIServices of CRDs that still exist.
			crdSync.start(ctx.Done())
			auto.Run(2, ctx.Done())
		}()
		return nil
	})
}

// apiService is the APIService of a local group version. Group versions
// without a known priority (CRDs) get upstream's CRD defaults.
func apiService(gv schema.GroupVersion, crdOrder int32) *apiregistrationv1.APIService {
	p, ok := priorities[gv]
	if !ok {
		// kube-apiserver's crdregistration: group 1000, version by the
		// CRD's ordering.
		p = priority{group: 1000, version: 100 - crdOrder}
	}
	return &apiregistrationv1.APIService{
		ObjectMeta: metav1.ObjectMeta{Name: gv.Version + "." + gv.Group},
		Spec: apiregistrationv1.APIServiceSpec{
			Group:                gv.Group,
			Version:              gv.Version,
			GroupPriorityMinimum: p.group,
			VersionPriority:      p.version,
		},
	}
}

// crdRegistration registers an APIService for each served version of each
// CRD, and removes those no CRD serves any more.
type crdRegistration struct {
	auto     autoregister.AutoAPIServiceRegistration
	informer apiextensionsinformers.CustomResourceDefinitionInformer

	mu         sync.Mutex
	registered sets.Set[string]
}

func (r *crdRegistration) start(stop <-chan struct{}) {
	_, _ = r.informer.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    func(any) { r.sync() },
		UpdateFunc: func(any, any) { r.sync() },
		DeleteFunc: func(any) { r.sync() },
	})
	if !cache.WaitForCacheSync(stop, r.informer.Informer().HasSynced) {
		return
	}
	r.sync()
}

// sync is level-triggered: it recomputes the whole set from the lister.
func (r *crdRegistration) sync() {
	r.mu.Lock()
	defer r.mu.Unlock()
	crds, err := r.informer.Lister().List(labels.Everything())
	if err != nil {
		klog.Background().Error(err, "List CRDs for APIService registration")
		return
	}
	want := map[schema.GroupVersion]int32{}
	for _, crd := range crds {
		for i, v := range crd.Spec.Versions {
			if v.Served {
				want[schema.GroupVersion{Group: crd.Spec.Group, Version: v.Name}] = int32(i)
			}
		}
	}
	for gv, order := range want {
		r.auto.AddAPIServiceToSync(apiService(gv, order))
	}
	for _, name := range r.registered.Difference(namesOf(want)).UnsortedList() {
		r.auto.RemoveAPIServiceToSync(name)
	}
	r.registered = namesOf(want)
}

func namesOf(gvs map[schema.GroupVersion]int32) sets.Set[string] {
	s := sets.New[string]()
	for gv := range gvs {
		s.Insert(gv.Version + "." + gv.Group)
	}
	return s
}

package apiserver

import (
	"context"
	"crypto/tls"
	"fmt"
	"maps"
	"net/http"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	appsv1 "k8s.io/api/apps/v1"
	autoscalingv1 "k8s.io/api/autoscaling/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	batchv1 "k8s.io/api/batch/v1"
	certificatesv1 "k8s.io/api/certificates/v1"
	coordinationv1 "k8s.io/api/coordination/v1"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	eventsv1 "k8s.io/api/events/v1"
	networkingv1 "k8s.io/api/networking/v1"
	nodev1 "k8s.io/api/node/v1"
	policyv1 "k8s.io/api/policy/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	resourcev1 "k8s.io/api/resource/v1"
	schedulingv1 "k8s.io/api/scheduling/v1"
	storagev1 "k8s.io/api/storage/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	utilnet "k8s.io/apimachinery/pkg/util/net"
	"k8s.io/apiserver/pkg/authorization/authorizer"
	"k8s.io/apiserver/pkg/registry/generic"
	"k8s.io/apiserver/pkg/registry/rest"
	genericapiserver "k8s.io/apiserver/pkg/server"
	proxyutil "k8s.io/apiserver/pkg/util/proxy"
	"k8s.io/client-go/discovery/cached/memory"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/restmapper"
	netutils "k8s.io/utils/net"

	"github.com/kubeshim/kubeshim/apis/scheme"
	"github.com/kubeshim/kubeshim/registry/admissionregistration/mutatingadmissionpolicy"
	"github.com/kubeshim/kubeshim/registry/admissionregistration/mutatingadmissionpolicybinding"
	"github.com/kubeshim/kubeshim/registry/admissionregistration/mutatingwebhookconfiguration"
	"github.com/kubeshim/kubeshim/registry/admissionregistration/paramauthz"
	"github.com/kubeshim/kubeshim/registry/admissionregistration/validatingadmissionpolicy"
	"github.com/kubeshim/kubeshim/registry/admissionregistration/validatingadmissionpolicybinding"
	"github.com/kubeshim/kubeshim/registry/admissionregistration/validatingwebhookconfiguration"
	"github.com/kubeshim/kubeshim/registry/apps/controllerrevision"
	"github.com/kubeshim/kubeshim/registry/apps/daemonset"
	"github.com/kubeshim/kubeshim/registry/apps/deployment"
	"github.com/kubeshim/kubeshim/registry/apps/replicaset"
	"github.com/kubeshim/kubeshim/registry/apps/statefulset"
	"github.com/kubeshim/kubeshim/registry/autoscaling/horizontalpodautoscaler"
	"github.com/kubeshim/kubeshim/registry/batch/cronjob"
	"github.com/kubeshim/kubeshim/registry/batch/job"
	"github.com/kubeshim/kubeshim/registry/certificates/certificatesigningrequest"
	"github.com/kubeshim/kubeshim/registry/certificates/clustertrustbundle"
	"github.com/kubeshim/kubeshim/registry/certificates/podcertificaterequest"
	"github.com/kubeshim/kubeshim/registry/coordination/lease"
	"github.com/kubeshim/kubeshim/registry/core/configmap"
	"github.com/kubeshim/kubeshim/registry/core/endpoints"
	"github.com/kubeshim/kubeshim/registry/core/event"
	"github.com/kubeshim/kubeshim/registry/core/limitrange"
	"github.com/kubeshim/kubeshim/registry/core/namespace"
	"github.com/kubeshim/kubeshim/registry/core/node"
	"github.com/kubeshim/kubeshim/registry/core/persistentvolume"
	"github.com/kubeshim/kubeshim/registry/core/persistentvolumeclaim"
	"github.com/kubeshim/kubeshim/registry/core/pod"
	"github.com/kubeshim/kubeshim/registry/core/podtemplate"
	"github.com/kubeshim/kubeshim/registry/core/replicationcontroller"
	"github.com/kubeshim/kubeshim/registry/core/resourcequota"
	"github.com/kubeshim/kubeshim/registry/core/secret"
	"github.com/kubeshim/kubeshim/registry/core/service"
	"github.com/kubeshim/kubeshim/registry/core/serviceaccount"
	"github.com/kubeshim/kubeshim/registry/discovery/endpointslice"
	"github.com/kubeshim/kubeshim/registry/dra/deviceclass"
	"github.com/kubeshim/kubeshim/registry/dra/devicetaintrule"
	"github.com/kubeshim/kubeshim/registry/dra/resourceclaim"
	"github.com/kubeshim/kubeshim/registry/dra/resourceclaimtemplate"
	"github.com/kubeshim/kubeshim/registry/dra/resourceslice"
	"github.com/kubeshim/kubeshim/registry/networking/ingress"
	"github.com/kubeshim/kubeshim/registry/networking/ingressclass"
	"github.com/kubeshim/kubeshim/registry/networking/ipaddress"
	"github.com/kubeshim/kubeshim/registry/networking/networkpolicy"
	"github.com/kubeshim/kubeshim/registry/networking/servicecidr"
	"github.com/kubeshim/kubeshim/registry/node/runtimeclass"
	"github.com/kubeshim/kubeshim/registry/policy/poddisruptionbudget"
	"github.com/kubeshim/kubeshim/registry/rbac"
	"github.com/kubeshim/kubeshim/registry/resource"
	"github.com/kubeshim/kubeshim/registry/scheduling/priorityclass"
	"github.com/kubeshim/kubeshim/registry/storage/csidriver"
	"github.com/kubeshim/kubeshim/registry/storage/csinode"
	"github.com/kubeshim/kubeshim/registry/storage/csistoragecapacity"
	"github.com/kubeshim/kubeshim/registry/storage/storageclass"
	"github.com/kubeshim/kubeshim/registry/storage/volumeattachment"
	"github.com/kubeshim/kubeshim/registry/storage/volumeattributesclass"
)

// groupVersion is the storage of one served group version.
type groupVersion struct {
	gv   schema.GroupVersion
	defs []resource.Definition
	// custom builds the storage of resources with more than a Definition.
	custom []func(generic.RESTOptionsGetter) (map[string]rest.Storage, error)
}

// served lists every stored resource by group version. client is the
// server's loopback client, for storage that reads other resources through
// the API; tokens configure serviceaccounts/token; pods are how the pod
// subresources reach kubelets and pods; authz is the server's authorizer.
func served(client kubernetes.Interface, tokens serviceaccount.TokenOptions, pods pod.Connections, authz authorizer.Authorizer) []groupVersion {
	params := paramChecker(client, authz)
	return []groupVersion{
		{gv: corev1.SchemeGroupVersion, defs: []resource.Definition{
			endpoints.Definition(),
			configmap.Definition(), secret.Definition(),
			event.Definition(), limitrange.Definition(), resourcequota.Definition(),
			persistentvolume.Definition(), persistentvolumeclaim.Definition(), podtemplate.Definition(),
			replicationcontroller.Definition(),
		}, custom: []func(generic.RESTOptionsGetter) (map[string]rest.Storage, error){
			namespace.NewStorage,
			func(o generic.RESTOptionsGetter) (map[string]rest.Storage, error) {
				return pod.NewStorage(o, client.PolicyV1(), pods)
			},
			func(o generic.RESTOptionsGetter) (map[string]rest.Storage, error) {
				return serviceaccount.NewStorage(o, tokens)
			},
		}},
		{gv: appsv1.SchemeGroupVersion, defs: []resource.Definition{
			deployment.Definition(), replicaset.Definition(), statefulset.Definition(),
			daemonset.Definition(), controllerrevision.Definition(),
		}},
		{gv: batchv1.SchemeGroupVersion, defs: []resource.Definition{job.Definition(), cronjob.Definition()}},
		{gv: autoscalingv2.SchemeGroupVersion, defs: []resource.Definition{horizontalpodautoscaler.Definition()}},
		{gv: discoveryv1.SchemeGroupVersion, defs: []resource.Definition{endpointslice.Definition()}},
		{gv: coordinationv1.SchemeGroupVersion, defs: []resource.Definition{lease.Definition()}},
		{gv: networkingv1.SchemeGroupVersion, defs: []resource.Definition{
			ingress.Definition(), ingressclass.Definition(), networkpolicy.Definition(),
			servicecidr.Definition(), ipaddress.Definition(),
		}},
		{gv: policyv1.SchemeGroupVersion, defs: []resource.Definition{poddisruptionbudget.Definition()}},
		// RBAC's stores refuse privilege escalation: they ask the server's
		// authorizer whether a user may "escalate" or "bind".
		{gv: rbacv1.SchemeGroupVersion, custom: []func(generic.RESTOptionsGetter) (map[string]rest.Storage, error){
			func(o generic.RESTOptionsGetter) (map[string]rest.Storage, error) { return rbac.NewStorage(o, authz) },
		}},
		{gv: schedulingv1.SchemeGroupVersion, defs: []resource.Definition{priorityclass.Definition()}},
		{gv: nodev1.SchemeGroupVersion, defs: []resource.Definition{runtimeclass.Definition()}},
		{gv: storagev1.SchemeGroupVersion, defs: []resource.Definition{
			storageclass.Definition(), csidriver.Definition(), csinode.Definition(), volumeattachment.Definition(),
			csistoragecapacity.Definition(), volumeattributesclass.Definition(),
		}},
		{gv: certificatesv1.SchemeGroupVersion, defs: []resource.Definition{clustertrustbundle.Definition(), podcertificaterequest.Definition(authz)},
			custom: []func(generic.RESTOptionsGetter) (map[string]rest.Storage, error){certificatesigningrequest.NewStorage}},
		{gv: admissionregistrationv1.SchemeGroupVersion, defs: []resource.Definition{
			validatingwebhookconfiguration.Definition(), mutatingwebhookconfiguration.Definition(),
			validatingadmissionpolicy.Definition(params), validatingadmissionpolicybinding.Definition(params),
			mutatingadmissionpolicy.Definition(params), mutatingadmissionpolicybinding.Definition(params),
		}},
		{gv: resourcev1.SchemeGroupVersion, defs: []resource.Definition{
			deviceclass.Definition(), resourceclaim.Definition(), resourceclaimtemplate.Definition(),
			resourceslice.Definition(), devicetaintrule.Definition(),
		}},
	}
}

// alias serves resources stored at one group version at another too, as
// upstream serves one etcd resource through several schemas; the scheme
// converts between them.
type alias struct {
	from      schema.GroupVersion
	resources []string
	at        schema.GroupVersion
}

var aliases = []alias{
	// events.k8s.io/v1 Events are core/v1 Events (apis/events converts).
	{from: corev1.SchemeGroupVersion, resources: []string{"events"}, at: eventsv1.SchemeGroupVersion},
	// autoscaling/v1 HorizontalPodAutoscalers are the v2 ones (apis/autoscaling
	// converts); etcd keeps v2, the group's preferred version.
	{from: autoscalingv2.SchemeGroupVersion, resources: []string{"horizontalpodautoscalers", "horizontalpodautoscalers/status"}, at: autoscalingv1.SchemeGroupVersion},
}

// installAPIGroups builds every resource's storage and installs the groups
// on the core server.
func installAPIGroups(s *genericapiserver.GenericAPIServer, c *Config) error {
	optsGetter := c.Generic.RESTOptionsGetter
	groups := map[string]*genericapiserver.APIGroupInfo{}
	var order []string
	client, err := kubernetes.NewForConfig(c.Generic.LoopbackClientConfig)
	if err != nil {
		return fmt.Errorf("loopback client: %w", err)
	}
	// Nodes come first: the pod subresources reach kubelets at the
	// addresses nodes report, read from the nodes storage.
	proxyTransport := newProxyTransport()
	nodes, kubelets, err := node.NewStorage(optsGetter, c.Kubelet, proxyTransport)
	if err != nil {
		return fmt.Errorf("storage for nodes: %w", err)
	}
	podConns := pod.Connections{Kubelets: kubelets, ProxyTransport: proxyTransport, Authorizer: c.Generic.Authorization.Authorizer}
	if err := installMetrics(s, c, kubelets); err != nil {
		return err
	}
	for _, v := range served(client, c.tokenOptions(client), podConns, c.Generic.Authorization.Authorizer) {
		storage, err := storageFor(v, optsGetter)
		if err != nil {
			return err
		}
		if v.gv == corev1.SchemeGroupVersion {
			// Services carry their allocators and nodes their kubelet
			// connections: they are not plain Definitions.
			services, err := service.NewStorage(optsGetter, c.ServiceIPRange, c.Options.ServiceNodePortRange)
			if err != nil {
				return fmt.Errorf("storage for services: %w", err)
			}
			maps.Copy(storage, services)
			maps.Copy(storage, nodes)
			proxy, err := serviceProxy(c, storage, proxyTransport)
			if err != nil {
				return err
			}
			storage["services/proxy"] = proxy
		}
		info, ok := groups[v.gv.Group]
		if !ok {
			i := genericapiserver.NewDefaultAPIGroupInfo(v.gv.Group, scheme.Scheme, scheme.ParameterCodec, scheme.Codecs)
			info = &i
			groups[v.gv.Group] = info
			order = append(order, v.gv.Group)
		}
		info.VersionedResourcesStorageMap[v.gv.Version] = storage
	}
	for _, a := range aliases {
		info, ok := groups[a.at.Group]
		if !ok {
			i := genericapiserver.NewDefaultAPIGroupInfo(a.at.Group, scheme.Scheme, scheme.ParameterCodec, scheme.Codecs)
			info = &i
			groups[a.at.Group] = info
			order = append(order, a.at.Group)
		}
		if info.VersionedResourcesStorageMap[a.at.Version] == nil {
			info.VersionedResourcesStorageMap[a.at.Version] = map[string]rest.Storage{}
		}
		for _, r := range a.resources {
			st, ok := groups[a.from.Group].VersionedResourcesStorageMap[a.from.Version][r]
			if !ok {
				return fmt.Errorf("alias of %s in %s: no such storage", r, a.from)
			}
			info.VersionedResourcesStorageMap[a.at.Version][r] = st
		}
	}
	legacy := groups[""]
	if err := s.InstallLegacyAPIGroup(genericapiserver.DefaultLegacyAPIPrefix, legacy); err != nil {
		return fmt.Errorf("install core/v1: %w", err)
	}
	var infos []*genericapiserver.APIGroupInfo
	for _, g := range order[1:] {
		infos = append(infos, groups[g])
	}
	if err := s.InstallAPIGroups(infos...); err != nil {
		return fmt.Errorf("install API groups: %w", err)
	}
	return nil
}

func storageFor(v groupVersion, optsGetter generic.RESTOptionsGetter) (map[string]rest.Storage, error) {
	out := map[string]rest.Storage{}
	for _, def := range v.defs {
		s, err := resource.New(def, v.gv.String(), optsGetter)
		if err != nil {
			return nil, err
		}
		for path, st := range s.Map() {
			out[path] = st
		}
	}
	for _, build := range v.custom {
		m, err := build(optsGetter)
		if err != nil {
			return nil, err
		}
		for path, st := range m {
			out[path] = st
		}
	}
	return out, nil
}

// newProxyTransport is how the API server reaches pods (pods/proxy) and
// nodes on ports other than their kubelet's, kube-apiserver's
// CreateProxyTransport: proxying is by IP, so a serving certificate's name
// cannot be verified.
func newProxyTransport() *http.Transport {
	return utilnet.SetTransportDefaults(&http.Transport{
		TLSClientConfig: &tls.Config{InsecureSkipVerify: true}, //nolint:gosec // addressed by IP, as upstream
	})
}

// serviceProxy is services/proxy over the core storage: endpoints come
// from an EndpointSlice informer, checked against the pods they name.
func serviceProxy(c *Config, core map[string]rest.Storage, transport http.RoundTripper) (rest.Storage, error) {
	slices, err := proxyutil.NewEndpointSliceIndexerGetter(c.Generic.SharedInformerFactory.Discovery().V1().EndpointSlices())
	if err != nil {
		return nil, fmt.Errorf("services/proxy: %w", err)
	}
	services, ok1 := core["services"].(rest.Getter)
	pods, ok2 := core["pods"].(rest.Getter)
	if !ok1 || !ok2 {
		return nil, fmt.Errorf("services/proxy: no services or pods storage")
	}
	family := corev1.IPv4Protocol
	if netutils.IsIPv6CIDR(c.ServiceIPRange) {
		family = corev1.IPv6Protocol
	}
	return service.NewProxyREST(services, pods, slices, family, transport), nil
}

// paramChecker authorizes admission policies' paramKinds and bindings'
// paramRefs: kinds are mapped to resources through discovery (cached,
// refreshed on a miss), policies read through the loopback client.
func paramChecker(client kubernetes.Interface, authz authorizer.Authorizer) *paramauthz.Checker {
	if authz == nil {
		return nil
	}
	mapper := restmapper.NewDeferredDiscoveryRESTMapper(memory.NewMemCacheClient(client.Discovery()))
	return &paramauthz.Checker{
		Authorizer: authz,
		Resolve: func(gvk schema.GroupVersionKind) (schema.GroupVersionResource, error) {
			m, err := mapper.RESTMapping(gvk.GroupKind(), gvk.Version)
			if err != nil {
				return schema.GroupVersionResource{}, err
			}
			return m.Resource, nil
		},
		ValidatingParamKind: func(ctx context.Context, name string) (*admissionregistrationv1.ParamKind, error) {
			p, err := client.AdmissionregistrationV1().ValidatingAdmissionPolicies().Get(ctx, name, metav1.GetOptions{})
			if err != nil {
				return nil, err
			}
			return p.Spec.ParamKind, nil
		},
		MutatingParamKind: func(ctx context.Context, name string) (*admissionregistrationv1.ParamKind, error) {
			p, err := client.AdmissionregistrationV1().MutatingAdmissionPolicies().Get(ctx, name, metav1.GetOptions{})
			if err != nil {
				return nil, err
			}
			return p.Spec.ParamKind, nil
		},
	}
}

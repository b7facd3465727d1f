package service

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strconv"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	utilnet "k8s.io/apimachinery/pkg/util/net"
	"k8s.io/apimachinery/pkg/util/proxy"
	genericapirequest "k8s.io/apiserver/pkg/endpoints/request"
	"k8s.io/apiserver/pkg/registry/rest"
	proxyutil "k8s.io/apiserver/pkg/util/proxy"
	"k8s.io/klog/v2"
)

// ProxyREST is services/proxy: HTTP to one ready endpoint of the service,
// from the API server.
type ProxyREST struct {
	services rest.Getter
	// pods check that an endpoint is the pod it names: only pods are
	// proxied to, never an address someone wrote into an EndpointSlice.
	pods   rest.Getter
	slices proxyutil.EndpointSliceGetter
	// family is the cluster's primary IP family: its slices are tried
	// first.
	family    corev1.IPFamily
	transport http.RoundTripper
}

var _ rest.Connecter = &ProxyREST{}

// NewProxyREST returns services/proxy over the services and pods storage,
// picking endpoints from slices.
func NewProxyREST(services, pods rest.Getter, slices proxyutil.EndpointSliceGetter, family corev1.IPFamily, transport http.RoundTripper) *ProxyREST {
	return &ProxyREST{services: services, pods: pods, slices: slices, family: family, transport: transport}
}

// New returns empty proxy options.
func (r *ProxyREST) New() runtime.Object { return &corev1.ServiceProxyOptions{} }

// Destroy does nothing: the services resource owns the storage.
func (r *ProxyREST) Destroy() {}

// ConnectMethods are the methods passed on.
func (r *ProxyREST) ConnectMethods() []string {
	return []string{"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"}
}

// NewConnectOptions returns the options, whose path is the rest of the URL.
func (r *ProxyREST) NewConnectOptions() (runtime.Object, bool, string) {
	return &corev1.ServiceProxyOptions{}, true, "path"
}

// Connect returns a handler that proxies to an endpoint of the service.
func (r *ProxyREST) Connect(ctx context.Context, id string, opts runtime.Object, responder rest.Responder) (http.Handler, error) {
	proxyOpts, ok := opts.(*corev1.ServiceProxyOptions)
	if !ok {
		return nil, fmt.Errorf("invalid options object: %T", opts)
	}
	location, err := r.ResourceLocation(ctx, id)
	if err != nil {
		return nil, err
	}
	location.Path = utilnet.JoinPreservingTrailingSlash(location.Path, proxyOpts.Path)
	// wrapTransport rewrites links in HTML responses to go through the
	// proxy again, as upstream.
	return proxy.NewUpgradeAwareHandler(location, r.transport, true, false, proxy.NewErrorResponder(responder)), nil
}

// ResourceLocation picks a ready endpoint of the service. id is "name",
// "name:port" or "scheme:name:port", where port is a service port's name
// or number.
func (r *ProxyREST) ResourceLocation(ctx context.Context, id string) (*url.URL, error) {
	scheme, name, port, valid := utilnet.SplitSchemeNamePort(id)
	if !valid {
		return nil, apierrors.NewBadRequest(fmt.Sprintf("invalid service request %q", id))
	}
	// Slices name their ports as the service does: a number is the
	// service port's, and stands for its name.
	if number, err := strconv.ParseInt(port, 10, 64); err == nil {
		obj, err := r.services.Get(ctx, name, &metav1.GetOptions{})
		if err != nil {
			return nil, err
		}
		found := false
		for _, p := range obj.(*corev1.Service).Spec.Ports {
			if int64(p.Port) == number {
				port, found = p.Name, true
				break
			}
		}
		if !found {
			return nil, apierrors.NewServiceUnavailable(fmt.Sprintf("no service port %d found for service %q", number, name))
		}
	}
	namespace := genericapirequest.NamespaceValue(ctx)
	if namespace == "" {
		return nil, apierrors.NewBadRequest("missing required namespace")
	}
	slices, err := r.slices.GetEndpointSlices(namespace, name)
	if err != nil {
		return nil, apierrors.NewInternalError(err)
	}
	if len(slices) == 0 {
		return nil, apierrors.NewServiceUnavailable(fmt.Sprintf("no endpoints available for service %q", name))
	}
	hostPort, err := proxyutil.RandomEndpoint(name, slices, port, r.family, func(ep *discoveryv1.Endpoint) bool {
		if err := r.isPod(ctx, namespace, ep); err != nil {
			klog.FromContext(ctx).V(2).Info("Not proxying to endpoint", "service", klog.KRef(namespace, name), "endpoint", ep.Addresses, "reason", err)
			return false
		}
		return true
	})
	if err != nil {
		return nil, err
	}
	return &url.URL{Scheme: scheme, Host: hostPort}, nil
}

// isPod reports why an endpoint is not the pod it names, if it is not.
func (r *ProxyREST) isPod(ctx context.Context, namespace string, ep *discoveryv1.Endpoint) error {
	if ep.TargetRef == nil {
		return fmt.Errorf("endpoint has no target ref")
	}
	if ep.TargetRef.Namespace != namespace {
		return fmt.Errorf("endpoint namespace doesn't match context namespace")
	}
	obj, err := r.pods.Get(ctx, ep.TargetRef.Name, &metav1.GetOptions{})
	if err != nil {
		return err
	}
	pod, ok := obj.(*corev1.Pod)
	if !ok {
		return fmt.Errorf("unexpected object type %T", obj)
	}
	for _, ip := range pod.Status.PodIPs {
		if ip.IP == ep.Addresses[0] {
			return nil
		}
	}
	return fmt.Errorf("pod ip(s) %v don't match endpoint ip %s", pod.Status.PodIPs, ep.Addresses[0])
}

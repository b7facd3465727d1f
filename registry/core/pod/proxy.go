package pod

import (
	"context"
	"fmt"
	"net/http"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime"
	utilnet "k8s.io/apimachinery/pkg/util/net"
	"k8s.io/apimachinery/pkg/util/proxy"
	"k8s.io/apiserver/pkg/registry/rest"
)

// ProxyREST is pods/proxy: HTTP to the pod's IP, from the API server.
type ProxyREST struct {
	pods rest.Getter
	// transport reaches pod IPs; pods' serving certificates are not
	// verified (they are addressed by IP).
	transport http.RoundTripper
}

var _ rest.Connecter = &ProxyREST{}

// ProxyMethods are the methods the proxy subresources pass on.
var ProxyMethods = []string{"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"}

// New returns empty proxy options.
func (r *ProxyREST) New() runtime.Object { return &corev1.PodProxyOptions{} }

// Destroy does nothing: the pods resource owns the storage.
func (r *ProxyREST) Destroy() {}

// ConnectMethods are ProxyMethods.
func (r *ProxyREST) ConnectMethods() []string { return ProxyMethods }

// NewConnectOptions returns the options, whose path is the rest of the URL.
func (r *ProxyREST) NewConnectOptions() (runtime.Object, bool, string) {
	return &corev1.PodProxyOptions{}, true, "path"
}

// Connect returns a handler that proxies to the pod.
func (r *ProxyREST) Connect(ctx context.Context, id string, opts runtime.Object, responder rest.Responder) (http.Handler, error) {
	proxyOpts, ok := opts.(*corev1.PodProxyOptions)
	if !ok {
		return nil, fmt.Errorf("invalid options object: %T", opts)
	}
	location, transport, err := ResourceLocation(ctx, r.pods, r.transport, id)
	if err != nil {
		return nil, err
	}
	location.Path = utilnet.JoinPreservingTrailingSlash(location.Path, proxyOpts.Path)
	// wrapTransport rewrites links in HTML responses to go through the
	// proxy again, as upstream.
	return proxy.NewUpgradeAwareHandler(location, transport, true, false, proxy.NewErrorResponder(responder)), nil
}

package node

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime"
	utilnet "k8s.io/apimachinery/pkg/util/net"
	"k8s.io/apimachinery/pkg/util/proxy"
	"k8s.io/apiserver/pkg/registry/generic"
	"k8s.io/apiserver/pkg/registry/rest"

	"github.com/kubeshim/kubeshim/registry/kubelet"
	"github.com/kubeshim/kubeshim/registry/resource"
)

// NewStorage returns nodes, nodes/status and nodes/proxy, and the kubelet
// connection info the pod subresources use: it reads nodes from this
// storage, as upstream's does. proxyTransport reaches a node on a port
// other than its kubelet's.
func NewStorage(optsGetter generic.RESTOptionsGetter, kubeletConfig kubelet.Config, proxyTransport http.RoundTripper) (map[string]rest.Storage, kubelet.ConnectionInfoGetter, error) {
	s, err := resource.New(Definition(), "v1", optsGetter)
	if err != nil {
		return nil, nil, err
	}
	kubelets, err := kubelet.NewConnectionInfoGetter(s.Store.Store, kubeletConfig)
	if err != nil {
		return nil, nil, err
	}
	m := s.Map()
	m["nodes/proxy"] = &ProxyREST{kubelets: kubelets, transport: proxyTransport}
	return m, kubelets, nil
}

// ProxyREST is nodes/proxy: HTTP to the node's kubelet API, or to another
// port of the node.
type ProxyREST struct {
	kubelets  kubelet.ConnectionInfoGetter
	transport http.RoundTripper
}

var _ rest.Connecter = &ProxyREST{}

// New returns empty proxy options.
func (r *ProxyREST) New() runtime.Object { return &corev1.NodeProxyOptions{} }

// Destroy does nothing: the nodes resource owns the storage.
func (r *ProxyREST) Destroy() {}

// ConnectMethods are the methods passed on.
func (r *ProxyREST) ConnectMethods() []string {
	return []string{"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"}
}

// NewConnectOptions returns the options, whose path is the rest of the URL.
func (r *ProxyREST) NewConnectOptions() (runtime.Object, bool, string) {
	return &corev1.NodeProxyOptions{}, true, "path"
}

// Connect returns a handler that proxies to the node.
func (r *ProxyREST) Connect(ctx context.Context, id string, opts runtime.Object, responder rest.Responder) (http.Handler, error) {
	proxyOpts, ok := opts.(*corev1.NodeProxyOptions)
	if !ok {
		return nil, fmt.Errorf("invalid options object: %T", opts)
	}
	location, transport, err := ResourceLocation(ctx, r.kubelets, r.transport, id)
	if err != nil {
		return nil, err
	}
	location.Path = utilnet.JoinPreservingTrailingSlash(location.Path, proxyOpts.Path)
	// wrapTransport rewrites links in HTML responses to go through the
	// proxy again, as upstream.
	return proxy.NewUpgradeAwareHandler(location, transport, true, false, proxy.NewErrorResponder(responder)), nil
}

// ResourceLocation is where nodes/proxy sends a request. id is "name",
// "name:port" or "scheme:name:port": without a port, or with the kubelet's,
// it is the kubelet API over its transport (the API server's client
// certificate); any other port is reached with proxyTransport. Only nodes
// whose address resolves to global unicast IPs are proxied to, so the API
// server cannot be made to reach its own loopback or link-local services.
func ResourceLocation(ctx context.Context, kubelets kubelet.ConnectionInfoGetter, proxyTransport http.RoundTripper, id string) (*url.URL, http.RoundTripper, error) {
	scheme, name, port, valid := utilnet.SplitSchemeNamePort(id)
	if !valid {
		return nil, nil, apierrors.NewBadRequest(fmt.Sprintf("invalid node request %q", id))
	}
	info, err := kubelets.GetConnectionInfo(ctx, name)
	if err != nil {
		return nil, nil, err
	}
	if err := proxyableHostname(ctx, info.Hostname); err != nil {
		return nil, nil, apierrors.NewBadRequest(err.Error())
	}
	if port == "" || port == info.Port {
		return &url.URL{Scheme: info.Scheme, Host: net.JoinHostPort(info.Hostname, info.Port)}, info.Transport, nil
	}
	return &url.URL{Scheme: scheme, Host: net.JoinHostPort(info.Hostname, port)}, proxyTransport, nil
}

func proxyableHostname(ctx context.Context, hostname string) error {
	addrs, err := net.DefaultResolver.LookupIPAddr(ctx, hostname)
	if err != nil {
		return err
	}
	if len(addrs) == 0 {
		return errors.New("no addresses for hostname")
	}
	for _, a := range addrs {
		if !a.IP.IsGlobalUnicast() {
			return errors.New("address not allowed")
		}
	}
	return nil
}

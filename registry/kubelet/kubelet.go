package kubelet

import (
	"context"
	"fmt"
	"net/http"
	"strconv"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apiserver/pkg/registry/rest"
	"k8s.io/client-go/transport"
)

// DefaultPort is the kubelet API's port when a node reports none.
const DefaultPort = 10250

// DefaultPreferredAddressTypes are kubeadm's --kubelet-preferred-address-types:
// a node's InternalIP first, so that a kubelet is reached without DNS.
// (kube-apiserver's own default puts Hostname first, which needs the node's
// name to resolve on the API server's host.)
var DefaultPreferredAddressTypes = []corev1.NodeAddressType{
	corev1.NodeInternalIP, corev1.NodeExternalIP, corev1.NodeHostName,
}

// Config is how the API server connects to every kubelet.
type Config struct {
	// Port is used when a node reports no kubelet endpoint port; zero
	// means DefaultPort.
	Port int
	// PreferredAddressTypes pick the node address to connect to, in
	// order; empty means DefaultPreferredAddressTypes.
	PreferredAddressTypes []corev1.NodeAddressType
	// CertFile and KeyFile are the client certificate the API server
	// presents to kubelets. They are read again when they change.
	CertFile, KeyFile string
	// CAFile verifies the kubelets' serving certificates. Empty means they
	// are not verified, as kube-apiserver without
	// --kubelet-certificate-authority.
	CAFile string
}

// ConnectionInfo is how to reach one node's kubelet.
type ConnectionInfo struct {
	Scheme   string
	Hostname string
	Port     string
	// Transport verifies the kubelet as Config says.
	Transport http.RoundTripper
	// InsecureSkipTLSVerifyTransport never verifies the kubelet's serving
	// certificate: pods/log?insecureSkipTLSVerifyBackend=true uses it.
	InsecureSkipTLSVerifyTransport http.RoundTripper
	// NodeFeatures are the node's status.declaredFeatures.
	NodeFeatures []string
}

// ConnectionInfoGetter finds how to reach a node's kubelet.
type ConnectionInfoGetter interface {
	GetConnectionInfo(ctx context.Context, nodeName string) (*ConnectionInfo, error)
}

// NodeConnectionInfoGetter reads connection info from Node objects.
type NodeConnectionInfoGetter struct {
	nodes          rest.Getter
	defaultPort    int
	preferred      []corev1.NodeAddressType
	transport      http.RoundTripper
	insecureTransp http.RoundTripper
}

var _ ConnectionInfoGetter = &NodeConnectionInfoGetter{}

// NewConnectionInfoGetter returns a getter that reads nodes from nodes (the
// nodes storage: a missing node is the storage's NotFound error).
func NewConnectionInfoGetter(nodes rest.Getter, c Config) (*NodeConnectionInfoGetter, error) {
	secure, err := transport.New(c.transportConfig(false))
	if err != nil {
		return nil, fmt.Errorf("kubelet transport: %w", err)
	}
	insecure, err := transport.New(c.transportConfig(true))
	if err != nil {
		return nil, fmt.Errorf("kubelet transport: %w", err)
	}
	g := &NodeConnectionInfoGetter{
		nodes:          nodes,
		defaultPort:    c.Port,
		preferred:      c.PreferredAddressTypes,
		transport:      secure,
		insecureTransp: insecure,
	}
	if g.defaultPort <= 0 {
		g.defaultPort = DefaultPort
	}
	if len(g.preferred) == 0 {
		g.preferred = DefaultPreferredAddressTypes
	}
	return g, nil
}

func (c Config) transportConfig(insecure bool) *transport.Config {
	cfg := &transport.Config{TLS: transport.TLSConfig{
		CAFile:   c.CAFile,
		CertFile: c.CertFile,
		KeyFile:  c.KeyFile,
		// A rotated client certificate is picked up without a restart.
		ReloadTLSFiles: true,
	}}
	if insecure || !cfg.HasCA() {
		cfg.TLS.Insecure = true
		cfg.TLS.CAFile = ""
	}
	return cfg
}

// GetConnectionInfo reads the node and returns its kubelet's address.
func (g *NodeConnectionInfoGetter) GetConnectionInfo(ctx context.Context, nodeName string) (*ConnectionInfo, error) {
	obj, err := g.nodes.Get(ctx, nodeName, &metav1.GetOptions{})
	if err != nil {
		return nil, err
	}
	node, ok := obj.(*corev1.Node)
	if !ok {
		return nil, fmt.Errorf("unexpected object type %T for node %s", obj, nodeName)
	}
	host, err := PreferredAddress(node, g.preferred)
	if err != nil {
		return nil, err
	}
	port := int(node.Status.DaemonEndpoints.KubeletEndpoint.Port)
	if port <= 0 {
		port = g.defaultPort
	}
	return &ConnectionInfo{
		Scheme:                         "https",
		Hostname:                       host,
		Port:                           strconv.Itoa(port),
		Transport:                      g.transport,
		InsecureSkipTLSVerifyTransport: g.insecureTransp,
		NodeFeatures:                   node.Status.DeclaredFeatures,
	}, nil
}

// PreferredAddress returns the node's first address of the first type in
// preferred that it has.
func PreferredAddress(node *corev1.Node, preferred []corev1.NodeAddressType) (string, error) {
	for _, t := range preferred {
		for _, a := range node.Status.Addresses {
			if a.Type == t {
				return a.Address, nil
			}
		}
	}
	return "", fmt.Errorf("no preferred addresses found; known addresses: %v", node.Status.Addresses)
}

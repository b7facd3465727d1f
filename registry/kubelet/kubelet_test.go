package kubelet

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/kubeshim/kubeshim/registry/apiserver/pki"
)

type fakeNodes map[string]*corev1.Node

func (f fakeNodes) Get(_ context.Context, name string, _ *metav1.GetOptions) (runtime.Object, error) {
	if n, ok := f[name]; ok {
		return n, nil
	}
	return nil, apierrors.NewNotFound(corev1.Resource("nodes"), name)
}

func node(name string, port int32, addrs ...corev1.NodeAddress) *corev1.Node {
	n := &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: name}}
	n.Status.Addresses = addrs
	n.Status.DaemonEndpoints.KubeletEndpoint.Port = port
	return n
}

func TestGetConnectionInfo(t *testing.T) {
	hostname := corev1.NodeAddress{Type: corev1.NodeHostName, Address: "host-a"}
	internal := corev1.NodeAddress{Type: corev1.NodeInternalIP, Address: "10.0.0.1"}
	internal2 := corev1.NodeAddress{Type: corev1.NodeInternalIP, Address: "10.0.0.2"}
	external := corev1.NodeAddress{Type: corev1.NodeExternalIP, Address: "203.0.113.1"}
	featured := node("featured", 10250, internal)
	featured.Status.DeclaredFeatures = []string{"ExtendWebSocketsToKubelet"}
	nodes := fakeNodes{
		"all":      node("all", 12345, hostname, external, internal, internal2),
		"external": node("external", 0, hostname, external),
		"hostonly": node("hostonly", 10250, hostname),
		"none":     node("none", 10250),
		"featured": featured,
	}
	type want struct {
		Host, Port string
		Features   []string
		Err        string
	}
	tests := []struct {
		name      string
		node      string
		preferred []corev1.NodeAddressType
		port      int
		want      want
	}{
		{name: "first InternalIP by default, reported port", node: "all", want: want{Host: "10.0.0.1", Port: "12345"}},
		{name: "ExternalIP when no InternalIP, default port", node: "external", want: want{Host: "203.0.113.1", Port: "10250"}},
		{name: "configured default port", node: "external", port: 11111, want: want{Host: "203.0.113.1", Port: "11111"}},
		{name: "Hostname last", node: "hostonly", want: want{Host: "host-a", Port: "10250"}},
		{name: "preferred types in order", node: "all", preferred: []corev1.NodeAddressType{corev1.NodeHostName, corev1.NodeInternalIP}, want: want{Host: "host-a", Port: "12345"}},
		{name: "no preferred address", node: "hostonly", preferred: []corev1.NodeAddressType{corev1.NodeInternalIP}, want: want{Err: "no preferred addresses found; known addresses: [{Hostname host-a}]"}},
		{name: "no addresses", node: "none", want: want{Err: "no preferred addresses found; known addresses: []"}},
		{name: "declared features", node: "featured", want: want{Host: "10.0.0.1", Port: "10250", Features: []string{"ExtendWebSocketsToKubelet"}}},
		{name: "missing node", node: "ghost", want: want{Err: `nodes "ghost" not found`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g, err := NewConnectionInfoGetter(nodes, Config{Port: tt.port, PreferredAddressTypes: tt.preferred})
			if err != nil {
				t.Fatal(err)
			}
			info, err := g.GetConnectionInfo(context.Background(), tt.node)
			var got want
			if err != nil {
				got.Err = err.Error()
			} else {
				got = want{Host: info.Hostname, Port: info.Port, Features: info.NodeFeatures}
				if info.Scheme != "https" || info.Transport == nil || info.InsecureSkipTLSVerifyTransport == nil {
					t.Errorf("scheme %q, transports %v %v: want https and both set", info.Scheme, info.Transport, info.InsecureSkipTLSVerifyTransport)
				}
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("connection info (-want +got):\n%s", diff)
			}
		})
	}
}

// TestTransport runs a TLS server that requires a client certificate from
// the cluster CA, as a kubelet does, and checks what each configuration
// presents and verifies.
func TestTransport(t *testing.T) {
	dir := t.TempDir()
	ca, err := pki.LoadOrCreateCA(dir, "ca", "test-ca")
	if err != nil {
		t.Fatal(err)
	}
	otherCA, err := pki.LoadOrCreateCA(dir, "other-ca", "other-ca")
	if err != nil {
		t.Fatal(err)
	}
	servingCert, servingKey, err := ca.Issue(dir, "kubelet", pki.Request{
		CommonName: "node-1", IPs: []net.IP{net.ParseIP("127.0.0.1")},
		Usages: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	})
	if err != nil {
		t.Fatal(err)
	}
	clientCert, clientKey, err := ca.Issue(dir, "client", pki.Request{
		CommonName: "kube-apiserver-kubelet-client", Organization: []string{"system:masters"},
		Usages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	})
	if err != nil {
		t.Fatal(err)
	}
	serving, err := tls.LoadX509KeyPair(servingCert, servingKey)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(ca.Cert)
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c := r.TLS.PeerCertificates[0].Subject
		fmt.Fprintf(w, "%s %v", c.CommonName, c.Organization)
	}))
	srv.TLS = &tls.Config{Certificates: []tls.Certificate{serving}, ClientAuth: tls.RequireAndVerifyClientCert, ClientCAs: pool}
	srv.StartTLS()
	defer srv.Close()

	tests := []struct {
		name     string
		config   Config
		insecure bool
		want     string
	}{
		{name: "no CA: the kubelet is not verified", config: Config{CertFile: clientCert, KeyFile: clientKey}, want: "kube-apiserver-kubelet-client [system:masters]"},
		{name: "the kubelet's CA verifies it", config: Config{CertFile: clientCert, KeyFile: clientKey, CAFile: ca.CertFile}, want: "kube-apiserver-kubelet-client [system:masters]"},
		{name: "another CA rejects it", config: Config{CertFile: clientCert, KeyFile: clientKey, CAFile: otherCA.CertFile}, want: "x509: certificate signed by unknown authority"},
		{name: "the insecure transport ignores the CA", config: Config{CertFile: clientCert, KeyFile: clientKey, CAFile: otherCA.CertFile}, insecure: true, want: "kube-apiserver-kubelet-client [system:masters]"},
		{name: "no client certificate", config: Config{CAFile: ca.CertFile}, want: "remote error: tls: certificate required"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g, err := NewConnectionInfoGetter(fakeNodes{}, tt.config)
			if err != nil {
				t.Fatal(err)
			}
			rt := g.transport
			if tt.insecure {
				rt = g.insecureTransp
			}
			resp, err := (&http.Client{Transport: rt}).Get(srv.URL)
			got := ""
			if err != nil {
				got = err.Error()
			} else {
				body, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				got = string(body)
			}
			if !strings.Contains(got, tt.want) {
				t.Errorf("got %q, want it to contain %q", got, tt.want)
			}
		})
	}
}

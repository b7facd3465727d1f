package kubelet

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/httpstream"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/portforward"
	"k8s.io/client-go/tools/remotecommand"
	"k8s.io/client-go/transport/spdy"
	pfserver "k8s.io/cri-streaming/pkg/streaming/portforward"
	rcserver "k8s.io/cri-streaming/pkg/streaming/remotecommand"
	utilexec "k8s.io/utils/exec"
	"k8s.io/utils/ptr"

	"github.com/kubeshim/kubeshim/test/integration/framework"
)

// standIn is an HTTPS server standing in for a node's kubelet API, on
// 127.0.0.1. It is acceptable here only because kubeshim's node agent does
// not serve the kubelet API yet: once it does, these tests should reach it
// instead. Its streams are real (k8s.io/cri-streaming, the kubelet's own
// streaming code) over a fake runtime, and it requires a client
// certificate from the cluster CA, as a kubelet does.
type standIn struct {
	server *httptest.Server
	port   int

	mu       sync.Mutex
	requests []request
}

// request is what the stand-in saw of one request.
type request struct {
	Method, Path, Query string
	// Upgrade is the protocol the API server upgraded to: kubelets that
	// do not declare ExtendWebSocketsToKubelet only ever see SPDY.
	Upgrade string
	// Client is the client certificate's subject.
	Client string
}

func startStandIn(t *testing.T, clientCAs *x509.CertPool) *standIn {
	t.Helper()
	s := &standIn{}
	mux := http.NewServeMux()
	mux.HandleFunc("/containerLogs/", func(w http.ResponseWriter, r *http.Request) {
		s.record(r)
		fmt.Fprint(w, "line 1\nline 2\n")
	})
	mux.HandleFunc("/exec/", func(w http.ResponseWriter, r *http.Request) {
		s.record(r)
		ns, pod, container := podPath(r.URL.Path)
		opts, err := rcserver.NewOptions(r)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		rcserver.ServeExec(w, r, fakeRuntime{}, ns+"/"+pod, "", container, r.URL.Query()["command"], opts,
			time.Minute, 30*time.Second, rcserver.SupportedStreamingProtocols)
	})
	mux.HandleFunc("/attach/", func(w http.ResponseWriter, r *http.Request) {
		s.record(r)
		ns, pod, container := podPath(r.URL.Path)
		opts, err := rcserver.NewOptions(r)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		rcserver.ServeAttach(w, r, fakeRuntime{}, ns+"/"+pod, "", container, opts,
			time.Minute, 30*time.Second, rcserver.SupportedStreamingProtocols)
	})
	mux.HandleFunc("/portForward/", func(w http.ResponseWriter, r *http.Request) {
		s.record(r)
		opts, err := pfserver.NewV4Options(r)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		pfserver.ServePortForward(w, r, fakeRuntime{}, "", "", opts, time.Minute, 30*time.Second, pfserver.SupportedProtocols)
	})
	s.server = httptest.NewUnstartedServer(mux)
	s.server.TLS = &tls.Config{ClientAuth: tls.RequireAndVerifyClientCert, ClientCAs: clientCAs}
	s.server.StartTLS()
	t.Cleanup(s.server.Close)
	_, port, _ := net.SplitHostPort(s.server.Listener.Addr().String())
	s.port, _ = strconv.Atoi(port)
	return s
}

func (s *standIn) record(r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var client string
	if r.TLS != nil && len(r.TLS.PeerCertificates) > 0 {
		subject := r.TLS.PeerCertificates[0].Subject
		client = fmt.Sprintf("CN=%s O=%v", subject.CommonName, subject.Organization)
	}
	s.requests = append(s.requests, request{
		Method: r.Method, Path: r.URL.Path, Query: r.URL.RawQuery, Upgrade: r.Header.Get("Upgrade"), Client: client,
	})
}

// last returns the last request and forgets them all.
func (s *standIn) last(t *testing.T) request {
	t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.requests) == 0 {
		t.Fatal("the stand-in kubelet saw no request")
	}
	r := s.requests[len(s.requests)-1]
	s.requests = nil
	return r
}

// podPath splits /<verb>/<ns>/<pod>/<container>.
func podPath(p string) (ns, pod, container string) {
	parts := strings.Split(strings.TrimPrefix(p, "/"), "/")
	for len(parts) < 4 {
		parts = append(parts, "")
	}
	return parts[1], parts[2], parts[3]
}

// fakeRuntime answers exec, attach and port-forward with what it was asked.
type fakeRuntime struct{}

func (fakeRuntime) ExecInContainer(_ context.Context, pod, _, container string, cmd []string, in io.Reader, out, errOut io.WriteCloser, _ bool, _ <-chan rcserver.TerminalSize, _ time.Duration) error {
	fmt.Fprintf(out, "%s in %s/%s\n", strings.Join(cmd, " "), pod, container)
	if in != nil {
		if _, err := io.Copy(out, in); err != nil {
			return err
		}
	}
	if errOut != nil {
		fmt.Fprint(errOut, "to stderr\n")
	}
	if len(cmd) > 0 && cmd[0] == "fail" {
		return utilexec.CodeExitError{Err: errors.New("command failed"), Code: 3}
	}
	return nil
}

func (fakeRuntime) AttachContainer(_ context.Context, pod, _, container string, _ io.Reader, out, _ io.WriteCloser, _ bool, _ <-chan rcserver.TerminalSize) error {
	fmt.Fprintf(out, "attached to %s/%s\n", pod, container)
	return nil
}

func (fakeRuntime) PortForward(_ context.Context, _, _ string, port int32, stream io.ReadWriteCloser) error {
	line, err := bufio.NewReader(stream).ReadString('\n')
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(stream, "port %d got %s", port, line)
	return err
}

// cluster is the shared server with one node whose kubelet is a stand-in.
type cluster struct {
	config  *rest.Config
	client  kubernetes.Interface
	kubelet *standIn
	ns      string
	node    string
}

func setup(t *testing.T) *cluster {
	t.Helper()
	config := framework.Shared(t)
	client := kubernetes.NewForConfigOrDie(config)
	ns := framework.Namespace(t, client)

	caPEM := config.CAData
	if len(caPEM) == 0 {
		var err error
		if caPEM, err = os.ReadFile(config.CAFile); err != nil {
			t.Fatalf("read cluster CA: %v", err)
		}
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(caPEM) {
		t.Fatal("no cluster CA in the client configuration")
	}
	c := &cluster{config: config, client: client, kubelet: startStandIn(t, pool), ns: ns, node: "node-" + ns}

	ctx := context.Background()
	_, err := client.CoreV1().Nodes().Create(ctx, &corev1.Node{
		ObjectMeta: metav1.ObjectMeta{Name: c.node},
		Status: corev1.NodeStatus{
			Addresses:       []corev1.NodeAddress{{Type: corev1.NodeInternalIP, Address: "127.0.0.1"}, {Type: corev1.NodeHostName, Address: c.node}},
			DaemonEndpoints: corev1.NodeDaemonEndpoints{KubeletEndpoint: corev1.DaemonEndpoint{Port: int32(c.kubelet.port)}},
		},
	}, metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("create node: %v", err)
	}
	t.Cleanup(func() {
		if err := client.CoreV1().Nodes().Delete(context.Background(), c.node, metav1.DeleteOptions{}); err != nil {
			t.Errorf("delete node: %v", err)
		}
	})
	c.pod(t, "web", c.node, "app")
	c.pod(t, "two", c.node, "app", "sidecar")
	c.pod(t, "pending", "", "app")
	return c
}

func (c *cluster) pod(t *testing.T, name, node string, containers ...string) {
	t.Helper()
	pod := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: name}, Spec: corev1.PodSpec{NodeName: node}}
	for _, n := range containers {
		pod.Spec.Containers = append(pod.Spec.Containers, corev1.Container{Name: n, Image: "busybox"})
	}
	if _, err := c.client.CoreV1().Pods(c.ns).Create(context.Background(), pod, metav1.CreateOptions{}); err != nil {
		t.Fatalf("create pod %s: %v", name, err)
	}
}

const apiServerKubeletClient = "CN=kube-apiserver-kubelet-client O=[system:masters]"

func TestPodLogs(t *testing.T) {
	c := setup(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	pods := c.client.CoreV1().Pods(c.ns)

	body, err := pods.GetLogs("web", &corev1.PodLogOptions{TailLines: ptr.To[int64](2), Timestamps: true, LimitBytes: ptr.To[int64](4096)}).DoRaw(ctx)
	if err != nil {
		t.Fatalf("get logs: %v", err)
	}
	if diff := cmp.Diff("line 1\nline 2\n", string(body)); diff != "" {
		t.Errorf("log (-want +got):\n%s", diff)
	}
	want := request{Method: "GET", Path: "/containerLogs/" + c.ns + "/web/app", Query: "limitBytes=4096&tailLines=2&timestamps=true", Client: apiServerKubeletClient}
	if diff := cmp.Diff(want, c.kubelet.last(t)); diff != "" {
		t.Errorf("kubelet request (-want +got):\n%s", diff)
	}

	// A named container in a pod of two, following.
	body, err = pods.GetLogs("two", &corev1.PodLogOptions{Container: "sidecar", Follow: true}).DoRaw(ctx)
	if err != nil {
		t.Fatalf("get logs: %v", err)
	}
	if string(body) != "line 1\nline 2\n" {
		t.Errorf("log = %q", body)
	}
	want = request{Method: "GET", Path: "/containerLogs/" + c.ns + "/two/sidecar", Query: "follow=true", Client: apiServerKubeletClient}
	if diff := cmp.Diff(want, c.kubelet.last(t)); diff != "" {
		t.Errorf("kubelet request (-want +got):\n%s", diff)
	}

	// A pod no node runs has an empty log.
	body, err = pods.GetLogs("pending", &corev1.PodLogOptions{}).DoRaw(ctx)
	if err != nil || len(body) != 0 {
		t.Errorf("log of a pending pod = %q, %v; want empty", body, err)
	}

	errorCases := []struct {
		name string
		pod  string
		opts corev1.PodLogOptions
		code int32
		msg  string
	}{
		{name: "no container named in a pod of two", pod: "two", code: 400, msg: "a container name must be specified for pod two, choose one of: [app sidecar]"},
		{name: "unknown container", pod: "web", opts: corev1.PodLogOptions{Container: "nope"}, code: 400, msg: "container nope is not valid for pod web"},
		{name: "negative tailLines", pod: "web", opts: corev1.PodLogOptions{TailLines: ptr.To[int64](-1)}, code: 422, msg: "tailLines: Invalid value: -1"},
		{name: "sinceSeconds and sinceTime", pod: "web", opts: corev1.PodLogOptions{SinceSeconds: ptr.To[int64](5), SinceTime: &metav1.Time{Time: time.Now()}}, code: 422, msg: "at most one of `sinceTime` or `sinceSeconds` may be specified"},
		{name: "missing pod", pod: "ghost", code: 404, msg: `pods "ghost" not found`},
	}
	for _, tt := range errorCases {
		t.Run(tt.name, func(t *testing.T) {
			err := pods.GetLogs(tt.pod, &tt.opts).Do(ctx).Error()
			var status apierrors.APIStatus
			if !errors.As(err, &status) || status.Status().Code != tt.code || !strings.Contains(status.Status().Message, tt.msg) {
				t.Errorf("error = %v, want a %d saying %q", err, tt.code, tt.msg)
			}
		})
	}
}

func (c *cluster) streamURL(pod, subresource string, opts runtime.Object) *url.URL {
	return c.client.CoreV1().RESTClient().Post().Namespace(c.ns).Resource("pods").Name(pod).
		SubResource(subresource).VersionedParams(opts, scheme.ParameterCodec).URL()
}

// executors are the two ways kubectl execs: SPDY (kubectl before 1.30)
// and WebSockets (v5.channel.k8s.io), which the API server translates to
// SPDY for a kubelet that does not declare it takes WebSockets itself.
func executors(t *testing.T, config *rest.Config, u *url.URL) map[string]remotecommand.Executor {
	t.Helper()
	spdyExec, err := remotecommand.NewSPDYExecutor(config, "POST", u)
	if err != nil {
		t.Fatal(err)
	}
	wsExec, err := remotecommand.NewWebSocketExecutor(config, "GET", u.String())
	if err != nil {
		t.Fatal(err)
	}
	return map[string]remotecommand.Executor{"spdy": spdyExec, "websocket": wsExec}
}

func TestExec(t *testing.T) {
	c := setup(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()

	for _, protocol := range []string{"spdy", "websocket"} {
		t.Run(protocol, func(t *testing.T) {
			opts := &corev1.PodExecOptions{Command: []string{"echo", "hi there"}, Stdin: true, Stdout: true, Stderr: true}
			exec := executors(t, c.config, c.streamURL("web", "exec", opts))[protocol]
			var stdout, stderr bytes.Buffer
			err := exec.StreamWithContext(ctx, remotecommand.StreamOptions{
				Stdin: strings.NewReader("from stdin\n"), Stdout: &stdout, Stderr: &stderr,
			})
			if err != nil {
				t.Fatalf("exec: %v", err)
			}
			want := fmt.Sprintf("echo hi there in %s/web/app\nfrom stdin\n", c.ns)
			if diff := cmp.Diff(want, stdout.String()); diff != "" {
				t.Errorf("stdout (-want +got):\n%s", diff)
			}
			if stderr.String() != "to stderr\n" {
				t.Errorf("stderr = %q", stderr.String())
			}
			wantReq := request{
				Method: "POST", Path: "/exec/" + c.ns + "/web/app", Upgrade: "SPDY/3.1", Client: apiServerKubeletClient,
				Query: "command=echo&command=hi+there&error=1&input=1&output=1",
			}
			if diff := cmp.Diff(wantReq, c.kubelet.last(t)); diff != "" {
				t.Errorf("kubelet request (-want +got):\n%s", diff)
			}

			// The command's exit code reaches the client.
			opts = &corev1.PodExecOptions{Container: "sidecar", Command: []string{"fail"}, Stdout: true}
			exec = executors(t, c.config, c.streamURL("two", "exec", opts))[protocol]
			stdout.Reset()
			err = exec.StreamWithContext(ctx, remotecommand.StreamOptions{Stdout: &stdout})
			var coded interface{ ExitStatus() int }
			if !errors.As(err, &coded) || coded.ExitStatus() != 3 {
				t.Errorf("exec fail: error %v, want exit code 3", err)
			}
			if want := fmt.Sprintf("fail in %s/two/sidecar\n", c.ns); stdout.String() != want {
				t.Errorf("stdout = %q, want %q", stdout.String(), want)
			}
			c.kubelet.last(t)

			// Refused before the kubelet is reached.
			for _, tt := range []struct{ pod, container, msg string }{
				{"pending", "", "pod pending does not have a host assigned"},
				{"two", "", "a container name must be specified for pod two, choose one of: [app sidecar]"},
				{"web", "nope", "container nope is not valid for pod web"},
			} {
				opts := &corev1.PodExecOptions{Container: tt.container, Command: []string{"ls"}, Stdout: true}
				exec := executors(t, c.config, c.streamURL(tt.pod, "exec", opts))[protocol]
				err := exec.StreamWithContext(ctx, remotecommand.StreamOptions{Stdout: io.Discard})
				if err == nil || !strings.Contains(err.Error(), tt.msg) {
					t.Errorf("exec in %s/%s: error %v, want %q", tt.pod, tt.container, err, tt.msg)
				}
			}
		})
	}
}

func TestAttach(t *testing.T) {
	c := setup(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for _, protocol := range []string{"spdy", "websocket"} {
		t.Run(protocol, func(t *testing.T) {
			opts := &corev1.PodAttachOptions{Container: "sidecar", Stdout: true}
			exec := executors(t, c.config, c.streamURL("two", "attach", opts))[protocol]
			var stdout bytes.Buffer
			if err := exec.StreamWithContext(ctx, remotecommand.StreamOptions{Stdout: &stdout}); err != nil {
				t.Fatalf("attach: %v", err)
			}
			if want := fmt.Sprintf("attached to %s/two/sidecar\n", c.ns); stdout.String() != want {
				t.Errorf("stdout = %q, want %q", stdout.String(), want)
			}
			want := request{Method: "POST", Path: "/attach/" + c.ns + "/two/sidecar", Query: "output=1", Upgrade: "SPDY/3.1", Client: apiServerKubeletClient}
			if diff := cmp.Diff(want, c.kubelet.last(t)); diff != "" {
				t.Errorf("kubelet request (-want +got):\n%s", diff)
			}
		})
	}
}

// TestPortForward forwards a local port on 127.0.0.1 through the API
// server to the stand-in, over SPDY and over SPDY tunnelled in a WebSocket
// (kubectl 1.31+), which the API server unwraps for the kubelet.
func TestPortForward(t *testing.T) {
	c := setup(t)
	u := c.streamURL("web", "portforward", &corev1.PodPortForwardOptions{Ports: []int32{8080}})
	transport, upgrader, err := spdy.RoundTripperFor(c.config)
	if err != nil {
		t.Fatal(err)
	}
	tunnel, err := portforward.NewSPDYOverWebsocketDialer(u, c.config)
	if err != nil {
		t.Fatal(err)
	}
	dialers := map[string]httpstream.Dialer{
		"spdy":      spdy.NewDialer(upgrader, &http.Client{Transport: transport}, "POST", u),
		"websocket": tunnel,
	}
	for _, protocol := range []string{"spdy", "websocket"} {
		t.Run(protocol, func(t *testing.T) {
			stop, ready := make(chan struct{}), make(chan struct{})
			fw, err := portforward.NewOnAddresses(dialers[protocol], []string{"127.0.0.1"}, []string{"0:8080"}, stop, ready, io.Discard, io.Discard)
			if err != nil {
				t.Fatal(err)
			}
			done := make(chan error, 1)
			go func() { done <- fw.ForwardPorts() }()
			defer func() {
				close(stop)
				if err := <-done; err != nil {
					t.Errorf("forward ports: %v", err)
				}
			}()
			select {
			case <-ready:
			case err := <-done:
				t.Fatalf("forward ports: %v", err)
			case <-time.After(30 * time.Second):
				t.Fatal("port forward not ready after 30s")
			}
			ports, err := fw.GetPorts()
			if err != nil {
				t.Fatal(err)
			}
			conn, err := net.DialTimeout("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(int(ports[0].Local))), 10*time.Second)
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			_ = conn.SetDeadline(time.Now().Add(30 * time.Second))
			if _, err := fmt.Fprint(conn, "ping\n"); err != nil {
				t.Fatal(err)
			}
			reply, err := bufio.NewReader(conn).ReadString('\n')
			if err != nil {
				t.Fatalf("read reply: %v", err)
			}
			if reply != "port 8080 got ping\n" {
				t.Errorf("reply = %q", reply)
			}
			want := request{Method: "POST", Path: "/portForward/" + c.ns + "/web", Query: "port=8080", Upgrade: "SPDY/3.1", Client: apiServerKubeletClient}
			if diff := cmp.Diff(want, c.kubelet.last(t)); diff != "" {
				t.Errorf("kubelet request (-want +got):\n%s", diff)
			}
		})
	}
}

// TestNodeProxy: a node whose address is loopback is not proxied to, as
// upstream, so that nodes/proxy cannot reach the API server's own host.
func TestNodeProxy(t *testing.T) {
	c := setup(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	err := c.client.CoreV1().RESTClient().Get().Resource("nodes").Name(c.node).SubResource("proxy").Suffix("healthz").Do(ctx).Error()
	if !apierrors.IsBadRequest(err) || !strings.Contains(err.Error(), "address not allowed") {
		t.Errorf("nodes/proxy to a loopback node: error %v, want a 400 saying address not allowed", err)
	}
	err = c.client.CoreV1().RESTClient().Get().Resource("nodes").Name("ghost").SubResource("proxy").Do(ctx).Error()
	if !apierrors.IsNotFound(err) {
		t.Errorf("nodes/proxy to a missing node: error %v, want a 404", err)
	}
}

// TestServiceProxy checks that services/proxy is served and picks
// endpoints. Reaching one needs a pod IP outside loopback (EndpointSlice
// validation refuses 127.0.0.0/8), which this test may not send traffic
// to; registry/core/service's unit test covers the choice of endpoint.
func TestServiceProxy(t *testing.T) {
	c := setup(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	_, err := c.client.CoreV1().Services(c.ns).Create(ctx, &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Name: "web"},
		Spec:       corev1.ServiceSpec{Ports: []corev1.ServicePort{{Name: "http", Port: 80}}},
	}, metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("create service: %v", err)
	}
	for _, tt := range []struct {
		port string
		code int32
		msg  string
	}{
		{port: "http", code: 503, msg: `no endpoints available for service "web"`},
		{port: "81", code: 503, msg: `no service port 81 found for service "web"`},
	} {
		err := c.client.CoreV1().RESTClient().Get().Namespace(c.ns).Resource("services").Name("web:" + tt.port).SubResource("proxy").Do(ctx).Error()
		var status apierrors.APIStatus
		if !errors.As(err, &status) || status.Status().Code != tt.code || !strings.Contains(status.Status().Message, tt.msg) {
			t.Errorf("services/proxy to port %s: error %v, want a %d saying %q", tt.port, err, tt.code, tt.msg)
		}
	}
}

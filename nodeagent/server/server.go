package server

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apiserver/pkg/authentication/authenticator"
	"k8s.io/apiserver/pkg/authorization/authorizer"
	"k8s.io/apiserver/pkg/server/dynamiccertificates"
	"k8s.io/apiserver/pkg/server/healthz"
	"k8s.io/client-go/kubernetes"
	"k8s.io/component-base/metrics/legacyregistry"
	"k8s.io/cri-streaming/pkg/streaming/portforward"
	"k8s.io/cri-streaming/pkg/streaming/remotecommand"
	"k8s.io/klog/v2"
	statsv1alpha1 "k8s.io/kubelet/pkg/apis/stats/v1alpha1"
)

// Provider is what the server needs from the node agent.
type Provider interface {
	remotecommand.Executor    // name is "<pod>_<namespace>"
	remotecommand.Attacher    // same name convention
	portforward.PortForwarder // same name convention
	// Pods returns the pods bound to this node that the agent runs.
	Pods() []*corev1.Pod
	// ContainerLogFile returns the CRI-format log file of a container: the current instance, or the
	// previous (last terminated) one when previous is true. Unknown pod/container: an error for which
	// apierrors.IsNotFound is true (k8s.io/apimachinery/pkg/api/errors), mapped to 404.
	ContainerLogFile(namespace, pod, container string, previous bool) (string, error)
	// ContainerRunning tells the log follower when to stop.
	ContainerRunning(namespace, pod, container string) bool
	// Summary is /stats/summary (k8s.io/kubelet/pkg/apis/stats/v1alpha1).
	Summary(ctx context.Context) (*statsv1alpha1.Summary, error)
}

const (
	// DefaultPort is the kubelet API's port.
	DefaultPort = 10250

	// Upstream kubelet's http.Server settings.
	idleTimeout    = 90 * time.Second // matches http.DefaultTransport's keep-alive
	requestTimeout = 4 * time.Hour
	maxHeaderBytes = 1 << 20

	// streamIdleTimeout and streamCreationTimeout are the CRI streaming server's
	// defaults, which containerd uses.
	streamIdleTimeout     = 4 * time.Hour
	streamCreationTimeout = remotecommand.DefaultStreamCreationTimeout

	// Upstream kubelet's webhook authentication and authorization cache lifetimes.
	authnCacheTTL      = 2 * time.Minute
	authzAllowCacheTTL = 5 * time.Minute
	authzDenyCacheTTL  = 30 * time.Second

	// shutdownGrace is how long Run waits for in-flight requests once ctx is done.
	shutdownGrace = 5 * time.Second
)

// Config configures a Server.
type Config struct {
	// BindAddress is the IP address to listen on; empty means 0.0.0.0.
	BindAddress string
	// Port is the port to listen on; 0 means DefaultPort.
	Port int
	// CertFile and KeyFile are the serving certificate and key. When both are empty, a
	// self-signed certificate for NodeName and NodeAddresses is created in CertDir as
	// kubelet.crt and kubelet.key, and reused while it is valid.
	CertFile, KeyFile string
	// CertDir holds the self-signed certificate; it is required when CertFile is empty.
	CertDir string
	// NodeAddresses are the IP addresses and DNS names, besides NodeName, that the
	// self-signed certificate is valid for.
	NodeAddresses []string
	// ClientCAFile is the CA bundle client certificates are verified against; empty
	// disables client certificate authentication. The file is reloaded when it changes.
	ClientCAFile string
	// Client makes the TokenReviews and SubjectAccessReviews. Required.
	Client kubernetes.Interface
	// NodeName is the node's name: the name in the SubjectAccessReviews. Required.
	NodeName string
	// Provider runs the pods. Required.
	Provider Provider
}

// Server serves the kubelet API.
type Server struct {
	cfg      Config
	provider Provider
	handler  http.Handler

	authn  authenticator.Request
	authz  authorizer.Authorizer
	caFile *dynamiccertificates.DynamicFileCAContent // nil without ClientCAFile

	loopback loopback
}

// New checks cfg and builds the server, its authenticator and authorizer.
func New(cfg Config) (*Server, error) {
	switch {
	case cfg.NodeName == "":
		return nil, errors.New("kubelet API server: node name is required")
	case cfg.Provider == nil:
		return nil, errors.New("kubelet API server: provider is required")
	case cfg.Client == nil:
		return nil, errors.New("kubelet API server: a client for TokenReview and SubjectAccessReview is required")
	case (cfg.CertFile == "") != (cfg.KeyFile == ""):
		return nil, errors.New("kubelet API server: cert file and key file must be given together")
	case cfg.CertFile == "" && cfg.CertDir == "":
		return nil, errors.New("kubelet API server: a cert dir is required without a cert file")
	}
	if cfg.BindAddress == "" {
		cfg.BindAddress = "0.0.0.0"
	}
	if cfg.Port == 0 {
		cfg.Port = DefaultPort
	}
	s := &Server{cfg: cfg, provider: cfg.Provider}
	var err error
	if s.authn, s.caFile, err = newAuthenticator(cfg); err != nil {
		return nil, fmt.Errorf("kubelet API authentication: %w", err)
	}
	if s.authz, err = newAuthorizer(cfg); err != nil {
		return nil, fmt.Errorf("kubelet API authorization: %w", err)
	}
	s.loopback.handler = s.routes(false)
	s.handler = s.withAuth(s.routes(true))
	return s, nil
}

// Handler returns the server's handler: authentication, authorization and the routes.
// It serves without Run, as in tests through httptest; streaming requests need a server
// whose connections can be hijacked.
func (s *Server) Handler() http.Handler { return s.handler }

// routes returns the kubelet API's routes. The public routes translate WebSocket exec,
// attach and port-forward requests into SPDY requests to the loopback routes, as upstream
// kubelet does towards the runtime's streaming server.
func (s *Server) routes(public bool) http.Handler {
	mux := http.NewServeMux()
	for _, p := range []string{"/exec/{namespace}/{pod}/{container}", "/exec/{namespace}/{pod}/{uid}/{container}"} {
		mux.Handle("GET "+p, s.execHandler(public))
		mux.Handle("POST "+p, s.execHandler(public))
	}
	for _, p := range []string{"/attach/{namespace}/{pod}/{container}", "/attach/{namespace}/{pod}/{uid}/{container}"} {
		mux.Handle("GET "+p, s.attachHandler(public))
		mux.Handle("POST "+p, s.attachHandler(public))
	}
	for _, p := range []string{"/portForward/{namespace}/{pod}", "/portForward/{namespace}/{pod}/{uid}"} {
		mux.Handle("GET "+p, s.portForwardHandler(public))
		mux.Handle("POST "+p, s.portForwardHandler(public))
	}
	if !public {
		return mux
	}
	healthz.InstallHandler(mux, healthz.PingHealthz, healthz.LogHealthz)
	mux.HandleFunc("GET /pods", s.getPods)
	mux.HandleFunc("GET /containerLogs/{namespace}/{pod}/{container}", s.getContainerLogs)
	mux.HandleFunc("GET /stats/summary", s.getSummary)
	mux.HandleFunc("POST /stats/summary", s.getSummary)
	mux.HandleFunc("GET /metrics/resource", s.getResourceMetrics)
	mux.Handle("GET /metrics", legacyregistry.Handler())
	return mux
}

// Run listens on the configured address and serves until ctx is done. Then it stops
// accepting connections, cancels the requests' contexts (which ends log follows and
// tells the provider to end exec, attach and port-forward sessions), and waits up to
// shutdownGrace for the handlers to return.
func (s *Server) Run(ctx context.Context) error {
	logger := klog.FromContext(ctx)
	cert, err := s.servingCert()
	if err != nil {
		return err
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	if s.caFile != nil {
		go s.caFile.Run(ctx, 1)
	}

	addr := net.JoinHostPort(s.cfg.BindAddress, strconv.Itoa(s.cfg.Port))
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", addr, err)
	}
	srv := &http.Server{
		Handler: s.handler,
		TLSConfig: &tls.Config{
			MinVersion:   tls.VersionTLS12,
			Certificates: []tls.Certificate{cert},
			// The x509 authenticator verifies client certificates against the current CA
			// bundle; the handshake only asks for them.
			ClientAuth: tls.RequestClientCert,
		},
		IdleTimeout:    idleTimeout,
		ReadTimeout:    requestTimeout,
		WriteTimeout:   requestTimeout,
		MaxHeaderBytes: maxHeaderBytes,
		BaseContext:    func(net.Listener) context.Context { return ctx },
		ErrorLog:       klogErrorLog(logger),
	}
	logger.Info("Serving the kubelet API", "address", ln.Addr().String())
	serveErr := make(chan error, 1)
	go func() { serveErr <- srv.ServeTLS(ln, "", "") }()

	select {
	case err := <-serveErr:
		s.loopback.close()
		return fmt.Errorf("serve kubelet API: %w", err)
	case <-ctx.Done():
	}
	logger.Info("Stopping the kubelet API server")
	shutdownCtx, stop := context.WithTimeout(context.WithoutCancel(ctx), shutdownGrace)
	defer stop()
	err = srv.Shutdown(shutdownCtx)
	if err != nil {
		// Handlers still running after the grace period have their connections closed.
		err = errors.Join(err, srv.Close())
	}
	s.loopback.close()
	if sErr := <-serveErr; !errors.Is(sErr, http.ErrServerClosed) {
		err = errors.Join(err, sErr)
	}
	if err != nil {
		return fmt.Errorf("stop kubelet API server: %w", err)
	}
	return nil
}

// loopback is an in-process HTTP server reached through net.Pipe connections. The
// WebSocket-to-SPDY translators dial it instead of a runtime's streaming server, so that
// the only listener is the authenticated one.
type loopback struct {
	handler http.Handler

	once  sync.Once
	ln    *pipeListener
	srv   *http.Server
	trans *http.Transport
}

func (l *loopback) start() {
	l.once.Do(func() {
		l.ln = newPipeListener()
		l.srv = &http.Server{Handler: l.handler, MaxHeaderBytes: maxHeaderBytes}
		go l.srv.Serve(l.ln) //nolint:errcheck // ends with ErrServerClosed or net.ErrClosed
		l.trans = &http.Transport{DialContext: l.ln.dial}
	})
}

// transport returns the transport that dials the loopback server.
func (l *loopback) transport() *http.Transport {
	l.start()
	return l.trans
}

func (l *loopback) close() {
	l.start()
	l.srv.Close()
}

// pipeListener is a net.Listener of in-process connections made by dial.
type pipeListener struct {
	accepted  atomic.Int64 // for tests: whether requests went through the loopback
	conns     chan net.Conn
	done      chan struct{}
	closeOnce sync.Once
}

func newPipeListener() *pipeListener {
	return &pipeListener{conns: make(chan net.Conn), done: make(chan struct{})}
}

func (l *pipeListener) Accept() (net.Conn, error) {
	select {
	case c := <-l.conns:
		l.accepted.Add(1)
		return c, nil
	case <-l.done:
		return nil, net.ErrClosed
	}
}

func (l *pipeListener) Close() error {
	l.closeOnce.Do(func() { close(l.done) })
	return nil
}

func (l *pipeListener) Addr() net.Addr { return pipeAddr{} }

func (l *pipeListener) dial(ctx context.Context, _, _ string) (net.Conn, error) {
	client, server := net.Pipe()
	select {
	case l.conns <- server:
		return client, nil
	case <-l.done:
	case <-ctx.Done():
	}
	client.Close()
	server.Close()
	if ctx.Err() != nil {
		return nil, ctx.Err()
	}
	return nil, net.ErrClosed
}

// klogErrorLog routes the http.Server's own messages (mostly failed TLS handshakes) to
// the structured logger.
func klogErrorLog(logger klog.Logger) *log.Logger {
	return log.New(errorLogWriter{logger}, "", 0)
}

type errorLogWriter struct{ logger klog.Logger }

func (w errorLogWriter) Write(p []byte) (int, error) {
	w.logger.V(2).Info("Kubelet API HTTP server message", "message", strings.TrimSpace(string(p)))
	return len(p), nil
}

type pipeAddr struct{}

func (pipeAddr) Network() string { return "pipe" }
func (pipeAddr) String() string  { return "loopback" }

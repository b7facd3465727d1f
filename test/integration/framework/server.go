package framework

import (
	"context"
	"fmt"
	"net"
	"os"
	"strconv"
	"sync"
	"testing"
	"time"

	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/kubeshim/kubeshim/registry/apiserver"
)

// Server is a running in-process API server.
type Server struct {
	// Config is the admin's client configuration.
	Config *rest.Config
	// DataDir is the server's --data-dir.
	DataDir string
	// Kubeconfig is the admin kubeconfig file the server wrote.
	Kubeconfig string

	cancel context.CancelFunc
	done   chan error
	// keepDir is set when the caller chose DataDir: Stop leaves it.
	keepDir bool
}

// Start starts a server with the options changed by modify (may be nil) and
// waits until it is ready. Stop it with Stop.
//
// The server's data dir is a new temporary directory that Stop removes,
// unless modify sets o.DataDir: a directory the caller chose is the
// caller's, and Stop keeps it, so that a test can restart a server on the
// same data (etcd, certificates) by starting another with the same DataDir.
func Start(modify func(*apiserver.Options)) (*Server, error) {
	dir, err := os.MkdirTemp("", "kubeshim-test-")
	if err != nil {
		return nil, err
	}
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	o := apiserver.NewOptions()
	o.DataDir = dir
	o.SecureServing.BindAddress = net.ParseIP("127.0.0.1")
	o.SecureServing.BindPort = port
	// The in-process controllers run: they give every namespace its
	// default service account, which pod admission needs.
	o.Disable = []string{apiserver.RoleScheduler}
	if modify != nil {
		modify(o)
	}
	if o.DataDir != dir {
		os.RemoveAll(dir)
		dir = ""
	}
	ctx, cancel := context.WithCancel(context.Background())
	s := &Server{DataDir: o.DataDir, Kubeconfig: o.KubeconfigPath(), cancel: cancel, done: make(chan error, 1), keepDir: dir == ""}
	fail := func(err error) (*Server, error) {
		cancel()
		if dir != "" {
			os.RemoveAll(dir)
		}
		return nil, err
	}
	if err := o.Complete(); err != nil {
		return fail(err)
	}
	config, err := o.Config(ctx)
	if err != nil {
		return fail(err)
	}
	server, err := config.Complete().New()
	if err != nil {
		if config.Etcd != nil {
			config.Etcd.Close()
		}
		return fail(err)
	}
	go func() { s.done <- server.Run(ctx) }()
	if err := s.waitReady(ctx, 60*time.Second); err != nil {
		s.Stop()
		return nil, err
	}
	return s, nil
}

func (s *Server) waitReady(ctx context.Context, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		select {
		case err := <-s.done:
			return fmt.Errorf("server exited before ready: %v", err)
		default:
		}
		// Read the kubeconfig until the server is ready: in a data dir
		// that is kept, the previous server's stays until Run rewrites it.
		if cfg, err := clientcmd.BuildConfigFromFlags("", s.Kubeconfig); err == nil {
			s.Config = cfg
		}
		if s.Config != nil {
			client, err := kubernetes.NewForConfig(s.Config)
			if err == nil {
				body, err := client.Discovery().RESTClient().Get().AbsPath("/readyz").DoRaw(ctx)
				if err == nil && string(body) == "ok" {
					return nil
				}
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	return fmt.Errorf("server not ready after %s", timeout)
}

// Stop stops the server (API server first, then etcd) and removes its data,
// unless the caller chose the data dir.
func (s *Server) Stop() error {
	s.cancel()
	var err error
	select {
	case err = <-s.done:
	case <-time.After(60 * time.Second):
		err = fmt.Errorf("server did not stop within 60s")
	}
	if !s.keepDir {
		os.RemoveAll(s.DataDir)
	}
	return err
}

var (
	sharedOnce sync.Once
	shared     *Server
	sharedErr  error
)

// Shared returns the package's shared server, starting it on first use.
// Main stops it after the tests.
func Shared(t testing.TB) *rest.Config {
	t.Helper()
	sharedOnce.Do(func() { shared, sharedErr = Start(nil) })
	if sharedErr != nil {
		t.Fatalf("start API server: %v", sharedErr)
	}
	return rest.CopyConfig(shared.Config)
}

// Main runs the package's tests and stops the shared server, if any.
func Main(m *testing.M) {
	code := m.Run()
	if shared != nil {
		if err := shared.Stop(); err != nil {
			fmt.Fprintf(os.Stderr, "stop API server: %v\n", err)
		}
	}
	os.Exit(code)
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	_, p, _ := net.SplitHostPort(l.Addr().String())
	return strconv.Atoi(p)
}

package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	authenticationv1 "k8s.io/api/authentication/v1"
	authorizationv1 "k8s.io/api/authorization/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/cri-streaming/pkg/streaming/remotecommand"
	statsv1alpha1 "k8s.io/kubelet/pkg/apis/stats/v1alpha1"
	"k8s.io/utils/exec"
)

const (
	testNode = "node-1"

	adminToken  = "admin-token"  // allowed everything
	viewerToken = "viewer-token" // allowed nodes/stats only
)

// execCall records what the provider's streaming methods were asked.
type execCall struct {
	Name, UID, Container string
	Cmd                  []string
	TTY                  bool
}

type fakeProvider struct {
	pods       []*corev1.Pod
	logFiles   map[string]string // "ns/pod/container[/previous]" → path
	logErr     error
	running    atomic.Bool
	summary    *statsv1alpha1.Summary
	summaryErr error

	mu    sync.Mutex
	calls []execCall
	ports []int32
}

func (p *fakeProvider) record(c execCall) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.calls = append(p.calls, c)
}

func (p *fakeProvider) lastCall() execCall {
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.calls) == 0 {
		return execCall{}
	}
	return p.calls[len(p.calls)-1]
}

// ExecInContainer runs a tiny command language: "echo ARGS..." writes ARGS to stdout;
// "cat" copies stdin to stdout; "fail CODE MSG" writes MSG to stderr and exits with CODE;
// "size" reports the first terminal size.
func (p *fakeProvider) ExecInContainer(ctx context.Context, name, uid, container string, cmd []string, in io.Reader, out, errw io.WriteCloser, tty bool, resize <-chan remotecommand.TerminalSize, timeout time.Duration) error {
	p.record(execCall{Name: name, UID: uid, Container: container, Cmd: cmd, TTY: tty})
	if len(cmd) == 0 {
		return errors.New("no command")
	}
	switch cmd[0] {
	case "echo":
		fmt.Fprintln(out, strings.Join(cmd[1:], " "))
		return nil
	case "cat":
		_, err := io.Copy(out, in)
		return err
	case "fail":
		var code int
		fmt.Sscan(cmd[1], &code)
		fmt.Fprint(errw, cmd[2])
		return exec.CodeExitError{Err: fmt.Errorf("exit status %d", code), Code: code}
	case "size":
		select {
		case s := <-resize:
			fmt.Fprintf(out, "%dx%d", s.Width, s.Height)
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	return fmt.Errorf("unknown command %q", cmd[0])
}

func (p *fakeProvider) AttachContainer(ctx context.Context, name, uid, container string, in io.Reader, out, errw io.WriteCloser, tty bool, resize <-chan remotecommand.TerminalSize) error {
	p.record(execCall{Name: name, UID: uid, Container: container, TTY: tty})
	fmt.Fprint(out, "attached:")
	if in != nil {
		_, err := io.Copy(out, in)
		return err
	}
	return nil
}

// PortForward echoes the stream back, prefixed with the port.
func (p *fakeProvider) PortForward(ctx context.Context, name, uid string, port int32, stream io.ReadWriteCloser) error {
	p.record(execCall{Name: name, UID: uid})
	p.mu.Lock()
	p.ports = append(p.ports, port)
	p.mu.Unlock()
	defer stream.Close()
	buf := make([]byte, 4096)
	for {
		n, err := stream.Read(buf)
		if n > 0 {
			if _, werr := fmt.Fprintf(stream, "%d:%s", port, buf[:n]); werr != nil {
				return werr
			}
		}
		if err != nil {
			if errors.Is(err, io.EOF) {
				return nil
			}
			return err
		}
	}
}

func (p *fakeProvider) Pods() []*corev1.Pod { return p.pods }

func (p *fakeProvider) ContainerLogFile(namespace, pod, container string, previous bool) (string, error) {
	if p.logErr != nil {
		return "", p.logErr
	}
	key := namespace + "/" + pod + "/" + container
	if previous {
		key += "/previous"
	}
	path, ok := p.logFiles[key]
	if !ok {
		return "", apierrors.NewNotFound(corev1.Resource("pods/log"), key)
	}
	return path, nil
}

func (p *fakeProvider) ContainerRunning(namespace, pod, container string) bool {
	return p.running.Load()
}

func (p *fakeProvider) Summary(ctx context.Context) (*statsv1alpha1.Summary, error) {
	return p.summary, p.summaryErr
}

func testPod(namespace, name, uid string, containers ...corev1.Container) *corev1.Pod {
	return &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: name, UID: types.UID(uid)},
		Spec:       corev1.PodSpec{NodeName: testNode, Containers: containers},
	}
}

// authRecorder is a fake API server's TokenReview and SubjectAccessReview.
type authRecorder struct {
	mu   sync.Mutex
	sars []authorizationv1.SubjectAccessReviewSpec
}

func (r *authRecorder) reviews() []authorizationv1.SubjectAccessReviewSpec {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]authorizationv1.SubjectAccessReviewSpec(nil), r.sars...)
}

// newFakeClient returns a client of a fake API server whose TokenReviews know adminToken
// and viewerToken and whose SubjectAccessReviews allow user "admin" (and the client
// certificate user "apiserver") everything and "viewer" only nodes/stats. (A fake
// clientset cannot stand in: the webhook authenticator and authorizer post through the
// typed clients' RESTClient.)
func newFakeClient(t *testing.T, rec *authRecorder) kubernetes.Interface {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /apis/authentication.k8s.io/v1/tokenreviews", func(w http.ResponseWriter, req *http.Request) {
		var tr authenticationv1.TokenReview
		if err := json.NewDecoder(req.Body).Decode(&tr); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		switch tr.Spec.Token {
		case adminToken:
			tr.Status = authenticationv1.TokenReviewStatus{Authenticated: true, User: authenticationv1.UserInfo{Username: "admin"}}
		case viewerToken:
			tr.Status = authenticationv1.TokenReviewStatus{Authenticated: true, User: authenticationv1.UserInfo{Username: "viewer"}}
		default:
			tr.Status = authenticationv1.TokenReviewStatus{Authenticated: false, Error: "unknown token"}
		}
		writeJSON(w, &tr)
	})
	mux.HandleFunc("POST /apis/authorization.k8s.io/v1/subjectaccessreviews", func(w http.ResponseWriter, req *http.Request) {
		var sar authorizationv1.SubjectAccessReview
		if err := json.NewDecoder(req.Body).Decode(&sar); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		rec.mu.Lock()
		rec.sars = append(rec.sars, sar.Spec)
		rec.mu.Unlock()
		ra := sar.Spec.ResourceAttributes
		switch {
		case sar.Spec.User == "admin", sar.Spec.User == "apiserver":
			sar.Status.Allowed = true
		case sar.Spec.User == "viewer" && ra != nil && ra.Resource == "nodes" && ra.Subresource == "stats":
			sar.Status.Allowed = true
		default:
			sar.Status.Denied = true
			sar.Status.Reason = "not allowed in this test"
		}
		writeJSON(w, &sar)
	})
	api := httptest.NewServer(mux)
	t.Cleanup(api.Close)
	c, err := kubernetes.NewForConfig(&rest.Config{Host: api.URL})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func writeJSON(w http.ResponseWriter, obj any) {
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(obj) //nolint:errcheck // test server
}

type testEnv struct {
	provider *fakeProvider
	server   *Server
	http     *httptest.Server
	auth     *authRecorder
}

// newTestEnv serves a Server for provider over TLS with httptest.
func newTestEnv(t *testing.T, provider *fakeProvider) *testEnv {
	t.Helper()
	rec := &authRecorder{}
	s, err := New(Config{
		NodeName: testNode,
		CertDir:  t.TempDir(),
		Client:   newFakeClient(t, rec),
		Provider: provider,
	})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	hs := httptest.NewUnstartedServer(s.Handler())
	hs.StartTLS()
	t.Cleanup(hs.Close)
	return &testEnv{provider: provider, server: s, http: hs, auth: rec}
}

// restConfig is a client configuration for the test server with a bearer token.
func (e *testEnv) restConfig(token string) *rest.Config {
	return &rest.Config{
		Host:            e.http.URL,
		BearerToken:     token,
		TLSClientConfig: rest.TLSClientConfig{Insecure: true},
	}
}

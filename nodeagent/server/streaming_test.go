package server

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/httpstream"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/portforward"
	"k8s.io/client-go/tools/remotecommand"
	"k8s.io/client-go/transport/spdy"
	"k8s.io/client-go/util/exec"
)

func streamingEnv(t *testing.T) *testEnv {
	return newTestEnv(t, &fakeProvider{pods: []*corev1.Pod{
		testPod("ns", "pod", "uid-1", corev1.Container{Name: "c"}, corev1.Container{Name: "term", TTY: true, Stdin: true}),
	}})
}

// executors are the client-go executors kubectl uses, by name.
var executors = map[string]func(cfg *rest.Config, u string) (remotecommand.Executor, error){
	"spdy": func(cfg *rest.Config, u string) (remotecommand.Executor, error) {
		return remotecommand.NewSPDYExecutor(cfg, "POST", mustParse(u))
	},
	"websocket": func(cfg *rest.Config, u string) (remotecommand.Executor, error) {
		return remotecommand.NewWebSocketExecutor(cfg, "GET", u)
	},
	// Clients before v5 speak the channel protocols that the runtime's own WebSocket
	// server understands, without translation.
	"websocket-v4": func(cfg *rest.Config, u string) (remotecommand.Executor, error) {
		return remotecommand.NewWebSocketExecutorForProtocols(cfg, "GET", u, "v4.channel.k8s.io")
	},
}

func mustParse(s string) *url.URL {
	u, err := url.Parse(s)
	if err != nil {
		panic(err)
	}
	return u
}

type sizeQueue struct {
	sizes chan remotecommand.TerminalSize
}

func (q *sizeQueue) Next() *remotecommand.TerminalSize {
	s, ok := <-q.sizes
	if !ok {
		return nil
	}
	return &s
}

func TestExec(t *testing.T) {
	tests := []struct {
		name       string
		path       string
		stdin      string
		tty        bool
		wantStdout string
		wantStderr string
		wantCode   int // exit code; 0 means success
		wantCall   execCall
	}{
		{
			name:       "echo",
			path:       "/exec/ns/pod/c?command=echo&command=hello&command=world&output=1&error=1",
			wantStdout: "hello world\n",
			wantCall:   execCall{Name: "pod_ns", Container: "c", Cmd: []string{"echo", "hello", "world"}},
		},
		{
			name:       "stdin",
			path:       "/exec/ns/pod/c?command=cat&input=1&output=1&error=1",
			stdin:      "ping\npong\n",
			wantStdout: "ping\npong\n",
			wantCall:   execCall{Name: "pod_ns", Container: "c", Cmd: []string{"cat"}},
		},
		{
			name:       "non-zero exit",
			path:       "/exec/ns/pod/c?command=fail&command=3&command=oops&output=1&error=1",
			wantStderr: "oops",
			wantCode:   3,
			wantCall:   execCall{Name: "pod_ns", Container: "c", Cmd: []string{"fail", "3", "oops"}},
		},
		{
			name:       "with pod uid",
			path:       "/exec/ns/pod/uid-1/c?command=echo&command=x&output=1&error=1",
			wantStdout: "x\n",
			wantCall:   execCall{Name: "pod_ns", UID: "uid-1", Container: "c", Cmd: []string{"echo", "x"}},
		},
		{
			name:       "tty with resize",
			path:       "/exec/ns/pod/term?command=size&input=1&output=1&tty=1",
			tty:        true,
			wantStdout: "80x24",
			wantCall:   execCall{Name: "pod_ns", Container: "term", Cmd: []string{"size"}, TTY: true},
		},
	}
	for executor, newExecutor := range executors {
		t.Run(executor, func(t *testing.T) {
			env := streamingEnv(t)
			for _, tc := range tests {
				t.Run(tc.name, func(t *testing.T) {
					if executor == "websocket-v4" && strings.Contains(tc.path, "input=1") {
						t.Skip("v4.channel.k8s.io cannot signal the end of stdin (what v5 added)")
					}
					exe, err := newExecutor(env.restConfig(adminToken), env.http.URL+tc.path)
					if err != nil {
						t.Fatal(err)
					}
					var stdout, stderr bytes.Buffer
					// The client opens the streams the query asks for, as kubectl does.
					opts := remotecommand.StreamOptions{Stdout: &stdout, Tty: tc.tty}
					if strings.Contains(tc.path, "error=1") {
						opts.Stderr = &stderr
					}
					if tc.stdin != "" || tc.tty {
						opts.Stdin = strings.NewReader(tc.stdin)
					}
					if tc.tty {
						q := &sizeQueue{sizes: make(chan remotecommand.TerminalSize, 1)}
						q.sizes <- remotecommand.TerminalSize{Width: 80, Height: 24}
						opts.TerminalSizeQueue = q
						// Keep stdin open until the command has answered.
						pr, pw := io.Pipe()
						defer pw.Close()
						opts.Stdin = pr
					}
					ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
					defer cancel()
					err = exe.StreamWithContext(ctx, opts)
					if tc.wantCode == 0 && err != nil {
						t.Fatalf("StreamWithContext: %v", err)
					}
					if tc.wantCode != 0 {
						var exitErr exec.CodeExitError
						if !errors.As(err, &exitErr) || exitErr.Code != tc.wantCode {
							t.Fatalf("StreamWithContext = %v (%T), want exit code %d", err, err, tc.wantCode)
						}
					}
					if diff := cmp.Diff(tc.wantStdout, stdout.String()); diff != "" {
						t.Errorf("stdout (-want +got):\n%s", diff)
					}
					if diff := cmp.Diff(tc.wantStderr, stderr.String()); diff != "" {
						t.Errorf("stderr (-want +got):\n%s", diff)
					}
					if diff := cmp.Diff(tc.wantCall, env.provider.lastCall()); diff != "" {
						t.Errorf("provider call (-want +got):\n%s", diff)
					}
				})
			}
			// Only v5 WebSocket requests are translated to SPDY through the loopback.
			env.server.loopback.transport()
			if n := env.server.loopback.ln.accepted.Load(); (n > 0) != (executor == "websocket") {
				t.Errorf("%d loopback connections for %s", n, executor)
			}
		})
	}
}

func TestExecErrors(t *testing.T) {
	env := streamingEnv(t)
	tests := []struct {
		name     string
		path     string
		token    string
		wantCode int
	}{
		{name: "unknown pod", path: "/exec/ns/nope/c?command=ls&output=1", token: adminToken, wantCode: 404},
		{name: "unknown container", path: "/exec/ns/pod/nope?command=ls&output=1", token: adminToken, wantCode: 500},
		{name: "wrong uid", path: "/exec/ns/pod/other-uid/c?command=ls&output=1", token: adminToken, wantCode: 500},
		{name: "no streams", path: "/exec/ns/pod/c?command=ls", token: adminToken, wantCode: 400},
		{name: "attach unknown pod", path: "/attach/ns/nope/c?output=1", token: adminToken, wantCode: 404},
		{name: "port forward unknown pod", path: "/portForward/ns/nope", token: adminToken, wantCode: 404},
		{name: "port forward wrong uid", path: "/portForward/ns/pod/other-uid", token: adminToken, wantCode: 404},
		{name: "not an upgrade", path: "/exec/ns/pod/c?command=ls&output=1", token: adminToken, wantCode: 400},
		{name: "unauthenticated", path: "/exec/ns/pod/c?command=ls&output=1", wantCode: 401},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, body := env.get(t, "POST", tc.path, tc.token)
			if code != tc.wantCode {
				t.Errorf("POST %s = %d %q, want %d", tc.path, code, body, tc.wantCode)
			}
		})
	}

	// Through the executors, a missing pod is an error before any stream opens.
	for executor, newExecutor := range executors {
		t.Run(executor+" unknown pod", func(t *testing.T) {
			exe, err := newExecutor(env.restConfig(adminToken), env.http.URL+"/exec/ns/nope/c?command=ls&output=1")
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			if err := exe.StreamWithContext(ctx, remotecommand.StreamOptions{Stdout: io.Discard}); err == nil {
				t.Errorf("exec in an unknown pod succeeded")
			}
		})
	}
}

func TestAttach(t *testing.T) {
	for executor, newExecutor := range executors {
		t.Run(executor, func(t *testing.T) {
			env := streamingEnv(t)
			path, want := "/attach/ns/pod/c?input=1&output=1&error=1", "attached:typed"
			opts := remotecommand.StreamOptions{Stdin: strings.NewReader("typed"), Stdout: &bytes.Buffer{}, Stderr: &bytes.Buffer{}}
			if executor == "websocket-v4" {
				// v4.channel.k8s.io cannot signal the end of stdin.
				path, want = "/attach/ns/pod/c?output=1&error=1", "attached:"
				opts.Stdin = nil
			}
			exe, err := newExecutor(env.restConfig(adminToken), env.http.URL+path)
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			if err := exe.StreamWithContext(ctx, opts); err != nil {
				t.Fatalf("attach: %v", err)
			}
			if got := opts.Stdout.(*bytes.Buffer).String(); got != want {
				t.Errorf("stdout = %q, want %q", got, want)
			}
			if diff := cmp.Diff(execCall{Name: "pod_ns", Container: "c"}, env.provider.lastCall()); diff != "" {
				t.Errorf("provider call (-want +got):\n%s", diff)
			}
		})
	}
}

func TestAttachTTYFromSpec(t *testing.T) {
	env := streamingEnv(t)
	// The request asks for no terminal; the container has one, so the attach gets one.
	exe, err := remotecommand.NewSPDYExecutor(env.restConfig(adminToken), "POST", mustParse(env.http.URL+"/attach/ns/pod/term?input=1&output=1"))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var stdout bytes.Buffer
	if err := exe.StreamWithContext(ctx, remotecommand.StreamOptions{Stdin: strings.NewReader("x"), Stdout: &stdout, Tty: true}); err != nil {
		t.Fatalf("attach: %v", err)
	}
	if got := env.provider.lastCall(); !got.TTY {
		t.Errorf("provider attach tty = false, want the container spec's true")
	}
}

func spdyDialer(t *testing.T, cfg *rest.Config, u *url.URL) httpstream.Dialer {
	t.Helper()
	transport, upgrader, err := spdy.RoundTripperFor(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return spdy.NewDialer(upgrader, &http.Client{Transport: transport}, "POST", u)
}

func TestPortForward(t *testing.T) {
	tests := []struct {
		name string
		path string
		dial func(t *testing.T, cfg *rest.Config, u *url.URL) httpstream.Dialer
	}{
		{name: "spdy", path: "/portForward/ns/pod", dial: spdyDialer},
		{name: "spdy with uid", path: "/portForward/ns/pod/uid-1", dial: spdyDialer},
		{name: "spdy over websocket", path: "/portForward/ns/pod", dial: func(t *testing.T, cfg *rest.Config, u *url.URL) httpstream.Dialer {
			d, err := portforward.NewSPDYOverWebsocketDialer(u, cfg)
			if err != nil {
				t.Fatal(err)
			}
			return d
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			env := streamingEnv(t)
			dialer := tc.dial(t, env.restConfig(adminToken), mustParse(env.http.URL+tc.path))
			ready := make(chan struct{})
			stop := make(chan struct{})
			// The forwarder writes its messages from several goroutines.
			pf, err := portforward.NewOnAddresses(dialer, []string{"127.0.0.1"}, []string{"0:8080", "0:9090"}, stop, ready, io.Discard, io.Discard)
			if err != nil {
				t.Fatal(err)
			}
			done := make(chan error, 1)
			go func() { done <- pf.ForwardPorts() }()
			select {
			case <-ready:
			case err := <-done:
				t.Fatalf("ForwardPorts: %v", err)
			case <-time.After(30 * time.Second):
				t.Fatal("port forward not ready")
			}
			ports, err := pf.GetPorts()
			if err != nil {
				t.Fatal(err)
			}
			for _, p := range ports {
				conn, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", p.Local))
				if err != nil {
					t.Fatal(err)
				}
				conn.SetDeadline(time.Now().Add(30 * time.Second))
				if _, err := conn.Write([]byte("hello")); err != nil {
					t.Fatal(err)
				}
				want := fmt.Sprintf("%d:hello", p.Remote)
				got := make([]byte, len(want))
				if _, err := io.ReadFull(conn, got); err != nil {
					t.Fatalf("read from port %d: %v", p.Remote, err)
				}
				if string(got) != want {
					t.Errorf("port %d echoed %q, want %q", p.Remote, got, want)
				}
				conn.Close()
			}
			close(stop)
			if err := <-done; err != nil {
				t.Errorf("ForwardPorts: %v", err)
			}
			if got := env.provider.lastCall(); got.Name != "pod_ns" || got.UID != "uid-1" {
				t.Errorf("provider port forward call = %+v, want name pod_ns and the pod's uid", got)
			}
			// Only the WebSocket tunnel is unwrapped into SPDY through the loopback.
			env.server.loopback.transport()
			if n := env.server.loopback.ln.accepted.Load(); (n > 0) != (tc.name == "spdy over websocket") {
				t.Errorf("%d loopback connections", n)
			}
		})
	}
}

package e2e

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
)

const (
	// kubectlDir holds the stock kubectl binaries, one per minor version.
	kubectlDir = "/usr/lib/google-cloud-sdk/bin"
	// commandTimeout bounds every kubectl invocation.
	commandTimeout = 60 * time.Second
	// readyTimeout bounds a server's start until /readyz answers ok.
	readyTimeout = 60 * time.Second
	// stopTimeout is how long a server has to exit after SIGTERM before it
	// is killed.
	stopTimeout = 30 * time.Second
)

// kubectlVersions are the oldest and the newest kubectl the tests run.
var kubectlVersions = []string{"1.27", "1.33"}

var (
	// shared is the server TestMain starts for the whole package.
	shared *server
	// sharedSkip, when set, is why there is no shared server.
	sharedSkip string
	// sharedErr is why the shared server failed to start.
	sharedErr error
)

func TestMain(m *testing.M) {
	os.Exit(runTests(m))
}

// runTests starts the shared server, runs the tests and always stops the
// server and removes its directory before returning the exit code.
func runTests(m *testing.M) int {
	binary, err := serverBinary()
	if err != nil {
		sharedSkip = err.Error()
		return m.Run()
	}
	dir, err := os.MkdirTemp("", "kubeshim-e2e-")
	if err != nil {
		sharedErr = err
		return m.Run()
	}
	defer os.RemoveAll(dir)
	shared, sharedErr = startServer(binary, dir, 0)
	code := m.Run()
	if code != 0 {
		keepNodeLog()
	}
	if err := stopNodeCluster(); err != nil {
		fmt.Fprintf(os.Stderr, "stop node cluster: %v\n", err)
		code = 1
	}
	if shared != nil {
		if err := shared.stop(); err != nil {
			fmt.Fprintf(os.Stderr, "stop shared server: %v\n", err)
			code = 1
		}
		if code != 0 {
			fmt.Fprintf(os.Stderr, "shared server log, last lines:\n%s\n", shared.logTail(40))
		}
	}
	return code
}

// sharedServer returns the package's server, skipping the test when the
// binary is not built.
func sharedServer(t *testing.T) *server {
	t.Helper()
	if sharedSkip != "" {
		t.Skip(sharedSkip)
	}
	if sharedErr != nil {
		t.Fatalf("start shared server: %v", sharedErr)
	}
	return shared
}

// serverBinary finds _output/bin/kubeshim in the repository that holds the
// working directory.
func serverBinary() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			break
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("no go.mod above the working directory, so no _output/bin/kubeshim: run the tests in the repository after hack/build.sh")
		}
		dir = parent
	}
	binary := filepath.Join(dir, "_output", "bin", "kubeshim")
	if _, err := os.Stat(binary); err != nil {
		return "", fmt.Errorf("%s is not built: run hack/build.sh first", binary)
	}
	return binary, nil
}

// server is a `kubeshim server` child process.
type server struct {
	// dir holds data/ (the --data-dir), server.log and one kubectl home per
	// kubectl version. Its owner removes it.
	dir        string
	port       int
	kubeconfig string

	cmd  *exec.Cmd
	done chan struct{} // closed once cmd.Wait returned
}

// startServer starts the binary on dir/data and the port (0 picks a free
// one) and waits until /readyz answers ok. Restarting on a dir reuses its
// data; the log is appended to.
func startServer(binary, dir string, port int) (*server, error) {
	return startKubeshim(binary, dir, port, "server")
}

// startKubeshim starts `kubeshim <role> args...` (role server or up) as
// startServer describes.
func startKubeshim(binary, dir string, port int, role string, args ...string) (*server, error) {
	if port == 0 {
		var err error
		if port, err = freePort(); err != nil {
			return nil, err
		}
	}
	logFile, err := os.OpenFile(filepath.Join(dir, "server.log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return nil, err
	}
	defer logFile.Close() // the child has its own descriptor
	dataDir := filepath.Join(dir, "data")
	cmd := exec.Command(binary, append([]string{role,
		"--data-dir", dataDir,
		"--secure-port", strconv.Itoa(port),
		"--bind-address", "127.0.0.1"}, args...)...)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	// Should the test binary die without stopping the server (a panic, the
	// go test timeout), the kernel stops it.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGTERM}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", binary, err)
	}
	s := &server{
		dir:        dir,
		port:       port,
		kubeconfig: filepath.Join(dataDir, "admin.kubeconfig"),
		cmd:        cmd,
		done:       make(chan struct{}),
	}
	go func() {
		cmd.Wait()
		close(s.done)
	}()
	if err := s.waitReady(); err != nil {
		s.stop()
		return nil, fmt.Errorf("%w; server log, last lines:\n%s", err, s.logTail(30))
	}
	return s, nil
}

func (s *server) waitReady() error {
	deadline := time.Now().Add(readyTimeout)
	for ; time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		select {
		case <-s.done:
			return fmt.Errorf("server exited before ready: %v", s.cmd.ProcessState)
		default:
		}
		if ok, _ := s.ready(); ok {
			return nil
		}
	}
	_, err := s.ready()
	return fmt.Errorf("server not ready after %s: %v", readyTimeout, err)
}

// ready asks /readyz with the admin credentials from the kubeconfig the
// server wrote.
func (s *server) ready() (bool, error) {
	config, err := clientcmd.BuildConfigFromFlags("", s.kubeconfig)
	if err != nil {
		return false, err
	}
	config.Timeout = 5 * time.Second
	client, err := rest.HTTPClientFor(config)
	if err != nil {
		return false, err
	}
	resp, err := client.Get(config.Host + "/readyz")
	if err != nil {
		return false, err
	}
	defer resp.Body.Close()
	var body bytes.Buffer
	body.ReadFrom(resp.Body)
	if resp.StatusCode != http.StatusOK || body.String() != "ok" {
		return false, fmt.Errorf("/readyz: %s: %s", resp.Status, body.String())
	}
	return true, nil
}

// stop sends SIGTERM, waits for the exit (SIGKILL after stopTimeout) and
// returns an error unless the server exited 0 by itself. Stopping a stopped
// server returns how it exited.
func (s *server) stop() error {
	select {
	case <-s.done:
	default:
		if err := s.cmd.Process.Signal(syscall.SIGTERM); err != nil && !errors.Is(err, os.ErrProcessDone) {
			return fmt.Errorf("SIGTERM pid %d: %w", s.cmd.Process.Pid, err)
		}
		select {
		case <-s.done:
		case <-time.After(stopTimeout):
			s.cmd.Process.Kill()
			<-s.done
			return fmt.Errorf("pid %d did not exit within %s of SIGTERM; killed", s.cmd.Process.Pid, stopTimeout)
		}
	}
	if state := s.cmd.ProcessState; !state.Success() {
		return fmt.Errorf("pid %d: %v", s.cmd.Process.Pid, state)
	}
	return nil
}

func (s *server) logTail(n int) string {
	data, err := os.ReadFile(filepath.Join(s.dir, "server.log"))
	if err != nil {
		return err.Error()
	}
	lines := strings.Split(strings.TrimRight(string(data), "\n"), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// kubectl runs one stock kubectl binary against one server.
type kubectl struct {
	version    string
	path       string
	kubeconfig string
	// home is kubectl's $HOME, and so holds its discovery cache.
	home string
	// namespace, when set, is passed to every command.
	namespace string
	// env is added to the environment of every command.
	env []string
}

// newKubectl returns kubectl version against s, skipping the test when that
// version is not installed.
func newKubectl(t *testing.T, version string, s *server) *kubectl {
	t.Helper()
	return &kubectl{version: version, path: kubectlPath(t, version), kubeconfig: s.kubeconfig, home: filepath.Join(s.dir, "home-"+version)}
}

// kubectlPath returns the binary of kubectl version, skipping the test when
// it is not installed.
func kubectlPath(t *testing.T, version string) string {
	t.Helper()
	path := filepath.Join(kubectlDir, "kubectl."+version)
	if _, err := exec.LookPath(path); err != nil {
		t.Skipf("kubectl %s is not installed: %v", version, err)
	}
	return path
}

// forEachKubectl runs fn as one subtest per kubectl version against the
// shared server, each in a fresh namespace.
func forEachKubectl(t *testing.T, fn func(t *testing.T, k *kubectl)) {
	s := sharedServer(t)
	for _, version := range kubectlVersions {
		t.Run("kubectl-"+version, func(t *testing.T) {
			k := newKubectl(t, version, s)
			k.namespace = namespaceName(t)
			if out := k.createNamespace(t, k.namespace); !strings.Contains(out, "namespace/"+k.namespace+" created") {
				t.Fatalf("create namespace: got %q", out)
			}
			fn(t, k)
		})
	}
}

// withEnv returns a copy of k that adds env to every command's environment.
func (k *kubectl) withEnv(env ...string) *kubectl {
	c := *k
	c.env = append(append([]string(nil), k.env...), env...)
	return &c
}

// command returns the kubectl command for args, not started.
func (k *kubectl) command(ctx context.Context, args ...string) *exec.Cmd {
	if k.namespace != "" {
		args = append([]string{"--namespace", k.namespace}, args...)
	}
	cmd := exec.CommandContext(ctx, k.path, args...)
	cmd.Env = append(os.Environ(), "KUBECONFIG="+k.kubeconfig, "HOME="+k.home)
	cmd.Env = append(cmd.Env, k.env...)
	// An editor kubectl started may hold the pipes open after kubectl is
	// killed.
	cmd.WaitDelay = 5 * time.Second
	return cmd
}

// result is what one kubectl command did.
type result struct {
	cmdline        string
	stdout, stderr string
	// code is the exit code, -1 when kubectl did not exit by itself.
	code int
	err  error
}

func (r result) String() string {
	return fmt.Sprintf("%s: %v\nstdout:\n%s\nstderr:\n%s", r.cmdline, r.err, r.stdout, r.stderr)
}

// run runs kubectl with stdin (may be empty) and returns whatever happened.
func (k *kubectl) run(t *testing.T, stdin string, args ...string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), commandTimeout)
	defer cancel()
	cmd := k.command(ctx, args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdin = strings.NewReader(stdin)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	r := result{
		cmdline: "kubectl-" + k.version + " " + strings.Join(cmd.Args[1:], " "),
		stdout:  stdout.String(),
		stderr:  stderr.String(),
		code:    cmd.ProcessState.ExitCode(),
		err:     err,
	}
	if ctx.Err() != nil {
		r.err = fmt.Errorf("timed out after %s: %w", commandTimeout, err)
	}
	return r
}

// ok runs kubectl and fails the test unless it exits 0; it returns stdout.
func (k *kubectl) ok(t *testing.T, args ...string) string {
	t.Helper()
	return k.okIn(t, "", args...)
}

// okIn is ok with stdin, for `-f -`.
func (k *kubectl) okIn(t *testing.T, stdin string, args ...string) string {
	t.Helper()
	r := k.run(t, stdin, args...)
	if r.err != nil {
		t.Fatalf("%v", r)
	}
	return r.stdout
}

// fails runs kubectl and fails the test unless it exits 1 with stderr
// matching want.
func (k *kubectl) fails(t *testing.T, want string, args ...string) {
	t.Helper()
	r := k.run(t, "", args...)
	if r.code != 1 || !regexp.MustCompile(want).MatchString(r.stderr) {
		t.Fatalf("want exit 1 and stderr matching %q, got %v", want, r)
	}
}

// jsonpath returns the template evaluated on one object.
func (k *kubectl) jsonpath(t *testing.T, object, template string) string {
	t.Helper()
	return k.ok(t, "get", object, "-o", "jsonpath="+template)
}

// expectJSONPath fails the test unless the template evaluates to want.
func (k *kubectl) expectJSONPath(t *testing.T, object, template, want string) {
	t.Helper()
	if got := k.jsonpath(t, object, template); got != want {
		t.Errorf("%s %s: got %q, want %q", object, template, got, want)
	}
}

// table splits kubectl's table output into rows of whitespace-separated
// fields. Columns with spaces in their header (NOMINATED NODE) stay split.
func table(out string) [][]string {
	var rows [][]string
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		rows = append(rows, strings.Fields(line))
	}
	return rows
}

// createNamespace creates a namespace and, as the upstream e2e framework
// does, waits for its default service account: the service account
// admission refuses pods until the controller made it. It returns
// kubectl's output.
func (k *kubectl) createNamespace(t *testing.T, name string) string {
	t.Helper()
	out := k.ok(t, "create", "namespace", name)
	if !eventually(30*time.Second, func() bool {
		return k.run(t, "", "get", "serviceaccount", "default", "--namespace", name).err == nil
	}) {
		t.Fatalf("namespace %s got no default service account within 30s", name)
	}
	return out
}

// namespaceName turns the test's name into a DNS label.
func namespaceName(t *testing.T) string {
	name := strings.ToLower(t.Name())
	name = regexp.MustCompile(`[^a-z0-9]+`).ReplaceAllString(name, "-")
	name = strings.TrimPrefix(name, "test")
	if len(name) > 63 {
		name = name[len(name)-63:]
	}
	return strings.Trim(name, "-")
}

// eventually polls check every 200ms until it returns true or timeout
// passes, and reports whether it did.
func eventually(timeout time.Duration, check func() bool) bool {
	for deadline := time.Now().Add(timeout); ; time.Sleep(200 * time.Millisecond) {
		if check() {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
	}
}

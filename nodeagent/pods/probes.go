package pods

import (
	"bytes"
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/klog/v2"
)

// probeSet runs the probes of a pod's containers and remembers their
// results per container instance (a restarted container starts over).
type probeSet struct {
	mu      sync.Mutex
	results map[string]*probeResults // by container ID
	cancels map[string]context.CancelFunc
}

type probeResults struct {
	started      bool
	ready        bool
	livenessFail bool
}

func (p *probeSet) get(id string) *probeResults {
	r, ok := p.results[id]
	if !ok {
		r = &probeResults{}
		p.results[id] = r
	}
	return r
}

func (p *probeSet) started(name, id string, hasProbe bool) bool {
	if !hasProbe {
		return true
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.get(id).started
}

func (p *probeSet) ready(name, id string, hasProbe bool) bool {
	if !hasProbe {
		return true
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.get(id).ready
}

func (p *probeSet) livenessFailed(name, id string) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	r, ok := p.results[id]
	return ok && r.livenessFail
}

func (p *probeSet) stop() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, c := range p.cancels {
		c()
	}
	p.cancels = map[string]context.CancelFunc{}
}

// startProbes starts the probe workers of a new container instance.
func (m *Manager) startProbes(ctx context.Context, pod *corev1.Pod, st *podState, c *corev1.Container, id string) {
	if c.StartupProbe == nil && c.ReadinessProbe == nil && c.LivenessProbe == nil {
		return
	}
	m.mu.Lock()
	if st.probes == nil {
		st.probes = &probeSet{results: map[string]*probeResults{}, cancels: map[string]context.CancelFunc{}}
	}
	ps := st.probes
	m.mu.Unlock()
	pctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	ps.mu.Lock()
	if _, running := ps.cancels[id]; running {
		// Already probing this instance (syncs call this for every
		// running container, so an adopted one gets its probes back).
		ps.mu.Unlock()
		cancel()
		return
	}
	ps.cancels[id] = cancel
	ps.get(id)
	ps.mu.Unlock()
	go m.probeLoop(pctx, pod, ps, c, id)
}

// probeLoop runs the startup probe until it succeeds, then liveness and
// readiness on their own periods, with the thresholds of the spec.
func (m *Manager) probeLoop(ctx context.Context, pod *corev1.Pod, ps *probeSet, c *corev1.Container, id string) {
	key := string(pod.UID)
	set := func(f func(r *probeResults) bool) {
		ps.mu.Lock()
		changed := f(ps.get(id))
		ps.mu.Unlock()
		if changed {
			m.queue.Add(key)
		}
	}
	if c.StartupProbe != nil {
		ok := m.runProbe(ctx, pod, c, id, "Startup", c.StartupProbe)
		if !ok {
			if ctx.Err() == nil {
				// Startup failed its threshold: the kubelet kills the
				// container, as for liveness.
				set(func(r *probeResults) bool { r.livenessFail = true; return true })
			}
			return
		}
	}
	set(func(r *probeResults) bool { r.started = true; return true })
	var wg sync.WaitGroup
	if c.ReadinessProbe != nil {
		wg.Add(1)
		go func() {
			defer wg.Done()
			m.watchProbe(ctx, pod, c, id, "Readiness", c.ReadinessProbe, func(ok bool) {
				set(func(r *probeResults) bool { ch := r.ready != ok; r.ready = ok; return ch })
			})
		}()
	}
	if c.LivenessProbe != nil {
		wg.Add(1)
		go func() {
			defer wg.Done()
			m.watchProbe(ctx, pod, c, id, "Liveness", c.LivenessProbe, func(ok bool) {
				if !ok {
					set(func(r *probeResults) bool { r.livenessFail = true; return true })
				}
			})
		}()
	}
	wg.Wait()
}

func probeTimes(p *corev1.Probe) (period, timeout time.Duration, success, failure int32) {
	period, timeout, success, failure = 10*time.Second, time.Second, 1, 3
	if p.PeriodSeconds > 0 {
		period = time.Duration(p.PeriodSeconds) * time.Second
	}
	if p.TimeoutSeconds > 0 {
		timeout = time.Duration(p.TimeoutSeconds) * time.Second
	}
	if p.SuccessThreshold > 0 {
		success = p.SuccessThreshold
	}
	if p.FailureThreshold > 0 {
		failure = p.FailureThreshold
	}
	return
}

// runProbe probes until success (true) or failureThreshold failures in a
// row (false); for the startup probe.
func (m *Manager) runProbe(ctx context.Context, pod *corev1.Pod, c *corev1.Container, id, kind string, p *corev1.Probe) bool {
	period, timeout, _, failure := probeTimes(p)
	if !sleep(ctx, time.Duration(p.InitialDelaySeconds)*time.Second) {
		return false
	}
	fails := int32(0)
	for {
		if err := m.probe(ctx, pod, c, id, p, timeout); err == nil {
			return true
		} else {
			fails++
			m.probeEvent(pod, c, kind, err)
			if fails >= failure {
				return false
			}
		}
		if !sleep(ctx, period) {
			return false
		}
	}
}

// watchProbe probes forever, reporting transitions after the thresholds.
func (m *Manager) watchProbe(ctx context.Context, pod *corev1.Pod, c *corev1.Container, id, kind string, p *corev1.Probe, report func(bool)) {
	period, timeout, success, failure := probeTimes(p)
	if !sleep(ctx, time.Duration(p.InitialDelaySeconds)*time.Second) {
		return
	}
	var okRun, failRun int32
	for {
		err := m.probe(ctx, pod, c, id, p, timeout)
		if ctx.Err() != nil {
			return
		}
		if err == nil {
			okRun, failRun = okRun+1, 0
			if okRun >= success {
				report(true)
			}
		} else {
			okRun, failRun = 0, failRun+1
			m.probeEvent(pod, c, kind, err)
			if failRun >= failure {
				report(false)
				if kind == "Liveness" {
					return
				}
			}
		}
		if !sleep(ctx, period) {
			return
		}
	}
}

func (m *Manager) probeEvent(pod *corev1.Pod, c *corev1.Container, kind string, err error) {
	m.config.Recorder.Eventf(containerRef(pod, c), corev1.EventTypeWarning, "Unhealthy", "%s probe failed: %v", kind, err)
}

func sleep(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return ctx.Err() == nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

// probe runs one probe: exec in the container, or HTTP, TCP or gRPC
// against the pod's IP (reachable from the host over the pods' bridge).
func (m *Manager) probe(ctx context.Context, pod *corev1.Pod, c *corev1.Container, id string, p *corev1.Probe, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	host := m.podIPFor(pod)
	switch {
	case p.Exec != nil:
		out := &output{}
		err := m.config.Runtime.Exec(ctx, id, p.Exec.Command, nil, out, out, false, nil)
		if ctx.Err() == context.DeadlineExceeded {
			return fmt.Errorf("command %q timed out", strings.Join(p.Exec.Command, " "))
		}
		if err != nil {
			return fmt.Errorf("%s", strings.TrimSpace(out.String()+" "+err.Error()))
		}
		return nil
	case p.HTTPGet != nil:
		return httpProbe(ctx, host, c, p.HTTPGet)
	case p.TCPSocket != nil:
		if p.TCPSocket.Host != "" {
			host = p.TCPSocket.Host
		}
		port, err := resolvePort(p.TCPSocket.Port, c)
		if err != nil {
			return err
		}
		var d net.Dialer
		conn, err := d.DialContext(ctx, "tcp", net.JoinHostPort(host, strconv.Itoa(port)))
		if err != nil {
			return fmt.Errorf("dial tcp %s:%d: %w", host, port, err)
		}
		conn.Close()
		return nil
	case p.GRPC != nil:
		conn, err := grpc.NewClient(net.JoinHostPort(host, strconv.Itoa(int(p.GRPC.Port))), grpc.WithTransportCredentials(insecure.NewCredentials()))
		if err != nil {
			return err
		}
		defer conn.Close()
		service := ""
		if p.GRPC.Service != nil {
			service = *p.GRPC.Service
		}
		resp, err := healthpb.NewHealthClient(conn).Check(ctx, &healthpb.HealthCheckRequest{Service: service})
		if err != nil {
			return fmt.Errorf("timeout: failed to connect service %q within %v: %w", conn.Target(), timeout, err)
		}
		if resp.Status != healthpb.HealthCheckResponse_SERVING {
			return fmt.Errorf("service unhealthy (responded with %q)", resp.Status)
		}
		return nil
	}
	return fmt.Errorf("probe has no handler")
}

func (m *Manager) podIPFor(pod *corev1.Pod) string {
	m.mu.Lock()
	defer m.mu.Unlock()
	if s := m.state[pod.UID]; s != nil && s.podIP != nil {
		return s.podIP.String()
	}
	return pod.Status.PodIP
}

// output collects what a probe or hook printed on both streams; one lock,
// since the streams are copied concurrently.
type output struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (o *output) Write(p []byte) (int, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.buf.Write(p)
}

func (o *output) Close() error { return nil }

func (o *output) String() string {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.buf.String()
}

func resolvePort(p intstr.IntOrString, c *corev1.Container) (int, error) {
	if p.Type == intstr.Int {
		return p.IntValue(), nil
	}
	for _, cp := range c.Ports {
		if cp.Name == p.StrVal {
			return int(cp.ContainerPort), nil
		}
	}
	if n, err := strconv.Atoi(p.StrVal); err == nil {
		return n, nil
	}
	return 0, fmt.Errorf("couldn't find port: %v in %v", p, c)
}

// httpProbe is the kubelet's HTTP probe: success is a 2xx or 3xx status;
// redirects to other hosts are not followed.
func httpProbe(ctx context.Context, host string, c *corev1.Container, g *corev1.HTTPGetAction) error {
	port, err := resolvePort(g.Port, c)
	if err != nil {
		return err
	}
	if g.Host != "" {
		host = g.Host
	}
	scheme := strings.ToLower(string(g.Scheme))
	if scheme == "" {
		scheme = "http"
	}
	path := g.Path
	if !strings.HasPrefix(path, "/") {
		path = "/" + path
	}
	u := &url.URL{Scheme: scheme, Host: net.JoinHostPort(host, strconv.Itoa(port))}
	u, err = u.Parse(path)
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return err
	}
	req.Header.Set("User-Agent", "kube-probe/1.37")
	req.Header.Set("Accept", "*/*")
	for _, h := range g.HTTPHeaders {
		if strings.EqualFold(h.Name, "Host") {
			req.Host = h.Value
			continue
		}
		req.Header.Add(h.Name, h.Value)
	}
	client := &http.Client{
		Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}, DisableKeepAlives: true, Proxy: nil},
		CheckRedirect: func(r *http.Request, via []*http.Request) error {
			if r.URL.Hostname() != u.Hostname() || len(via) >= 10 {
				return http.ErrUseLastResponse
			}
			return nil
		},
	}
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	io.Copy(io.Discard, io.LimitReader(resp.Body, 10*1024))
	if resp.StatusCode >= 200 && resp.StatusCode < 400 {
		return nil
	}
	return fmt.Errorf("HTTP probe failed with statuscode: %d", resp.StatusCode)
}

// runHandler runs a lifecycle hook (exec, httpGet, sleep).
func (m *Manager) runHandler(ctx context.Context, pod *corev1.Pod, c *corev1.Container, id string, h *corev1.LifecycleHandler) error {
	switch {
	case h.Exec != nil:
		out := &output{}
		err := m.config.Runtime.Exec(ctx, id, h.Exec.Command, nil, out, out, false, nil)
		if err != nil {
			return fmt.Errorf("Exec lifecycle hook (%v) for Container in Pod %s_%s(%s) failed - error: %v, message: %q", h.Exec.Command, pod.Name, pod.Namespace, pod.UID, err, out.String())
		}
		return nil
	case h.HTTPGet != nil:
		return httpProbe(ctx, m.podIPFor(pod), c, h.HTTPGet)
	case h.Sleep != nil:
		sleep(ctx, time.Duration(h.Sleep.Seconds)*time.Second)
		return nil
	}
	klog.FromContext(ctx).V(2).Info("Lifecycle hook has no handler")
	return nil
}

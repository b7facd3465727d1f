package server

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/component-base/metrics/testutil"
	statsv1alpha1 "k8s.io/kubelet/pkg/apis/stats/v1alpha1"
	"k8s.io/utils/ptr"

	"github.com/kubeshim/kubeshim/nodeagent/logs"
)

// get makes a request to the test server and returns the status and body.
func (e *testEnv) get(t *testing.T, method, path, token string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, e.http.URL+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := e.http.Client().Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("read %s: %v", path, err)
	}
	return resp.StatusCode, string(body)
}

func TestPods(t *testing.T) {
	p := &fakeProvider{pods: []*corev1.Pod{
		testPod("default", "web", "uid-1", corev1.Container{Name: "nginx"}),
		testPod("kube-system", "dns", "uid-2", corev1.Container{Name: "coredns"}),
	}}
	env := newTestEnv(t, p)
	code, body := env.get(t, "GET", "/pods", adminToken)
	if code != http.StatusOK {
		t.Fatalf("GET /pods = %d %s", code, body)
	}
	var list corev1.PodList
	if err := json.Unmarshal([]byte(body), &list); err != nil {
		t.Fatalf("decode PodList: %v", err)
	}
	if list.Kind != "PodList" || list.APIVersion != "v1" {
		t.Errorf("kind/apiVersion = %q/%q, want PodList/v1", list.Kind, list.APIVersion)
	}
	var got []string
	for _, p := range list.Items {
		got = append(got, p.Namespace+"/"+p.Name+"/"+string(p.UID))
	}
	if diff := cmp.Diff([]string{"default/web/uid-1", "kube-system/dns/uid-2"}, got); diff != "" {
		t.Errorf("pods (-want +got):\n%s", diff)
	}

	if code, _ := env.get(t, "POST", "/pods", adminToken); code != http.StatusMethodNotAllowed {
		t.Errorf("POST /pods = %d, want 405", code)
	}
	empty := newTestEnv(t, &fakeProvider{})
	if code, body := empty.get(t, "GET", "/pods", adminToken); code != http.StatusOK || !strings.Contains(body, `"items":[]`) {
		t.Errorf("GET /pods without pods = %d %s, want an empty items list", code, body)
	}
}

func TestHealthz(t *testing.T) {
	env := newTestEnv(t, &fakeProvider{})
	for _, path := range []string{"/healthz", "/healthz/ping", "/healthz/log"} {
		if code, body := env.get(t, "GET", path, adminToken); code != http.StatusOK || body != "ok" {
			t.Errorf("GET %s = %d %q, want 200 ok", path, code, body)
		}
	}
}

func writeLog(t *testing.T, path string, base time.Time, entries ...[3]string) {
	t.Helper()
	var b []byte
	for i, e := range entries {
		b = append(b, logs.FormatLine(base.Add(time.Duration(i)*time.Second), e[0], e[1] == logs.TagPartial, []byte(e[2]))...)
	}
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
}

func TestContainerLogs(t *testing.T) {
	dir := t.TempDir()
	base := time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)
	current, previous := filepath.Join(dir, "1.log"), filepath.Join(dir, "0.log")
	writeLog(t, current, base,
		[3]string{logs.Stdout, logs.TagFull, "one"},
		[3]string{logs.Stderr, logs.TagFull, "two"},
		[3]string{logs.Stdout, logs.TagFull, "three"},
	)
	writeLog(t, previous, base.Add(-time.Hour), [3]string{logs.Stdout, logs.TagFull, "before restart"})
	p := &fakeProvider{
		pods: []*corev1.Pod{testPod("ns", "pod", "uid", corev1.Container{Name: "c"}, corev1.Container{Name: "nolog"})},
		logFiles: map[string]string{
			"ns/pod/c":          current,
			"ns/pod/c/previous": previous,
			"ns/pod/nolog":      filepath.Join(dir, "missing.log"),
		},
	}
	env := newTestEnv(t, p)
	ts := func(sec int) string {
		return base.Add(time.Duration(sec) * time.Second).Format("2006-01-02T15:04:05.000000000Z07:00")
	}

	tests := []struct {
		name     string
		path     string
		wantCode int
		wantBody string
	}{
		{name: "all", path: "/containerLogs/ns/pod/c", wantCode: 200, wantBody: "one\ntwo\nthree\n"},
		{name: "tailLines", path: "/containerLogs/ns/pod/c?tailLines=2", wantCode: 200, wantBody: "two\nthree\n"},
		{name: "legacy tail", path: "/containerLogs/ns/pod/c?tail=1", wantCode: 200, wantBody: "three\n"},
		{name: "legacy tail all", path: "/containerLogs/ns/pod/c?tail=all&tailLines=1", wantCode: 200, wantBody: "one\ntwo\nthree\n"},
		{name: "timestamps", path: "/containerLogs/ns/pod/c?timestamps=true&tailLines=1", wantCode: 200, wantBody: ts(2) + " three\n"},
		{name: "timestamps without value", path: "/containerLogs/ns/pod/c?timestamps&tailLines=1", wantCode: 200, wantBody: ts(2) + " three\n"},
		{name: "timestamps false", path: "/containerLogs/ns/pod/c?timestamps=false&tailLines=1", wantCode: 200, wantBody: "three\n"},
		{name: "limitBytes", path: "/containerLogs/ns/pod/c?limitBytes=6", wantCode: 200, wantBody: "one\ntw"},
		{name: "sinceTime", path: "/containerLogs/ns/pod/c?sinceTime=" + base.Add(time.Second).Format(time.RFC3339), wantCode: 200, wantBody: "two\nthree\n"},
		{name: "sinceSeconds excludes old lines", path: "/containerLogs/ns/pod/c?sinceSeconds=60", wantCode: 200, wantBody: ""},
		{name: "stream stdout", path: "/containerLogs/ns/pod/c?stream=Stdout", wantCode: 200, wantBody: "one\nthree\n"},
		{name: "stream stderr", path: "/containerLogs/ns/pod/c?stream=Stderr", wantCode: 200, wantBody: "two\n"},
		{name: "previous", path: "/containerLogs/ns/pod/c?previous=true", wantCode: 200, wantBody: "before restart\n"},
		{name: "follow a stopped container ends", path: "/containerLogs/ns/pod/c?follow=true&tailLines=1", wantCode: 200, wantBody: "three\n"},

		{name: "negative tailLines", path: "/containerLogs/ns/pod/c?tailLines=-1", wantCode: 422},
		{name: "tailLines not a number", path: "/containerLogs/ns/pod/c?tailLines=x", wantCode: 400},
		{name: "zero limitBytes", path: "/containerLogs/ns/pod/c?limitBytes=0", wantCode: 422},
		{name: "zero sinceSeconds", path: "/containerLogs/ns/pod/c?sinceSeconds=0", wantCode: 422},
		{name: "sinceTime not a time", path: "/containerLogs/ns/pod/c?sinceTime=yesterday", wantCode: 400},
		{name: "since both ways", path: "/containerLogs/ns/pod/c?sinceSeconds=1&sinceTime=" + base.Format(time.RFC3339), wantCode: 422},
		{name: "unknown stream", path: "/containerLogs/ns/pod/c?stream=Stdin", wantCode: 422},
		{name: "stream with tailLines", path: "/containerLogs/ns/pod/c?stream=Stdout&tailLines=1", wantCode: 422},

		{name: "unknown pod", path: "/containerLogs/ns/nope/c", wantCode: 404},
		{name: "unknown namespace", path: "/containerLogs/other/pod/c", wantCode: 404},
		{name: "unknown container", path: "/containerLogs/ns/pod/nope", wantCode: 404},
		{name: "no previous instance", path: "/containerLogs/ns/pod/nolog?previous=true", wantCode: 404},
		{name: "log file missing", path: "/containerLogs/ns/pod/nolog", wantCode: 400},
		{name: "missing container segment", path: "/containerLogs/ns/pod", wantCode: 404},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, body := env.get(t, "GET", tc.path, adminToken)
			if code != tc.wantCode {
				t.Fatalf("GET %s = %d %q, want %d", tc.path, code, body, tc.wantCode)
			}
			if code == http.StatusOK {
				if diff := cmp.Diff(tc.wantBody, body); diff != "" {
					t.Errorf("body (-want +got):\n%s", diff)
				}
			}
		})
	}
}

func TestContainerLogsProviderError(t *testing.T) {
	p := &fakeProvider{
		pods:   []*corev1.Pod{testPod("ns", "pod", "uid", corev1.Container{Name: "c"})},
		logErr: errors.New(`container "c" in pod "pod" is waiting to start: ContainerCreating`),
	}
	env := newTestEnv(t, p)
	code, body := env.get(t, "GET", "/containerLogs/ns/pod/c", adminToken)
	if code != http.StatusBadRequest || !strings.Contains(body, "waiting to start") {
		t.Errorf("GET = %d %q, want 400 with the provider's message", code, body)
	}
}

func TestContainerLogsFollow(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "0.log")
	f, err := logs.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	stdout := f.Stream(logs.Stdout)
	stdout.Write([]byte("first\n"))
	p := &fakeProvider{
		pods:     []*corev1.Pod{testPod("ns", "pod", "uid", corev1.Container{Name: "c"})},
		logFiles: map[string]string{"ns/pod/c": path},
	}
	p.running.Store(true)
	env := newTestEnv(t, p)

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", env.http.URL+"/containerLogs/ns/pod/c?follow=true", nil)
	req.Header.Set("Authorization", "Bearer "+adminToken)
	resp, err := env.http.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d", resp.StatusCode)
	}
	r := bufio.NewReader(resp.Body)
	readLine := func(want string) {
		t.Helper()
		line, err := r.ReadString('\n')
		if err != nil || line != want {
			t.Fatalf("read %q, %v; want %q", line, err, want)
		}
	}
	readLine("first\n")
	// Lines written while following arrive without the response ending.
	stdout.Write([]byte("second\n"))
	readLine("second\n")
	stdout.Write([]byte("third\n"))
	readLine("third\n")

	p.running.Store(false)
	rest, err := io.ReadAll(r)
	if err != nil {
		t.Fatalf("reading the end of the follow: %v", err)
	}
	if len(rest) != 0 {
		t.Errorf("unexpected trailing output %q", rest)
	}
}

func testSummary() *statsv1alpha1.Summary {
	t0 := metav1.NewTime(time.Unix(1700000000, 0))
	start := metav1.NewTime(time.Unix(1600000000, 0))
	return &statsv1alpha1.Summary{
		Node: statsv1alpha1.NodeStats{
			NodeName:  testNode,
			StartTime: start,
			CPU:       &statsv1alpha1.CPUStats{Time: t0, UsageCoreNanoSeconds: ptr.To[uint64](10_500_000_000), UsageNanoCores: ptr.To[uint64](5)},
			Memory:    &statsv1alpha1.MemoryStats{Time: t0, WorkingSetBytes: ptr.To[uint64](1000), RSSBytes: ptr.To[uint64](900)},
			Network:   &statsv1alpha1.NetworkStats{Time: t0},
		},
		Pods: []statsv1alpha1.PodStats{{
			PodRef:    statsv1alpha1.PodReference{Name: "web", Namespace: "default", UID: "uid-1"},
			StartTime: start,
			CPU:       &statsv1alpha1.CPUStats{Time: t0, UsageCoreNanoSeconds: ptr.To[uint64](2_000_000_000)},
			Memory:    &statsv1alpha1.MemoryStats{Time: t0, WorkingSetBytes: ptr.To[uint64](300)},
			Swap:      &statsv1alpha1.SwapStats{Time: t0, SwapUsageBytes: ptr.To[uint64](7)},
			Containers: []statsv1alpha1.ContainerStats{{
				Name:      "nginx",
				StartTime: start,
				CPU:       &statsv1alpha1.CPUStats{Time: t0, UsageCoreNanoSeconds: ptr.To[uint64](1_000_000_000)},
				Memory:    &statsv1alpha1.MemoryStats{Time: t0, WorkingSetBytes: ptr.To[uint64](200)},
				Swap:      &statsv1alpha1.SwapStats{Time: t0, SwapUsageBytes: ptr.To[uint64](3), SwapAvailableBytes: ptr.To[uint64](5)},
				Rootfs:    &statsv1alpha1.FsStats{Time: t0},
			}},
		}},
	}
}

func TestStatsSummary(t *testing.T) {
	p := &fakeProvider{summary: testSummary()}
	env := newTestEnv(t, p)
	for _, method := range []string{"GET", "POST"} {
		code, body := env.get(t, method, "/stats/summary", adminToken)
		if code != http.StatusOK {
			t.Fatalf("%s /stats/summary = %d %s", method, code, body)
		}
		var got statsv1alpha1.Summary
		if err := json.Unmarshal([]byte(body), &got); err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(*testSummary(), got); diff != "" {
			t.Errorf("%s summary (-want +got):\n%s", method, diff)
		}
	}

	code, body := env.get(t, "GET", "/stats/summary?only_cpu_and_memory=true", adminToken)
	if code != http.StatusOK {
		t.Fatalf("only_cpu_and_memory = %d %s", code, body)
	}
	var got statsv1alpha1.Summary
	if err := json.Unmarshal([]byte(body), &got); err != nil {
		t.Fatal(err)
	}
	want := testSummary()
	want.Node.Network = nil
	want.Pods[0].Swap = nil
	want.Pods[0].Containers[0].Swap = nil
	want.Pods[0].Containers[0].Rootfs = nil
	if diff := cmp.Diff(*want, got); diff != "" {
		t.Errorf("cpu and memory summary (-want +got):\n%s", diff)
	}

	p.summaryErr = errors.New("cgroups unreadable")
	if code, body := env.get(t, "GET", "/stats/summary", adminToken); code != http.StatusInternalServerError || !strings.Contains(body, "Internal Error: cgroups unreadable") {
		t.Errorf("summary error = %d %q, want 500 Internal Error", code, body)
	}
}

func TestResourceMetrics(t *testing.T) {
	want := `
# HELP container_cpu_usage_seconds_total [STABLE] Cumulative cpu time consumed by the container in core-seconds
# TYPE container_cpu_usage_seconds_total counter
container_cpu_usage_seconds_total{container="nginx",namespace="default",pod="web"} 1 1700000000000
# HELP container_memory_working_set_bytes [STABLE] Current working set of the container in bytes
# TYPE container_memory_working_set_bytes gauge
container_memory_working_set_bytes{container="nginx",namespace="default",pod="web"} 200 1700000000000
# HELP container_start_time_seconds [STABLE] Start time of the container since unix epoch in seconds
# TYPE container_start_time_seconds gauge
container_start_time_seconds{container="nginx",namespace="default",pod="web"} 1.6e+09
# HELP container_swap_limit_bytes [ALPHA] Current amount of the container swap limit in bytes. Reported only on non-windows systems
# TYPE container_swap_limit_bytes gauge
container_swap_limit_bytes{container="nginx",namespace="default",pod="web"} 8 1700000000000
# HELP container_swap_usage_bytes [ALPHA] Current amount of the container swap usage in bytes. Reported only on non-windows systems
# TYPE container_swap_usage_bytes gauge
container_swap_usage_bytes{container="nginx",namespace="default",pod="web"} 3 1700000000000
# HELP node_cpu_usage_seconds_total [STABLE] Cumulative cpu time consumed by the node in core-seconds
# TYPE node_cpu_usage_seconds_total counter
node_cpu_usage_seconds_total 10.5 1700000000000
# HELP node_memory_working_set_bytes [STABLE] Current working set of the node in bytes
# TYPE node_memory_working_set_bytes gauge
node_memory_working_set_bytes 1000 1700000000000
# HELP pod_cpu_usage_seconds_total [STABLE] Cumulative cpu time consumed by the pod in core-seconds
# TYPE pod_cpu_usage_seconds_total counter
pod_cpu_usage_seconds_total{namespace="default",pod="web"} 2 1700000000000
# HELP pod_memory_working_set_bytes [STABLE] Current working set of the pod in bytes
# TYPE pod_memory_working_set_bytes gauge
pod_memory_working_set_bytes{namespace="default",pod="web"} 300 1700000000000
# HELP pod_swap_usage_bytes [ALPHA] Current amount of the pod swap usage in bytes. Reported only on non-windows systems
# TYPE pod_swap_usage_bytes gauge
pod_swap_usage_bytes{namespace="default",pod="web"} 7 1700000000000
# HELP resource_scrape_error [STABLE] 1 if there was an error while getting container metrics, 0 otherwise
# TYPE resource_scrape_error gauge
resource_scrape_error 0
`
	names := []string{
		"node_cpu_usage_seconds_total", "node_memory_working_set_bytes", "node_swap_usage_bytes",
		"container_cpu_usage_seconds_total", "container_memory_working_set_bytes", "container_swap_usage_bytes",
		"container_swap_limit_bytes", "container_start_time_seconds",
		"pod_cpu_usage_seconds_total", "pod_memory_working_set_bytes", "pod_swap_usage_bytes",
		// Not scrape_error: deprecated since 1.29, it is hidden or shown
		// by the binary's version (hack/lib.sh stamps 1.37: hidden).
		"resource_scrape_error",
	}
	p := &fakeProvider{summary: testSummary()}
	c := &resourceCollector{ctx: context.Background(), summary: p.Summary}
	if err := testutil.CustomCollectAndCompare(c, strings.NewReader(want), names...); err != nil {
		t.Errorf("collected metrics:\n%v", err)
	}

	failing := &resourceCollector{ctx: context.Background(), summary: func(context.Context) (*statsv1alpha1.Summary, error) {
		return nil, errors.New("no stats")
	}}
	wantErr := `
# HELP resource_scrape_error [STABLE] 1 if there was an error while getting container metrics, 0 otherwise
# TYPE resource_scrape_error gauge
resource_scrape_error 1
`
	if err := testutil.CustomCollectAndCompare(failing, strings.NewReader(wantErr), "resource_scrape_error", "node_cpu_usage_seconds_total"); err != nil {
		t.Errorf("collected metrics on error:\n%v", err)
	}

	env := newTestEnv(t, p)
	code, body := env.get(t, "GET", "/metrics/resource", adminToken)
	if code != http.StatusOK || !strings.Contains(body, "node_cpu_usage_seconds_total 10.5 1700000000000\n") {
		t.Errorf("GET /metrics/resource = %d:\n%s", code, body)
	}
}

func TestUnknownPath(t *testing.T) {
	env := newTestEnv(t, &fakeProvider{})
	if code, _ := env.get(t, "GET", "/no/such/path", adminToken); code != http.StatusNotFound {
		t.Errorf("GET unknown path = %d, want 404", code)
	}
}

package server

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apiserver/pkg/util/flushwriter"
	"k8s.io/client-go/kubernetes/scheme"
	"k8s.io/klog/v2"
	statsv1alpha1 "k8s.io/kubelet/pkg/apis/stats/v1alpha1"

	"github.com/kubeshim/kubeshim/nodeagent/logs"
)

// getPods serves /pods: the provider's pods as a v1 PodList.
func (s *Server) getPods(w http.ResponseWriter, req *http.Request) {
	list := &corev1.PodList{Items: []corev1.Pod{}}
	for _, p := range s.provider.Pods() {
		list.Items = append(list.Items, *p)
	}
	data, err := runtime.Encode(scheme.Codecs.LegacyCodec(corev1.SchemeGroupVersion), list)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Write(data) //nolint:errcheck // the client went away
}

// getContainerLogs serves /containerLogs/{namespace}/{pod}/{container} with the query
// parameters of v1.PodLogOptions, as upstream kubelet does.
func (s *Server) getContainerLogs(w http.ResponseWriter, req *http.Request) {
	ctx := req.Context()
	logger := klog.FromContext(ctx)
	namespace, podName, container := req.PathValue("namespace"), req.PathValue("pod"), req.PathValue("container")

	opts, err := parseLogOptions(req.URL.Query())
	if err != nil {
		http.Error(w, `{"message": "Unable to decode query."}`, http.StatusBadRequest)
		return
	}
	if msg := validateLogOptions(opts); msg != "" {
		logger.V(2).Info("Invalid container log options", "reason", msg)
		http.Error(w, `{"message": "Invalid request."}`, http.StatusUnprocessableEntity)
		return
	}
	pod := s.findPod(namespace, podName)
	if pod == nil {
		http.Error(w, fmt.Sprintf("pod %q does not exist", podName), http.StatusNotFound)
		return
	}
	if containerSpec(pod, container) == nil {
		http.Error(w, fmt.Sprintf("container %q not found in pod %q", container, podName), http.StatusNotFound)
		return
	}
	path, err := s.provider.ContainerLogFile(namespace, podName, container, opts.Previous)
	if err != nil {
		code := http.StatusBadRequest
		if apierrors.IsNotFound(err) {
			code = http.StatusNotFound
		}
		http.Error(w, err.Error(), code)
		return
	}
	if _, err := os.Stat(path); err != nil {
		http.Error(w, fmt.Sprintf("unable to retrieve container logs for %s: %v", container, err), http.StatusBadRequest)
		return
	}

	fw := flushwriter.Wrap(w)
	var stdout, stderr io.Writer
	switch stream(opts) {
	case corev1.LogStreamStdout:
		stdout = fw
	case corev1.LogStreamStderr:
		stderr = fw
	default:
		stdout, stderr = fw, fw
	}
	w.Header().Set("Content-Type", "text/plain")
	w.Header().Set("Transfer-Encoding", "chunked")
	// Send the headers now, so that a follower waiting for the first line sees the
	// response start; errors after this point can only end the body.
	w.WriteHeader(http.StatusOK)
	fw.Write(nil) //nolint:errcheck // flushes

	readOpts := logs.Options{
		Follow:     opts.Follow,
		TailLines:  opts.TailLines,
		Timestamps: opts.Timestamps,
		LimitBytes: opts.LimitBytes,
		Running: func() bool {
			// A previous instance has terminated: follow reads it to its end.
			return !opts.Previous && s.provider.ContainerRunning(namespace, podName, container)
		},
	}
	var since time.Time
	if opts.SinceSeconds != nil {
		since = time.Now().Add(-time.Duration(*opts.SinceSeconds) * time.Second)
	}
	if opts.SinceTime != nil && opts.SinceTime.After(since) {
		since = opts.SinceTime.Time
	}
	if !since.IsZero() {
		readOpts.SinceTime = &since
	}
	if err := logs.Read(ctx, path, readOpts, stdout, stderr); err != nil && ctx.Err() == nil {
		logger.Error(err, "Failed to read container logs", "pod", klog.KObj(pod), "container", container)
		fmt.Fprint(fw, err.Error())
	}
}

func stream(opts *corev1.PodLogOptions) string {
	if opts.Stream == nil {
		return corev1.LogStreamAll
	}
	return *opts.Stream
}

// parseLogOptions decodes the query parameters of v1.PodLogOptions the way the API's
// parameter codec does: booleans are false only when absent, "false" or "0"; numbers
// are base 10; sinceTime is RFC 3339. "tail" is the legacy name of tailLines ("all":
// no limit).
func parseLogOptions(q url.Values) (*corev1.PodLogOptions, error) {
	opts := &corev1.PodLogOptions{}
	if tail := q.Get("tail"); tail != "" {
		q = cloneValues(q)
		q.Del("tailLines")
		if tail != "all" {
			q.Set("tailLines", tail)
		}
	}
	boolean := func(name string) bool {
		v, ok := q[name]
		if !ok || len(v) == 0 {
			return false
		}
		return !(v[0] == "0" || strings.EqualFold(v[0], "false"))
	}
	integer := func(name string) (*int64, error) {
		v, ok := q[name]
		if !ok || len(v) == 0 {
			return nil, nil
		}
		n, err := strconv.ParseInt(v[0], 10, 64)
		if err != nil {
			return nil, fmt.Errorf("parse %s: %w", name, err)
		}
		return &n, nil
	}
	opts.Container = q.Get("container")
	opts.Follow = boolean("follow")
	opts.Previous = boolean("previous")
	opts.Timestamps = boolean("timestamps")
	opts.InsecureSkipTLSVerifyBackend = boolean("insecureSkipTLSVerifyBackend")
	var err error
	if opts.SinceSeconds, err = integer("sinceSeconds"); err != nil {
		return nil, err
	}
	if opts.TailLines, err = integer("tailLines"); err != nil {
		return nil, err
	}
	if opts.LimitBytes, err = integer("limitBytes"); err != nil {
		return nil, err
	}
	if v := q.Get("sinceTime"); v != "" {
		t, err := time.Parse(time.RFC3339, v)
		if err != nil {
			return nil, fmt.Errorf("parse sinceTime: %w", err)
		}
		opts.SinceTime = &metav1.Time{Time: t}
	}
	if v, ok := q["stream"]; ok && len(v) > 0 {
		opts.Stream = &v[0]
	}
	return opts, nil
}

func cloneValues(q url.Values) url.Values {
	c := make(url.Values, len(q))
	for k, v := range q {
		c[k] = append([]string(nil), v...)
	}
	return c
}

// validateLogOptions is upstream's v1 PodLogOptions validation; it returns why opts are
// invalid, or "".
func validateLogOptions(opts *corev1.PodLogOptions) string {
	switch {
	case opts.TailLines != nil && *opts.TailLines < 0:
		return "tailLines must be greater than or equal to 0"
	case opts.LimitBytes != nil && *opts.LimitBytes < 1:
		return "limitBytes must be greater than 0"
	case opts.SinceSeconds != nil && opts.SinceTime != nil:
		return "at most one of `sinceTime` or `sinceSeconds` may be specified"
	case opts.SinceSeconds != nil && *opts.SinceSeconds < 1:
		return "sinceSeconds must be greater than 0"
	}
	if opts.Stream != nil {
		switch *opts.Stream {
		case corev1.LogStreamAll, corev1.LogStreamStdout, corev1.LogStreamStderr:
		default:
			return fmt.Sprintf("stream %q is not supported", *opts.Stream)
		}
		if *opts.Stream != corev1.LogStreamAll && opts.TailLines != nil {
			return "`tailLines` and specific `stream` are mutually exclusive for now"
		}
	}
	return ""
}

// getSummary serves /stats/summary; only_cpu_and_memory=true keeps only what
// /metrics/resource and metrics-server use, as upstream does.
func (s *Server) getSummary(w http.ResponseWriter, req *http.Request) {
	if err := req.ParseForm(); err != nil {
		http.Error(w, fmt.Sprintf("Internal Error: parse form failed: %v", err), http.StatusInternalServerError)
		return
	}
	summary, err := s.provider.Summary(req.Context())
	if err != nil {
		klog.FromContext(req.Context()).Error(err, "HTTP InternalServerError serving", "request", "/stats/summary")
		http.Error(w, fmt.Sprintf("Internal Error: %v", err), http.StatusInternalServerError)
		return
	}
	if v := req.Form["only_cpu_and_memory"]; len(v) == 1 && v[0] == "true" {
		summary = cpuAndMemory(summary)
	}
	data, err := json.Marshal(summary)
	if err != nil {
		http.Error(w, fmt.Sprintf("Internal Error: %v", err), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Write(data) //nolint:errcheck // the client went away
}

// cpuAndMemory returns the CPU and memory part of a summary.
func cpuAndMemory(in *statsv1alpha1.Summary) *statsv1alpha1.Summary {
	out := &statsv1alpha1.Summary{Node: statsv1alpha1.NodeStats{
		NodeName:  in.Node.NodeName,
		StartTime: in.Node.StartTime,
		CPU:       in.Node.CPU,
		Memory:    in.Node.Memory,
	}}
	for _, sc := range in.Node.SystemContainers {
		out.Node.SystemContainers = append(out.Node.SystemContainers, containerCPUAndMemory(sc))
	}
	for _, p := range in.Pods {
		op := statsv1alpha1.PodStats{PodRef: p.PodRef, StartTime: p.StartTime, CPU: p.CPU, Memory: p.Memory}
		for _, c := range p.Containers {
			op.Containers = append(op.Containers, containerCPUAndMemory(c))
		}
		out.Pods = append(out.Pods, op)
	}
	return out
}

func containerCPUAndMemory(c statsv1alpha1.ContainerStats) statsv1alpha1.ContainerStats {
	return statsv1alpha1.ContainerStats{Name: c.Name, StartTime: c.StartTime, CPU: c.CPU, Memory: c.Memory}
}

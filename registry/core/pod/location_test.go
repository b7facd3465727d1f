package pod

import (
	"context"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/utils/ptr"

	"github.com/kubeshim/kubeshim/registry/kubelet"
)

// fakePods is a rest.Getter over a fixed set of pods in namespace ns.
type fakePods map[string]*corev1.Pod

func (f fakePods) Get(_ context.Context, name string, _ *metav1.GetOptions) (runtime.Object, error) {
	if p, ok := f[name]; ok {
		return p, nil
	}
	return nil, apierrors.NewNotFound(corev1.Resource("pods"), name)
}

// Transports are compared by identity: which one a location uses matters.
var (
	secureTransport   = &http.Transport{}
	insecureTransport = &http.Transport{}
)

type fakeKubelets map[string]*kubelet.ConnectionInfo

func (f fakeKubelets) GetConnectionInfo(_ context.Context, node string) (*kubelet.ConnectionInfo, error) {
	if info, ok := f[node]; ok {
		return info, nil
	}
	return nil, apierrors.NewNotFound(corev1.Resource("nodes"), node)
}

var kubelets = fakeKubelets{"node-1": {
	Scheme: "https", Hostname: "10.0.0.1", Port: "10250",
	Transport: secureTransport, InsecureSkipTLSVerifyTransport: insecureTransport,
}}

func testPod(name, node string, containers ...string) *corev1.Pod {
	pod := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: name}, Spec: corev1.PodSpec{NodeName: node}}
	for _, c := range containers {
		pod.Spec.Containers = append(pod.Spec.Containers, corev1.Container{Name: c})
	}
	return pod
}

func testPods() fakePods {
	multi := testPod("multi", "node-1", "a", "b")
	multi.Spec.InitContainers = []corev1.Container{{Name: "init"}}
	multi.Spec.EphemeralContainers = []corev1.EphemeralContainer{{EphemeralContainerCommon: corev1.EphemeralContainerCommon{Name: "debug"}}}
	return fakePods{
		"single":      testPod("single", "node-1", "app"),
		"multi":       multi,
		"empty":       testPod("empty", "node-1"),
		"unscheduled": testPod("unscheduled", "", "app"),
		"lost":        testPod("lost", "node-gone", "app"),
	}
}

// result is what a location test compares: the URL, which transport, or
// the error a client would see.
type result struct {
	URL       string
	Transport string
	Err       string
}

func transportName(rt http.RoundTripper) string {
	switch rt {
	case nil:
		return ""
	case secureTransport:
		return "secure"
	case insecureTransport:
		return "insecure"
	}
	return "other"
}

func toResult(loc *url.URL, rt http.RoundTripper, err error) result {
	if err != nil {
		return result{Err: err.Error()}
	}
	r := result{Transport: transportName(rt)}
	if loc != nil {
		r.URL = loc.String()
	}
	return r
}

func TestLogLocation(t *testing.T) {
	since := metav1.NewTime(time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC))
	tests := []struct {
		name string
		pod  string
		opts corev1.PodLogOptions
		want result
	}{
		{
			name: "the only container is the default",
			pod:  "single",
			want: result{URL: "https://10.0.0.1:10250/containerLogs/ns/single/app", Transport: "secure"},
		},
		{
			name: "every option passes on",
			pod:  "single",
			opts: corev1.PodLogOptions{Container: "app", Follow: true, Previous: true, Timestamps: true,
				SinceTime: &since, TailLines: ptr.To[int64](5), LimitBytes: ptr.To[int64](100)},
			want: result{URL: "https://10.0.0.1:10250/containerLogs/ns/single/app?follow=true&limitBytes=100&previous=true&sinceTime=2024-01-02T03%3A04%3A05Z&tailLines=5&timestamps=true", Transport: "secure"},
		},
		{
			name: "sinceSeconds",
			pod:  "single",
			opts: corev1.PodLogOptions{SinceSeconds: ptr.To[int64](60)},
			want: result{URL: "https://10.0.0.1:10250/containerLogs/ns/single/app?sinceSeconds=60", Transport: "secure"},
		},
		{
			name: "insecureSkipTLSVerifyBackend uses the insecure transport",
			pod:  "single",
			opts: corev1.PodLogOptions{InsecureSkipTLSVerifyBackend: true},
			want: result{URL: "https://10.0.0.1:10250/containerLogs/ns/single/app", Transport: "insecure"},
		},
		{
			name: "an init container may be named",
			pod:  "multi",
			opts: corev1.PodLogOptions{Container: "init"},
			want: result{URL: "https://10.0.0.1:10250/containerLogs/ns/multi/init", Transport: "secure"},
		},
		{
			name: "an ephemeral container may be named",
			pod:  "multi",
			opts: corev1.PodLogOptions{Container: "debug"},
			want: result{URL: "https://10.0.0.1:10250/containerLogs/ns/multi/debug", Transport: "secure"},
		},
		{
			name: "several containers and none named",
			pod:  "multi",
			want: result{Err: "a container name must be specified for pod multi, choose one of: [init a b debug]"},
		},
		{
			name: "no containers",
			pod:  "empty",
			want: result{Err: "a container name must be specified for pod empty"},
		},
		{
			name: "unknown container",
			pod:  "single",
			opts: corev1.PodLogOptions{Container: "nope"},
			want: result{Err: "container nope is not valid for pod single"},
		},
		{
			name: "a pod no node runs has an empty log",
			pod:  "unscheduled",
			want: result{},
		},
		{
			name: "the container is checked before the node",
			pod:  "unscheduled",
			opts: corev1.PodLogOptions{Container: "nope"},
			want: result{Err: "container nope is not valid for pod unscheduled"},
		},
		{
			name: "missing pod",
			pod:  "ghost",
			want: result{Err: `pods "ghost" not found`},
		},
		{
			name: "missing node",
			pod:  "lost",
			want: result{Err: `nodes "node-gone" not found`},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := toResult(LogLocation(context.Background(), testPods(), kubelets, tt.pod, &tt.opts))
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("location (-want +got):\n%s", diff)
			}
		})
	}
}

func TestStreamLocations(t *testing.T) {
	type locate func() (*url.URL, *kubelet.ConnectionInfo, error)
	ctx := context.Background()
	pods := testPods()
	exec := func(name string, opts corev1.PodExecOptions) locate {
		return func() (*url.URL, *kubelet.ConnectionInfo, error) {
			return ExecLocation(ctx, pods, kubelets, name, &opts)
		}
	}
	attach := func(name string, opts corev1.PodAttachOptions) locate {
		return func() (*url.URL, *kubelet.ConnectionInfo, error) {
			return AttachLocation(ctx, pods, kubelets, name, &opts)
		}
	}
	portForward := func(name string, opts corev1.PodPortForwardOptions) locate {
		return func() (*url.URL, *kubelet.ConnectionInfo, error) {
			return PortForwardLocation(ctx, pods, kubelets, name, &opts)
		}
	}
	tests := []struct {
		name   string
		locate locate
		want   result
	}{
		{
			name:   "exec with command and streams",
			locate: exec("single", corev1.PodExecOptions{Command: []string{"sh", "-c", "echo hi"}, Stdin: true, Stdout: true, Stderr: true, TTY: true}),
			want:   result{URL: "https://10.0.0.1:10250/exec/ns/single/app?command=sh&command=-c&command=echo+hi&error=1&input=1&output=1&tty=1", Transport: "secure"},
		},
		{
			name:   "exec in a named container",
			locate: exec("multi", corev1.PodExecOptions{Container: "b", Command: []string{"ls"}, Stdout: true}),
			want:   result{URL: "https://10.0.0.1:10250/exec/ns/multi/b?command=ls&output=1", Transport: "secure"},
		},
		{
			name:   "exec, several containers and none named",
			locate: exec("multi", corev1.PodExecOptions{Command: []string{"ls"}}),
			want:   result{Err: "a container name must be specified for pod multi, choose one of: [init a b debug]"},
		},
		{
			name:   "exec, pod not scheduled",
			locate: exec("unscheduled", corev1.PodExecOptions{Command: []string{"ls"}}),
			want:   result{Err: "pod unscheduled does not have a host assigned"},
		},
		{
			name:   "exec, unknown container",
			locate: exec("single", corev1.PodExecOptions{Container: "x", Command: []string{"ls"}}),
			want:   result{Err: "container x is not valid for pod single"},
		},
		{
			name:   "attach",
			locate: attach("single", corev1.PodAttachOptions{Stdin: true, Stdout: true, TTY: true}),
			want:   result{URL: "https://10.0.0.1:10250/attach/ns/single/app?input=1&output=1&tty=1", Transport: "secure"},
		},
		{
			name:   "attach to an ephemeral container",
			locate: attach("multi", corev1.PodAttachOptions{Container: "debug", Stdout: true}),
			want:   result{URL: "https://10.0.0.1:10250/attach/ns/multi/debug?output=1", Transport: "secure"},
		},
		{
			name:   "attach, pod not scheduled",
			locate: attach("unscheduled", corev1.PodAttachOptions{}),
			want:   result{Err: "pod unscheduled does not have a host assigned"},
		},
		{
			name:   "port-forward names no container",
			locate: portForward("multi", corev1.PodPortForwardOptions{Ports: []int32{80, 443}}),
			want:   result{URL: "https://10.0.0.1:10250/portForward/ns/multi?port=80%2C443", Transport: "secure"},
		},
		{
			name:   "port-forward without ports",
			locate: portForward("single", corev1.PodPortForwardOptions{}),
			want:   result{URL: "https://10.0.0.1:10250/portForward/ns/single", Transport: "secure"},
		},
		{
			name:   "port-forward, pod not scheduled",
			locate: portForward("unscheduled", corev1.PodPortForwardOptions{}),
			want:   result{Err: "pod unscheduled does not have a host assigned"},
		},
		{
			name:   "port-forward, missing node",
			locate: portForward("lost", corev1.PodPortForwardOptions{}),
			want:   result{Err: `nodes "node-gone" not found`},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			loc, info, err := tt.locate()
			var rt http.RoundTripper
			if info != nil {
				rt = info.Transport
			}
			got := toResult(loc, rt, err)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("location (-want +got):\n%s", diff)
			}
			if err != nil && !apierrors.IsBadRequest(err) && !apierrors.IsNotFound(err) {
				t.Errorf("error %v is neither a 400 nor a 404", err)
			}
		})
	}
}

func TestResourceLocation(t *testing.T) {
	withIP := func(name, ip string, ports ...int32) *corev1.Pod {
		p := testPod(name, "node-1", "app")
		if ip != "" {
			p.Status.PodIPs = []corev1.PodIP{{IP: ip}}
		}
		for _, port := range ports {
			p.Spec.Containers[0].Ports = append(p.Spec.Containers[0].Ports, corev1.ContainerPort{ContainerPort: port})
		}
		return p
	}
	pods := fakePods{
		"web":      withIP("web", "10.244.0.5", 8080, 9090),
		"noport":   withIP("noport", "10.244.0.6"),
		"v6":       withIP("v6", "fd00::5"),
		"loopback": withIP("loopback", "127.0.0.1", 80),
		"linklocl": withIP("linklocl", "169.254.169.254", 80),
		"pending":  withIP("pending", "", 80),
	}
	tests := []struct {
		id   string
		want result
	}{
		{id: "web", want: result{URL: "//10.244.0.5:8080", Transport: "secure"}},
		{id: "web:9090", want: result{URL: "//10.244.0.5:9090", Transport: "secure"}},
		{id: "https:web:8443", want: result{URL: "https://10.244.0.5:8443", Transport: "secure"}},
		{id: "noport", want: result{URL: "//10.244.0.6", Transport: "secure"}},
		{id: "v6", want: result{URL: "//[fd00::5]", Transport: "secure"}},
		{id: "v6:80", want: result{URL: "//[fd00::5]:80", Transport: "secure"}},
		{id: "loopback", want: result{Err: "address not allowed"}},
		{id: "linklocl", want: result{Err: "address not allowed"}},
		{id: "pending", want: result{Err: "address not allowed"}},
		{id: "a:b:c:d", want: result{Err: `invalid pod request "a:b:c:d"`}},
		{id: "ghost", want: result{Err: `pods "ghost" not found`}},
	}
	for _, tt := range tests {
		t.Run(tt.id, func(t *testing.T) {
			got := toResult(ResourceLocation(context.Background(), pods, secureTransport, tt.id))
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("location (-want +got):\n%s", diff)
			}
		})
	}
}

package pod

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	utilnet "k8s.io/apimachinery/pkg/util/net"
	"k8s.io/apiserver/pkg/registry/rest"
	netutils "k8s.io/utils/net"

	"github.com/kubeshim/kubeshim/registry/kubelet"
)

func getPod(ctx context.Context, pods rest.Getter, name string) (*corev1.Pod, error) {
	obj, err := pods.Get(ctx, name, &metav1.GetOptions{})
	if err != nil {
		return nil, err
	}
	pod, ok := obj.(*corev1.Pod)
	if !ok {
		return nil, fmt.Errorf("unexpected object type %T for pod %s", obj, name)
	}
	return pod, nil
}

// LogLocation is where the kubelet serves the logs of a pod's container.
// A pod no node runs yet has no logs: the location and transport are nil,
// and the log is empty, as upstream.
func LogLocation(ctx context.Context, pods rest.Getter, kubelets kubelet.ConnectionInfoGetter, name string, opts *corev1.PodLogOptions) (*url.URL, http.RoundTripper, error) {
	pod, err := getPod(ctx, pods, name)
	if err != nil {
		return nil, nil, err
	}
	container, err := validateContainer(opts.Container, pod)
	if err != nil {
		return nil, nil, err
	}
	if pod.Spec.NodeName == "" {
		return nil, nil, nil
	}
	info, err := kubelets.GetConnectionInfo(ctx, pod.Spec.NodeName)
	if err != nil {
		return nil, nil, err
	}
	params := url.Values{}
	if opts.Follow {
		params.Add("follow", "true")
	}
	if opts.Previous {
		params.Add("previous", "true")
	}
	if opts.Timestamps {
		params.Add("timestamps", "true")
	}
	if opts.SinceSeconds != nil {
		params.Add("sinceSeconds", strconv.FormatInt(*opts.SinceSeconds, 10))
	}
	if opts.SinceTime != nil {
		params.Add("sinceTime", opts.SinceTime.Format(time.RFC3339))
	}
	if opts.TailLines != nil {
		params.Add("tailLines", strconv.FormatInt(*opts.TailLines, 10))
	}
	if opts.LimitBytes != nil {
		params.Add("limitBytes", strconv.FormatInt(*opts.LimitBytes, 10))
	}
	loc := &url.URL{
		Scheme:   info.Scheme,
		Host:     net.JoinHostPort(info.Hostname, info.Port),
		Path:     fmt.Sprintf("/containerLogs/%s/%s/%s", pod.Namespace, pod.Name, container),
		RawQuery: params.Encode(),
	}
	if opts.InsecureSkipTLSVerifyBackend {
		return loc, info.InsecureSkipTLSVerifyTransport, nil
	}
	return loc, info.Transport, nil
}

// ExecLocation is where the kubelet runs a command in a pod's container.
func ExecLocation(ctx context.Context, pods rest.Getter, kubelets kubelet.ConnectionInfoGetter, name string, opts *corev1.PodExecOptions) (*url.URL, *kubelet.ConnectionInfo, error) {
	params := streamParams(opts.Stdin, opts.Stdout, opts.Stderr, opts.TTY)
	for _, c := range opts.Command {
		params.Add("command", c)
	}
	return streamLocation(ctx, pods, kubelets, name, opts.Container, "exec", params)
}

// AttachLocation is where the kubelet attaches to a pod's container.
func AttachLocation(ctx context.Context, pods rest.Getter, kubelets kubelet.ConnectionInfoGetter, name string, opts *corev1.PodAttachOptions) (*url.URL, *kubelet.ConnectionInfo, error) {
	params := streamParams(opts.Stdin, opts.Stdout, opts.Stderr, opts.TTY)
	return streamLocation(ctx, pods, kubelets, name, opts.Container, "attach", params)
}

func streamParams(stdin, stdout, stderr, tty bool) url.Values {
	// The kubelet's names for the streams (k8s.io/cri-streaming
	// remotecommand.NewOptions), where only "1" is true.
	params := url.Values{}
	for _, p := range []struct {
		on  bool
		key string
	}{{stdin, corev1.ExecStdinParam}, {stdout, corev1.ExecStdoutParam}, {stderr, corev1.ExecStderrParam}, {tty, corev1.ExecTTYParam}} {
		if p.on {
			params.Add(p.key, "1")
		}
	}
	return params
}

func streamLocation(ctx context.Context, pods rest.Getter, kubelets kubelet.ConnectionInfoGetter, name, container, path string, params url.Values) (*url.URL, *kubelet.ConnectionInfo, error) {
	pod, err := getPod(ctx, pods, name)
	if err != nil {
		return nil, nil, err
	}
	container, err = validateContainer(container, pod)
	if err != nil {
		return nil, nil, err
	}
	info, err := nodeConnection(ctx, kubelets, pod, name)
	if err != nil {
		return nil, nil, err
	}
	return &url.URL{
		Scheme:   info.Scheme,
		Host:     net.JoinHostPort(info.Hostname, info.Port),
		Path:     fmt.Sprintf("/%s/%s/%s/%s", path, pod.Namespace, pod.Name, container),
		RawQuery: params.Encode(),
	}, info, nil
}

// PortForwardLocation is where the kubelet forwards ports of a pod.
func PortForwardLocation(ctx context.Context, pods rest.Getter, kubelets kubelet.ConnectionInfoGetter, name string, opts *corev1.PodPortForwardOptions) (*url.URL, *kubelet.ConnectionInfo, error) {
	pod, err := getPod(ctx, pods, name)
	if err != nil {
		return nil, nil, err
	}
	info, err := nodeConnection(ctx, kubelets, pod, name)
	if err != nil {
		return nil, nil, err
	}
	params := url.Values{}
	if len(opts.Ports) > 0 {
		ports := make([]string, len(opts.Ports))
		for i, p := range opts.Ports {
			ports[i] = strconv.FormatInt(int64(p), 10)
		}
		params.Add(corev1.PortHeader, strings.Join(ports, ","))
	}
	return &url.URL{
		Scheme:   info.Scheme,
		Host:     net.JoinHostPort(info.Hostname, info.Port),
		Path:     fmt.Sprintf("/portForward/%s/%s", pod.Namespace, pod.Name),
		RawQuery: params.Encode(),
	}, info, nil
}

func nodeConnection(ctx context.Context, kubelets kubelet.ConnectionInfoGetter, pod *corev1.Pod, name string) (*kubelet.ConnectionInfo, error) {
	if pod.Spec.NodeName == "" {
		return nil, apierrors.NewBadRequest(fmt.Sprintf("pod %s does not have a host assigned", name))
	}
	return kubelets.GetConnectionInfo(ctx, pod.Spec.NodeName)
}

// validateContainer returns the container a request names, or the pod's
// only container when it names none. Init and ephemeral containers may be
// named: their logs and exec are served too. The
// kubectl.kubernetes.io/default-container annotation is kubectl's business,
// not the server's.
func validateContainer(container string, pod *corev1.Pod) (string, error) {
	names := containerNames(pod)
	if container == "" {
		switch len(pod.Spec.Containers) {
		case 1:
			return pod.Spec.Containers[0].Name, nil
		case 0:
			return "", apierrors.NewBadRequest(fmt.Sprintf("a container name must be specified for pod %s", pod.Name))
		default:
			return "", apierrors.NewBadRequest(fmt.Sprintf("a container name must be specified for pod %s, choose one of: %s", pod.Name, names))
		}
	}
	for _, n := range names {
		if n == container {
			return container, nil
		}
	}
	return "", apierrors.NewBadRequest(fmt.Sprintf("container %s is not valid for pod %s", container, pod.Name))
}

// containerNames lists init, regular and ephemeral containers, in upstream's
// order (podutil.VisitContainers).
func containerNames(pod *corev1.Pod) []string {
	var names []string
	for _, c := range pod.Spec.InitContainers {
		names = append(names, c.Name)
	}
	for _, c := range pod.Spec.Containers {
		names = append(names, c.Name)
	}
	for _, c := range pod.Spec.EphemeralContainers {
		names = append(names, c.Name)
	}
	return names
}

// ResourceLocation is where pods/proxy sends a request: the pod's first IP
// and the port the id names ("name", "name:port" or "scheme:name:port"),
// else the first port a container declares. Only global unicast pod IPs
// are proxied to, so the API server cannot be made to reach its own
// loopback or link-local services.
func ResourceLocation(ctx context.Context, pods rest.Getter, rt http.RoundTripper, id string) (*url.URL, http.RoundTripper, error) {
	scheme, name, port, valid := utilnet.SplitSchemeNamePort(id)
	if !valid {
		return nil, nil, apierrors.NewBadRequest(fmt.Sprintf("invalid pod request %q", id))
	}
	pod, err := getPod(ctx, pods, name)
	if err != nil {
		return nil, nil, err
	}
	if port == "" {
		for _, c := range pod.Spec.Containers {
			if len(c.Ports) > 0 {
				port = strconv.Itoa(int(c.Ports[0].ContainerPort))
				break
			}
		}
	}
	podIP := ""
	if len(pod.Status.PodIPs) > 0 {
		podIP = pod.Status.PodIPs[0].IP
	}
	if ip := netutils.ParseIPSloppy(podIP); ip == nil || !ip.IsGlobalUnicast() {
		return nil, nil, apierrors.NewBadRequest("address not allowed")
	}
	loc := &url.URL{Scheme: scheme}
	if port == "" {
		loc.Host = podIP
		if strings.Contains(podIP, ":") {
			loc.Host = "[" + podIP + "]"
		}
	} else {
		loc.Host = net.JoinHostPort(podIP, port)
	}
	return loc, rt, nil
}

package server

import (
	"fmt"
	"net/http"
	"net/url"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/httpstream/wsstream"
	"k8s.io/apimachinery/pkg/util/proxy"
	translator "k8s.io/apiserver/pkg/util/proxy"
	"k8s.io/cri-streaming/pkg/streaming/portforward"
	"k8s.io/cri-streaming/pkg/streaming/remotecommand"
	"k8s.io/klog/v2"
)

// podFullName is the kubelet's name for a pod in runtime calls, which the Provider's
// streaming methods receive.
func podFullName(pod *corev1.Pod) string { return pod.Name + "_" + pod.Namespace }

// findPod returns the pod of the Provider with that namespace and name, or nil.
func (s *Server) findPod(namespace, name string) *corev1.Pod {
	for _, p := range s.provider.Pods() {
		if p.Namespace == namespace && p.Name == name {
			return p
		}
	}
	return nil
}

// containerSpec returns the spec of a container, init container or ephemeral container
// of pod, or nil.
func containerSpec(pod *corev1.Pod, name string) *corev1.Container {
	for i := range pod.Spec.Containers {
		if pod.Spec.Containers[i].Name == name {
			return &pod.Spec.Containers[i]
		}
	}
	for i := range pod.Spec.InitContainers {
		if pod.Spec.InitContainers[i].Name == name {
			return &pod.Spec.InitContainers[i]
		}
	}
	for i := range pod.Spec.EphemeralContainers {
		if pod.Spec.EphemeralContainers[i].Name == name {
			return (*corev1.Container)(&pod.Spec.EphemeralContainers[i].EphemeralContainerCommon)
		}
	}
	return nil
}

// streamTarget resolves the pod and container of an exec or attach request, writing
// upstream kubelet's error responses: 404 for an unknown pod, 500 for a container the pod
// (with the given UID, when the path has one) does not have.
func (s *Server) streamTarget(w http.ResponseWriter, req *http.Request) (*corev1.Pod, *corev1.Container, bool) {
	pod := s.findPod(req.PathValue("namespace"), req.PathValue("pod"))
	if pod == nil {
		http.Error(w, "pod does not exist", http.StatusNotFound)
		return nil, nil, false
	}
	name := req.PathValue("container")
	c := containerSpec(pod, name)
	if uid := types.UID(req.PathValue("uid")); c == nil || (uid != "" && uid != pod.UID) {
		http.Error(w, fmt.Sprintf("container not found (%q)", name), http.StatusInternalServerError)
		return nil, nil, false
	}
	return pod, c, true
}

func (s *Server) execHandler(public bool) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		opts, err := remotecommand.NewOptions(req)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		pod, c, ok := s.streamTarget(w, req)
		if !ok {
			return
		}
		if public && wsstream.IsWebSocketRequestWithStreamCloseProtocol(req) {
			s.translateToSPDY(w, req, opts)
			return
		}
		remotecommand.ServeExec(w, req, s.provider, podFullName(pod), req.PathValue("uid"), c.Name,
			req.URL.Query()[corev1.ExecCommandParam], opts,
			streamIdleTimeout, streamCreationTimeout, remotecommand.SupportedStreamingProtocols)
	})
}

func (s *Server) attachHandler(public bool) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		opts, err := remotecommand.NewOptions(req)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		pod, c, ok := s.streamTarget(w, req)
		if !ok {
			return
		}
		if public && wsstream.IsWebSocketRequestWithStreamCloseProtocol(req) {
			s.translateToSPDY(w, req, opts)
			return
		}
		// Whether the process has a terminal was fixed when the container started: the
		// container's spec decides, not the request, and a terminal has no stderr.
		opts.TTY = c.TTY
		if opts.TTY && opts.Stderr {
			http.Error(w, "tty and stderr cannot both be true", http.StatusInternalServerError)
			return
		}
		remotecommand.ServeAttach(w, req, s.provider, podFullName(pod), req.PathValue("uid"), c.Name, opts,
			streamIdleTimeout, streamCreationTimeout, remotecommand.SupportedStreamingProtocols)
	})
}

func (s *Server) portForwardHandler(public bool) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		tunnel := public && wsstream.IsWebSocketRequestWithTunnelingProtocol(req)
		opts := &portforward.V4Options{}
		if !tunnel {
			var err error
			if opts, err = portforward.NewV4Options(req); err != nil {
				http.Error(w, err.Error(), http.StatusBadRequest)
				return
			}
		}
		pod := s.findPod(req.PathValue("namespace"), req.PathValue("pod"))
		if pod == nil {
			http.Error(w, "pod does not exist", http.StatusNotFound)
			return
		}
		if uid := types.UID(req.PathValue("uid")); uid != "" && uid != pod.UID {
			http.Error(w, "pod not found", http.StatusNotFound)
			return
		}
		if tunnel {
			// SPDY framed inside WebSocket messages: unwrap it and proxy the SPDY upgrade
			// to the loopback server.
			upgrade := proxy.NewUpgradeAwareHandler(s.loopbackURL(req), s.loopback.transport(), false, true, errorResponder{})
			translator.NewTunnelingHandler(upgrade).ServeHTTP(w, req)
			return
		}
		portforward.ServePortForward(w, req, s.provider, podFullName(pod), string(pod.UID), opts,
			streamIdleTimeout, streamCreationTimeout, portforward.SupportedProtocols)
	})
}

// translateToSPDY serves a v5.channel.k8s.io WebSocket exec or attach by replaying it as
// an SPDY request to the loopback server, as upstream kubelet does towards the runtime.
func (s *Server) translateToSPDY(w http.ResponseWriter, req *http.Request, opts *remotecommand.Options) {
	translator.NewStreamTranslatorHandler(s.loopbackURL(req), s.loopback.transport(), 0, translator.Options{
		Stdin:  opts.Stdin,
		Stdout: opts.Stdout,
		Stderr: opts.Stderr,
		Tty:    opts.TTY,
	}).ServeHTTP(w, req)
}

// loopbackURL is the loopback server's URL for the same request.
func (s *Server) loopbackURL(req *http.Request) *url.URL {
	return &url.URL{Scheme: "http", Host: "loopback", Path: req.URL.Path, RawQuery: req.URL.RawQuery}
}

type errorResponder struct{}

func (errorResponder) Error(w http.ResponseWriter, req *http.Request, err error) {
	klog.FromContext(req.Context()).Error(err, "Error while proxying a stream to the loopback server")
	http.Error(w, err.Error(), http.StatusInternalServerError)
}

package pod

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/proxy"
	"k8s.io/apiserver/pkg/authorization/authorizer"
	"k8s.io/apiserver/pkg/endpoints/filters"
	genericapirequest "k8s.io/apiserver/pkg/endpoints/request"
	"k8s.io/apiserver/pkg/registry/rest"
	translator "k8s.io/apiserver/pkg/util/proxy"
	"k8s.io/streaming/pkg/httpstream/wsstream"

	"github.com/kubeshim/kubeshim/registry/kubelet"
)

// Streams to a container (exec, attach, portforward) are upgraded
// connections proxied to the node's kubelet. kubectl before 1.30 speaks
// SPDY, which is passed through. Later clients speak WebSockets
// (v5.channel.k8s.io; portforward.k8s.io tunnelled in WebSockets): a
// kubelet that declares the ExtendWebSocketsToKubelet feature in
// status.declaredFeatures gets them as they are, as upstream 1.36+ does;
// any other kubelet gets SPDY, translated here by k8s.io/apiserver's stream
// translator. So a kubelet that speaks only SPDY serves every client.

// extendWebSocketsToKubelet is the node feature that says its kubelet
// serves WebSocket streams itself.
const extendWebSocketsToKubelet = "ExtendWebSocketsToKubelet"

// streamREST is what exec, attach and portforward share.
type streamREST struct {
	pods     rest.Getter
	kubelets kubelet.ConnectionInfoGetter
	// authz checks the "create" verb for WebSocket requests, whose GET is
	// authorized as "get" (upstream's AuthorizePodWebsocketUpgradeCreatePermission).
	authz authorizer.UnconditionalAuthorizer
}

// Destroy does nothing: the pods resource owns the storage.
func (r *streamREST) Destroy() {}

// ConnectMethods are GET, for WebSockets (browsers can only GET), and
// POST, for SPDY.
func (r *streamREST) ConnectMethods() []string { return []string{"GET", "POST"} }

// authorizeCreate requires the "create" verb on the subresource whatever
// the request's method, so that a policy granting only "get" on pods/exec
// does not let WebSocket clients exec (https://issues.k8s.io/133515).
func (r *streamREST) authorizeCreate(ctx context.Context) error {
	info, ok := genericapirequest.RequestInfoFrom(ctx)
	if !ok {
		return apierrors.NewInternalError(errors.New("no request info in context"))
	}
	if info.Verb == "create" {
		return nil
	}
	if r.authz == nil {
		return apierrors.NewInternalError(errors.New("no authorizer available"))
	}
	attrs, err := filters.GetAuthorizerAttributes(ctx)
	if err != nil {
		return apierrors.NewInternalError(fmt.Errorf("build authorizer attributes: %w", err))
	}
	decision, reason, err := r.authz.Authorize(ctx, createVerb{attrs})
	if err != nil {
		return err
	}
	if decision != authorizer.DecisionAllow {
		return apierrors.NewForbidden(schema.GroupResource{Group: info.APIGroup, Resource: info.Resource}, info.Name, errors.New(reason))
	}
	return nil
}

type createVerb struct{ authorizer.Attributes }

func (createVerb) GetVerb() string { return "create" }

// ExecREST is pods/exec.
type ExecREST struct{ streamREST }

var _ rest.Connecter = &ExecREST{}

// New returns empty exec options.
func (r *ExecREST) New() runtime.Object { return &corev1.PodExecOptions{} }

// NewConnectOptions returns the options the query decodes into.
func (r *ExecREST) NewConnectOptions() (runtime.Object, bool, string) {
	return &corev1.PodExecOptions{}, false, ""
}

// Connect returns a handler that streams a command's IO to and from the
// container through its kubelet.
func (r *ExecREST) Connect(ctx context.Context, name string, opts runtime.Object, responder rest.Responder) (http.Handler, error) {
	if err := r.authorizeCreate(ctx); err != nil {
		return nil, err
	}
	execOpts, ok := opts.(*corev1.PodExecOptions)
	if !ok {
		return nil, fmt.Errorf("invalid options object: %T", opts)
	}
	location, info, err := ExecLocation(ctx, r.pods, r.kubelets, name, execOpts)
	if err != nil {
		return nil, err
	}
	return remoteCommandHandler(location, info, translator.Options{
		Stdin: execOpts.Stdin, Stdout: execOpts.Stdout, Stderr: execOpts.Stderr, Tty: execOpts.TTY,
	}, responder), nil
}

// AttachREST is pods/attach.
type AttachREST struct{ streamREST }

var _ rest.Connecter = &AttachREST{}

// New returns empty attach options.
func (r *AttachREST) New() runtime.Object { return &corev1.PodAttachOptions{} }

// NewConnectOptions returns the options the query decodes into.
func (r *AttachREST) NewConnectOptions() (runtime.Object, bool, string) {
	return &corev1.PodAttachOptions{}, false, ""
}

// Connect returns a handler that streams a running container's IO through
// its kubelet.
func (r *AttachREST) Connect(ctx context.Context, name string, opts runtime.Object, responder rest.Responder) (http.Handler, error) {
	if err := r.authorizeCreate(ctx); err != nil {
		return nil, err
	}
	attachOpts, ok := opts.(*corev1.PodAttachOptions)
	if !ok {
		return nil, fmt.Errorf("invalid options object: %T", opts)
	}
	location, info, err := AttachLocation(ctx, r.pods, r.kubelets, name, attachOpts)
	if err != nil {
		return nil, err
	}
	return remoteCommandHandler(location, info, translator.Options{
		Stdin: attachOpts.Stdin, Stdout: attachOpts.Stdout, Stderr: attachOpts.Stderr, Tty: attachOpts.TTY,
	}, responder), nil
}

// PortForwardREST is pods/portforward.
type PortForwardREST struct{ streamREST }

var _ rest.Connecter = &PortForwardREST{}

// New returns empty port-forward options.
func (r *PortForwardREST) New() runtime.Object { return &corev1.PodPortForwardOptions{} }

// NewConnectOptions returns the options the query decodes into.
func (r *PortForwardREST) NewConnectOptions() (runtime.Object, bool, string) {
	return &corev1.PodPortForwardOptions{}, false, ""
}

// Connect returns a handler that forwards connections to the pod's ports
// through its kubelet.
func (r *PortForwardREST) Connect(ctx context.Context, name string, opts runtime.Object, responder rest.Responder) (http.Handler, error) {
	if err := r.authorizeCreate(ctx); err != nil {
		return nil, err
	}
	pfOpts, ok := opts.(*corev1.PodPortForwardOptions)
	if !ok {
		return nil, fmt.Errorf("invalid options object: %T", opts)
	}
	location, info, err := PortForwardLocation(ctx, r.pods, r.kubelets, name, pfOpts)
	if err != nil {
		return nil, err
	}
	handler := upgradeHandler(location, info.Transport, responder)
	if slices.Contains(info.NodeFeatures, extendWebSocketsToKubelet) {
		return handler, nil
	}
	// SPDY port-forward tunnelled in a WebSocket is unwrapped here and
	// proxied on as SPDY.
	return translator.NewTranslatingHandler(handler, translator.NewTunnelingHandler(handler), wsstream.IsWebSocketRequestWithTunnelingProtocol), nil
}

// remoteCommandHandler proxies exec and attach: SPDY as it is, WebSockets
// translated to SPDY unless the node's kubelet takes them.
func remoteCommandHandler(location *url.URL, info *kubelet.ConnectionInfo, opts translator.Options, responder rest.Responder) http.Handler {
	handler := upgradeHandler(location, info.Transport, responder)
	if slices.Contains(info.NodeFeatures, extendWebSocketsToKubelet) {
		return handler
	}
	translate := translator.NewStreamTranslatorHandler(location, info.Transport, 0, opts)
	return translator.NewTranslatingHandler(handler, translate, wsstream.IsWebSocketRequestWithStreamCloseProtocol)
}

// upgradeHandler proxies a request that must be a connection upgrade.
func upgradeHandler(location *url.URL, transport http.RoundTripper, responder rest.Responder) http.Handler {
	return proxy.NewUpgradeAwareHandler(location, transport, false, true, proxy.NewErrorResponder(responder))
}

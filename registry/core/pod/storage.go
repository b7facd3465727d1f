package pod

import (
	"context"
	"net/http"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apiserver/pkg/authorization/authorizer"
	"k8s.io/apiserver/pkg/registry/generic"
	"k8s.io/apiserver/pkg/registry/rest"
	policyclient "k8s.io/client-go/kubernetes/typed/policy/v1"

	"github.com/kubeshim/kubeshim/apis/core"
	"github.com/kubeshim/kubeshim/registry/kubelet"
	"github.com/kubeshim/kubeshim/registry/resource"
)

// Connections are how the subresources that reach beyond etcd connect.
type Connections struct {
	// Kubelets reach the pod's node (log, exec, attach, portforward).
	Kubelets kubelet.ConnectionInfoGetter
	// ProxyTransport reaches pod IPs (proxy).
	ProxyTransport http.RoundTripper
	// Authorizer checks exec, attach and portforward over WebSockets for
	// the "create" verb too.
	Authorizer authorizer.UnconditionalAuthorizer
}

// NewStorage returns pods and their subresources: status, binding,
// eviction, ephemeralcontainers, log, exec, attach, portforward, proxy, and
// the legacy bindings resource.
func NewStorage(optsGetter generic.RESTOptionsGetter, budgets policyclient.PodDisruptionBudgetsGetter, conns Connections) (map[string]rest.Storage, error) {
	s, err := resource.New(Definition(), "v1", optsGetter)
	if err != nil {
		return nil, err
	}
	store := s.Store.Store
	m := s.Map()
	binding := &BindingREST{store: store}
	m["pods/binding"] = binding
	m["bindings"] = &LegacyBindingREST{binding: binding}
	m["pods/eviction"] = &EvictionREST{store: store, budgets: budgets}
	ephemeral := *store
	ephemeral.UpdateStrategy = ephemeralStrategy{store.UpdateStrategy}
	ephemeral.ResetFieldsStrategy = nil
	m["pods/ephemeralcontainers"] = &EphemeralContainersREST{store: &ephemeral}
	streams := streamREST{pods: store, kubelets: conns.Kubelets, authz: conns.Authorizer}
	m["pods/log"] = &LogREST{pods: store, kubelets: conns.Kubelets}
	m["pods/exec"] = &ExecREST{streams}
	m["pods/attach"] = &AttachREST{streams}
	m["pods/portforward"] = &PortForwardREST{streams}
	m["pods/proxy"] = &ProxyREST{pods: store, transport: conns.ProxyTransport}
	return m, nil
}

// Definition is the pods resource.
func Definition() resource.Definition {
	return resource.Definition{
		Resource:             corev1.Resource("pods"),
		Singular:             "pod",
		NamespaceScoped:      true,
		New:                  func() runtime.Object { return &corev1.Pod{} },
		NewList:              func() runtime.Object { return &corev1.PodList{} },
		ShortNames:           []string{"po"},
		Categories:           []string{"all"},
		Status:               true,
		Fields:               core.PodFields,
		PrepareForCreate:     prepareForCreate,
		CheckGracefulDelete:  checkGracefulDelete,
		Validate:             resource.Validate(core.ValidatePod),
		ValidateUpdate:       resource.ValidateUpdate(core.ValidatePodUpdate),
		ValidateStatusUpdate: resource.ValidateUpdate(core.ValidatePodStatusUpdate),
	}
}

func prepareForCreate(_ context.Context, obj runtime.Object) {
	pod := obj.(*corev1.Pod)
	syncServiceAccountAlias(&pod.Spec)
	pod.Status = corev1.PodStatus{Phase: corev1.PodPending, QOSClass: core.QOSClass(pod)}
}

// checkGracefulDelete gives the pod its grace period: the request's, else
// the pod's terminationGracePeriodSeconds. A pod no node runs (unscheduled,
// or already terminated) has nobody to wait for and goes at once, as
// upstream.
func checkGracefulDelete(_ context.Context, obj runtime.Object, options *metav1.DeleteOptions) bool {
	if options == nil {
		return false
	}
	pod := obj.(*corev1.Pod)
	period := int64(0)
	if options.GracePeriodSeconds != nil {
		period = *options.GracePeriodSeconds
	} else if pod.Spec.TerminationGracePeriodSeconds != nil {
		period = *pod.Spec.TerminationGracePeriodSeconds
	}
	if pod.Spec.NodeName == "" || pod.Status.Phase == corev1.PodSucceeded || pod.Status.Phase == corev1.PodFailed {
		period = 0
	}
	options.GracePeriodSeconds = &period
	return true
}

// syncServiceAccountAlias keeps the deprecated serviceAccount alias equal to
// serviceAccountName. Upstream gets this from converting to and from its
// internal types; here the defaults do it on decode, and this does it again
// after mutating admission, which may have named the service account.
func syncServiceAccountAlias(spec *corev1.PodSpec) {
	spec.DeprecatedServiceAccount = spec.ServiceAccountName //nolint:staticcheck // the alias is part of the v1 API
}

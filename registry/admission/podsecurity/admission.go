package podsecurity

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"

	admissionv1 "k8s.io/api/admission/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apiserver/pkg/admission"
	"k8s.io/apiserver/pkg/admission/initializer"
	"k8s.io/apiserver/pkg/audit"
	"k8s.io/apiserver/pkg/warning"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	corev1listers "k8s.io/client-go/listers/core/v1"
	"k8s.io/component-base/metrics/legacyregistry"
	psadmission "k8s.io/pod-security-admission/admission"
	psconfig "k8s.io/pod-security-admission/admission/api/load"
	psapi "k8s.io/pod-security-admission/api"
	"k8s.io/pod-security-admission/metrics"
	"k8s.io/pod-security-admission/policy"
)

// PluginName is upstream's.
const PluginName = "PodSecurity"

// Register adds the plugin to plugins. Its configuration (a
// PodSecurityConfiguration) is upstream's default: enforce, audit and warn
// "privileged" at "latest" where a namespace has no labels, no exemptions.
func Register(plugins *admission.Plugins) {
	plugins.Register(PluginName, func(r io.Reader) (admission.Interface, error) { return New(r) })
}

// Plugin enforces the Pod Security Standards.
type Plugin struct {
	*admission.Handler
	client     kubernetes.Interface
	namespaces corev1listers.NamespaceLister
	pods       corev1listers.PodLister
	delegate   *psadmission.Admission
}

var (
	_ admission.ValidationInterface                = &Plugin{}
	_ initializer.WantsExternalKubeClientSet       = &Plugin{}
	_ initializer.WantsExternalKubeInformerFactory = &Plugin{}
	_ admission.InitializationValidator            = &Plugin{}
)

// The metrics are registered once per process: a test may build several
// servers.
var (
	recorderOnce sync.Once
	recorder     *metrics.PrometheusRecorder
)

func defaultRecorder() metrics.Recorder {
	recorderOnce.Do(func() {
		recorder = metrics.NewPrometheusRecorder(psapi.GetAPIVersion())
		recorder.MustRegister(legacyregistry.MustRegister)
	})
	return recorder
}

// New returns the plugin configured from r (nil: the defaults).
func New(r io.Reader) (*Plugin, error) {
	config, err := psconfig.LoadFromReader(r)
	if err != nil {
		return nil, err
	}
	evaluator, err := policy.NewEvaluator(policy.DefaultChecks(), nil)
	if err != nil {
		return nil, fmt.Errorf("pod security checks: %w", err)
	}
	return &Plugin{
		Handler: admission.NewHandler(admission.Create, admission.Update),
		delegate: &psadmission.Admission{
			Configuration:    config,
			Evaluator:        evaluator,
			Metrics:          defaultRecorder(),
			PodSpecExtractor: psadmission.DefaultPodSpecExtractor{},
		},
	}, nil
}

// SetExternalKubeClientSet implements initializer.WantsExternalKubeClientSet.
func (p *Plugin) SetExternalKubeClientSet(c kubernetes.Interface) { p.client = c }

// SetExternalKubeInformerFactory implements initializer.WantsExternalKubeInformerFactory.
func (p *Plugin) SetExternalKubeInformerFactory(f informers.SharedInformerFactory) {
	namespaces := f.Core().V1().Namespaces()
	p.namespaces = namespaces.Lister()
	p.pods = f.Core().V1().Pods().Lister()
	p.SetReadyFunc(namespaces.Informer().HasSynced)
}

// ValidateInitialization implements admission.InitializationValidator: it
// completes the delegate once the initializers have run.
func (p *Plugin) ValidateInitialization() error {
	if p.client == nil || p.namespaces == nil || p.pods == nil {
		return fmt.Errorf("%s admission needs a client and informers", PluginName)
	}
	p.delegate.NamespaceGetter = psadmission.NamespaceGetterFromListerAndClient(p.namespaces, p.client)
	p.delegate.PodLister = psadmission.PodListerFromInformer(p.pods)
	if err := p.delegate.CompleteConfiguration(); err != nil {
		return fmt.Errorf("%s configuration error: %w", PluginName, err)
	}
	if err := p.delegate.ValidateConfiguration(); err != nil {
		return fmt.Errorf("%s invalid: %w", PluginName, err)
	}
	return nil
}

var applicable = map[schema.GroupResource]bool{
	corev1.Resource("pods"):       true,
	corev1.Resource("namespaces"): true,
}

// Validate checks pods (and their ephemeral containers), namespaces whose
// labels change (it warns about the pods that would violate the new level)
// and, to warn only, the workloads with pod templates.
func (p *Plugin) Validate(ctx context.Context, a admission.Attributes, _ admission.ObjectInterfaces) error {
	gr := a.GetResource().GroupResource()
	if !applicable[gr] && !p.delegate.PodSpecExtractor.HasPodSpec(gr) {
		return nil
	}
	result := p.delegate.Validate(ctx, attributes{a})
	for _, w := range result.Warnings {
		warning.AddWarning(ctx, "", w)
	}
	for k, v := range result.AuditAnnotations {
		audit.AddAuditAnnotation(ctx, psapi.AuditAnnotationPrefix+k, v)
	}
	if result.Allowed {
		return nil
	}
	// Upstream's error: a 403 whose status the library filled in.
	err := admission.NewForbidden(a, errors.New("Not allowed by PodSecurity"))
	var statusErr *apierrors.StatusError
	if !errors.As(err, &statusErr) || result.Result == nil {
		return err
	}
	if result.Result.Message != "" {
		statusErr.ErrStatus.Message = result.Result.Message
	}
	if result.Result.Reason != "" {
		statusErr.ErrStatus.Reason = result.Result.Reason
	}
	if result.Result.Details != nil {
		statusErr.ErrStatus.Details = result.Result.Details
	}
	if result.Result.Code != 0 {
		statusErr.ErrStatus.Code = result.Result.Code
	}
	return statusErr
}

// attributes adapts the server's admission attributes to the library's. The
// server's objects are already the v1 types the library reads.
type attributes struct{ admission.Attributes }

func (a attributes) GetOperation() admissionv1.Operation {
	return admissionv1.Operation(a.Attributes.GetOperation())
}

func (a attributes) GetUserName() string { return a.GetUserInfo().GetName() }

func (a attributes) GetObject() (runtime.Object, error) { return a.Attributes.GetObject(), nil }

func (a attributes) GetOldObject() (runtime.Object, error) { return a.Attributes.GetOldObject(), nil }

package scheme

import (
	"reflect"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	appsv1 "k8s.io/api/apps/v1"
	authenticationv1 "k8s.io/api/authentication/v1"
	authorizationv1 "k8s.io/api/authorization/v1"
	autoscalingv1 "k8s.io/api/autoscaling/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	batchv1 "k8s.io/api/batch/v1"
	certificatesv1 "k8s.io/api/certificates/v1"
	coordinationv1 "k8s.io/api/coordination/v1"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	eventsv1 "k8s.io/api/events/v1"
	networkingv1 "k8s.io/api/networking/v1"
	nodev1 "k8s.io/api/node/v1"
	policyv1 "k8s.io/api/policy/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	resourcev1 "k8s.io/api/resource/v1"
	schedulingv1 "k8s.io/api/scheduling/v1"
	storagev1 "k8s.io/api/storage/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	metricsv1beta1 "k8s.io/metrics/pkg/apis/metrics/v1beta1"

	"github.com/kubeshim/kubeshim/apis/admissionregistration"
	"github.com/kubeshim/kubeshim/apis/apps"
	"github.com/kubeshim/kubeshim/apis/authentication"
	"github.com/kubeshim/kubeshim/apis/autoscaling"
	"github.com/kubeshim/kubeshim/apis/batch"
	"github.com/kubeshim/kubeshim/apis/certificates"
	"github.com/kubeshim/kubeshim/apis/core"
	"github.com/kubeshim/kubeshim/apis/discovery"
	"github.com/kubeshim/kubeshim/apis/dra"
	"github.com/kubeshim/kubeshim/apis/events"
	"github.com/kubeshim/kubeshim/apis/networking"
	"github.com/kubeshim/kubeshim/apis/rbac"
	"github.com/kubeshim/kubeshim/apis/scheduling"
	"github.com/kubeshim/kubeshim/apis/storage"
)

// Version is one served version of a group.
type Version struct {
	GroupVersion schema.GroupVersion
	AddToScheme  func(*runtime.Scheme) error
	// PkgPath is the Go package of the version's own kinds.
	PkgPath string
}

// Group is one API group. Its first version is the hub: its kinds are the
// group's internal kinds.
type Group struct {
	Name     string
	Versions []Version
	// ExtraInternal are kinds of other versions that are internal kinds too
	// (autoscaling/v1 Scale serves the scale subresources).
	ExtraInternal []runtime.Object
	// Internal, when set, are the group's internal kinds instead of the hub
	// version's own: events.k8s.io Events are stored as core/v1 Events.
	Internal []runtime.Object
	// Install registers defaulting and conversion funcs.
	Install []func(*runtime.Scheme) error
}

func version(gv schema.GroupVersion, add func(*runtime.Scheme) error, sample any) Version {
	return Version{GroupVersion: gv, AddToScheme: add, PkgPath: reflect.TypeOf(sample).PkgPath()}
}

// Groups are the served API groups, in upstream's discovery order.
var Groups = []Group{
	{Name: "core", Versions: []Version{version(corev1.SchemeGroupVersion, corev1.AddToScheme, corev1.Pod{})},
		Install: []func(*runtime.Scheme) error{core.Install}},
	{Name: "apps", Versions: []Version{version(appsv1.SchemeGroupVersion, appsv1.AddToScheme, appsv1.Deployment{})},
		Install: []func(*runtime.Scheme) error{apps.Install}},
	{Name: "events", Versions: []Version{version(eventsv1.SchemeGroupVersion, eventsv1.AddToScheme, eventsv1.Event{})},
		Internal: []runtime.Object{&corev1.Event{}, &corev1.EventList{}},
		Install:  []func(*runtime.Scheme) error{events.Install}},
	{Name: "authentication", Versions: []Version{version(authenticationv1.SchemeGroupVersion, authenticationv1.AddToScheme, authenticationv1.TokenReview{})},
		Install: []func(*runtime.Scheme) error{authentication.Install}},
	{Name: "authorization", Versions: []Version{version(authorizationv1.SchemeGroupVersion, authorizationv1.AddToScheme, authorizationv1.SubjectAccessReview{})}},
	{Name: "autoscaling", Versions: []Version{
		version(autoscalingv2.SchemeGroupVersion, autoscalingv2.AddToScheme, autoscalingv2.HorizontalPodAutoscaler{}),
		version(autoscalingv1.SchemeGroupVersion, autoscalingv1.AddToScheme, autoscalingv1.Scale{}),
	}, ExtraInternal: []runtime.Object{&autoscalingv1.Scale{}},
		Install: []func(*runtime.Scheme) error{autoscaling.Install}},
	{Name: "batch", Versions: []Version{version(batchv1.SchemeGroupVersion, batchv1.AddToScheme, batchv1.Job{})},
		Install: []func(*runtime.Scheme) error{batch.Install}},
	{Name: "certificates", Versions: []Version{version(certificatesv1.SchemeGroupVersion, certificatesv1.AddToScheme, certificatesv1.CertificateSigningRequest{})},
		Install: []func(*runtime.Scheme) error{certificates.Install}},
	{Name: "networking", Versions: []Version{version(networkingv1.SchemeGroupVersion, networkingv1.AddToScheme, networkingv1.Ingress{})},
		Install: []func(*runtime.Scheme) error{networking.Install}},
	{Name: "policy", Versions: []Version{version(policyv1.SchemeGroupVersion, policyv1.AddToScheme, policyv1.PodDisruptionBudget{})}},
	{Name: "rbac", Versions: []Version{version(rbacv1.SchemeGroupVersion, rbacv1.AddToScheme, rbacv1.Role{})},
		Install: []func(*runtime.Scheme) error{rbac.Install}},
	{Name: "storage", Versions: []Version{version(storagev1.SchemeGroupVersion, storagev1.AddToScheme, storagev1.StorageClass{})},
		Install: []func(*runtime.Scheme) error{storage.Install}},
	{Name: "admissionregistration", Versions: []Version{version(admissionregistrationv1.SchemeGroupVersion, admissionregistrationv1.AddToScheme, admissionregistrationv1.ValidatingWebhookConfiguration{})},
		Install: []func(*runtime.Scheme) error{admissionregistration.Install}},
	{Name: "scheduling", Versions: []Version{version(schedulingv1.SchemeGroupVersion, schedulingv1.AddToScheme, schedulingv1.PriorityClass{})},
		Install: []func(*runtime.Scheme) error{scheduling.Install}},
	{Name: "coordination", Versions: []Version{version(coordinationv1.SchemeGroupVersion, coordinationv1.AddToScheme, coordinationv1.Lease{})}},
	{Name: "node", Versions: []Version{version(nodev1.SchemeGroupVersion, nodev1.AddToScheme, nodev1.RuntimeClass{})}},
	{Name: "discovery", Versions: []Version{version(discoveryv1.SchemeGroupVersion, discoveryv1.AddToScheme, discoveryv1.EndpointSlice{})},
		Install: []func(*runtime.Scheme) error{discovery.Install}},
	{Name: "resource", Versions: []Version{version(resourcev1.SchemeGroupVersion, resourcev1.AddToScheme, resourcev1.ResourceClaim{})},
		Install: []func(*runtime.Scheme) error{dra.Install}},
	// The resource metrics API, which kube-apiserver leaves to an aggregated
	// metrics-server: registry/metrics serves it from the kubelets' scrapes.
	{Name: "metrics", Versions: []Version{version(metricsv1beta1.SchemeGroupVersion, metricsv1beta1.AddToScheme, metricsv1beta1.NodeMetrics{})}},
}

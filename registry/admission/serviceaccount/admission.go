package serviceaccount

import (
	"strings"

	"context"
	"fmt"
	"io"
	utilrand "k8s.io/apimachinery/pkg/util/rand"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apiserver/pkg/admission"
	"k8s.io/apiserver/pkg/admission/initializer"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	corelisters "k8s.io/client-go/listers/core/v1"
)

// PluginName is upstream's.
const PluginName = "ServiceAccount"

// DefaultName is the service account of pods that name none.
const DefaultName = "default"

// mirrorPodAnnotation marks static pods' mirrors; they may use no service
// account.
const mirrorPodAnnotation = "kubernetes.io/config.mirror"

// Register adds the plugin to plugins.
func Register(plugins *admission.Plugins) {
	plugins.Register(PluginName, func(io.Reader) (admission.Interface, error) { return New(), nil })
}

// Plugin defaults and checks pods' service accounts.
type Plugin struct {
	*admission.Handler
	client   kubernetes.Interface
	accounts corelisters.ServiceAccountLister
}

var (
	_ admission.MutationInterface                  = &Plugin{}
	_ admission.ValidationInterface                = &Plugin{}
	_ initializer.WantsExternalKubeClientSet       = &Plugin{}
	_ initializer.WantsExternalKubeInformerFactory = &Plugin{}
	_ admission.InitializationValidator            = &Plugin{}
)

// New returns the plugin; the admission initializers give it its client and
// informers.
func New() *Plugin { return &Plugin{Handler: admission.NewHandler(admission.Create)} }

// SetExternalKubeClientSet implements initializer.WantsExternalKubeClientSet.
func (p *Plugin) SetExternalKubeClientSet(c kubernetes.Interface) { p.client = c }

// SetExternalKubeInformerFactory implements initializer.WantsExternalKubeInformerFactory.
func (p *Plugin) SetExternalKubeInformerFactory(f informers.SharedInformerFactory) {
	informer := f.Core().V1().ServiceAccounts()
	p.accounts = informer.Lister()
	p.SetReadyFunc(informer.Informer().HasSynced)
}

// ValidateInitialization implements admission.InitializationValidator.
func (p *Plugin) ValidateInitialization() error {
	if p.client == nil || p.accounts == nil {
		return fmt.Errorf("%s admission needs a client and informers", PluginName)
	}
	return nil
}

func pod(a admission.Attributes) (*corev1.Pod, bool) {
	if a.GetResource().GroupResource() != corev1.Resource("pods") || a.GetSubresource() != "" {
		return nil, false
	}
	p, ok := a.GetObject().(*corev1.Pod)
	return p, ok
}

// isMirror reports whether the pod is a static pod's mirror: upstream
// checks that the annotation is there, whatever its value.
func isMirror(pod *corev1.Pod) bool {
	_, ok := pod.Annotations[mirrorPodAnnotation]
	return ok
}

// Admit names the default service account in pods that name none.
func (p *Plugin) Admit(ctx context.Context, a admission.Attributes, _ admission.ObjectInterfaces) error {
	pod, ok := pod(a)
	if !ok || isMirror(pod) {
		return nil
	}
	if pod.Spec.ServiceAccountName == "" {
		pod.Spec.ServiceAccountName = DefaultName
	}
	sa, err := p.accounts.ServiceAccounts(a.GetNamespace()).Get(pod.Spec.ServiceAccountName)
	if err != nil {
		// The informer may lag; a missing account is Validate's to refuse.
		sa, err = p.client.CoreV1().ServiceAccounts(a.GetNamespace()).Get(ctx, pod.Spec.ServiceAccountName, metav1.GetOptions{})
		if err != nil {
			return nil
		}
	}
	if automount(sa, pod) {
		mountToken(pod)
	}
	return nil
}

// DefaultAPITokenMountPath is where the token, the CA and the namespace
// appear in containers, for client-go's in-cluster config.
const DefaultAPITokenMountPath = "/var/run/secrets/kubernetes.io/serviceaccount"

// tokenExpirationSeconds is upstream's: a little over an hour, so a token
// made for the pod is told apart from one a user requested.
const tokenExpirationSeconds = 3607

// automount: the pod's setting wins over the service account's; unset
// both means yes.
func automount(sa *corev1.ServiceAccount, pod *corev1.Pod) bool {
	if pod.Spec.AutomountServiceAccountToken != nil {
		return *pod.Spec.AutomountServiceAccountToken
	}
	if sa.AutomountServiceAccountToken != nil {
		return *sa.AutomountServiceAccountToken
	}
	return true
}

// mountToken adds upstream's kube-api-access-<random> projected volume
// (a bound token, the kube-root-ca.crt config map's ca.crt, the namespace)
// and mounts it in every container and init container that does not
// mount something there already.
func mountToken(pod *corev1.Pod) {
	name := ""
	for _, v := range pod.Spec.Volumes {
		if strings.HasPrefix(v.Name, "kube-api-access-") && v.Projected != nil {
			name = v.Name
		}
	}
	if name == "" {
		name = "kube-api-access-" + utilrand.String(5)
		expiration := int64(tokenExpirationSeconds)
		mode := int32(0o644)
		pod.Spec.Volumes = append(pod.Spec.Volumes, corev1.Volume{
			Name: name,
			VolumeSource: corev1.VolumeSource{Projected: &corev1.ProjectedVolumeSource{
				Sources: []corev1.VolumeProjection{
					{ServiceAccountToken: &corev1.ServiceAccountTokenProjection{Path: "token", ExpirationSeconds: &expiration}},
					{ConfigMap: &corev1.ConfigMapProjection{
						LocalObjectReference: corev1.LocalObjectReference{Name: "kube-root-ca.crt"},
						Items:                []corev1.KeyToPath{{Key: "ca.crt", Path: "ca.crt"}},
					}},
					{DownwardAPI: &corev1.DownwardAPIProjection{Items: []corev1.DownwardAPIVolumeFile{{
						Path: "namespace", FieldRef: &corev1.ObjectFieldSelector{APIVersion: "v1", FieldPath: "metadata.namespace"},
					}}}},
				},
				DefaultMode: &mode,
			}},
		})
	}
	mount := func(cs []corev1.Container) {
		for i := range cs {
			has := false
			for _, m := range cs[i].VolumeMounts {
				if m.MountPath == DefaultAPITokenMountPath || m.Name == name {
					has = true
				}
			}
			if !has {
				cs[i].VolumeMounts = append(cs[i].VolumeMounts, corev1.VolumeMount{Name: name, ReadOnly: true, MountPath: DefaultAPITokenMountPath})
			}
		}
	}
	mount(pod.Spec.InitContainers)
	mount(pod.Spec.Containers)
}

// Validate refuses pods whose service account does not exist, and mirror
// pods that name one.
func (p *Plugin) Validate(ctx context.Context, a admission.Attributes, _ admission.ObjectInterfaces) error {
	pod, ok := pod(a)
	if !ok {
		return nil
	}
	if isMirror(pod) {
		if pod.Spec.ServiceAccountName != "" {
			return admission.NewForbidden(a, fmt.Errorf("a mirror pod may not reference service accounts"))
		}
		return nil
	}
	name := pod.Spec.ServiceAccountName
	if name == "" {
		name = DefaultName
	}
	if _, err := p.accounts.ServiceAccounts(a.GetNamespace()).Get(name); err == nil {
		return nil
	} else if !apierrors.IsNotFound(err) {
		return admission.NewForbidden(a, fmt.Errorf("error looking up service account %s/%s: %w", a.GetNamespace(), name, err))
	}
	// The informer may lag a service account created just now.
	_, err := p.client.CoreV1().ServiceAccounts(a.GetNamespace()).Get(ctx, name, metav1.GetOptions{})
	switch {
	case err == nil:
		return nil
	case apierrors.IsNotFound(err):
		return admission.NewForbidden(a, fmt.Errorf("service account %s/%s was not found, retry after the service account is created", a.GetNamespace(), name))
	}
	return admission.NewForbidden(a, fmt.Errorf("error looking up service account %s/%s: %w", a.GetNamespace(), name, err))
}

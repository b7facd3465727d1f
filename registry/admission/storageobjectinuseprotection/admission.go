package storageobjectinuseprotection

import (
	"context"
	"io"
	"slices"

	corev1 "k8s.io/api/core/v1"
	storagev1 "k8s.io/api/storage/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apiserver/pkg/admission"
)

// PluginName is upstream's.
const PluginName = "StorageObjectInUseProtection"

// The finalizers, upstream's; the protection controllers remove them.
const (
	PVProtectionFinalizer  = "kubernetes.io/pv-protection"
	PVCProtectionFinalizer = "kubernetes.io/pvc-protection"
	VACProtectionFinalizer = "kubernetes.io/vac-protection"
)

// Register adds the plugin to plugins.
func Register(plugins *admission.Plugins) {
	plugins.Register(PluginName, func(io.Reader) (admission.Interface, error) { return New(), nil })
}

// Plugin adds protection finalizers on create.
type Plugin struct {
	*admission.Handler
}

var _ admission.MutationInterface = &Plugin{}

// New returns the plugin.
func New() *Plugin { return &Plugin{Handler: admission.NewHandler(admission.Create)} }

var finalizers = map[schema.GroupResource]string{
	corev1.Resource("persistentvolumes"):          PVProtectionFinalizer,
	corev1.Resource("persistentvolumeclaims"):     PVCProtectionFinalizer,
	storagev1.Resource("volumeattributesclasses"): VACProtectionFinalizer,
}

// Admit adds the resource's finalizer unless the object has it. Objects of
// an unexpected type pass untouched, as upstream.
func (p *Plugin) Admit(_ context.Context, a admission.Attributes, _ admission.ObjectInterfaces) error {
	finalizer, ok := finalizers[a.GetResource().GroupResource()]
	if !ok || a.GetSubresource() != "" {
		return nil
	}
	obj, ok := a.GetObject().(metav1.Object)
	if !ok {
		return nil
	}
	if !slices.Contains(obj.GetFinalizers(), finalizer) {
		obj.SetFinalizers(append(obj.GetFinalizers(), finalizer))
	}
	return nil
}

package persistentvolume

import (
	"context"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/kubeshim/kubeshim/apis/core"
	"github.com/kubeshim/kubeshim/registry/resource"
)

// Definition is the persistentvolumes resource.
func Definition() resource.Definition {
	return resource.Definition{
		Resource:               corev1.Resource("persistentvolumes"),
		Singular:               "persistentvolume",
		NamespaceScoped:        false,
		New:                    func() runtime.Object { return &corev1.PersistentVolume{} },
		NewList:                func() runtime.Object { return &corev1.PersistentVolumeList{} },
		ShortNames:             []string{"pv"},
		Status:                 true,
		Validate:               resource.Validate(core.ValidatePersistentVolume),
		ValidateUpdate:         resource.ValidateUpdate(core.ValidatePersistentVolumeUpdate),
		ValidateStatusUpdate:   resource.ValidateUpdate(core.ValidatePersistentVolumeStatusUpdate),
		PrepareForCreate:       prepareForCreate,
		PrepareForStatusUpdate: prepareForStatusUpdate,
	}
}

// now is the clock of phase transitions; tests replace it.
var now = metav1.Now

// prepareForCreate starts every volume Pending, whatever status the request
// brought, and records when it entered that phase.
func prepareForCreate(_ context.Context, obj runtime.Object) {
	pv := obj.(*corev1.PersistentVolume)
	t := now()
	pv.Status = corev1.PersistentVolumeStatus{Phase: corev1.VolumePending, LastPhaseTransitionTime: &t}
}

// prepareForStatusUpdate stamps lastPhaseTransitionTime when the phase
// changes and the writer did not set a time of its own, and keeps the old
// stamp when it does not change: the persistent volume controller writes
// phases without times.
func prepareForStatusUpdate(_ context.Context, obj, old runtime.Object) {
	pv, oldPV := obj.(*corev1.PersistentVolume), old.(*corev1.PersistentVolume)
	switch {
	case pv.Status.Phase == oldPV.Status.Phase && pv.Status.LastPhaseTransitionTime == nil:
		pv.Status.LastPhaseTransitionTime = oldPV.Status.LastPhaseTransitionTime
	case pv.Status.Phase != oldPV.Status.Phase &&
		(pv.Status.LastPhaseTransitionTime == nil || pv.Status.LastPhaseTransitionTime.Equal(oldPV.Status.LastPhaseTransitionTime)):
		t := now()
		pv.Status.LastPhaseTransitionTime = &t
	}
}

package devicetaintrule

import (
	"context"
	"time"

	resourcev1 "k8s.io/api/resource/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/kubeshim/kubeshim/apis/dra"
	"github.com/kubeshim/kubeshim/registry/resource"
)

// now is the clock a changed taint is stamped with; tests replace it.
var now = time.Now

// Definition is the devicetaintrules resource.
func Definition() resource.Definition {
	return resource.Definition{
		Resource:               resourcev1.Resource("devicetaintrules"),
		RequireResourceVersion: true,
		Singular:               "devicetaintrule",
		New:                    func() runtime.Object { return &resourcev1.DeviceTaintRule{} },
		NewList:                func() runtime.Object { return &resourcev1.DeviceTaintRuleList{} },
		Status:                 true,
		PrepareForUpdate:       prepareForUpdate,
		Validate:               resource.Validate(dra.ValidateDeviceTaintRule),
		ValidateUpdate:         resource.ValidateUpdate(dra.ValidateDeviceTaintRuleUpdate),
		ValidateStatusUpdate:   resource.ValidateUpdate(dra.ValidateDeviceTaintRuleStatusUpdate),
	}
}

// prepareForUpdate restamps timeAdded when the effect changes and the
// client left the time as it was: eviction (NoExecute) counts tolerations'
// tolerationSeconds from it, so it must be when this effect began.
func prepareForUpdate(_ context.Context, obj, old runtime.Object) {
	taint, oldTaint := &obj.(*resourcev1.DeviceTaintRule).Spec.Taint, old.(*resourcev1.DeviceTaintRule).Spec.Taint
	if taint.Effect != oldTaint.Effect && taint.TimeAdded.Equal(oldTaint.TimeAdded) {
		taint.TimeAdded = &metav1.Time{Time: now().Truncate(time.Second)}
	}
}

package devicetaintrule

import (
	"context"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	resourcev1 "k8s.io/api/resource/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func TestPrepareForUpdateStampsEffectChange(t *testing.T) {
	defer func(orig func() time.Time) { now = orig }(now)
	now = func() time.Time { return time.Date(2026, 5, 1, 10, 0, 0, 900_000_000, time.UTC) }
	stored := metav1.NewTime(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	clientSet := metav1.NewTime(time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC))
	stamped := metav1.NewTime(time.Date(2026, 5, 1, 10, 0, 0, 0, time.UTC))

	rule := func(effect resourcev1.DeviceTaintEffect, added metav1.Time) *resourcev1.DeviceTaintRule {
		return &resourcev1.DeviceTaintRule{Spec: resourcev1.DeviceTaintRuleSpec{
			Taint: resourcev1.DeviceTaint{Key: "k", Effect: effect, TimeAdded: &added},
		}}
	}
	for _, tc := range []struct {
		name string
		obj  *resourcev1.DeviceTaintRule
		want metav1.Time
	}{
		{"same effect keeps the time", rule(resourcev1.DeviceTaintEffectNone, stored), stored},
		{"new effect, same time: now", rule(resourcev1.DeviceTaintEffectNoExecute, stored), stamped},
		{"new effect with the client's time", rule(resourcev1.DeviceTaintEffectNoExecute, clientSet), clientSet},
	} {
		t.Run(tc.name, func(t *testing.T) {
			prepareForUpdate(context.Background(), tc.obj, rule(resourcev1.DeviceTaintEffectNone, stored))
			if diff := cmp.Diff(tc.want, *tc.obj.Spec.Taint.TimeAdded); diff != "" {
				t.Errorf("timeAdded (-want +got):\n%s", diff)
			}
		})
	}
}

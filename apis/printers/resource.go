package printers

import (
	"strings"

	resourcev1 "k8s.io/api/resource/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
)

// The resource.k8s.io (dynamic resource allocation) tables.

var deviceClasses = printer[*resourcev1.DeviceClass]{
	header: []metav1.TableColumnDefinition{nameColumn, ageColumn},
	cells: func(c clock, dc *resourcev1.DeviceClass) []any {
		return []any{dc.Name, c.since(dc.CreationTimestamp)}
	},
}

var resourceClaims = printer[*resourcev1.ResourceClaim]{
	header: []metav1.TableColumnDefinition{
		nameColumn,
		text("State", "A summary of the current state (allocated, pending, reserved, etc.)."),
		ageColumn,
	},
	cells: func(c clock, rc *resourcev1.ResourceClaim) []any {
		return []any{rc.Name, resourceClaimState(rc), c.since(rc.CreationTimestamp)}
	},
}

// resourceClaimState is upstream's summary, e.g. "allocated,reserved" or
// "deleted,allocated"; a deleted claim never allocated prints "deleted".
func resourceClaimState(rc *resourcev1.ResourceClaim) string {
	var states []string
	deleted := rc.DeletionTimestamp != nil
	if deleted {
		states = append(states, "deleted")
	}
	switch {
	case rc.Status.Allocation != nil:
		states = append(states, "allocated")
		if len(rc.Status.ReservedFor) > 0 {
			states = append(states, "reserved")
		}
	case !deleted:
		states = append(states, "pending")
	}
	return strings.Join(states, ",")
}

var resourceClaimTemplates = printer[*resourcev1.ResourceClaimTemplate]{
	header: []metav1.TableColumnDefinition{nameColumn, ageColumn},
	cells: func(c clock, t *resourcev1.ResourceClaimTemplate) []any {
		return []any{t.Name, c.since(t.CreationTimestamp)}
	},
}

var resourceSlices = printer[*resourcev1.ResourceSlice]{
	header: []metav1.TableColumnDefinition{
		nameColumn,
		text("Node", resourcev1.ResourceSliceSpec{}.SwaggerDoc()["nodeName"]),
		text("Driver", resourcev1.ResourceSliceSpec{}.SwaggerDoc()["driver"]),
		text("Pool", resourcev1.ResourcePool{}.SwaggerDoc()["name"]),
		ageColumn,
	},
	cells: func(c clock, s *resourcev1.ResourceSlice) []any {
		return []any{s.Name, ptr.Deref(s.Spec.NodeName, ""), s.Spec.Driver, s.Spec.Pool.Name, c.since(s.CreationTimestamp)}
	},
}

// deviceTaintRules print the taint, not the selector: selectors are often
// empty or long, and a rule's name says what it selects.
var deviceTaintRules = printer[*resourcev1.DeviceTaintRule]{
	header: []metav1.TableColumnDefinition{
		nameColumn,
		text("Key", resourcev1.DeviceTaint{}.SwaggerDoc()["key"]),
		text("Value", resourcev1.DeviceTaint{}.SwaggerDoc()["value"]),
		text("Effect", resourcev1.DeviceTaint{}.SwaggerDoc()["effect"]),
		text("TimeAdded", resourcev1.DeviceTaint{}.SwaggerDoc()["timeAdded"]),
		ageColumn,
	},
	cells: func(c clock, r *resourcev1.DeviceTaintRule) []any {
		t := r.Spec.Taint
		added := ""
		if t.TimeAdded != nil {
			added = c.since(*t.TimeAdded)
		}
		return []any{r.Name, t.Key, t.Value, string(t.Effect), added, c.since(r.CreationTimestamp)}
	},
}

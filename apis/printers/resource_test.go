package printers

import (
	"testing"
	"time"

	resourcev1 "k8s.io/api/resource/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/utils/ptr"
)

func draResource(name string) schema.GroupResource {
	return schema.GroupResource{Group: "resource.k8s.io", Resource: name}
}

func TestDeviceClasses(t *testing.T) {
	testRows(t, draResource("deviceclasses"), []string{"Name", "Age"}, []rowCase{
		{name: "class", obj: &resourcev1.DeviceClass{ObjectMeta: objectMeta("gpu.example.com")}, row: []any{"gpu.example.com", "3h"}},
	})
}

func TestResourceClaimTemplates(t *testing.T) {
	testRows(t, draResource("resourceclaimtemplates"), []string{"Name", "Age"}, []rowCase{
		{name: "template", obj: &resourcev1.ResourceClaimTemplate{ObjectMeta: objectMeta("gpu")}, row: []any{"gpu", "3h"}},
	})
}

func TestResourceClaims(t *testing.T) {
	deleted := func(c *resourcev1.ResourceClaim) *resourcev1.ResourceClaim {
		c.DeletionTimestamp = ptr.To(ago(time.Minute))
		return c
	}
	claim := func(status resourcev1.ResourceClaimStatus) *resourcev1.ResourceClaim {
		return &resourcev1.ResourceClaim{ObjectMeta: objectMeta("gpu"), Status: status}
	}
	allocated := resourcev1.ResourceClaimStatus{Allocation: &resourcev1.AllocationResult{}}
	reserved := resourcev1.ResourceClaimStatus{
		Allocation:  &resourcev1.AllocationResult{},
		ReservedFor: []resourcev1.ResourceClaimConsumerReference{{Resource: "pods", Name: "p", UID: "u"}},
	}
	testRows(t, draResource("resourceclaims"), []string{"Name", "State", "Age"}, []rowCase{
		{name: "pending", obj: claim(resourcev1.ResourceClaimStatus{}), row: []any{"gpu", "pending", "3h"}},
		{name: "allocated", obj: claim(allocated), row: []any{"gpu", "allocated", "3h"}},
		{name: "reserved", obj: claim(reserved), row: []any{"gpu", "allocated,reserved", "3h"}},
		{name: "deleted before allocation", obj: deleted(claim(resourcev1.ResourceClaimStatus{})), row: []any{"gpu", "deleted", "3h"}},
		{name: "deleted while reserved", obj: deleted(claim(reserved)), row: []any{"gpu", "deleted,allocated,reserved", "3h"}},
	})
}

func TestResourceSlices(t *testing.T) {
	slice := func(node *string) *resourcev1.ResourceSlice {
		return &resourcev1.ResourceSlice{ObjectMeta: objectMeta("node-1-gpu-abcde"), Spec: resourcev1.ResourceSliceSpec{
			Driver: "gpu.example.com", Pool: resourcev1.ResourcePool{Name: "node-1"}, NodeName: node,
		}}
	}
	testRows(t, draResource("resourceslices"), []string{"Name", "Node", "Driver", "Pool", "Age"}, []rowCase{
		{name: "node-local", obj: slice(ptr.To("node-1")), row: []any{"node-1-gpu-abcde", "node-1", "gpu.example.com", "node-1", "3h"}},
		{name: "network-attached", obj: slice(nil), row: []any{"node-1-gpu-abcde", "", "gpu.example.com", "node-1", "3h"}},
	})
}

func TestDeviceTaintRules(t *testing.T) {
	rule := func(added *metav1.Time) *resourcev1.DeviceTaintRule {
		return &resourcev1.DeviceTaintRule{ObjectMeta: objectMeta("maintenance"), Spec: resourcev1.DeviceTaintRuleSpec{
			Taint: resourcev1.DeviceTaint{Key: "example.com/maintenance", Value: "planned", Effect: resourcev1.DeviceTaintEffectNoExecute, TimeAdded: added},
		}}
	}
	testRows(t, draResource("devicetaintrules"), []string{"Name", "Key", "Value", "Effect", "TimeAdded", "Age"}, []rowCase{
		{name: "added later", obj: rule(ptr.To(ago(5 * time.Minute))), row: []any{"maintenance", "example.com/maintenance", "planned", "NoExecute", "5m", "3h"}},
		{name: "no time", obj: rule(nil), row: []any{"maintenance", "example.com/maintenance", "planned", "NoExecute", "", "3h"}},
	})
}

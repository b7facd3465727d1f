package dra

import (
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	resourcev1 "k8s.io/api/resource/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"k8s.io/utils/ptr"
)

// fieldError is what the tests compare of a validation error: its type and
// path, the parts clients act on.
type fieldError struct {
	Type  field.ErrorType
	Field string
}

func summarize(errs field.ErrorList) []fieldError {
	var out []fieldError
	for _, e := range errs {
		out = append(out, fieldError{e.Type, e.Field})
	}
	return out
}

func wantErrors(t *testing.T, want []fieldError, got field.ErrorList) {
	t.Helper()
	if diff := cmp.Diff(want, summarize(got)); diff != "" {
		t.Errorf("errors (-want +got):\n%s\nall errors: %v", diff, got)
	}
}

func required(path string) fieldError     { return fieldError{field.ErrorTypeRequired, path} }
func invalid(path string) fieldError      { return fieldError{field.ErrorTypeInvalid, path} }
func forbidden(path string) fieldError    { return fieldError{field.ErrorTypeForbidden, path} }
func duplicate(path string) fieldError    { return fieldError{field.ErrorTypeDuplicate, path} }
func notSupported(path string) fieldError { return fieldError{field.ErrorTypeNotSupported, path} }
func tooMany(path string) fieldError      { return fieldError{field.ErrorTypeTooMany, path} }
func tooLong(path string) fieldError      { return fieldError{field.ErrorTypeTooLong, path} }

func celSelector(expression string) resourcev1.DeviceSelector {
	return resourcev1.DeviceSelector{CEL: &resourcev1.CELDeviceSelector{Expression: expression}}
}

func opaque(driver, parameters string) resourcev1.DeviceConfiguration {
	return resourcev1.DeviceConfiguration{Opaque: &resourcev1.OpaqueDeviceConfiguration{
		Driver: driver, Parameters: runtime.RawExtension{Raw: []byte(parameters)},
	}}
}

func TestValidateDeviceClass(t *testing.T) {
	for _, tc := range []struct {
		name   string
		mutate func(*resourcev1.DeviceClass)
		want   []fieldError
	}{
		{name: "valid", mutate: func(*resourcev1.DeviceClass) {}},
		{
			name:   "name not a DNS subdomain",
			mutate: func(c *resourcev1.DeviceClass) { c.Name = "GPU_class" },
			want:   []fieldError{invalid("metadata.name")},
		},
		{
			name: "selector without CEL, empty and overlong expressions",
			mutate: func(c *resourcev1.DeviceClass) {
				c.Spec.Selectors = []resourcev1.DeviceSelector{{}, celSelector(" "), celSelector(strings.Repeat("x", resourcev1.CELSelectorExpressionMaxLength+1))}
			},
			want: []fieldError{required("spec.selectors[0].cel"), required("spec.selectors[1].cel.expression"), tooLong("spec.selectors[2].cel.expression")},
		},
		{
			name: "too many selectors",
			mutate: func(c *resourcev1.DeviceClass) {
				c.Spec.Selectors = make([]resourcev1.DeviceSelector, resourcev1.DeviceSelectorsMaxSize+1)
			},
			want: []fieldError{tooMany("spec.selectors")},
		},
		{
			name: "configs: missing opaque, bad driver, parameters not an object",
			mutate: func(c *resourcev1.DeviceClass) {
				c.Spec.Config = []resourcev1.DeviceClassConfiguration{
					{},
					{DeviceConfiguration: opaque("Not_A_Driver", `[1]`)},
					{DeviceConfiguration: opaque("gpu.example.com", `{`)},
					{DeviceConfiguration: opaque("gpu.example.com", "")},
				}
			},
			want: []fieldError{
				required("spec.config[0].opaque"),
				invalid("spec.config[1].opaque.driver"), invalid("spec.config[1].opaque.parameters"),
				invalid("spec.config[2].opaque.parameters"),
				required("spec.config[3].opaque.parameters"),
			},
		},
		{
			name:   "native resource as extended resource name",
			mutate: func(c *resourcev1.DeviceClass) { c.Spec.ExtendedResourceName = ptr.To("cpu") },
			want:   []fieldError{invalid("spec.extendedResourceName")},
		},
		{
			name:   "extended resource name",
			mutate: func(c *resourcev1.DeviceClass) { c.Spec.ExtendedResourceName = ptr.To("example.com/gpu") },
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := &resourcev1.DeviceClass{
				ObjectMeta: metav1.ObjectMeta{Name: "gpu.example.com"},
				Spec:       resourcev1.DeviceClassSpec{Selectors: []resourcev1.DeviceSelector{celSelector("false")}},
			}
			tc.mutate(c)
			wantErrors(t, tc.want, ValidateDeviceClass(c))
		})
	}

	t.Run("stored selectors are not validated again", func(t *testing.T) {
		long := celSelector(strings.Repeat("x", resourcev1.CELSelectorExpressionMaxLength+1))
		old := &resourcev1.DeviceClass{ObjectMeta: metav1.ObjectMeta{Name: "c", ResourceVersion: "1"},
			Spec: resourcev1.DeviceClassSpec{Selectors: []resourcev1.DeviceSelector{long}}}
		c := old.DeepCopy()
		c.Labels = map[string]string{"a": "b"}
		wantErrors(t, nil, ValidateDeviceClassUpdate(c, old))
		c.Spec.Selectors = append(c.Spec.Selectors, celSelector("true"))
		wantErrors(t, []fieldError{tooLong("spec.selectors[0].cel.expression")}, ValidateDeviceClassUpdate(c, old))
	})
}

// claimSpec is the claim of upstream's conformance test, defaulted.
func claimSpec() resourcev1.ResourceClaimSpec {
	spec := resourcev1.ResourceClaimSpec{Devices: resourcev1.DeviceClaim{Requests: []resourcev1.DeviceRequest{{
		Name: "req-0", Exactly: &resourcev1.ExactDeviceRequest{DeviceClassName: "dra.example.com"},
	}}}}
	setDefaultsClaimSpec(&spec)
	return spec
}

func claim() *resourcev1.ResourceClaim {
	return &resourcev1.ResourceClaim{ObjectMeta: metav1.ObjectMeta{Name: "test", Namespace: "default", ResourceVersion: "1"}, Spec: claimSpec()}
}

func TestValidateResourceClaim(t *testing.T) {
	sub := func(name, class string) resourcev1.DeviceSubRequest {
		return resourcev1.DeviceSubRequest{Name: name, DeviceClassName: class, AllocationMode: resourcev1.DeviceAllocationModeExactCount, Count: 1}
	}
	for _, tc := range []struct {
		name   string
		mutate func(*resourcev1.DeviceClaim)
		want   []fieldError
	}{
		{name: "valid", mutate: func(*resourcev1.DeviceClaim) {}},
		{name: "no requests", mutate: func(d *resourcev1.DeviceClaim) { d.Requests = nil }},
		{
			name: "request neither exact nor first available, or both",
			mutate: func(d *resourcev1.DeviceClaim) {
				d.Requests = append(d.Requests,
					resourcev1.DeviceRequest{Name: "none"},
					resourcev1.DeviceRequest{Name: "both", Exactly: d.Requests[0].Exactly, FirstAvailable: []resourcev1.DeviceSubRequest{sub("a", "c")}})
			},
			want: []fieldError{required("spec.devices.requests[1]"), invalid("spec.devices.requests[2]")},
		},
		{
			name: "duplicate and malformed request names",
			mutate: func(d *resourcev1.DeviceClaim) {
				d.Requests = append(d.Requests, d.Requests[0], d.Requests[0])
				d.Requests[2].Name = "Req_2"
			},
			want: []fieldError{invalid("spec.devices.requests[2].name"), duplicate("spec.devices.requests[1]")},
		},
		{
			name: "missing class, unknown mode, count for All, no count",
			mutate: func(d *resourcev1.DeviceClaim) {
				e := d.Requests[0].Exactly
				e.DeviceClassName, e.AllocationMode = "", "Some"
				d.Requests = append(d.Requests,
					resourcev1.DeviceRequest{Name: "all", Exactly: &resourcev1.ExactDeviceRequest{DeviceClassName: "c", AllocationMode: resourcev1.DeviceAllocationModeAll, Count: 2}},
					resourcev1.DeviceRequest{Name: "zero", Exactly: &resourcev1.ExactDeviceRequest{DeviceClassName: "c", AllocationMode: resourcev1.DeviceAllocationModeExactCount}})
			},
			want: []fieldError{
				required("spec.devices.requests[0].exactly.deviceClassName"),
				notSupported("spec.devices.requests[0].exactly.allocationMode"),
				invalid("spec.devices.requests[1].exactly.count"),
				invalid("spec.devices.requests[2].exactly.count"),
			},
		},
		{
			name: "tolerations",
			mutate: func(d *resourcev1.DeviceClaim) {
				d.Requests[0].Exactly.Tolerations = []resourcev1.DeviceToleration{
					{Key: "example.com/a", Operator: resourcev1.DeviceTolerationOpExists, Effect: resourcev1.DeviceTaintEffectNoExecute},
					{Key: "a", Operator: resourcev1.DeviceTolerationOpExists, Value: "v"},
					{Key: "a", Operator: "In", Effect: "Sometimes"},
					{Key: "a", Value: "v"},
				}
			},
			want: []fieldError{
				invalid("spec.devices.requests[0].exactly.tolerations[1].value"),
				notSupported("spec.devices.requests[0].exactly.tolerations[2].operator"),
				notSupported("spec.devices.requests[0].exactly.tolerations[2].effect"),
				required("spec.devices.requests[0].exactly.tolerations[3].operator"),
			},
		},
		{
			name: "first available: duplicate subrequests, too many",
			mutate: func(d *resourcev1.DeviceClaim) {
				d.Requests = append(d.Requests,
					resourcev1.DeviceRequest{Name: "dup", FirstAvailable: []resourcev1.DeviceSubRequest{sub("a", "c"), sub("a", "")}},
					resourcev1.DeviceRequest{Name: "many", FirstAvailable: make([]resourcev1.DeviceSubRequest, resourcev1.FirstAvailableDeviceRequestMaxSize+1)})
			},
			want: []fieldError{
				required("spec.devices.requests[1].firstAvailable[1].deviceClassName"),
				duplicate("spec.devices.requests[1].firstAvailable[1]"),
				tooMany("spec.devices.requests[2].firstAvailable"),
			},
		},
		{
			name: "constraints: references, attributes",
			mutate: func(d *resourcev1.DeviceClaim) {
				d.Requests = append(d.Requests, resourcev1.DeviceRequest{Name: "gpu", FirstAvailable: []resourcev1.DeviceSubRequest{sub("large", "c")}})
				d.Constraints = []resourcev1.DeviceConstraint{
					{Requests: []string{"req-0", "gpu/large"}, MatchAttribute: ptr.To[resourcev1.FullyQualifiedName]("example.com/numa")},
					{Requests: []string{"nope", "gpu/small", "a/b/c"}, DistinctAttribute: ptr.To[resourcev1.FullyQualifiedName]("numa")},
					{},
				}
			},
			want: []fieldError{
				invalid("spec.devices.constraints[1].requests[0]"),
				invalid("spec.devices.constraints[1].requests[1]"),
				invalid("spec.devices.constraints[1].requests[2]"),
				invalid("spec.devices.constraints[1].distinctAttribute"),
				required("spec.devices.constraints[2]"),
			},
		},
		{
			name: "config",
			mutate: func(d *resourcev1.DeviceClaim) {
				d.Config = []resourcev1.DeviceClaimConfiguration{
					{Requests: []string{"req-0"}, DeviceConfiguration: opaque("gpu.example.com", `{"a": 1}`)},
					{Requests: []string{"req-0", "req-0"}},
				}
			},
			want: []fieldError{duplicate("spec.devices.config[1].requests[1]"), required("spec.devices.config[1].opaque")},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := claim()
			tc.mutate(&c.Spec.Devices)
			wantErrors(t, tc.want, ValidateResourceClaim(c))
		})
	}
}

func TestValidateResourceClaimUpdate(t *testing.T) {
	old := claim()
	c := old.DeepCopy()
	c.Labels = map[string]string{"test.dra.example.com": "test"}
	wantErrors(t, nil, ValidateResourceClaimUpdate(c, old))
	c.Spec.Devices.Requests[0].Exactly.Count = 2
	wantErrors(t, []fieldError{invalid("spec")}, ValidateResourceClaimUpdate(c, old))
}

func TestValidateResourceClaimStatusUpdate(t *testing.T) {
	result := resourcev1.DeviceRequestAllocationResult{Request: "req-0", Driver: "dra.example.com", Pool: "node-1", Device: "gpu-0"}
	allocation := &resourcev1.AllocationResult{Devices: resourcev1.DeviceAllocationResult{Results: []resourcev1.DeviceRequestAllocationResult{result}}}
	pod := resourcev1.ResourceClaimConsumerReference{Resource: "pods", Name: "p", UID: "uid-1"}
	for _, tc := range []struct {
		name        string
		old, status resourcev1.ResourceClaimStatus
		deleted     bool
		want        []fieldError
	}{
		{name: "empty allocation", status: resourcev1.ResourceClaimStatus{Allocation: &resourcev1.AllocationResult{}}},
		{name: "allocate and reserve", status: resourcev1.ResourceClaimStatus{Allocation: allocation, ReservedFor: []resourcev1.ResourceClaimConsumerReference{pod}}},
		{
			name:   "reserved without allocation, duplicate and incomplete consumers",
			status: resourcev1.ResourceClaimStatus{ReservedFor: []resourcev1.ResourceClaimConsumerReference{pod, pod, {UID: "uid-2"}}},
			want: []fieldError{
				required("status.reservedFor[2].resource"), required("status.reservedFor[2].name"),
				duplicate("status.reservedFor[1]"),
				forbidden("status.reservedFor"),
			},
		},
		{
			name:    "new consumer of a deleted claim",
			old:     resourcev1.ResourceClaimStatus{Allocation: allocation},
			status:  resourcev1.ResourceClaimStatus{Allocation: allocation, ReservedFor: []resourcev1.ResourceClaimConsumerReference{pod}},
			deleted: true,
			want:    []fieldError{forbidden("status.reservedFor")},
		},
		{
			name:   "allocation is immutable",
			old:    resourcev1.ResourceClaimStatus{Allocation: &resourcev1.AllocationResult{}},
			status: resourcev1.ResourceClaimStatus{Allocation: allocation},
			want:   []fieldError{invalid("status.allocation")},
		},
		{
			name: "bad results and config",
			status: resourcev1.ResourceClaimStatus{Allocation: &resourcev1.AllocationResult{Devices: resourcev1.DeviceAllocationResult{
				Results: []resourcev1.DeviceRequestAllocationResult{{Request: "other", Driver: "dra.example.com", Pool: "a//b", Device: "gpu-0",
					ShareID: ptr.To[types.UID]("ABC")}},
				Config: []resourcev1.DeviceAllocationConfiguration{{Source: "Somewhere", DeviceConfiguration: opaque("dra.example.com", `{}`)}},
			}}},
			want: []fieldError{
				invalid("status.allocation.devices.results[0].request"),
				invalid("status.allocation.devices.results[0].pool"),
				invalid("status.allocation.devices.results[0].shareID"),
				notSupported("status.allocation.devices.config[0].source"),
			},
		},
		{
			name: "device status of a device not allocated",
			status: resourcev1.ResourceClaimStatus{Allocation: allocation, Devices: []resourcev1.AllocatedDeviceStatus{
				{Driver: "dra.example.com", Pool: "node-1", Device: "gpu-0", NetworkData: &resourcev1.NetworkDeviceData{IPs: []string{"10.0.0.1/24"}}},
				{Driver: "dra.example.com", Pool: "node-1", Device: "gpu-1", NetworkData: &resourcev1.NetworkDeviceData{IPs: []string{"10.0.0.1"}}},
			}},
			want: []fieldError{invalid("status.devices[1]"), invalid("status.devices[1].networkData.ips[0]")},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			old := claim()
			old.Status = tc.old
			c := old.DeepCopy()
			c.Status = tc.status
			if tc.deleted {
				now := metav1.Now()
				old.DeletionTimestamp, c.DeletionTimestamp = &now, &now
			}
			wantErrors(t, tc.want, ValidateResourceClaimStatusUpdate(c, old))
		})
	}
}

func TestValidateResourceClaimTemplate(t *testing.T) {
	template := func() *resourcev1.ResourceClaimTemplate {
		return &resourcev1.ResourceClaimTemplate{
			ObjectMeta: metav1.ObjectMeta{Name: "test", Namespace: "default", ResourceVersion: "1"},
			Spec: resourcev1.ResourceClaimTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"app": "gpu"}},
				Spec:       claimSpec(),
			},
		}
	}
	wantErrors(t, nil, ValidateResourceClaimTemplate(template()))

	bad := template()
	bad.Spec.Name, bad.Spec.Namespace = "fixed", "other"
	bad.Spec.Spec.Devices.Requests[0].Exactly.DeviceClassName = ""
	wantErrors(t, []fieldError{
		forbidden("spec.metadata.name"), forbidden("spec.metadata.namespace"),
		required("spec.spec.devices.requests[0].exactly.deviceClassName"),
	}, ValidateResourceClaimTemplate(bad))

	old, updated := template(), template()
	updated.Labels = map[string]string{"a": "b"}
	wantErrors(t, nil, ValidateResourceClaimTemplateUpdate(updated, old))
	updated.Spec.Labels["app"] = "cpu"
	wantErrors(t, []fieldError{invalid("spec")}, ValidateResourceClaimTemplateUpdate(updated, old))
}

func TestValidateResourceSlice(t *testing.T) {
	version := func(v string) resourcev1.DeviceAttribute { return resourcev1.DeviceAttribute{VersionValue: &v} }
	for _, tc := range []struct {
		name   string
		mutate func(*resourcev1.ResourceSliceSpec)
		want   []fieldError
	}{
		{name: "valid", mutate: func(*resourcev1.ResourceSliceSpec) {}},
		{
			name: "devices with attributes and capacity",
			mutate: func(s *resourcev1.ResourceSliceSpec) {
				s.Devices = []resourcev1.Device{{Name: "gpu-0", Attributes: map[resourcev1.QualifiedName]resourcev1.DeviceAttribute{
					"model": {StringValue: ptr.To("a100")}, "dra.example.com/driverVersion": version("1.2.3-rc.1+build.5"),
				}}}
			},
		},
		{
			name: "driver and pool",
			mutate: func(s *resourcev1.ResourceSliceSpec) {
				s.Driver, s.Pool = "", resourcev1.ResourcePool{Generation: -1}
			},
			want: []fieldError{
				required("spec.driver"), required("spec.pool.name"),
				invalid("spec.pool.resourceSliceCount"), invalid("spec.pool.generation"),
			},
		},
		{
			name:   "no node selection",
			mutate: func(s *resourcev1.ResourceSliceSpec) { s.NodeName = nil },
			want:   []fieldError{required("spec")},
		},
		{
			name:   "empty node name",
			mutate: func(s *resourcev1.ResourceSliceSpec) { s.NodeName = ptr.To("") },
			want:   []fieldError{invalid("spec.nodeName"), required("spec")},
		},
		{
			name:   "node name and all nodes",
			mutate: func(s *resourcev1.ResourceSliceSpec) { s.AllNodes = ptr.To(true) },
			want:   []fieldError{invalid("spec")},
		},
		{
			name: "shared counters and devices",
			mutate: func(s *resourcev1.ResourceSliceSpec) {
				s.Devices = []resourcev1.Device{{Name: "gpu-0"}}
				s.SharedCounters = []resourcev1.CounterSet{{Name: "memory"}}
			},
			want: []fieldError{invalid("spec"), required("spec.sharedCounters[0].counters")},
		},
		{
			name: "bad devices",
			mutate: func(s *resourcev1.ResourceSliceSpec) {
				s.Devices = []resourcev1.Device{
					{Name: "gpu-0", Attributes: map[resourcev1.QualifiedName]resourcev1.DeviceAttribute{
						"empty":      {},
						"bad-name":   {IntValue: ptr.To[int64](1)},
						"version":    version("1.2"),
						"two-values": {IntValue: ptr.To[int64](1), BoolValue: ptr.To(true)},
					}},
					{Name: "gpu-0", Taints: []resourcev1.DeviceTaint{{Key: "example.com/broken"}}},
					{Name: "gpu-2", NodeName: ptr.To("node-1")},
				}
			},
			want: []fieldError{
				invalid("spec.devices[0].attributes"),
				invalid("spec.devices[0].attributes[empty]"),
				invalid("spec.devices[0].attributes"),
				invalid("spec.devices[0].attributes[two-values]"),
				invalid("spec.devices[0].attributes[version].version"),
				required("spec.devices[1].taints[0].effect"),
				invalid("spec.devices[2]"),
				duplicate("spec.devices[1]"),
			},
		},
		{
			name: "per-device node selection",
			mutate: func(s *resourcev1.ResourceSliceSpec) {
				s.NodeName, s.PerDeviceNodeSelection = nil, ptr.To(true)
				s.Devices = []resourcev1.Device{{Name: "gpu-0", AllNodes: ptr.To(true)}, {Name: "gpu-1"}}
			},
			want: []fieldError{required("spec.devices[1]")},
		},
		{
			name: "too many devices",
			mutate: func(s *resourcev1.ResourceSliceSpec) {
				s.Devices = make([]resourcev1.Device, resourcev1.ResourceSliceMaxDevices+1)
			},
			want: []fieldError{tooMany("spec.devices")},
		},
		{
			name: "request policy without multiple allocations",
			mutate: func(s *resourcev1.ResourceSliceSpec) {
				s.Devices = []resourcev1.Device{{Name: "gpu-0", Capacity: map[resourcev1.QualifiedName]resourcev1.DeviceCapacity{
					"memory": {RequestPolicy: &resourcev1.CapacityRequestPolicy{}},
				}}}
			},
			want: []fieldError{forbidden("spec.devices[0].capacity[memory].requestPolicy")},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := &resourcev1.ResourceSlice{ObjectMeta: metav1.ObjectMeta{Name: "test"}, Spec: resourcev1.ResourceSliceSpec{
				Driver: "dra.example.com", NodeName: ptr.To("no-such-node"),
				Pool: resourcev1.ResourcePool{Name: "cluster", Generation: 1, ResourceSliceCount: 1},
			}}
			tc.mutate(&s.Spec)
			wantErrors(t, tc.want, ValidateResourceSlice(s))
		})
	}

	t.Run("driver, pool name and node name are immutable", func(t *testing.T) {
		old := &resourcev1.ResourceSlice{ObjectMeta: metav1.ObjectMeta{Name: "test", ResourceVersion: "1"}, Spec: resourcev1.ResourceSliceSpec{
			Driver: "dra.example.com", NodeName: ptr.To("node-1"), Pool: resourcev1.ResourcePool{Name: "cluster", ResourceSliceCount: 1},
		}}
		s := old.DeepCopy()
		s.Spec.Devices = []resourcev1.Device{{Name: "device-0"}}
		s.Spec.Pool.Generation = 2
		wantErrors(t, nil, ValidateResourceSliceUpdate(s, old))
		s.Spec.Driver, s.Spec.Pool.Name, s.Spec.NodeName = "other.example.com", "other", ptr.To("node-2")
		wantErrors(t, []fieldError{invalid("spec.pool.name"), invalid("spec.driver"), invalid("spec.nodeName")}, ValidateResourceSliceUpdate(s, old))
	})
}

func TestValidateDeviceTaintRule(t *testing.T) {
	rule := func() *resourcev1.DeviceTaintRule {
		return &resourcev1.DeviceTaintRule{ObjectMeta: metav1.ObjectMeta{Name: "test", ResourceVersion: "1"}, Spec: resourcev1.DeviceTaintRuleSpec{
			Taint: resourcev1.DeviceTaint{Key: "testing", Effect: resourcev1.DeviceTaintEffectNone},
		}}
	}
	for _, tc := range []struct {
		name   string
		mutate func(*resourcev1.DeviceTaintRuleSpec)
		want   []fieldError
	}{
		{name: "valid, no selector", mutate: func(*resourcev1.DeviceTaintRuleSpec) {}},
		{
			name: "selector",
			mutate: func(s *resourcev1.DeviceTaintRuleSpec) {
				s.DeviceSelector = &resourcev1.DeviceTaintSelector{Driver: ptr.To("dra.example.com"), Pool: ptr.To("node-1/gpus"), Device: ptr.To("gpu-0")}
			},
		},
		{
			name: "bad selector",
			mutate: func(s *resourcev1.DeviceTaintRuleSpec) {
				s.DeviceSelector = &resourcev1.DeviceTaintSelector{Driver: ptr.To(""), Pool: ptr.To("Pool"), Device: ptr.To("gpu.0")}
			},
			want: []fieldError{required("spec.deviceSelector.driver"), invalid("spec.deviceSelector.pool"), invalid("spec.deviceSelector.device")},
		},
		{
			name: "bad taint",
			mutate: func(s *resourcev1.DeviceTaintRuleSpec) {
				s.Taint = resourcev1.DeviceTaint{Key: "", Value: "not valid", Effect: "Evict"}
			},
			// An empty key is both empty and malformed, as upstream reports it.
			want: []fieldError{invalid("spec.taint.key"), invalid("spec.taint.key"), invalid("spec.taint.value"), notSupported("spec.taint.effect")},
		},
		{
			name:   "no effect",
			mutate: func(s *resourcev1.DeviceTaintRuleSpec) { s.Taint.Effect = "" },
			want:   []fieldError{required("spec.taint.effect")},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := rule()
			tc.mutate(&r.Spec)
			wantErrors(t, tc.want, ValidateDeviceTaintRule(r))
		})
	}

	t.Run("an unknown stored effect may stay", func(t *testing.T) {
		old := rule()
		old.Spec.Taint.Effect = "FromTheFuture"
		r := old.DeepCopy()
		r.Spec.Taint.Value = "v2"
		wantErrors(t, nil, ValidateDeviceTaintRuleUpdate(r, old))
		r.Spec.Taint.Effect = "AlsoUnknown"
		wantErrors(t, []fieldError{notSupported("spec.taint.effect")}, ValidateDeviceTaintRuleUpdate(r, old))
	})

	t.Run("status conditions", func(t *testing.T) {
		old := rule()
		r := old.DeepCopy()
		r.Status.Conditions = []metav1.Condition{{Type: "Testing", Status: metav1.ConditionTrue, LastTransitionTime: metav1.Now(), Reason: "E2E_test_running", Message: "m"}}
		wantErrors(t, nil, ValidateDeviceTaintRuleStatusUpdate(r, old))
		r.Status.Conditions[0].Status = "Maybe"
		for i := range resourcev1.DeviceTaintRuleStatusMaxConditions {
			r.Status.Conditions = append(r.Status.Conditions, metav1.Condition{Type: fmt.Sprintf("T%d", i), Status: metav1.ConditionFalse, LastTransitionTime: metav1.Now(), Reason: "R"})
		}
		wantErrors(t, []fieldError{notSupported("status.conditions[0].status"), tooMany("status.conditions")}, ValidateDeviceTaintRuleStatusUpdate(r, old))
	})
}

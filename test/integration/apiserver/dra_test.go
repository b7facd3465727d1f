package apiserver

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	resourcev1 "k8s.io/api/resource/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/watch"
	resourcev1apply "k8s.io/client-go/applyconfigurations/resource/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/utils/ptr"

	"github.com/kubeshim/kubeshim/test/integration/framework"
)

// TestDRAResources runs each resource.k8s.io/v1 kind through what upstream's
// "[sig-node] [DRA] CRUD Tests" conformance tests do, with the objects they
// use: create, get, list, update, status, patch, delete.
func TestDRAResources(t *testing.T) {
	ctx := context.Background()
	client := kubernetes.NewForConfigOrDie(framework.Shared(t))
	ns := framework.Namespace(t, client)
	dra := client.ResourceV1()
	// Cluster-scoped objects are named after the test's namespace, so that
	// reruns against the shared server do not collide.
	label := map[string]string{"e2e-test.kubernetes.io": ns}
	named := func(name string) metav1.ObjectMeta {
		return metav1.ObjectMeta{Name: name + "-" + ns, Labels: label}
	}
	listOpts := metav1.ListOptions{LabelSelector: "e2e-test.kubernetes.io=" + ns}

	t.Run("discovery", func(t *testing.T) {
		list, err := client.Discovery().ServerResourcesForGroupVersion("resource.k8s.io/v1")
		if err != nil {
			t.Fatalf("discovery: %v", err)
		}
		var names []string
		for _, r := range list.APIResources {
			names = append(names, r.Name)
		}
		slices.Sort(names)
		want := []string{"deviceclasses", "devicetaintrules", "devicetaintrules/status", "resourceclaims", "resourceclaims/status", "resourceclaimtemplates", "resourceslices"}
		if diff := cmp.Diff(want, names); diff != "" {
			t.Errorf("resources (-want +got):\n%s", diff)
		}
	})

	t.Run("deviceclasses", func(t *testing.T) {
		classes := dra.DeviceClasses()
		dc, err := classes.Create(ctx, &resourcev1.DeviceClass{ObjectMeta: named("test"), Spec: resourcev1.DeviceClassSpec{
			Selectors: []resourcev1.DeviceSelector{{CEL: &resourcev1.CELDeviceSelector{Expression: "false"}}},
		}}, metav1.CreateOptions{FieldValidation: "Strict"})
		if err != nil {
			t.Fatalf("create: %v", err)
		}
		if dc.Generation != 1 {
			t.Errorf("generation after create = %d, want 1", dc.Generation)
		}
		dc.Spec.Selectors[0].CEL.Expression = "1 == 0"
		if dc, err = classes.Update(ctx, dc, metav1.UpdateOptions{}); err != nil {
			t.Fatalf("update: %v", err)
		}
		if dc.Generation != 2 {
			t.Errorf("generation after a spec change = %d, want 2", dc.Generation)
		}
		patch := []byte(`{"spec": {"selectors": [{"cel": {"expression": "2 == 0"}}]}}`)
		if dc, err = classes.Patch(ctx, dc.Name, types.StrategicMergePatchType, patch, metav1.PatchOptions{FieldValidation: "Strict"}); err != nil {
			t.Fatalf("strategic merge patch: %v", err)
		}
		if got := dc.Spec.Selectors[0].CEL.Expression; got != "2 == 0" {
			t.Errorf("expression after patch = %q", got)
		}
		bad := &resourcev1.DeviceClass{ObjectMeta: named("bad"), Spec: resourcev1.DeviceClassSpec{Selectors: []resourcev1.DeviceSelector{{}}}}
		if _, err := classes.Create(ctx, bad, metav1.CreateOptions{}); !apierrors.IsInvalid(err) {
			t.Errorf("selector without CEL: err = %v, want 422", err)
		}
		deleteCollection(ctx, t, classes.DeleteCollection, classes.List, listOpts)
	})

	t.Run("resourceclaims", func(t *testing.T) {
		claims := dra.ResourceClaims(ns)
		newClaim := func(name string) *resourcev1.ResourceClaim {
			return &resourcev1.ResourceClaim{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: label}, Spec: resourcev1.ResourceClaimSpec{
				Devices: resourcev1.DeviceClaim{Requests: []resourcev1.DeviceRequest{{
					Name: "req-0", Exactly: &resourcev1.ExactDeviceRequest{DeviceClassName: "dra.example.com"},
				}}},
			}}
		}
		c := newClaim("test")
		c.Status.Allocation = &resourcev1.AllocationResult{} // dropped on create
		c, err := claims.Create(ctx, c, metav1.CreateOptions{FieldValidation: "Strict"})
		if err != nil {
			t.Fatalf("create: %v", err)
		}
		exact := c.Spec.Devices.Requests[0].Exactly
		if exact.AllocationMode != resourcev1.DeviceAllocationModeExactCount || exact.Count != 1 || c.Generation != 0 || c.Status.Allocation != nil {
			t.Errorf("created claim: mode %q count %d generation %d allocation %v; want ExactCount, 1, 0, none",
				exact.AllocationMode, exact.Count, c.Generation, c.Status.Allocation)
		}

		// The spec is immutable; labels are not.
		changed := c.DeepCopy()
		changed.Spec.Devices.Requests[0].Exactly.Count = 2
		if _, err := claims.Update(ctx, changed, metav1.UpdateOptions{}); !apierrors.IsInvalid(err) {
			t.Errorf("spec update: err = %v, want 422", err)
		}
		c.Labels["test.dra.example.com"] = "test"
		c.Status.Allocation = &resourcev1.AllocationResult{} // ignored by the main resource
		if c, err = claims.Update(ctx, c, metav1.UpdateOptions{}); err != nil {
			t.Fatalf("label update: %v", err)
		}
		if c.Status.Allocation != nil {
			t.Errorf("allocation written through the main resource")
		}

		// Status goes through /status, which leaves the spec alone.
		c.Status.Allocation = &resourcev1.AllocationResult{}
		c.Spec.Devices.Requests[0].Exactly.Count = 5
		if c, err = claims.UpdateStatus(ctx, c, metav1.UpdateOptions{}); err != nil {
			t.Fatalf("update status: %v", err)
		}
		if c.Status.Allocation == nil || c.Spec.Devices.Requests[0].Exactly.Count != 1 {
			t.Errorf("after /status: allocation %v, count %d; want an allocation and count 1", c.Status.Allocation, c.Spec.Devices.Requests[0].Exactly.Count)
		}
		c.Status.ReservedFor = []resourcev1.ResourceClaimConsumerReference{{Resource: "pods", Name: "p", UID: "uid-1"}}
		if c, err = claims.UpdateStatus(ctx, c, metav1.UpdateOptions{}); err != nil {
			t.Fatalf("reserve: %v", err)
		}
		c.Status.Allocation.NodeSelector = nil
		c.Status.Allocation.Devices.Results = []resourcev1.DeviceRequestAllocationResult{{Request: "req-0", Driver: "dra.example.com", Pool: "p", Device: "d"}}
		if _, err := claims.UpdateStatus(ctx, c, metav1.UpdateOptions{}); !apierrors.IsInvalid(err) {
			t.Errorf("changing an allocation: err = %v, want 422", err)
		}

		// The conformance test's status patches, each on a fresh claim.
		for _, p := range []struct {
			name string
			pt   types.PatchType
			data string
		}{
			{"strategic", types.StrategicMergePatchType, `{"status": {"allocation": {}}}`},
			{"merge", types.MergePatchType, `{"status": {"allocation": {}}}`},
			{"json", types.JSONPatchType, `[{"op": "add", "path": "/status/allocation", "value": {}}]`},
		} {
			if _, err := claims.Create(ctx, newClaim(p.name), metav1.CreateOptions{}); err != nil {
				t.Fatalf("create %s: %v", p.name, err)
			}
			got, err := claims.Patch(ctx, p.name, p.pt, []byte(p.data), metav1.PatchOptions{FieldValidation: "Strict"}, "status")
			if err != nil {
				t.Fatalf("%s patch of status: %v", p.name, err)
			}
			if got.Status.Allocation == nil {
				t.Errorf("%s patch of status: no allocation", p.name)
			}
		}
		if _, err := claims.Create(ctx, newClaim("apply"), metav1.CreateOptions{}); err != nil {
			t.Fatalf("create: %v", err)
		}
		applied, err := claims.Apply(ctx, resourcev1apply.ResourceClaim("apply", ns).WithLabels(map[string]string{"test.dra.example.com": "test"}),
			metav1.ApplyOptions{FieldManager: "test-apply", Force: true})
		if err != nil || applied.Labels["test.dra.example.com"] != "test" {
			t.Fatalf("apply labels: %v, labels %v", err, applied.Labels)
		}
		applied, err = claims.ApplyStatus(ctx, resourcev1apply.ResourceClaim("apply", ns).WithStatus(
			resourcev1apply.ResourceClaimStatus().WithAllocation(resourcev1apply.AllocationResult())),
			metav1.ApplyOptions{FieldManager: "test-apply", Force: true})
		if err != nil || applied.Status.Allocation == nil {
			t.Fatalf("apply status: %v, allocation %v", err, applied.Status.Allocation)
		}

		// Listing across namespaces finds them; deleting the collection
		// removes them.
		all, err := dra.ResourceClaims("").List(ctx, listOpts)
		if err != nil || len(all.Items) != 5 {
			t.Fatalf("list in all namespaces: %d items, err %v; want 5", len(all.Items), err)
		}
		deleteCollection(ctx, t, claims.DeleteCollection, claims.List, listOpts)
	})

	t.Run("resourceclaimtemplates", func(t *testing.T) {
		templates := dra.ResourceClaimTemplates(ns)
		rct, err := templates.Create(ctx, &resourcev1.ResourceClaimTemplate{ObjectMeta: metav1.ObjectMeta{Name: "test", Labels: label},
			Spec: resourcev1.ResourceClaimTemplateSpec{Spec: resourcev1.ResourceClaimSpec{Devices: resourcev1.DeviceClaim{
				Requests: []resourcev1.DeviceRequest{{Name: "req-0", Exactly: &resourcev1.ExactDeviceRequest{DeviceClassName: "dra.example.com"}}},
			}}}}, metav1.CreateOptions{FieldValidation: "Strict"})
		if err != nil {
			t.Fatalf("create: %v", err)
		}
		if got := rct.Spec.Spec.Devices.Requests[0].Exactly.Count; got != 1 {
			t.Errorf("defaulted count = %d, want 1", got)
		}
		changed := rct.DeepCopy()
		changed.Spec.ObjectMeta.Labels = map[string]string{"a": "b"}
		if _, err := templates.Update(ctx, changed, metav1.UpdateOptions{}); !apierrors.IsInvalid(err) {
			t.Errorf("spec update: err = %v, want 422", err)
		}
		rct.Labels["test.dra.example.com"] = "test"
		if _, err := templates.Update(ctx, rct, metav1.UpdateOptions{}); err != nil {
			t.Fatalf("label update: %v", err)
		}
		if err := templates.Delete(ctx, "test", metav1.DeleteOptions{}); err != nil {
			t.Fatalf("delete: %v", err)
		}
		if _, err := templates.Get(ctx, "test", metav1.GetOptions{}); !apierrors.IsNotFound(err) {
			t.Errorf("after delete: err = %v, want 404", err)
		}
	})

	t.Run("resourceslices", func(t *testing.T) {
		slicesClient := dra.ResourceSlices()
		driver := "dra-" + ns + ".example.com"
		w, err := slicesClient.Watch(ctx, metav1.ListOptions{FieldSelector: "spec.driver=" + driver})
		if err != nil {
			t.Fatalf("watch: %v", err)
		}
		defer w.Stop()
		s, err := slicesClient.Create(ctx, &resourcev1.ResourceSlice{ObjectMeta: named("test"), Spec: resourcev1.ResourceSliceSpec{
			Driver: driver, NodeName: ptr.To("no-such-node"),
			Pool: resourcev1.ResourcePool{Name: "cluster", Generation: 1, ResourceSliceCount: 1},
		}}, metav1.CreateOptions{FieldValidation: "Strict"})
		if err != nil {
			t.Fatalf("create: %v", err)
		}
		select {
		case ev := <-w.ResultChan():
			if ev.Type != watch.Added {
				t.Errorf("first watch event = %s, want ADDED", ev.Type)
			}
		case <-time.After(10 * time.Second):
			t.Errorf("no watch event for the new slice")
		}
		s.Spec.Devices = []resourcev1.Device{{Name: "device-0"}}
		if s, err = slicesClient.Update(ctx, s, metav1.UpdateOptions{}); err != nil {
			t.Fatalf("update: %v", err)
		}
		if s.Generation != 2 {
			t.Errorf("generation after a spec change = %d, want 2", s.Generation)
		}
		moved := s.DeepCopy()
		moved.Spec.NodeName = ptr.To("other-node")
		if _, err := slicesClient.Update(ctx, moved, metav1.UpdateOptions{}); !apierrors.IsInvalid(err) {
			t.Errorf("node name change: err = %v, want 422", err)
		}
		for _, sel := range []string{"spec.nodeName=no-such-node,spec.driver=" + driver, "spec.pool.name=cluster,spec.driver=" + driver} {
			list, err := slicesClient.List(ctx, metav1.ListOptions{FieldSelector: sel})
			if err != nil || len(list.Items) != 1 {
				t.Errorf("list %s: %d items, err %v; want 1", sel, len(list.Items), err)
			}
		}
		if _, err := slicesClient.List(ctx, metav1.ListOptions{FieldSelector: "spec.devices=x"}); !apierrors.IsBadRequest(err) {
			t.Errorf("unknown field selector: err = %v, want 400", err)
		}
		deleteCollection(ctx, t, slicesClient.DeleteCollection, slicesClient.List, listOpts)
	})

	t.Run("devicetaintrules", func(t *testing.T) {
		rules := dra.DeviceTaintRules()
		r, err := rules.Create(ctx, &resourcev1.DeviceTaintRule{ObjectMeta: named("test"), Spec: resourcev1.DeviceTaintRuleSpec{
			Taint: resourcev1.DeviceTaint{Key: "testing", Effect: resourcev1.DeviceTaintEffectNone},
		}}, metav1.CreateOptions{FieldValidation: "Strict"})
		if err != nil {
			t.Fatalf("create: %v", err)
		}
		if r.Spec.Taint.TimeAdded == nil || r.Generation != 1 {
			t.Errorf("created rule: timeAdded %v generation %d; want a time and 1", r.Spec.Taint.TimeAdded, r.Generation)
		}
		r.Spec.Taint.Effect = resourcev1.DeviceTaintEffectNoExecute
		if r, err = rules.Update(ctx, r, metav1.UpdateOptions{}); err != nil {
			t.Fatalf("update: %v", err)
		}
		if r.Generation != 2 || r.Spec.Taint.Effect != resourcev1.DeviceTaintEffectNoExecute {
			t.Errorf("updated rule: generation %d effect %q; want 2 and NoExecute", r.Generation, r.Spec.Taint.Effect)
		}
		cond := metav1.Condition{Type: "Testing", Status: metav1.ConditionTrue, LastTransitionTime: metav1.Now(),
			Reason: "E2E_test_running", Message: "This condition can be ignored."}
		r.Status.Conditions = []metav1.Condition{cond}
		if r, err = rules.UpdateStatus(ctx, r, metav1.UpdateOptions{}); err != nil {
			t.Fatalf("update status: %v", err)
		}
		if len(r.Status.Conditions) != 1 {
			t.Errorf("conditions after /status = %v", r.Status.Conditions)
		}
		r.Status.Conditions = nil
		r.Labels["test"] = "yes"
		if r, err = rules.Update(ctx, r, metav1.UpdateOptions{}); err != nil {
			t.Fatalf("update: %v", err)
		}
		if len(r.Status.Conditions) != 1 {
			t.Errorf("the main resource changed the status: %v", r.Status.Conditions)
		}
		patch := []byte(`{"status": {"conditions": [{"type": "Other", "status": "False", "lastTransitionTime": "2026-01-01T00:00:00Z", "reason": "R", "message": ""}]}}`)
		if r, err = rules.Patch(ctx, r.Name, types.StrategicMergePatchType, patch, metav1.PatchOptions{FieldValidation: "Strict"}, "status"); err != nil {
			t.Fatalf("strategic merge patch of status: %v", err)
		}
		if len(r.Status.Conditions) != 2 {
			t.Errorf("conditions after merging one more by type = %d, want 2", len(r.Status.Conditions))
		}
		deleteCollection(ctx, t, rules.DeleteCollection, rules.List, listOpts)
	})
}

// deleteCollection deletes the labeled objects and checks that none is left.
func deleteCollection[L runtime.Object](ctx context.Context, t *testing.T,
	del func(context.Context, metav1.DeleteOptions, metav1.ListOptions) error,
	list func(context.Context, metav1.ListOptions) (L, error), opts metav1.ListOptions) {
	t.Helper()
	if err := del(ctx, metav1.DeleteOptions{}, opts); err != nil {
		t.Fatalf("delete collection: %v", err)
	}
	left, err := list(ctx, opts)
	if err != nil {
		t.Fatalf("list after delete collection: %v", err)
	}
	if n := meta.LenList(left); n != 0 {
		t.Errorf("%d objects left after delete collection", n)
	}
}

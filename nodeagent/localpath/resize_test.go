package localpath

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func TestResize(t *testing.T) {
	modifying := corev1.PersistentVolumeClaimCondition{Type: corev1.PersistentVolumeClaimVolumeModifyingVolume, Status: corev1.ConditionTrue}
	type result struct {
		VolumeSize, ClaimSize, Allocated string
		Statuses                         map[corev1.ResourceName]corev1.ClaimResourceStatus
		Conditions                       []corev1.PersistentVolumeClaimConditionType
		Events                           []string
	}
	grown := result{
		VolumeSize: "3Gi", ClaimSize: "3Gi", Allocated: "3Gi",
		Conditions: []corev1.PersistentVolumeClaimConditionType{corev1.PersistentVolumeClaimVolumeModifyingVolume},
		Events: []string{
			"Normal Resizing External resizer is resizing volume pvc-uid-c",
			"Normal VolumeResizeSuccessful Resize volume succeeded",
		},
	}
	untouched := result{VolumeSize: "2Gi", ClaimSize: "2Gi",
		Conditions: []corev1.PersistentVolumeClaimConditionType{corev1.PersistentVolumeClaimVolumeModifyingVolume, corev1.PersistentVolumeClaimFileSystemResizePending}}
	tests := []struct {
		name    string
		request string
		claim   func(*corev1.PersistentVolumeClaim)
		volume  func(*corev1.PersistentVolume)
		want    result
	}{
		{name: "a claim that asks for more", request: "3Gi", want: grown},
		{name: "a claim that has what it asks for", request: "2Gi", want: untouched},
		{name: "another node's volume", request: "3Gi", want: untouched, volume: func(pv *corev1.PersistentVolume) {
			pv.Spec.NodeAffinity.Required.NodeSelectorTerms[0].MatchExpressions[0].Values = []string{"node-b-host"}
		}},
		{name: "another provisioner's volume", request: "3Gi", want: untouched, volume: func(pv *corev1.PersistentVolume) {
			pv.Annotations[annProvisionedBy] = "example.com/other"
		}},
		{name: "a volume bound to another claim", request: "3Gi", want: untouched, volume: func(pv *corev1.PersistentVolume) {
			pv.Spec.ClaimRef.UID = "uid-other"
		}},
		{name: "a claim not bound yet", request: "3Gi", want: untouched, claim: func(c *corev1.PersistentVolumeClaim) {
			c.Status.Phase = corev1.ClaimPending
		}},
		{
			name: "a retry after the volume grew", request: "3Gi",
			claim: func(c *corev1.PersistentVolumeClaim) {
				c.Status.AllocatedResources = corev1.ResourceList{corev1.ResourceStorage: resource.MustParse("3Gi")}
				c.Status.AllocatedResourceStatuses = map[corev1.ResourceName]corev1.ClaimResourceStatus{
					corev1.ResourceStorage: corev1.PersistentVolumeClaimControllerResizeInProgress}
			},
			volume: func(pv *corev1.PersistentVolume) {
				pv.Spec.Capacity[corev1.ResourceStorage] = resource.MustParse("3Gi")
			},
			want: result{VolumeSize: "3Gi", ClaimSize: "3Gi", Allocated: "3Gi", Conditions: grown.Conditions,
				Events: []string{"Normal VolumeResizeSuccessful Resize volume succeeded"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, wffc, node(thisNode), claim("c", Name, thisNode))
			ctx := context.Background()
			if err := e.p.syncClaim(ctx, ns, "c"); err != nil {
				t.Fatal(err)
			}
			pv, err := e.client.CoreV1().PersistentVolumes().Get(ctx, "pvc-uid-c", metav1.GetOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if tt.volume != nil {
				tt.volume(pv)
				if pv, err = e.client.CoreV1().PersistentVolumes().Update(ctx, pv, metav1.UpdateOptions{}); err != nil {
					t.Fatal(err)
				}
			}
			// The PV controller's binding, then the user's request.
			c, err := e.client.CoreV1().PersistentVolumeClaims(ns).Get(ctx, "c", metav1.GetOptions{})
			if err != nil {
				t.Fatal(err)
			}
			c.Spec.VolumeName = pv.Name
			c.Spec.Resources.Requests[corev1.ResourceStorage] = resource.MustParse(tt.request)
			c.Status.Phase = corev1.ClaimBound
			c.Status.Capacity = corev1.ResourceList{corev1.ResourceStorage: resource.MustParse("2Gi")}
			c.Status.Conditions = []corev1.PersistentVolumeClaimCondition{modifying,
				{Type: corev1.PersistentVolumeClaimFileSystemResizePending, Status: corev1.ConditionTrue}}
			if tt.claim != nil {
				tt.claim(c)
			}
			if c, err = e.client.CoreV1().PersistentVolumeClaims(ns).Update(ctx, c, metav1.UpdateOptions{}); err != nil {
				t.Fatal(err)
			}
			waitFor(t, func() bool {
				gc, err1 := e.p.claims.PersistentVolumeClaims(ns).Get("c")
				gv, err2 := e.p.volumes.Get(pv.Name)
				// The fake does not move resource versions on.
				return err1 == nil && err2 == nil && cmp.Equal(gc.Spec, c.Spec) && cmp.Equal(gc.Status, c.Status) && cmp.Equal(gv.Spec, pv.Spec) && cmp.Equal(gv.Annotations, pv.Annotations)
			})
			e.events() // provisioning's
			if err := e.p.syncClaim(ctx, ns, "c"); err != nil {
				t.Fatal(err)
			}

			pv, err = e.client.CoreV1().PersistentVolumes().Get(ctx, pv.Name, metav1.GetOptions{})
			if err != nil {
				t.Fatal(err)
			}
			c, err = e.client.CoreV1().PersistentVolumeClaims(ns).Get(ctx, "c", metav1.GetOptions{})
			if err != nil {
				t.Fatal(err)
			}
			got := result{Statuses: c.Status.AllocatedResourceStatuses, Events: e.events()}
			vs, cs := pv.Spec.Capacity[corev1.ResourceStorage], c.Status.Capacity[corev1.ResourceStorage]
			got.VolumeSize, got.ClaimSize = vs.String(), cs.String()
			if a, ok := c.Status.AllocatedResources[corev1.ResourceStorage]; ok {
				got.Allocated = a.String()
			}
			for _, cond := range c.Status.Conditions {
				got.Conditions = append(got.Conditions, cond.Type)
			}
			if diff := cmp.Diff(tt.want, got, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("after sync (-want +got):\n%s", diff)
			}
		})
	}
}

func TestWithResizeCondition(t *testing.T) {
	then := metav1.NewTime(metav1.Now().Add(-3600e9).Truncate(1e9))
	now := metav1.Now()
	other := corev1.PersistentVolumeClaimCondition{Type: corev1.PersistentVolumeClaimVolumeModifyingVolume, Status: corev1.ConditionTrue}
	resizing := func(at metav1.Time) corev1.PersistentVolumeClaimCondition {
		return corev1.PersistentVolumeClaimCondition{Type: corev1.PersistentVolumeClaimResizing, Status: corev1.ConditionTrue, LastTransitionTime: at}
	}
	pending := corev1.PersistentVolumeClaimCondition{Type: corev1.PersistentVolumeClaimFileSystemResizePending, Status: corev1.ConditionTrue}
	tests := []struct {
		name string
		in   []corev1.PersistentVolumeClaimCondition
		add  *corev1.PersistentVolumeClaimCondition
		want []corev1.PersistentVolumeClaimCondition
	}{
		{name: "added", in: []corev1.PersistentVolumeClaimCondition{other}, add: ptrTo(resizing(now)), want: []corev1.PersistentVolumeClaimCondition{other, resizing(now)}},
		{name: "the same keeps its time", in: []corev1.PersistentVolumeClaimCondition{resizing(then), other}, add: ptrTo(resizing(now)), want: []corev1.PersistentVolumeClaimCondition{other, resizing(then)}},
		{name: "other resize conditions go", in: []corev1.PersistentVolumeClaimCondition{pending, other}, add: ptrTo(resizing(now)), want: []corev1.PersistentVolumeClaimCondition{other, resizing(now)}},
		{name: "all resize conditions go", in: []corev1.PersistentVolumeClaimCondition{pending, resizing(then), other}, want: []corev1.PersistentVolumeClaimCondition{other}},
		{name: "none", want: nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, withResizeCondition(tt.in, tt.add)); diff != "" {
				t.Errorf("conditions (-want +got):\n%s", diff)
			}
		})
	}
}

func ptrTo[T any](v T) *T { return &v }

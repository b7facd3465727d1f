package statefulset

import (
	"context"
	"sort"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/ptr"
)

const (
	retain = appsv1.RetainPersistentVolumeClaimRetentionPolicyType
	del    = appsv1.DeletePersistentVolumeClaimRetentionPolicyType
)

// owners summarises a claim's ownerReferences as "Kind/name".
func owners(c *corev1.PersistentVolumeClaim) []string {
	var out []string
	for _, r := range c.OwnerReferences {
		out = append(out, r.Kind+"/"+r.Name)
	}
	sort.Strings(out)
	return out
}

// TestClaims follows a set with a claim template through creation and a
// scale down under each retention policy: claims come before their pods,
// and their owners say what the garbage collector will delete.
func TestClaims(t *testing.T) {
	tests := []struct {
		name                   string
		whenScaled, whenDelete appsv1.PersistentVolumeClaimRetentionPolicyType
		// wantOwners of data-web-0 and data-web-1 while both pods run,
		// and of data-web-1 once web-1 is scaled away.
		wantRunning, wantScaled []string
	}{
		{name: "Retain, Retain", whenScaled: retain, whenDelete: retain},
		{name: "whenDeleted Delete", whenScaled: retain, whenDelete: del,
			wantRunning: []string{"StatefulSet/web"}, wantScaled: []string{"StatefulSet/web"}},
		{name: "whenScaled Delete", whenScaled: del, whenDelete: retain,
			wantScaled: []string{"Pod/web-1"}},
		{name: "Delete, Delete", whenScaled: del, whenDelete: del,
			wantRunning: []string{"StatefulSet/web"}, wantScaled: []string{"Pod/web-1"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, newSet(2, "v1", withClaims(tc.whenScaled, tc.whenDelete)))
			h.sync(t)
			if diff := cmp.Diff([]string{"create persistentvolumeclaims data-web-0", "create pods web-0"}, h.podWrites()); diff != "" {
				t.Fatalf("first sync (-want +got):\n%s", diff)
			}
			claim := h.claim(t, "data-web-0")
			if diff := cmp.Diff(map[string]string{"app": "web", "tier": "storage"}, claim.Labels); diff != "" {
				t.Errorf("claim labels (-want +got):\n%s", diff)
			}
			if got := claim.Spec.Resources.Requests.Storage().String(); got != "1Gi" {
				t.Errorf("claim size = %s, want 1Gi", got)
			}
			vol := h.pod(t, "web-0").Spec.Volumes[0]
			if vol.Name != "data" || vol.PersistentVolumeClaim == nil || vol.PersistentVolumeClaim.ClaimName != "data-web-0" {
				t.Errorf("web-0 volume = %+v, want data from claim data-web-0", vol)
			}
			// The claim was not in the cache when web-0 was created; the
			// next sync gives it its owners.
			h.sync(t)
			h.run(t, time.Hour, "web-0")
			h.sync(t)
			h.sync(t)
			h.run(t, time.Hour, "web-1")
			h.sync(t)
			for _, name := range []string{"data-web-0", "data-web-1"} {
				if diff := cmp.Diff(tc.wantRunning, owners(h.claim(t, name))); diff != "" {
					t.Errorf("%s owners while running (-want +got):\n%s", name, diff)
				}
			}
			scale(1)(t, h)
			h.sync(t)
			wantWrites := []string{"delete pods web-1"}
			if tc.whenScaled == del {
				wantWrites = []string{"update persistentvolumeclaims data-web-1", "delete pods web-1"}
			}
			if diff := cmp.Diff(wantWrites, h.podWrites()); diff != "" {
				t.Errorf("scale down writes (-want +got):\n%s", diff)
			}
			claim = h.claim(t, "data-web-1")
			if diff := cmp.Diff(tc.wantScaled, owners(claim)); diff != "" {
				t.Errorf("data-web-1 owners after scale down (-want +got):\n%s", diff)
			}
			for _, r := range claim.OwnerReferences {
				if r.Kind == "Pod" && r.UID == "" {
					t.Errorf("pod owner reference without UID: %+v", r)
				}
			}
			if diff := cmp.Diff(tc.wantRunning, owners(h.claim(t, "data-web-0"))); diff != "" {
				t.Errorf("data-web-0 owners after scale down (-want +got):\n%s", diff)
			}
		})
	}
}

// TestClaimsBlockPods: a pod is not created on a claim that is going away,
// and a missing claim of a pending pod comes back.
func TestClaimsBlockPods(t *testing.T) {
	set := newSet(2, "v1", withClaims(del, retain))
	rev := revisionOf(t, set, 1)
	claimOf := func(ordinal int, mutate func(*corev1.PersistentVolumeClaim)) *corev1.PersistentVolumeClaim {
		c := claimsFor(set, newPod(set, ordinal))[0].claim
		c.UID = types.UID(c.Name + "-uid")
		mutate(c)
		return c
	}
	t.Run("claim still owned by the pod scaled away before", func(t *testing.T) {
		stale := claimOf(1, func(c *corev1.PersistentVolumeClaim) {
			c.OwnerReferences = []metav1.OwnerReference{{APIVersion: "v1", Kind: "Pod", Name: "web-1", UID: "old-web-1-uid", Controller: ptr.To(true)}}
		})
		h := newHarness(t, set, rev, podOf(t, set, rev, 0, corev1.PodRunning, true), claimOf(0, func(*corev1.PersistentVolumeClaim) {}), stale)
		h.sync(t)
		if w := h.podWrites(); len(w) != 0 {
			t.Errorf("writes with a stale claim: %v, want none", w)
		}
		// The garbage collector deletes it; the deletion wakes the set.
		if err := h.client.CoreV1().PersistentVolumeClaims("ns").Delete(context.Background(), "data-web-1", metav1.DeleteOptions{}); err != nil {
			t.Fatal(err)
		}
		h.sync(t)
		if diff := cmp.Diff([]string{"create persistentvolumeclaims data-web-1", "create pods web-1"}, h.podWrites()); diff != "" {
			t.Errorf("writes once the stale claim is gone (-want +got):\n%s", diff)
		}
	})
	t.Run("claim being deleted", func(t *testing.T) {
		deleting := claimOf(0, func(c *corev1.PersistentVolumeClaim) {
			c.DeletionTimestamp = ptr.To(metav1.NewTime(now))
			c.Finalizers = []string{"kubernetes.io/pvc-protection"}
		})
		h := newHarness(t, set, rev, deleting)
		if _, err := h.trySync(t); err == nil {
			t.Errorf("sync succeeded, want an error for the claim being deleted")
		}
		if w := h.podWrites(); len(w) != 0 {
			t.Errorf("writes: %v, want none", w)
		}
		if diff := cmp.Diff([]string{"Warning FailedCreate Create Pod web-0 in StatefulSet web failed error: claim ns/data-web-0 is being deleted"}, h.events()); diff != "" {
			t.Errorf("events (-want +got):\n%s", diff)
		}
	})
	t.Run("pending pod whose claim was deleted", func(t *testing.T) {
		h := newHarness(t, set, rev, podOf(t, set, rev, 0, corev1.PodPending, false))
		h.sync(t)
		if diff := cmp.Diff([]string{"create persistentvolumeclaims data-web-0"}, h.podWrites()); diff != "" {
			t.Errorf("writes (-want +got):\n%s", diff)
		}
		if diff := cmp.Diff([]string{"Normal SuccessfulCreate Create Claim data-web-0 Pod web-0 in StatefulSet web success"}, h.events()); diff != "" {
			t.Errorf("events (-want +got):\n%s", diff)
		}
	})
}

// TestClaimOwnerUpToDate covers the references the controller leaves alone.
func TestClaimOwnerUpToDate(t *testing.T) {
	set := newSet(2, "v1", withClaims(del, del))
	in := newPod(set, 1)
	in.UID = "web-1-uid"
	out := newPod(set, 2)
	out.UID = "web-2-uid"
	setRef := *metav1.NewControllerRef(set, controllerKind)
	podRef := func(p *corev1.Pod) metav1.OwnerReference { return *metav1.NewControllerRef(p, podKind) }
	tests := []struct {
		name       string
		pod        *corev1.Pod
		refs       []metav1.OwnerReference
		want       bool
		wantOwners []string
	}{
		{name: "in range, owned by the set", pod: in, refs: []metav1.OwnerReference{setRef}, want: true, wantOwners: []string{"StatefulSet/web"}},
		{name: "in range, no owner", pod: in, want: false, wantOwners: []string{"StatefulSet/web"}},
		{name: "scaled away, still owned by the set", pod: out, refs: []metav1.OwnerReference{setRef}, want: false, wantOwners: []string{"Pod/web-2"}},
		{name: "scaled away, owned by the pod", pod: out, refs: []metav1.OwnerReference{podRef(out)}, want: true, wantOwners: []string{"Pod/web-2"}},
		{name: "set as a plain owner", pod: in, refs: []metav1.OwnerReference{{APIVersion: "apps/v1", Kind: "StatefulSet", Name: "web", UID: "web-uid"}},
			want: false, wantOwners: []string{"StatefulSet/web"}},
		{name: "stale reference to an earlier set of the name", pod: in,
			refs: []metav1.OwnerReference{{APIVersion: "apps/v1", Kind: "StatefulSet", Name: "web", UID: "old-uid", Controller: ptr.To(true)}}, want: true},
		{name: "another controller", pod: in, refs: []metav1.OwnerReference{{APIVersion: "v1", Kind: "Foo", Name: "x", UID: "x-uid", Controller: ptr.To(true)}},
			want: true, wantOwners: []string{"Foo/x"}},
		{name: "another controller beside the set", pod: in,
			refs: []metav1.OwnerReference{{APIVersion: "v1", Kind: "Foo", Name: "x", UID: "x-uid", Controller: ptr.To(true)}, setRef},
			want: false, wantOwners: []string{"Foo/x"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			claim := &corev1.PersistentVolumeClaim{ObjectMeta: metav1.ObjectMeta{Name: "data", Namespace: "ns", OwnerReferences: tc.refs}}
			if got := claimOwnerUpToDate(claim, set, tc.pod); got != tc.want {
				t.Errorf("claimOwnerUpToDate = %v, want %v", got, tc.want)
			}
			if tc.want {
				return
			}
			setClaimOwners(claim, set, tc.pod)
			if diff := cmp.Diff(tc.wantOwners, owners(claim)); diff != "" {
				t.Errorf("owners after setClaimOwners (-want +got):\n%s", diff)
			}
			if !claimOwnerUpToDate(claim, set, tc.pod) {
				t.Errorf("not up to date after setClaimOwners: %v", claim.OwnerReferences)
			}
		})
	}
}

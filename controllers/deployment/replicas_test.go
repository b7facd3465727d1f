package deployment

import (
	"context"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	appsv1 "k8s.io/api/apps/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/ptr"
)

func TestResolveFenceposts(t *testing.T) {
	pct := intstr.FromString
	num := intstr.FromInt32
	tests := []struct {
		name                       string
		maxSurge, maxUnavailable   *intstr.IntOrString
		desired                    int32
		wantSurge, wantUnavailable int32
	}{
		{name: "defaults of 10: surge rounds up, unavailable down", maxSurge: ptr.To(pct("25%")), maxUnavailable: ptr.To(pct("25%")), desired: 10, wantSurge: 3, wantUnavailable: 2},
		{name: "defaults of 1", maxSurge: ptr.To(pct("25%")), maxUnavailable: ptr.To(pct("25%")), desired: 1, wantSurge: 1, wantUnavailable: 0},
		{name: "defaults of 3", maxSurge: ptr.To(pct("25%")), maxUnavailable: ptr.To(pct("25%")), desired: 3, wantSurge: 1, wantUnavailable: 0},
		{name: "half of 3", maxSurge: ptr.To(pct("50%")), maxUnavailable: ptr.To(pct("50%")), desired: 3, wantSurge: 2, wantUnavailable: 1},
		{name: "absolute numbers", maxSurge: ptr.To(num(2)), maxUnavailable: ptr.To(num(3)), desired: 10, wantSurge: 2, wantUnavailable: 3},
		{name: "both round to zero: one may be unavailable", maxSurge: ptr.To(num(0)), maxUnavailable: ptr.To(pct("1%")), desired: 10, wantSurge: 0, wantUnavailable: 1},
		{name: "unset is zero", desired: 5, wantSurge: 0, wantUnavailable: 1},
		{name: "zero replicas", maxSurge: ptr.To(pct("25%")), maxUnavailable: ptr.To(pct("25%")), desired: 0, wantSurge: 0, wantUnavailable: 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, u, err := resolveFenceposts(tc.maxSurge, tc.maxUnavailable, tc.desired)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff([2]int32{tc.wantSurge, tc.wantUnavailable}, [2]int32{s, u}); diff != "" {
				t.Errorf("(surge, unavailable) (-want +got):\n%s", diff)
			}
		})
	}
}

func TestMaxSurgeAndUnavailable(t *testing.T) {
	tests := []struct {
		name                       string
		d                          *appsv1.Deployment
		wantSurge, wantUnavailable int32
	}{
		{name: "rolling update", d: newDeployment(10, "v1"), wantSurge: 3, wantUnavailable: 2},
		{name: "unavailable capped at replicas", d: newDeployment(3, "v1", surge(intstr.FromInt32(1), intstr.FromInt32(5))), wantSurge: 1, wantUnavailable: 3},
		{name: "zero replicas", d: newDeployment(0, "v1"), wantSurge: 0, wantUnavailable: 0},
		{name: "recreate", d: newDeployment(10, "v1", recreate), wantSurge: 0, wantUnavailable: 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if diff := cmp.Diff([2]int32{tc.wantSurge, tc.wantUnavailable}, [2]int32{maxSurge(tc.d), maxUnavailable(tc.d)}); diff != "" {
				t.Errorf("(maxSurge, maxUnavailable) (-want +got):\n%s", diff)
			}
		})
	}
}

func TestNewRSNewReplicas(t *testing.T) {
	d := newDeployment(10, "v2", surge(intstr.FromInt32(3), intstr.FromInt32(2)))
	tests := []struct {
		name     string
		d        *appsv1.Deployment
		old, cur int32
		want     int32
	}{
		{name: "surge room", d: d, old: 10, cur: 0, want: 3},
		{name: "at the surge limit", d: d, old: 10, cur: 3, want: 3},
		{name: "old scaled down: up to the limit", d: d, old: 5, cur: 3, want: 8},
		{name: "never above spec.replicas", d: d, old: 0, cur: 8, want: 10},
		{name: "surge by percent rounds up", d: newDeployment(10, "v2", surge(intstr.FromString("25%"), intstr.FromInt32(0))), old: 10, cur: 0, want: 3},
		{name: "recreate takes all at once", d: newDeployment(10, "v2", recreate), old: 0, cur: 0, want: 10},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			oldRS := rsOf(tc.d, "v1", time.Hour, "1", tc.old, tc.old)
			newRS := rsOf(tc.d, "v2", time.Minute, "2", tc.cur, 0)
			got, err := newRSNewReplicas(tc.d, []*appsv1.ReplicaSet{oldRS, newRS}, newRS)
			if err != nil {
				t.Fatal(err)
			}
			if got != tc.want {
				t.Errorf("newRSNewReplicas = %d, want %d", got, tc.want)
			}
		})
	}
}

// TestScale covers proportional scaling: the sizes after a change of
// spec.replicas (from the replicas annotations' value) with several
// ReplicaSets active. The cases are upstream's.
func TestScale(t *testing.T) {
	type rsSize struct {
		image string
		size  int32
	}
	tests := []struct {
		name string
		// before is the Deployment the ReplicaSets were sized for.
		before, after *appsv1.Deployment
		// The ReplicaSets, newest first; the first is the new one when
		// its image is the Deployment's.
		rss  []rsSize
		want map[string]int32
	}{{
		name:   "one active takes all: 10 -> 12",
		before: newDeployment(10, "v1", surge(intstr.FromInt32(0), intstr.FromInt32(1))),
		after:  newDeployment(12, "v1", surge(intstr.FromInt32(0), intstr.FromInt32(1))),
		rss:    []rsSize{{"v1", 10}},
		want:   map[string]int32{"v1": 12},
	}, {
		name:   "proportional: 5 -> 10",
		before: newDeployment(5, "v2", surge(intstr.FromInt32(0), intstr.FromInt32(1))),
		after:  newDeployment(10, "v2", surge(intstr.FromInt32(0), intstr.FromInt32(1))),
		rss:    []rsSize{{"v2", 2}, {"v1", 3}},
		want:   map[string]int32{"v2": 4, "v1": 6},
	}, {
		name:   "proportional: 5 -> 3",
		before: newDeployment(5, "v2", surge(intstr.FromInt32(0), intstr.FromInt32(1))),
		after:  newDeployment(3, "v2", surge(intstr.FromInt32(0), intstr.FromInt32(1))),
		rss:    []rsSize{{"v2", 2}, {"v1", 3}},
		want:   map[string]int32{"v2": 1, "v1": 2},
	}, {
		name:   "proportional: 7 -> 10 over three",
		before: newDeployment(7, "v3", surge(intstr.FromInt32(0), intstr.FromInt32(1))),
		after:  newDeployment(10, "v3", surge(intstr.FromInt32(0), intstr.FromInt32(1))),
		rss:    []rsSize{{"v3", 2}, {"v2", 3}, {"v1", 2}},
		want:   map[string]int32{"v3": 3, "v2": 4, "v1": 3},
	}, {
		name:   "proportional: 13 -> 8 over three",
		before: newDeployment(13, "v3", surge(intstr.FromInt32(0), intstr.FromInt32(1))),
		after:  newDeployment(8, "v3", surge(intstr.FromInt32(0), intstr.FromInt32(1))),
		rss:    []rsSize{{"v3", 2}, {"v2", 8}, {"v1", 3}},
		want:   map[string]int32{"v3": 1, "v2": 5, "v1": 2},
	}, {
		name:   "leftover up goes to the newest of the largest",
		before: newDeployment(3, "v3", surge(intstr.FromInt32(0), intstr.FromInt32(1))),
		after:  newDeployment(4, "v3", surge(intstr.FromInt32(0), intstr.FromInt32(1))),
		rss:    []rsSize{{"v3", 1}, {"v2", 1}, {"v1", 1}},
		want:   map[string]int32{"v3": 2, "v2": 1, "v1": 1},
	}, {
		name:   "leftover down comes from the oldest of the largest",
		before: newDeployment(3, "v3", surge(intstr.FromInt32(0), intstr.FromInt32(1))),
		after:  newDeployment(2, "v3", surge(intstr.FromInt32(0), intstr.FromInt32(1))),
		rss:    []rsSize{{"v3", 1}, {"v2", 1}, {"v1", 1}},
		want:   map[string]int32{"v3": 1, "v2": 1, "v1": 0},
	}, {
		name:   "no new ReplicaSet yet: 4 -> 5",
		before: newDeployment(4, "v3", surge(intstr.FromInt32(0), intstr.FromInt32(1))),
		after:  newDeployment(5, "v3", surge(intstr.FromInt32(0), intstr.FromInt32(1))),
		rss:    []rsSize{{"v2", 2}, {"v1", 2}},
		want:   map[string]int32{"v2": 3, "v1": 2},
	}, {
		name:   "to zero",
		before: newDeployment(6, "v3", surge(intstr.FromInt32(0), intstr.FromInt32(1))),
		after:  newDeployment(0, "v3", surge(intstr.FromInt32(0), intstr.FromInt32(1))),
		rss:    []rsSize{{"v3", 3}, {"v2", 2}, {"v1", 1}},
		want:   map[string]int32{"v3": 0, "v2": 0, "v1": 0},
	}, {
		name:   "from zero: the new one takes all",
		before: newDeployment(6, "v3", surge(intstr.FromInt32(0), intstr.FromInt32(1))),
		after:  newDeployment(6, "v3", surge(intstr.FromInt32(0), intstr.FromInt32(1))),
		rss:    []rsSize{{"v3", 0}, {"v2", 0}, {"v1", 0}},
		want:   map[string]int32{"v3": 6, "v2": 0, "v1": 0},
	}, {
		name:   "with surge: 10+2 -> 20+2",
		before: newDeployment(10, "v2", surge(intstr.FromInt32(2), intstr.FromInt32(0))),
		after:  newDeployment(20, "v2", surge(intstr.FromInt32(2), intstr.FromInt32(0))),
		rss:    []rsSize{{"v2", 6}, {"v1", 6}},
		want:   map[string]int32{"v2": 11, "v1": 11},
	}, {
		name:   "size and surge change: 10+3 -> 50+6",
		before: newDeployment(10, "v2", surge(intstr.FromInt32(3), intstr.FromInt32(0))),
		after:  newDeployment(50, "v2", surge(intstr.FromInt32(6), intstr.FromInt32(0))),
		rss:    []rsSize{{"v2", 5}, {"v1", 8}},
		want:   map[string]int32{"v2": 22, "v1": 34},
	}, {
		name:   "percent surge rounds up: 10+3 -> 20+5",
		before: newDeployment(10, "v2"),
		after:  newDeployment(20, "v2"),
		rss:    []rsSize{{"v2", 5}, {"v1", 8}},
		want:   map[string]int32{"v2": 10, "v1": 15},
	}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var objs []runtime.Object
			var newRS *appsv1.ReplicaSet
			var oldRSs []*appsv1.ReplicaSet
			for i, r := range tc.rss {
				rs := rsOf(tc.before, r.image, time.Duration(i+1)*time.Hour, "1", r.size, r.size,
					func(rs *appsv1.ReplicaSet) { rs.Name = r.image })
				objs = append(objs, rs)
				if r.image == tc.after.Spec.Template.Spec.Containers[0].Image {
					newRS = rs
				} else {
					oldRSs = append(oldRSs, rs)
				}
			}
			h := newHarness(t, objs...)
			if err := h.c.scale(context.Background(), tc.after, newRS, oldRSs); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, h.sizes(t)); diff != "" {
				t.Errorf("sizes (-want +got):\n%s", diff)
			}
		})
	}
}

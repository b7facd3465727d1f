package scheduler

import (
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/kubeshim/kubeshim/scheduler/framework"
)

func testNode(name, zone string) *corev1.Node {
	n := &corev1.Node{
		ObjectMeta: metav1.ObjectMeta{Name: name, Labels: map[string]string{}},
		Status: corev1.NodeStatus{Allocatable: corev1.ResourceList{
			corev1.ResourceCPU:    resource.MustParse("64"),
			corev1.ResourceMemory: resource.MustParse("256Gi"),
			corev1.ResourcePods:   resource.MustParse("1000"),
		}},
	}
	if zone != "" {
		n.Labels[corev1.LabelTopologyZone] = zone
	}
	return n
}

func testPod(name, node, cpu string) *corev1.Pod {
	return &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: name, UID: types.UID(name)},
		Spec: corev1.PodSpec{NodeName: node, Containers: []corev1.Container{{Name: "c", Resources: corev1.ResourceRequirements{
			Requests: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse(cpu), corev1.ResourceMemory: resource.MustParse("128Mi")},
		}}}},
	}
}

// requested is each node's requested milli-cpu in the snapshot.
func requested(s *framework.Snapshot) map[string]int64 {
	m := map[string]int64{}
	for _, ni := range s.Nodes() {
		m[ni.Node().Name] = ni.Requested.MilliCPU
	}
	return m
}

func TestCacheAssumeConfirmForget(t *testing.T) {
	c := newClusterCache()
	c.AddNode(testNode("a", ""))
	c.AddNode(testNode("b", ""))
	var snap *framework.Snapshot
	step := func(name string, f func() error, want map[string]int64) {
		t.Helper()
		if err := f(); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		snap = c.UpdateSnapshot(snap)
		if diff := cmp.Diff(want, requested(snap)); diff != "" {
			t.Errorf("%s: requested cpu (-want +got):\n%s", name, diff)
		}
	}
	p := testPod("p", "a", "1")
	step("assume", func() error { return c.AssumePod(p) }, map[string]int64{"a": 1000, "b": 0})
	if !c.IsAssumed(p) {
		t.Error("assumed pod not reported assumed")
	}
	step("assume twice fails", func() error {
		if c.AssumePod(p) == nil {
			return fmt.Errorf("second assume succeeded")
		}
		return nil
	}, map[string]int64{"a": 1000, "b": 0})
	step("forget", func() error { return c.ForgetPod(p) }, map[string]int64{"a": 0, "b": 0})
	step("assume again", func() error { return c.AssumePod(p) }, map[string]int64{"a": 1000, "b": 0})
	// The informer shows it bound elsewhere (another scheduler won).
	step("confirmed on another node", func() error { return c.AddPod(testPod("p", "b", "1")) }, map[string]int64{"a": 0, "b": 1000})
	if c.IsAssumed(p) {
		t.Error("confirmed pod still reported assumed")
	}
	step("forget a confirmed pod keeps it", func() error { return c.ForgetPod(p) }, map[string]int64{"a": 0, "b": 1000})
	step("resized", func() error { return c.UpdatePod(nil, testPod("p", "b", "3")) }, map[string]int64{"a": 0, "b": 3000})
	step("deleted", func() error { return c.RemovePod(p) }, map[string]int64{"a": 0, "b": 0})
}

func TestCacheNodeLifecycle(t *testing.T) {
	c := newClusterCache()
	// A pod seen before its node is counted once the node comes.
	if err := c.AddPod(testPod("early", "late", "2")); err != nil {
		t.Fatal(err)
	}
	snap := c.UpdateSnapshot(nil)
	if diff := cmp.Diff(map[string]int64{}, requested(snap)); diff != "" {
		t.Errorf("before the node (-want +got):\n%s", diff)
	}
	c.AddNode(testNode("late", ""))
	snap = c.UpdateSnapshot(snap)
	if diff := cmp.Diff(map[string]int64{"late": 2000}, requested(snap)); diff != "" {
		t.Errorf("after the node (-want +got):\n%s", diff)
	}
	c.RemoveNode(testNode("late", ""))
	snap = c.UpdateSnapshot(snap)
	if n := snap.NumNodes(); n != 0 {
		t.Errorf("removed node still in the snapshot: %d nodes", n)
	}
	if err := c.RemovePod(testPod("early", "late", "2")); err != nil {
		t.Fatal(err)
	}
	if len(c.nodes) != 0 {
		t.Errorf("cache keeps %d node infos with neither node nor pods", len(c.nodes))
	}
}

func TestSnapshotInterleavesZonesAndCopiesOnlyChanges(t *testing.T) {
	c := newClusterCache()
	for _, n := range []struct{ name, zone string }{{"a1", "a"}, {"a2", "a"}, {"a3", "a"}, {"b1", "b"}, {"c1", "c"}, {"c2", "c"}} {
		c.AddNode(testNode(n.name, n.zone))
	}
	snap := c.UpdateSnapshot(nil)
	var order []string
	for _, ni := range snap.Nodes() {
		order = append(order, ni.Node().Name)
	}
	if diff := cmp.Diff([]string{"a1", "b1", "c1", "a2", "c2", "a3"}, order); diff != "" {
		t.Errorf("node order (-want +got):\n%s", diff)
	}
	before := map[string]*framework.NodeInfo{}
	for _, ni := range snap.Nodes() {
		before[ni.Node().Name] = ni
	}
	if err := c.AssumePod(testPod("p", "b1", "1")); err != nil {
		t.Fatal(err)
	}
	snap = c.UpdateSnapshot(snap)
	for _, ni := range snap.Nodes() {
		name := ni.Node().Name
		if same := ni == before[name]; same == (name == "b1") {
			t.Errorf("node %s: kept %v, want only the changed node copied", name, same)
		}
	}
	if before["b1"].Requested.MilliCPU != 0 {
		t.Error("a change reached a node info already handed out in a snapshot")
	}
}

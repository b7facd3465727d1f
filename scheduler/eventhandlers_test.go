package scheduler

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kubeshim/kubeshim/scheduler/framework"
)

func TestNodeChange(t *testing.T) {
	base := testNode("n", "a")
	base.Status.Conditions = []corev1.NodeCondition{{Type: corev1.NodeReady, Status: corev1.ConditionTrue, LastHeartbeatTime: metav1.Now()}}
	tests := []struct {
		name   string
		change func(n *corev1.Node)
		want   framework.ActionType
	}{
		{name: "heartbeat only", change: func(n *corev1.Node) {
			n.Status.Conditions[0].LastHeartbeatTime = metav1.NewTime(time.Now().Add(time.Minute))
			n.ResourceVersion = "2"
		}, want: 0},
		{name: "allocatable", change: func(n *corev1.Node) { n.Status.Allocatable[corev1.ResourceCPU] = resource.MustParse("1") }, want: framework.UpdateNodeAllocatable},
		{name: "label", change: func(n *corev1.Node) { n.Labels["disk"] = "ssd" }, want: framework.UpdateNodeLabel},
		{name: "taint", change: func(n *corev1.Node) { n.Spec.Taints = []corev1.Taint{{Key: "k", Effect: corev1.TaintEffectNoSchedule}} }, want: framework.UpdateNodeTaint},
		{name: "cordon counts as a taint", change: func(n *corev1.Node) { n.Spec.Unschedulable = true }, want: framework.UpdateNodeTaint},
		{name: "condition status", change: func(n *corev1.Node) { n.Status.Conditions[0].Status = corev1.ConditionFalse }, want: framework.UpdateNodeCondition},
		{name: "annotation and label", change: func(n *corev1.Node) {
			n.Annotations = map[string]string{"a": "b"}
			n.Labels["x"] = "y"
		}, want: framework.UpdateNodeLabel | framework.UpdateNodeAnnotation},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			changed := base.DeepCopy()
			tt.change(changed)
			if diff := cmp.Diff(tt.want, nodeChange(base, changed)); diff != "" {
				t.Errorf("action (-want +got):\n%s", diff)
			}
		})
	}
}

func TestScaledDown(t *testing.T) {
	before := testPod("p", "n", "2")
	smaller, larger := testPod("p", "n", "1"), testPod("p", "n", "3")
	if !scaledDown(before, smaller) {
		t.Error("2 -> 1 cpu not seen as a scale-down")
	}
	if scaledDown(before, larger) {
		t.Error("2 -> 3 cpu seen as a scale-down")
	}
}

func TestOptionsValidate(t *testing.T) {
	tests := []struct {
		name   string
		modify func(*Options)
		errs   int
	}{
		{name: "defaults", modify: func(*Options) {}},
		{name: "no scheduler name", modify: func(o *Options) { o.SchedulerName = "" }, errs: 1},
		{name: "percentage out of range", modify: func(o *Options) { o.PercentageOfNodesToScore = 101 }, errs: 1},
		{name: "lease shorter than the renew deadline", modify: func(o *Options) { o.LeaderElection.LeaseDuration.Duration = time.Second }, errs: 1},
		{name: "not a lease", modify: func(o *Options) { o.LeaderElection.ResourceLock = "endpoints" }, errs: 1},
		{name: "leader election off ignores its settings", modify: func(o *Options) {
			o.LeaderElection.LeaderElect = false
			o.LeaderElection.ResourceLock = "endpoints"
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := NewOptions()
			tt.modify(o)
			if errs := o.Validate(); len(errs) != tt.errs {
				t.Errorf("Validate() = %v, want %d errors", errs, tt.errs)
			}
		})
	}
}

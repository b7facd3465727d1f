package nodename

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kubeshim/kubeshim/scheduler/framework"
)

func TestFilter(t *testing.T) {
	node := &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: "n1"}}
	tests := []struct {
		name     string
		nodeName string
		want     *framework.Status
	}{
		{name: "no node name fits any node"},
		{name: "the named node fits", nodeName: "n1"},
		{name: "another node does not", nodeName: "n2", want: framework.NewStatus(framework.UnschedulableAndUnresolvable, ErrReason)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pod := &corev1.Pod{Spec: corev1.PodSpec{NodeName: tt.nodeName}}
			got := (&NodeName{}).Filter(context.Background(), framework.NewCycleState(), pod, framework.NewNodeInfo(node))
			if diff := cmp.Diff(tt.want.String(), got.String()); diff != "" {
				t.Errorf("Filter (-want +got):\n%s", diff)
			}
		})
	}
}

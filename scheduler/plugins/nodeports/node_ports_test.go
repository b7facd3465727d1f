package nodeports

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/klog/v2"
	"k8s.io/utils/ptr"

	"github.com/kubeshim/kubeshim/scheduler/framework"
)

func port(ip string, proto corev1.Protocol, hostPort int32) corev1.ContainerPort {
	return corev1.ContainerPort{HostIP: ip, Protocol: proto, HostPort: hostPort, ContainerPort: 8080}
}

func podWithPorts(ports ...corev1.ContainerPort) *corev1.Pod {
	return &corev1.Pod{Spec: corev1.PodSpec{NodeName: "n", Containers: []corev1.Container{{Name: "c", Ports: ports}}}}
}

func TestFilter(t *testing.T) {
	taken := framework.NewStatus(framework.Unschedulable, ErrReason)
	tests := []struct {
		name     string
		pod      *corev1.Pod
		existing []*corev1.Pod
		want     *framework.Status
	}{
		{name: "no ports", pod: podWithPorts()},
		{name: "free port", pod: podWithPorts(port("", "", 80)), existing: []*corev1.Pod{podWithPorts(port("", "", 81))}},
		{name: "same port, default IP and protocol", pod: podWithPorts(port("", "", 80)), existing: []*corev1.Pod{podWithPorts(port("", "", 80))}, want: taken},
		{name: "same port, other protocol", pod: podWithPorts(port("", corev1.ProtocolUDP, 80)), existing: []*corev1.Pod{podWithPorts(port("", corev1.ProtocolTCP, 80))}},
		{name: "same port, two specific IPs", pod: podWithPorts(port("10.0.0.1", "", 80)), existing: []*corev1.Pod{podWithPorts(port("10.0.0.2", "", 80))}},
		{name: "specific IP against 0.0.0.0", pod: podWithPorts(port("10.0.0.1", "", 80)), existing: []*corev1.Pod{podWithPorts(port("0.0.0.0", "", 80))}, want: taken},
		{name: "0.0.0.0 against a specific IP", pod: podWithPorts(port("", "", 80)), existing: []*corev1.Pod{podWithPorts(port("10.0.0.2", "", 80))}, want: taken},
		{
			name: "sidecar init container ports count, ordinary init containers' do not",
			pod:  podWithPorts(port("", "", 80)),
			existing: []*corev1.Pod{{Spec: corev1.PodSpec{NodeName: "n", InitContainers: []corev1.Container{
				{Name: "init", Ports: []corev1.ContainerPort{port("", "", 81)}},
				{Name: "sidecar", RestartPolicy: ptr.To(corev1.ContainerRestartPolicyAlways), Ports: []corev1.ContainerPort{port("", "", 80)}},
			}}}},
			want: taken,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			pl := &NodePorts{}
			state := framework.NewCycleState()
			_, s := pl.PreFilter(ctx, state, tt.pod, nil)
			var got *framework.Status
			switch {
			case s.IsSkip():
			case !s.IsSuccess():
				t.Fatalf("PreFilter: %v", s)
			default:
				got = pl.Filter(ctx, state, tt.pod, framework.NewNodeInfo(&corev1.Node{}, tt.existing...))
			}
			if diff := cmp.Diff(tt.want.String(), got.String()); diff != "" {
				t.Errorf("Filter (-want +got):\n%s", diff)
			}
		})
	}
}

func TestQueueingHint(t *testing.T) {
	tests := []struct {
		name    string
		pod     *corev1.Pod
		deleted *corev1.Pod
		want    framework.QueueingHint
	}{
		{name: "deleted pod had no ports", pod: podWithPorts(port("", "", 80)), deleted: podWithPorts(), want: framework.QueueSkip},
		{name: "deleted pod had other ports", pod: podWithPorts(port("", "", 80)), deleted: podWithPorts(port("", "", 81)), want: framework.QueueSkip},
		{name: "deleted pod freed the port", pod: podWithPorts(port("", "", 80)), deleted: podWithPorts(port("", "", 80)), want: framework.Queue},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := isSchedulableAfterPodDeleted(klog.Background(), tt.pod, tt.deleted, nil)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("hint (-want +got):\n%s", diff)
			}
		})
	}
}

package simulated

import (
	"net/netip"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
)

func TestRunningStatus(t *testing.T) {
	t0 := metav1.NewTime(time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC))
	now := metav1.NewTime(t0.Add(time.Minute))
	hostIP, podIP := netip.MustParseAddr("127.9.0.1"), netip.MustParseAddr("10.244.3.2")
	scheduled := corev1.PodCondition{Type: corev1.PodScheduled, Status: corev1.ConditionTrue, LastTransitionTime: t0}
	running := func(name string, since metav1.Time) corev1.ContainerStatus {
		return corev1.ContainerStatus{
			Name: name, Image: "pause", ImageID: "pause", ContainerID: "simulated://uid-1-" + name,
			Ready: true, Started: ptr.To(true),
			State: corev1.ContainerState{Running: &corev1.ContainerStateRunning{StartedAt: since}},
		}
	}
	cond := func(t corev1.PodConditionType, at metav1.Time) corev1.PodCondition {
		return corev1.PodCondition{Type: t, Status: corev1.ConditionTrue, LastTransitionTime: at, ObservedGeneration: 1}
	}
	kubeletConds := func(at metav1.Time) []corev1.PodCondition {
		return []corev1.PodCondition{
			cond(corev1.PodReadyToStartContainers, at), cond(corev1.PodInitialized, at),
			cond(corev1.ContainersReady, at), cond(corev1.PodReady, at),
		}
	}
	base := func(mod func(*corev1.Pod)) *corev1.Pod {
		p := &corev1.Pod{
			ObjectMeta: metav1.ObjectMeta{Name: "p", Namespace: "ns", UID: "uid-1", Generation: 1},
			Spec: corev1.PodSpec{NodeName: "sim-0", Containers: []corev1.Container{{Name: "c", Image: "pause",
				Resources: corev1.ResourceRequirements{Requests: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("100m")}}}}},
			Status: corev1.PodStatus{Phase: corev1.PodPending, Conditions: []corev1.PodCondition{scheduled}},
		}
		if mod != nil {
			mod(p)
		}
		return p
	}
	want := func(mod func(*corev1.PodStatus)) corev1.PodStatus {
		s := corev1.PodStatus{
			Phase: corev1.PodRunning, QOSClass: corev1.PodQOSBurstable, ObservedGeneration: 1,
			HostIP: "127.9.0.1", HostIPs: []corev1.HostIP{{IP: "127.9.0.1"}},
			PodIP: "10.244.3.2", PodIPs: []corev1.PodIP{{IP: "10.244.3.2"}},
			StartTime:         &now,
			ContainerStatuses: []corev1.ContainerStatus{running("c", now)},
			Conditions:        append([]corev1.PodCondition{scheduled}, kubeletConds(now)...),
		}
		if mod != nil {
			mod(&s)
		}
		return s
	}
	tests := []struct {
		name string
		pod  *corev1.Pod
		want corev1.PodStatus
	}{
		{
			name: "a pending pod starts now",
			pod:  base(nil),
			want: want(nil),
		},
		{
			name: "a running pod keeps its times",
			pod: base(func(p *corev1.Pod) {
				p.Status = want(nil)
				p.Status.StartTime = &t0
				p.Status.ContainerStatuses = []corev1.ContainerStatus{running("c", t0)}
				p.Status.Conditions = append([]corev1.PodCondition{scheduled}, kubeletConds(t0)...)
			}),
			want: want(func(s *corev1.PodStatus) {
				s.StartTime = &t0
				s.ContainerStatuses = []corev1.ContainerStatus{running("c", t0)}
				s.Conditions = append([]corev1.PodCondition{scheduled}, kubeletConds(t0)...)
			}),
		},
		{
			name: "init containers completed, sidecars running",
			pod: base(func(p *corev1.Pod) {
				p.Spec.InitContainers = []corev1.Container{
					{Name: "init", Image: "pause"},
					{Name: "side", Image: "pause", RestartPolicy: ptr.To(corev1.ContainerRestartPolicyAlways)},
				}
			}),
			want: want(func(s *corev1.PodStatus) {
				s.InitContainerStatuses = []corev1.ContainerStatus{{
					Name: "init", Image: "pause", ImageID: "pause", ContainerID: "simulated://uid-1-init", Started: ptr.To(false),
					State: corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{
						Reason: "Completed", StartedAt: now, FinishedAt: now, ContainerID: "simulated://uid-1-init"}},
				}, running("side", now)}
			}),
		},
		{
			name: "an unmet readiness gate keeps the pod unready",
			pod: base(func(p *corev1.Pod) {
				p.Spec.ReadinessGates = []corev1.PodReadinessGate{{ConditionType: "example.com/lb"}, {ConditionType: "example.com/other"}}
				p.Status.Conditions = append(p.Status.Conditions, corev1.PodCondition{Type: "example.com/lb", Status: corev1.ConditionFalse})
			}),
			want: want(func(s *corev1.PodStatus) {
				conds := kubeletConds(now)
				conds[3].Status, conds[3].Reason = corev1.ConditionFalse, "ReadinessGatesNotReady"
				conds[3].Message = `the status of pod readiness gate "example.com/lb" is not "True", but False, ` +
					`corresponding condition of pod readiness gate "example.com/other" does not exist.`
				s.Conditions = append([]corev1.PodCondition{scheduled, {Type: "example.com/lb", Status: corev1.ConditionFalse}}, conds...)
			}),
		},
		{
			name: "a met readiness gate makes it ready",
			pod: base(func(p *corev1.Pod) {
				p.Spec.ReadinessGates = []corev1.PodReadinessGate{{ConditionType: "example.com/lb"}}
				p.Status.Conditions = append(p.Status.Conditions, corev1.PodCondition{Type: "example.com/lb", Status: corev1.ConditionTrue})
			}),
			want: want(func(s *corev1.PodStatus) {
				s.Conditions = append([]corev1.PodCondition{scheduled, {Type: "example.com/lb", Status: corev1.ConditionTrue}}, kubeletConds(now)...)
			}),
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := runningStatus(tt.pod, hostIP, podIP, now)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("status (-want +got):\n%s", diff)
			}
			// Computing it again on the result changes nothing: a
			// running pod is not written again.
			again := tt.pod.DeepCopy()
			again.Status = got
			if diff := cmp.Diff(got, runningStatus(again, hostIP, podIP, metav1.NewTime(now.Add(time.Hour)))); diff != "" {
				t.Errorf("status computed again (-first +second):\n%s", diff)
			}
		})
	}
}

package pods

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/client-go/kubernetes/fake"

	"github.com/kubeshim/kubeshim/nodeagent/sysctl"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	k8stypes "k8s.io/apimachinery/pkg/types"
	"time"
)

// TestAdmitSysctls: a manager without an allowlist admits the safe sysctls
// and refuses the rest, with the kubelet's reason; one with an allowlist
// admits what it allows.
func TestAdmitSysctls(t *testing.T) {
	withUnsafe, err := sysctl.NewAllowlist([]string{"net.core.somaxconn"})
	if err != nil {
		t.Fatal(err)
	}
	pod := func(names ...string) *corev1.Pod {
		p := &corev1.Pod{Spec: corev1.PodSpec{SecurityContext: &corev1.PodSecurityContext{}}}
		for _, n := range names {
			p.Spec.SecurityContext.Sysctls = append(p.Spec.SecurityContext.Sysctls, corev1.Sysctl{Name: n, Value: "1"})
		}
		return p
	}
	forbidden := func(msg string) *rejection { return &rejection{reason: sysctl.ForbiddenReason, message: msg} }
	for _, tc := range []struct {
		name    string
		sysctls *sysctl.Allowlist
		pod     *corev1.Pod
		want    *rejection
	}{
		{name: "default, no sysctls", pod: &corev1.Pod{}},
		{name: "default, safe", pod: pod("net.ipv4.tcp_syncookies")},
		{name: "default, unsafe", pod: pod("net.ipv4.tcp_syncookies", "net.core.somaxconn"),
			want: forbidden(`forbidden sysctl: "net.core.somaxconn" not allowlisted`)},
		{name: "allowed unsafe", sysctls: withUnsafe, pod: pod("net.core.somaxconn")},
		{name: "unsafe not allowed", sysctls: withUnsafe, pod: pod("kernel.msgmax"),
			want: forbidden(`forbidden sysctl: "kernel.msgmax" not allowlisted`)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := New(Config{Client: fake.NewClientset(), NodeName: "node1", Sysctls: tc.sysctls})
			if diff := cmp.Diff(tc.want, m.admit(tc.pod), cmp.AllowUnexported(rejection{})); diff != "" {
				t.Errorf("admit (-want +got):\n%s", diff)
			}
		})
	}
}

func TestAdmitHostPorts(t *testing.T) {
	at := func(sec int64) metav1.Time { return metav1.NewTime(time.Unix(sec, 0)) }
	pod := func(name string, created int64, phase corev1.PodPhase, ports ...corev1.ContainerPort) *corev1.Pod {
		return &corev1.Pod{
			ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: name, UID: k8stypes.UID(name), CreationTimestamp: at(created)},
			Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "c", Ports: ports}}},
			Status:     corev1.PodStatus{Phase: phase},
		}
	}
	tcp := func(port int32) corev1.ContainerPort {
		return corev1.ContainerPort{ContainerPort: port, HostPort: port}
	}
	udp := func(port int32) corev1.ContainerPort {
		return corev1.ContainerPort{ContainerPort: port, HostPort: port, Protocol: corev1.ProtocolUDP}
	}
	on := func(ip string, port int32) corev1.ContainerPort {
		return corev1.ContainerPort{ContainerPort: port, HostPort: port, HostIP: ip}
	}
	taken := &rejection{reason: "NodePorts", message: "Predicate NodePorts failed: node(s) didn't have free ports for the requested pod ports"}
	for _, tc := range []struct {
		name   string
		others []*corev1.Pod
		pod    *corev1.Pod
		want   *rejection
	}{
		{name: "no host ports", others: []*corev1.Pod{pod("a", 1, corev1.PodRunning, tcp(80))}, pod: pod("b", 2, "")},
		{name: "the port of an older running pod", others: []*corev1.Pod{pod("a", 1, corev1.PodRunning, tcp(80))}, pod: pod("b", 2, "", tcp(80)), want: taken},
		{name: "the port of an older pending pod", others: []*corev1.Pod{pod("a", 1, corev1.PodPending, tcp(80))}, pod: pod("b", 2, "", tcp(80)), want: taken},
		{name: "a newer pod's port is its problem", others: []*corev1.Pod{pod("a", 3, corev1.PodPending, tcp(80))}, pod: pod("b", 2, "", tcp(80))},
		{name: "same creation time, the first by name wins", others: []*corev1.Pod{pod("a", 2, corev1.PodPending, tcp(80))}, pod: pod("b", 2, "", tcp(80)), want: taken},
		{name: "a terminal pod holds no ports", others: []*corev1.Pod{pod("a", 1, corev1.PodFailed, tcp(80)), pod("c", 1, corev1.PodSucceeded, tcp(80))}, pod: pod("b", 2, "", tcp(80))},
		{name: "another protocol", others: []*corev1.Pod{pod("a", 1, corev1.PodRunning, tcp(80))}, pod: pod("b", 2, "", udp(80))},
		{name: "other addresses", others: []*corev1.Pod{pod("a", 1, corev1.PodRunning, on("127.0.0.1", 80))}, pod: pod("b", 2, "", on("127.0.0.2", 80))},
		{name: "every address and one", others: []*corev1.Pod{pod("a", 1, corev1.PodRunning, on("0.0.0.0", 80))}, pod: pod("b", 2, "", on("127.0.0.2", 80)), want: taken},
		{name: "one address and every one", others: []*corev1.Pod{pod("a", 1, corev1.PodRunning, on("127.0.0.1", 80))}, pod: pod("b", 2, "", tcp(80)), want: taken},
		{name: "itself", others: []*corev1.Pod{pod("b", 2, corev1.PodRunning, tcp(80))}, pod: pod("b", 2, corev1.PodRunning, tcp(80))},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := New(Config{Client: fake.NewClientset(), NodeName: "node1"})
			for _, p := range tc.others {
				if err := m.informer.GetStore().Add(p); err != nil {
					t.Fatal(err)
				}
			}
			if diff := cmp.Diff(tc.want, m.admit(tc.pod), cmp.AllowUnexported(rejection{})); diff != "" {
				t.Errorf("admit (-want +got):\n%s", diff)
			}
		})
	}
}

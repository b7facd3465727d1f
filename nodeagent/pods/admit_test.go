package pods

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/client-go/kubernetes/fake"

	"github.com/kubeshim/kubeshim/nodeagent/sysctl"
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

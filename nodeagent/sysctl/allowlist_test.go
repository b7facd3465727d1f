package sysctl

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
)

func TestAdmit(t *testing.T) {
	a, err := NewAllowlist([]string{"kernel.msg*", "net.core.somaxconn"})
	if err != nil {
		t.Fatal(err)
	}
	pod := func(hostNet bool, names ...string) *corev1.Pod {
		p := &corev1.Pod{Spec: corev1.PodSpec{HostNetwork: hostNet, SecurityContext: &corev1.PodSecurityContext{}}}
		for _, n := range names {
			p.Spec.SecurityContext.Sysctls = append(p.Spec.SecurityContext.Sysctls, corev1.Sysctl{Name: n, Value: "1"})
		}
		return p
	}
	for _, tc := range []struct {
		name string
		pod  *corev1.Pod
		want string
	}{
		{"none", &corev1.Pod{}, ""},
		{"safe", pod(false, "kernel.shm_rmid_forced", "net.ipv4.ip_local_port_range"), ""},
		{"safe with slashes", pod(false, "kernel/shm_rmid_forced"), ""},
		{"allowed unsafe name", pod(false, "net.core.somaxconn"), ""},
		{"allowed unsafe prefix", pod(false, "kernel.msgmax"), ""},
		{"unsafe", pod(false, "kernel.shmmax"), `forbidden sysctl: "kernel.shmmax" not allowlisted`},
		{"net with host network", pod(true, "net.ipv4.tcp_syncookies"), `forbidden sysctl: "net.ipv4.tcp_syncookies" not allowed with host Net enabled`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := a.Admit(tc.pod); got != tc.want {
				t.Errorf("Admit = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestNewAllowlistRefusesNodeSysctls(t *testing.T) {
	_, err := NewAllowlist([]string{"vm.swappiness"})
	if err == nil || err.Error() != `the sysctls "vm.swappiness" are not known to be namespaced` {
		t.Errorf("err = %v", err)
	}
}

func TestValues(t *testing.T) {
	p := &corev1.Pod{Spec: corev1.PodSpec{SecurityContext: &corev1.PodSecurityContext{Sysctls: []corev1.Sysctl{
		{Name: "kernel/shm_rmid_forced", Value: "1"}, {Name: "net.ipv4.ip_local_port_range", Value: "1024 65000"},
	}}}}
	want := map[string]string{"kernel.shm_rmid_forced": "1", "net.ipv4.ip_local_port_range": "1024 65000"}
	if diff := cmp.Diff(want, Values(p)); diff != "" {
		t.Errorf("Values (-want +got):\n%s", diff)
	}
}

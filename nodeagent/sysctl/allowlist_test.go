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

// TestUnsafePatterns: NewAllowlist refuses a sysctl of the node's own, and
// CheckUnsafe, which validates the flag, says the same of the same patterns.
func TestUnsafePatterns(t *testing.T) {
	for _, tc := range []struct {
		name    string
		unsafe  []string
		wantErr string
	}{
		{name: "none"},
		{name: "namespaced name and prefix", unsafe: []string{"kernel.msg*", "net/core/somaxconn"}},
		{name: "node's own", unsafe: []string{"net.core.somaxconn", "vm.swappiness"},
			wantErr: `the sysctls "vm.swappiness" are not known to be namespaced`},
		{name: "node's own prefix", unsafe: []string{"vm.*"},
			wantErr: `the sysctls "vm." are not known to be namespaced`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := NewAllowlist(tc.unsafe)
			if got := errString(err); got != tc.wantErr {
				t.Errorf("NewAllowlist: err = %q, want %q", got, tc.wantErr)
			}
			if got := errString(CheckUnsafe(tc.unsafe)); got != tc.wantErr {
				t.Errorf("CheckUnsafe: err = %q, want %q", got, tc.wantErr)
			}
		})
	}
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// TestSafe: the default allowlist admits every safe sysctl, and nothing else.
func TestSafe(t *testing.T) {
	a := Safe()
	for _, name := range safe {
		pod := &corev1.Pod{Spec: corev1.PodSpec{SecurityContext: &corev1.PodSecurityContext{Sysctls: []corev1.Sysctl{{Name: name, Value: "1"}}}}}
		if msg := a.Admit(pod); msg != "" {
			t.Errorf("%s: %s", name, msg)
		}
	}
	unsafe := &corev1.Pod{Spec: corev1.PodSpec{SecurityContext: &corev1.PodSecurityContext{Sysctls: []corev1.Sysctl{{Name: "net.core.somaxconn", Value: "1"}}}}}
	if got, want := a.Admit(unsafe), `forbidden sysctl: "net.core.somaxconn" not allowlisted`; got != want {
		t.Errorf("unsafe sysctl: Admit = %q, want %q", got, want)
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

package pods

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	"github.com/kubeshim/kubeshim/nodeagent/network"
	"github.com/kubeshim/kubeshim/nodeagent/runtime"
)

func TestApplySecurity(t *testing.T) {
	for _, tc := range []struct {
		name string
		pod  *corev1.PodSecurityContext
		ctr  *corev1.SecurityContext
		want runtime.ContainerConfig
	}{
		{name: "none", want: runtime.ContainerConfig{}},
		{
			name: "pod's only",
			pod: &corev1.PodSecurityContext{RunAsUser: ptr.To[int64](1000), RunAsGroup: ptr.To[int64](3000), RunAsNonRoot: ptr.To(true),
				SupplementalGroups: []int64{4000, 4001}, FSGroup: ptr.To[int64](2000),
				SeccompProfile: &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeRuntimeDefault}},
			want: runtime.ContainerConfig{RunAsUser: ptr.To[int64](1000), RunAsGroup: ptr.To[int64](3000), RunAsNonRoot: true,
				SupplementalGroups: []int64{4000, 4001, 2000}, Seccomp: "RuntimeDefault"},
		},
		{
			name: "container's win",
			pod: &corev1.PodSecurityContext{RunAsUser: ptr.To[int64](1000), RunAsGroup: ptr.To[int64](3000), RunAsNonRoot: ptr.To(true),
				SeccompProfile: &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeRuntimeDefault}},
			ctr: &corev1.SecurityContext{RunAsUser: ptr.To[int64](0), RunAsGroup: ptr.To[int64](0), RunAsNonRoot: ptr.To(false),
				SeccompProfile: &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeUnconfined}},
			want: runtime.ContainerConfig{RunAsUser: ptr.To[int64](0), RunAsGroup: ptr.To[int64](0), Seccomp: "Unconfined"},
		},
		{
			name: "container's flags and capabilities",
			ctr: &corev1.SecurityContext{Privileged: ptr.To(true), ReadOnlyRootFilesystem: ptr.To(true), AllowPrivilegeEscalation: ptr.To(false),
				Capabilities: &corev1.Capabilities{Add: []corev1.Capability{"NET_ADMIN", "SYS_TIME"}, Drop: []corev1.Capability{"ALL"}}},
			want: runtime.ContainerConfig{Privileged: true, ReadOnlyRootFS: true, NoNewPrivileges: true,
				CapAdd: []string{"NET_ADMIN", "SYS_TIME"}, CapDrop: []string{"ALL"}},
		},
		{
			name: "privilege escalation allowed is the default",
			ctr:  &corev1.SecurityContext{AllowPrivilegeEscalation: ptr.To(true), Privileged: ptr.To(false)},
			want: runtime.ContainerConfig{},
		},
		{
			name: "localhost seccomp profile",
			pod:  &corev1.PodSecurityContext{SeccompProfile: &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeLocalhost, LocalhostProfile: ptr.To("profiles/audit.json")}},
			want: runtime.ContainerConfig{Seccomp: "/var/lib/kubelet/seccomp/profiles/audit.json"},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			pod := &corev1.Pod{Spec: corev1.PodSpec{SecurityContext: tc.pod}}
			c := &corev1.Container{Name: "c", SecurityContext: tc.ctr}
			var got runtime.ContainerConfig
			applySecurity(pod, c, &got)
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("config (-want +got):\n%s", diff)
			}
		})
	}
}

func TestApplyResources(t *testing.T) {
	type want struct {
		Shares uint64
		Quota  int64
		Period uint64
		Memory int64
	}
	list := func(kv ...string) corev1.ResourceList {
		l := corev1.ResourceList{}
		for i := 0; i < len(kv); i += 2 {
			l[corev1.ResourceName(kv[i])] = resource.MustParse(kv[i+1])
		}
		return l
	}
	for _, tc := range []struct {
		name     string
		requests corev1.ResourceList
		limits   corev1.ResourceList
		want     want
	}{
		{name: "best effort: minimum shares", want: want{Shares: 2}},
		{name: "request 100m", requests: list("cpu", "100m"), want: want{Shares: 102}},
		{name: "request 1", requests: list("cpu", "1"), want: want{Shares: 1024}},
		{name: "tiny request is at least 2 shares", requests: list("cpu", "1m"), want: want{Shares: 2}},
		{name: "limit only: shares from the limit", limits: list("cpu", "500m"), want: want{Shares: 512, Quota: 50000, Period: 100000}},
		{name: "request and limit", requests: list("cpu", "250m"), limits: list("cpu", "2"), want: want{Shares: 256, Quota: 200000, Period: 100000}},
		{name: "tiny limit is at least 1ms quota", limits: list("cpu", "5m"), want: want{Shares: 5, Quota: 1000, Period: 100000}},
		{name: "memory limit", requests: list("memory", "64Mi"), limits: list("memory", "128Mi"), want: want{Shares: 2, Memory: 128 << 20}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := &corev1.Container{Resources: corev1.ResourceRequirements{Requests: tc.requests, Limits: tc.limits}}
			var cfg runtime.ContainerConfig
			applyResources(c, &cfg)
			got := want{cfg.CPUShares, cfg.CPUQuota, cfg.CPUPeriod, cfg.MemoryLimit}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("resources (-want +got):\n%s", diff)
			}
		})
	}
}

func TestHostPorts(t *testing.T) {
	pod := &corev1.Pod{Spec: corev1.PodSpec{
		InitContainers: []corev1.Container{{Name: "sidecar", Ports: []corev1.ContainerPort{{ContainerPort: 9000, HostPort: 19000}}}},
		Containers: []corev1.Container{
			{Name: "a", Ports: []corev1.ContainerPort{
				{ContainerPort: 80},                   // no host port: not mapped
				{ContainerPort: 8080, HostPort: 8080}, // protocol defaults to TCP
				{ContainerPort: 53, HostPort: 5353, Protocol: corev1.ProtocolUDP, HostIP: "127.0.0.1"},
			}},
			{Name: "b", Ports: []corev1.ContainerPort{{ContainerPort: 132, HostPort: 1132, Protocol: corev1.ProtocolSCTP}}},
		},
	}}
	want := []network.PortMapping{
		{HostPort: 19000, ContainerPort: 9000, Protocol: "tcp"},
		{HostPort: 8080, ContainerPort: 8080, Protocol: "tcp"},
		{HostPort: 5353, ContainerPort: 53, Protocol: "udp", HostIP: "127.0.0.1"},
		{HostPort: 1132, ContainerPort: 132, Protocol: "sctp"},
	}
	if diff := cmp.Diff(want, hostPorts(pod)); diff != "" {
		t.Errorf("hostPorts (-want +got):\n%s", diff)
	}
	if got := hostPorts(&corev1.Pod{}); got != nil {
		t.Errorf("hostPorts of a pod without ports = %v, want nil", got)
	}
}

func TestContainerRef(t *testing.T) {
	pod := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Namespace: "ns1", Name: "p", UID: "u1", ResourceVersion: "42"},
		Spec: corev1.PodSpec{
			InitContainers:      []corev1.Container{{Name: "init"}},
			Containers:          []corev1.Container{{Name: "app"}},
			EphemeralContainers: []corev1.EphemeralContainer{{EphemeralContainerCommon: corev1.EphemeralContainerCommon{Name: "debug"}}},
		},
	}
	for name, field := range map[string]string{
		"init":  "spec.initContainers{init}",
		"app":   "spec.containers{app}",
		"debug": "spec.ephemeralContainers{debug}",
	} {
		want := &corev1.ObjectReference{Kind: "Pod", APIVersion: "v1", Namespace: "ns1", Name: "p", UID: "u1", ResourceVersion: "42", FieldPath: field}
		if diff := cmp.Diff(want, containerRef(pod, &corev1.Container{Name: name})); diff != "" {
			t.Errorf("containerRef(%s) (-want +got):\n%s", name, diff)
		}
	}
}

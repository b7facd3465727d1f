package core

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/ptr"
)

const digest = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

// defaultedSpec is the pod spec every defaulted template has, changed by edit.
func defaultedSpec(edit func(*corev1.PodSpec)) corev1.PodSpec {
	spec := corev1.PodSpec{
		RestartPolicy:                 corev1.RestartPolicyAlways,
		DNSPolicy:                     corev1.DNSClusterFirst,
		TerminationGracePeriodSeconds: ptr.To[int64](30),
		SchedulerName:                 "default-scheduler",
		SecurityContext:               &corev1.PodSecurityContext{},
	}
	if edit != nil {
		edit(&spec)
	}
	return spec
}

// defaultedPodSpec is defaultedSpec plus what only a Pod gets.
func defaultedPodSpec(edit func(*corev1.PodSpec)) corev1.PodSpec {
	return defaultedSpec(func(spec *corev1.PodSpec) {
		spec.EnableServiceLinks = ptr.To(true)
		if edit != nil {
			edit(spec)
		}
	})
}

// defaultedContainer is a defaulted container that names a pinned image.
func defaultedContainer(name string) corev1.Container {
	return corev1.Container{
		Name:                     name,
		Image:                    "nginx:1.27",
		ImagePullPolicy:          corev1.PullIfNotPresent,
		TerminationMessagePath:   "/dev/termination-log",
		TerminationMessagePolicy: corev1.TerminationMessageReadFile,
	}
}

func TestSetObjectDefaultsPod(t *testing.T) {
	tests := []struct {
		name string
		in   *corev1.Pod
		want *corev1.Pod
	}{
		{
			name: "empty pod gets spec defaults and keeps an empty phase",
			in:   &corev1.Pod{},
			want: &corev1.Pod{Spec: defaultedPodSpec(nil)},
		},
		{
			name: "set fields are kept",
			in: &corev1.Pod{
				Spec: corev1.PodSpec{
					RestartPolicy:                 corev1.RestartPolicyNever,
					DNSPolicy:                     corev1.DNSDefault,
					TerminationGracePeriodSeconds: ptr.To[int64](5),
					SchedulerName:                 "custom",
					SecurityContext:               &corev1.PodSecurityContext{RunAsUser: ptr.To[int64](1000)},
					EnableServiceLinks:            ptr.To(false),
				},
				Status: corev1.PodStatus{Phase: corev1.PodRunning},
			},
			want: &corev1.Pod{
				Spec: corev1.PodSpec{
					RestartPolicy:                 corev1.RestartPolicyNever,
					DNSPolicy:                     corev1.DNSDefault,
					TerminationGracePeriodSeconds: ptr.To[int64](5),
					SchedulerName:                 "custom",
					SecurityContext:               &corev1.PodSecurityContext{RunAsUser: ptr.To[int64](1000)},
					EnableServiceLinks:            ptr.To(false),
				},
				Status: corev1.PodStatus{Phase: corev1.PodRunning},
			},
		},
		{
			name: "negative grace period becomes one second",
			in:   &corev1.Pod{Spec: corev1.PodSpec{TerminationGracePeriodSeconds: ptr.To[int64](-5)}},
			want: &corev1.Pod{Spec: defaultedPodSpec(func(s *corev1.PodSpec) { s.TerminationGracePeriodSeconds = ptr.To[int64](1) })},
		},
		{
			name: "deprecated serviceAccount fills serviceAccountName",
			in:   &corev1.Pod{Spec: corev1.PodSpec{DeprecatedServiceAccount: "old"}},
			want: &corev1.Pod{Spec: defaultedPodSpec(func(s *corev1.PodSpec) {
				s.ServiceAccountName, s.DeprecatedServiceAccount = "old", "old"
			})},
		},
		{
			name: "serviceAccountName wins over deprecated serviceAccount",
			in:   &corev1.Pod{Spec: corev1.PodSpec{ServiceAccountName: "new", DeprecatedServiceAccount: "old"}},
			want: &corev1.Pod{Spec: defaultedPodSpec(func(s *corev1.PodSpec) {
				s.ServiceAccountName, s.DeprecatedServiceAccount = "new", "new"
			})},
		},
		{
			name: "container defaults",
			in: &corev1.Pod{Spec: corev1.PodSpec{Containers: []corev1.Container{{
				Name:  "app",
				Image: "nginx:1.27",
				Ports: []corev1.ContainerPort{{ContainerPort: 80}, {ContainerPort: 53, Protocol: corev1.ProtocolUDP}},
				Env: []corev1.EnvVar{
					{Name: "A", Value: "a"},
					{Name: "NODE", ValueFrom: &corev1.EnvVarSource{FieldRef: &corev1.ObjectFieldSelector{FieldPath: "spec.nodeName"}}},
					{Name: "F", ValueFrom: &corev1.EnvVarSource{FileKeyRef: &corev1.FileKeySelector{VolumeName: "v", Path: "p", Key: "k"}}},
				},
			}}}},
			want: &corev1.Pod{Spec: defaultedPodSpec(func(s *corev1.PodSpec) {
				c := defaultedContainer("app")
				c.Ports = []corev1.ContainerPort{
					{ContainerPort: 80, Protocol: corev1.ProtocolTCP},
					{ContainerPort: 53, Protocol: corev1.ProtocolUDP},
				}
				c.Env = []corev1.EnvVar{
					{Name: "A", Value: "a"},
					{Name: "NODE", ValueFrom: &corev1.EnvVarSource{FieldRef: &corev1.ObjectFieldSelector{APIVersion: "v1", FieldPath: "spec.nodeName"}}},
					{Name: "F", ValueFrom: &corev1.EnvVarSource{FileKeyRef: &corev1.FileKeySelector{VolumeName: "v", Path: "p", Key: "k", Optional: ptr.To(false)}}},
				}
				s.Containers = []corev1.Container{c}
			})},
		},
		{
			name: "probe and lifecycle defaults",
			in: &corev1.Pod{Spec: corev1.PodSpec{Containers: []corev1.Container{{
				Name:  "app",
				Image: "nginx:1.27",
				LivenessProbe: &corev1.Probe{ProbeHandler: corev1.ProbeHandler{
					HTTPGet: &corev1.HTTPGetAction{Port: intstr.FromInt32(8080)},
				}},
				ReadinessProbe: &corev1.Probe{
					ProbeHandler:   corev1.ProbeHandler{GRPC: &corev1.GRPCAction{Port: 9090}},
					TimeoutSeconds: 5, PeriodSeconds: 7, SuccessThreshold: 2, FailureThreshold: 9,
				},
				StartupProbe: &corev1.Probe{ProbeHandler: corev1.ProbeHandler{
					HTTPGet: &corev1.HTTPGetAction{Path: "/healthz", Scheme: corev1.URISchemeHTTPS, Port: intstr.FromInt32(443)},
				}},
				Lifecycle: &corev1.Lifecycle{
					PostStart: &corev1.LifecycleHandler{HTTPGet: &corev1.HTTPGetAction{Port: intstr.FromInt32(80)}},
					PreStop:   &corev1.LifecycleHandler{Exec: &corev1.ExecAction{Command: []string{"true"}}},
				},
			}}}},
			want: &corev1.Pod{Spec: defaultedPodSpec(func(s *corev1.PodSpec) {
				c := defaultedContainer("app")
				c.LivenessProbe = &corev1.Probe{
					ProbeHandler: corev1.ProbeHandler{HTTPGet: &corev1.HTTPGetAction{
						Path: "/", Scheme: corev1.URISchemeHTTP, Port: intstr.FromInt32(8080),
					}},
					TimeoutSeconds: 1, PeriodSeconds: 10, SuccessThreshold: 1, FailureThreshold: 3,
				}
				c.ReadinessProbe = &corev1.Probe{
					ProbeHandler:   corev1.ProbeHandler{GRPC: &corev1.GRPCAction{Port: 9090, Service: ptr.To("")}},
					TimeoutSeconds: 5, PeriodSeconds: 7, SuccessThreshold: 2, FailureThreshold: 9,
				}
				c.StartupProbe = &corev1.Probe{
					ProbeHandler: corev1.ProbeHandler{HTTPGet: &corev1.HTTPGetAction{
						Path: "/healthz", Scheme: corev1.URISchemeHTTPS, Port: intstr.FromInt32(443),
					}},
					TimeoutSeconds: 1, PeriodSeconds: 10, SuccessThreshold: 1, FailureThreshold: 3,
				}
				c.Lifecycle = &corev1.Lifecycle{
					PostStart: &corev1.LifecycleHandler{HTTPGet: &corev1.HTTPGetAction{
						Path: "/", Scheme: corev1.URISchemeHTTP, Port: intstr.FromInt32(80),
					}},
					PreStop: &corev1.LifecycleHandler{Exec: &corev1.ExecAction{Command: []string{"true"}}},
				}
				s.Containers = []corev1.Container{c}
			})},
		},
		{
			name: "limits fill missing requests of containers and init containers, rounded up to milli",
			in: &corev1.Pod{Spec: corev1.PodSpec{
				InitContainers: []corev1.Container{{Name: "init", Image: "nginx:1.27", Resources: corev1.ResourceRequirements{
					Limits: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("100m")},
				}}},
				Containers: []corev1.Container{{Name: "app", Image: "nginx:1.27", Resources: corev1.ResourceRequirements{
					Limits: corev1.ResourceList{
						corev1.ResourceCPU:    resource.MustParse("0.0005"),
						corev1.ResourceMemory: resource.MustParse("1Gi"),
					},
					Requests: corev1.ResourceList{corev1.ResourceMemory: resource.MustParse("512Mi")},
				}}},
			}},
			want: &corev1.Pod{Spec: defaultedPodSpec(func(s *corev1.PodSpec) {
				ic := defaultedContainer("init")
				ic.Resources = corev1.ResourceRequirements{
					Limits:   corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("100m")},
					Requests: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("100m")},
				}
				c := defaultedContainer("app")
				c.Resources = corev1.ResourceRequirements{
					Limits: corev1.ResourceList{
						corev1.ResourceCPU:    resource.MustParse("1m"),
						corev1.ResourceMemory: resource.MustParse("1Gi"),
					},
					Requests: corev1.ResourceList{
						corev1.ResourceCPU:    resource.MustParse("1m"),
						corev1.ResourceMemory: resource.MustParse("512Mi"),
					},
				}
				s.InitContainers = []corev1.Container{ic}
				s.Containers = []corev1.Container{c}
			})},
		},
		{
			name: "host network publishes container ports on the host",
			in: &corev1.Pod{Spec: corev1.PodSpec{
				HostNetwork:    true,
				InitContainers: []corev1.Container{{Name: "init", Image: "nginx:1.27", Ports: []corev1.ContainerPort{{ContainerPort: 9000}}}},
				Containers: []corev1.Container{{Name: "app", Image: "nginx:1.27", Ports: []corev1.ContainerPort{
					{ContainerPort: 80}, {ContainerPort: 443, HostPort: 443},
				}}},
			}},
			want: &corev1.Pod{Spec: defaultedPodSpec(func(s *corev1.PodSpec) {
				s.HostNetwork = true
				ic := defaultedContainer("init")
				ic.Ports = []corev1.ContainerPort{{ContainerPort: 9000, HostPort: 9000, Protocol: corev1.ProtocolTCP}}
				c := defaultedContainer("app")
				c.Ports = []corev1.ContainerPort{
					{ContainerPort: 80, HostPort: 80, Protocol: corev1.ProtocolTCP},
					{ContainerPort: 443, HostPort: 443, Protocol: corev1.ProtocolTCP},
				}
				s.InitContainers = []corev1.Container{ic}
				s.Containers = []corev1.Container{c}
			})},
		},
		{
			name: "ephemeral containers get container defaults but not requests from limits",
			in: &corev1.Pod{Spec: corev1.PodSpec{EphemeralContainers: []corev1.EphemeralContainer{{
				EphemeralContainerCommon: corev1.EphemeralContainerCommon{
					Name: "debug", Image: "busybox",
					Ports: []corev1.ContainerPort{{ContainerPort: 8080}},
				},
				TargetContainerName: "app",
			}}}},
			want: &corev1.Pod{Spec: defaultedPodSpec(func(s *corev1.PodSpec) {
				s.EphemeralContainers = []corev1.EphemeralContainer{{
					EphemeralContainerCommon: corev1.EphemeralContainerCommon{
						Name: "debug", Image: "busybox",
						ImagePullPolicy:          corev1.PullAlways,
						TerminationMessagePath:   "/dev/termination-log",
						TerminationMessagePolicy: corev1.TerminationMessageReadFile,
						Ports:                    []corev1.ContainerPort{{ContainerPort: 8080, Protocol: corev1.ProtocolTCP}},
					},
					TargetContainerName: "app",
				}}
			})},
		},
		{
			name: "podIP fills podIPs",
			in:   &corev1.Pod{Status: corev1.PodStatus{PodIP: "10.0.0.1"}},
			want: &corev1.Pod{Spec: defaultedPodSpec(nil), Status: corev1.PodStatus{
				PodIP: "10.0.0.1", PodIPs: []corev1.PodIP{{IP: "10.0.0.1"}},
			}},
		},
		{
			name: "podIPs fills podIP",
			in:   &corev1.Pod{Status: corev1.PodStatus{PodIPs: []corev1.PodIP{{IP: "10.0.0.1"}, {IP: "fd00::1"}}}},
			want: &corev1.Pod{Spec: defaultedPodSpec(nil), Status: corev1.PodStatus{
				PodIP: "10.0.0.1", PodIPs: []corev1.PodIP{{IP: "10.0.0.1"}, {IP: "fd00::1"}},
			}},
		},
		{
			name: "podIP wins a conflict with podIPs",
			in: &corev1.Pod{Status: corev1.PodStatus{
				PodIP: "10.0.0.2", PodIPs: []corev1.PodIP{{IP: "10.0.0.1"}, {IP: "fd00::1"}},
			}},
			want: &corev1.Pod{Spec: defaultedPodSpec(nil), Status: corev1.PodStatus{
				PodIP: "10.0.0.2", PodIPs: []corev1.PodIP{{IP: "10.0.0.2"}},
			}},
		},
		{
			name: "pod-level resources are rounded but not defaulted",
			in: &corev1.Pod{Spec: corev1.PodSpec{
				Resources: &corev1.ResourceRequirements{Limits: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("0.0001")}},
				Overhead:  corev1.ResourceList{corev1.ResourceMemory: resource.MustParse("0.5m")},
			}},
			want: &corev1.Pod{Spec: defaultedPodSpec(func(s *corev1.PodSpec) {
				s.Resources = &corev1.ResourceRequirements{Limits: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("1m")}}
				s.Overhead = corev1.ResourceList{corev1.ResourceMemory: resource.MustParse("1m")}
			})},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := tt.in.DeepCopy()
			SetObjectDefaultsPod(got)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("SetObjectDefaultsPod() mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestPullPolicyFor(t *testing.T) {
	tests := []struct {
		image string
		want  corev1.PullPolicy
	}{
		{"nginx", corev1.PullAlways},
		{"nginx:latest", corev1.PullAlways},
		{"nginx:1.27", corev1.PullIfNotPresent},
		{"library/nginx", corev1.PullAlways},
		{"docker.io/library/nginx:latest", corev1.PullAlways},
		{"registry.example.com:5000/team/app", corev1.PullAlways},
		{"registry.example.com:5000/team/app:v2", corev1.PullIfNotPresent},
		{"localhost/app", corev1.PullAlways},
		{"[fd00::1]:5000/app:1", corev1.PullIfNotPresent},
		{"nginx@" + digest, corev1.PullIfNotPresent},
		{"nginx:latest@" + digest, corev1.PullAlways},
		{"nginx:1.27@" + digest, corev1.PullIfNotPresent},
		// Names that do not parse get IfNotPresent, even without a tag.
		{"", corev1.PullIfNotPresent},
		{"Nginx", corev1.PullIfNotPresent},
		{"nginx:", corev1.PullIfNotPresent},
		{"nginx@sha256:abc", corev1.PullIfNotPresent},
		{"nginx@md5:0123456789abcdef0123456789abcdef", corev1.PullIfNotPresent},
		{"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", corev1.PullIfNotPresent},
		{"-bad-", corev1.PullIfNotPresent},
		// An upper-case first component is a registry, not a path.
		{"Registry/app", corev1.PullAlways},
		// The path after the registry, library/ included, is at most 255 bytes.
		{"registry.example.com/" + strings.Repeat("a", 255), corev1.PullAlways},
		{strings.Repeat("a", 247), corev1.PullAlways},
		{strings.Repeat("a", 248), corev1.PullIfNotPresent},
	}
	for _, tt := range tests {
		t.Run(tt.image, func(t *testing.T) {
			if got := pullPolicyFor(tt.image); got != tt.want {
				t.Errorf("pullPolicyFor(%q) = %q, want %q", tt.image, got, tt.want)
			}
		})
	}
}

func TestVolumeDefaults(t *testing.T) {
	tests := []struct {
		name string
		in   corev1.VolumeSource
		want corev1.VolumeSource
	}{
		{
			name: "no source is an emptyDir",
			in:   corev1.VolumeSource{},
			want: corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{}},
		},
		{
			name: "hostPath type is empty",
			in:   corev1.VolumeSource{HostPath: &corev1.HostPathVolumeSource{Path: "/data"}},
			want: corev1.VolumeSource{HostPath: &corev1.HostPathVolumeSource{Path: "/data", Type: ptr.To(corev1.HostPathUnset)}},
		},
		{
			name: "secret mode 0644",
			in:   corev1.VolumeSource{Secret: &corev1.SecretVolumeSource{SecretName: "s"}},
			want: corev1.VolumeSource{Secret: &corev1.SecretVolumeSource{SecretName: "s", DefaultMode: ptr.To[int32](0o644)}},
		},
		{
			name: "set secret mode is kept",
			in:   corev1.VolumeSource{Secret: &corev1.SecretVolumeSource{SecretName: "s", DefaultMode: ptr.To[int32](0o400)}},
			want: corev1.VolumeSource{Secret: &corev1.SecretVolumeSource{SecretName: "s", DefaultMode: ptr.To[int32](0o400)}},
		},
		{
			name: "configMap mode 0644",
			in:   corev1.VolumeSource{ConfigMap: &corev1.ConfigMapVolumeSource{LocalObjectReference: corev1.LocalObjectReference{Name: "c"}}},
			want: corev1.VolumeSource{ConfigMap: &corev1.ConfigMapVolumeSource{
				LocalObjectReference: corev1.LocalObjectReference{Name: "c"}, DefaultMode: ptr.To[int32](0o644),
			}},
		},
		{
			name: "downwardAPI mode and field apiVersion",
			in: corev1.VolumeSource{DownwardAPI: &corev1.DownwardAPIVolumeSource{Items: []corev1.DownwardAPIVolumeFile{
				{Path: "name", FieldRef: &corev1.ObjectFieldSelector{FieldPath: "metadata.name"}},
				{Path: "cpu", ResourceFieldRef: &corev1.ResourceFieldSelector{Resource: "limits.cpu"}},
			}}},
			want: corev1.VolumeSource{DownwardAPI: &corev1.DownwardAPIVolumeSource{DefaultMode: ptr.To[int32](0o644), Items: []corev1.DownwardAPIVolumeFile{
				{Path: "name", FieldRef: &corev1.ObjectFieldSelector{APIVersion: "v1", FieldPath: "metadata.name"}},
				{Path: "cpu", ResourceFieldRef: &corev1.ResourceFieldSelector{Resource: "limits.cpu"}},
			}}},
		},
		{
			name: "projected mode, field apiVersion and token expiry",
			in: corev1.VolumeSource{Projected: &corev1.ProjectedVolumeSource{Sources: []corev1.VolumeProjection{
				{ServiceAccountToken: &corev1.ServiceAccountTokenProjection{Path: "token"}},
				{DownwardAPI: &corev1.DownwardAPIProjection{Items: []corev1.DownwardAPIVolumeFile{
					{Path: "ns", FieldRef: &corev1.ObjectFieldSelector{FieldPath: "metadata.namespace"}},
				}}},
				{ConfigMap: &corev1.ConfigMapProjection{LocalObjectReference: corev1.LocalObjectReference{Name: "ca"}}},
			}}},
			want: corev1.VolumeSource{Projected: &corev1.ProjectedVolumeSource{DefaultMode: ptr.To[int32](0o644), Sources: []corev1.VolumeProjection{
				{ServiceAccountToken: &corev1.ServiceAccountTokenProjection{Path: "token", ExpirationSeconds: ptr.To[int64](3600)}},
				{DownwardAPI: &corev1.DownwardAPIProjection{Items: []corev1.DownwardAPIVolumeFile{
					{Path: "ns", FieldRef: &corev1.ObjectFieldSelector{APIVersion: "v1", FieldPath: "metadata.namespace"}},
				}}},
				{ConfigMap: &corev1.ConfigMapProjection{LocalObjectReference: corev1.LocalObjectReference{Name: "ca"}}},
			}}},
		},
		{
			name: "iscsi interface",
			in:   corev1.VolumeSource{ISCSI: &corev1.ISCSIVolumeSource{TargetPortal: "t", IQN: "i"}},
			want: corev1.VolumeSource{ISCSI: &corev1.ISCSIVolumeSource{TargetPortal: "t", IQN: "i", ISCSIInterface: "default"}},
		},
		{
			name: "rbd pool, user and keyring",
			in:   corev1.VolumeSource{RBD: &corev1.RBDVolumeSource{CephMonitors: []string{"m"}, RBDImage: "img"}},
			want: corev1.VolumeSource{RBD: &corev1.RBDVolumeSource{
				CephMonitors: []string{"m"}, RBDImage: "img", RBDPool: "rbd", RadosUser: "admin", Keyring: "/etc/ceph/keyring",
			}},
		},
		{
			name: "azure disk",
			in:   corev1.VolumeSource{AzureDisk: &corev1.AzureDiskVolumeSource{DiskName: "d", DataDiskURI: "u"}},
			want: corev1.VolumeSource{AzureDisk: &corev1.AzureDiskVolumeSource{
				DiskName: "d", DataDiskURI: "u",
				CachingMode: ptr.To(corev1.AzureDataDiskCachingReadWrite), FSType: ptr.To("ext4"),
				ReadOnly: ptr.To(false), Kind: ptr.To(corev1.AzureSharedBlobDisk),
			}},
		},
		{
			name: "scaleIO storage mode and fs",
			in:   corev1.VolumeSource{ScaleIO: &corev1.ScaleIOVolumeSource{Gateway: "g", System: "s"}},
			want: corev1.VolumeSource{ScaleIO: &corev1.ScaleIOVolumeSource{Gateway: "g", System: "s", StorageMode: "ThinProvisioned", FSType: "xfs"}},
		},
		{
			name: "ephemeral claim template gets a volume mode",
			in: corev1.VolumeSource{Ephemeral: &corev1.EphemeralVolumeSource{VolumeClaimTemplate: &corev1.PersistentVolumeClaimTemplate{
				Spec: corev1.PersistentVolumeClaimSpec{Resources: corev1.VolumeResourceRequirements{
					Requests: corev1.ResourceList{corev1.ResourceStorage: resource.MustParse("1Gi")},
				}},
			}}},
			want: corev1.VolumeSource{Ephemeral: &corev1.EphemeralVolumeSource{VolumeClaimTemplate: &corev1.PersistentVolumeClaimTemplate{
				Spec: corev1.PersistentVolumeClaimSpec{
					VolumeMode: ptr.To(corev1.PersistentVolumeFilesystem),
					Resources: corev1.VolumeResourceRequirements{
						Requests: corev1.ResourceList{corev1.ResourceStorage: resource.MustParse("1Gi")},
					},
				},
			}}},
		},
		{
			name: "image pull policy follows the tag",
			in:   corev1.VolumeSource{Image: &corev1.ImageVolumeSource{Reference: "example.com/data:latest"}},
			want: corev1.VolumeSource{Image: &corev1.ImageVolumeSource{Reference: "example.com/data:latest", PullPolicy: corev1.PullAlways}},
		},
		{
			name: "pinned image pulls if not present",
			in:   corev1.VolumeSource{Image: &corev1.ImageVolumeSource{Reference: "example.com/data:v1"}},
			want: corev1.VolumeSource{Image: &corev1.ImageVolumeSource{Reference: "example.com/data:v1", PullPolicy: corev1.PullIfNotPresent}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			spec := &corev1.PodSpec{Volumes: []corev1.Volume{{Name: "v", VolumeSource: *tt.in.DeepCopy()}}}
			SetDefaultsPodSpec(spec)
			if diff := cmp.Diff(tt.want, spec.Volumes[0].VolumeSource); diff != "" {
				t.Errorf("volume source mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestSetObjectDefaultsPodTemplate(t *testing.T) {
	tests := []struct {
		name string
		in   *corev1.PodTemplate
		want *corev1.PodTemplate
	}{
		{
			name: "template gets spec defaults but not the pod-only ones",
			in: &corev1.PodTemplate{Template: corev1.PodTemplateSpec{Spec: corev1.PodSpec{
				HostNetwork: true,
				Containers: []corev1.Container{{Name: "app", Image: "nginx:1.27",
					Ports:     []corev1.ContainerPort{{ContainerPort: 80}},
					Resources: corev1.ResourceRequirements{Limits: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("1")}},
				}},
			}}},
			want: &corev1.PodTemplate{Template: corev1.PodTemplateSpec{Spec: defaultedSpec(func(s *corev1.PodSpec) {
				s.HostNetwork = true
				c := defaultedContainer("app")
				c.Ports = []corev1.ContainerPort{{ContainerPort: 80, Protocol: corev1.ProtocolTCP}}
				c.Resources = corev1.ResourceRequirements{Limits: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("1")}}
				s.Containers = []corev1.Container{c}
			})}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := tt.in.DeepCopy()
			SetObjectDefaultsPodTemplate(got)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("SetObjectDefaultsPodTemplate() mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestSetObjectDefaultsService(t *testing.T) {
	cluster := ptr.To(corev1.ServiceInternalTrafficPolicyCluster)
	tests := []struct {
		name string
		in   corev1.ServiceSpec
		want corev1.ServiceSpec
	}{
		{
			name: "empty service is ClusterIP without affinity",
			in:   corev1.ServiceSpec{},
			want: corev1.ServiceSpec{
				Type: corev1.ServiceTypeClusterIP, SessionAffinity: corev1.ServiceAffinityNone, InternalTrafficPolicy: cluster,
			},
		},
		{
			name: "ports get TCP and a target port",
			in: corev1.ServiceSpec{Ports: []corev1.ServicePort{
				{Name: "http", Port: 80},
				{Name: "dns", Port: 53, Protocol: corev1.ProtocolUDP, TargetPort: intstr.FromString("")},
				{Name: "named", Port: 443, TargetPort: intstr.FromString("https")},
				{Name: "number", Port: 8080, TargetPort: intstr.FromInt32(80)},
			}},
			want: corev1.ServiceSpec{
				Type: corev1.ServiceTypeClusterIP, SessionAffinity: corev1.ServiceAffinityNone, InternalTrafficPolicy: cluster,
				Ports: []corev1.ServicePort{
					{Name: "http", Port: 80, Protocol: corev1.ProtocolTCP, TargetPort: intstr.FromInt32(80)},
					{Name: "dns", Port: 53, Protocol: corev1.ProtocolUDP, TargetPort: intstr.FromInt32(53)},
					{Name: "named", Port: 443, Protocol: corev1.ProtocolTCP, TargetPort: intstr.FromString("https")},
					{Name: "number", Port: 8080, Protocol: corev1.ProtocolTCP, TargetPort: intstr.FromInt32(80)},
				},
			},
		},
		{
			name: "ClientIP affinity gets a three-hour timeout",
			in:   corev1.ServiceSpec{SessionAffinity: corev1.ServiceAffinityClientIP},
			want: corev1.ServiceSpec{
				Type: corev1.ServiceTypeClusterIP, InternalTrafficPolicy: cluster,
				SessionAffinity:       corev1.ServiceAffinityClientIP,
				SessionAffinityConfig: &corev1.SessionAffinityConfig{ClientIP: &corev1.ClientIPConfig{TimeoutSeconds: ptr.To[int32](10800)}},
			},
		},
		{
			name: "ClientIP timeout is kept",
			in: corev1.ServiceSpec{
				SessionAffinity:       corev1.ServiceAffinityClientIP,
				SessionAffinityConfig: &corev1.SessionAffinityConfig{ClientIP: &corev1.ClientIPConfig{TimeoutSeconds: ptr.To[int32](60)}},
			},
			want: corev1.ServiceSpec{
				Type: corev1.ServiceTypeClusterIP, InternalTrafficPolicy: cluster,
				SessionAffinity:       corev1.ServiceAffinityClientIP,
				SessionAffinityConfig: &corev1.SessionAffinityConfig{ClientIP: &corev1.ClientIPConfig{TimeoutSeconds: ptr.To[int32](60)}},
			},
		},
		{
			name: "affinity config without affinity is dropped",
			in: corev1.ServiceSpec{
				SessionAffinityConfig: &corev1.SessionAffinityConfig{ClientIP: &corev1.ClientIPConfig{TimeoutSeconds: ptr.To[int32](60)}},
			},
			want: corev1.ServiceSpec{
				Type: corev1.ServiceTypeClusterIP, SessionAffinity: corev1.ServiceAffinityNone, InternalTrafficPolicy: cluster,
			},
		},
		{
			name: "ClusterIP with external IPs gets an external traffic policy",
			in:   corev1.ServiceSpec{ExternalIPs: []string{"192.0.2.1"}},
			want: corev1.ServiceSpec{
				Type: corev1.ServiceTypeClusterIP, SessionAffinity: corev1.ServiceAffinityNone, InternalTrafficPolicy: cluster,
				ExternalIPs: []string{"192.0.2.1"}, ExternalTrafficPolicy: corev1.ServiceExternalTrafficPolicyCluster,
			},
		},
		{
			name: "NodePort gets an external traffic policy",
			in:   corev1.ServiceSpec{Type: corev1.ServiceTypeNodePort},
			want: corev1.ServiceSpec{
				Type: corev1.ServiceTypeNodePort, SessionAffinity: corev1.ServiceAffinityNone, InternalTrafficPolicy: cluster,
				ExternalTrafficPolicy: corev1.ServiceExternalTrafficPolicyCluster,
			},
		},
		{
			name: "LoadBalancer allocates node ports",
			in:   corev1.ServiceSpec{Type: corev1.ServiceTypeLoadBalancer, ExternalTrafficPolicy: corev1.ServiceExternalTrafficPolicyLocal},
			want: corev1.ServiceSpec{
				Type: corev1.ServiceTypeLoadBalancer, SessionAffinity: corev1.ServiceAffinityNone, InternalTrafficPolicy: cluster,
				ExternalTrafficPolicy: corev1.ServiceExternalTrafficPolicyLocal, AllocateLoadBalancerNodePorts: ptr.To(true),
			},
		},
		{
			name: "ExternalName gets no traffic policies",
			in:   corev1.ServiceSpec{Type: corev1.ServiceTypeExternalName, ExternalName: "example.com"},
			want: corev1.ServiceSpec{
				Type: corev1.ServiceTypeExternalName, ExternalName: "example.com", SessionAffinity: corev1.ServiceAffinityNone,
			},
		},
		{
			name: "cluster IPs and IP families are left to the allocator",
			in:   corev1.ServiceSpec{Selector: map[string]string{"app": "a"}},
			want: corev1.ServiceSpec{
				Type: corev1.ServiceTypeClusterIP, SessionAffinity: corev1.ServiceAffinityNone, InternalTrafficPolicy: cluster,
				Selector: map[string]string{"app": "a"},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := &corev1.Service{Spec: *tt.in.DeepCopy()}
			SetObjectDefaultsService(got)
			if diff := cmp.Diff(&corev1.Service{Spec: tt.want}, got); diff != "" {
				t.Errorf("SetObjectDefaultsService() mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestServiceLoadBalancerIPMode(t *testing.T) {
	tests := []struct {
		name    string
		svcType corev1.ServiceType
		in      []corev1.LoadBalancerIngress
		want    []corev1.LoadBalancerIngress
	}{
		{
			name:    "IP ingress of a LoadBalancer is a VIP",
			svcType: corev1.ServiceTypeLoadBalancer,
			in: []corev1.LoadBalancerIngress{
				{IP: "192.0.2.1"},
				{Hostname: "lb.example.com"},
				{IP: "192.0.2.2", IPMode: ptr.To(corev1.LoadBalancerIPModeProxy)},
			},
			want: []corev1.LoadBalancerIngress{
				{IP: "192.0.2.1", IPMode: ptr.To(corev1.LoadBalancerIPModeVIP)},
				{Hostname: "lb.example.com"},
				{IP: "192.0.2.2", IPMode: ptr.To(corev1.LoadBalancerIPModeProxy)},
			},
		},
		{
			name:    "other types are not touched",
			svcType: corev1.ServiceTypeNodePort,
			in:      []corev1.LoadBalancerIngress{{IP: "192.0.2.1"}},
			want:    []corev1.LoadBalancerIngress{{IP: "192.0.2.1"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			svc := &corev1.Service{Spec: corev1.ServiceSpec{Type: tt.svcType}}
			svc.Status.LoadBalancer.Ingress = tt.in
			SetObjectDefaultsService(svc)
			if diff := cmp.Diff(tt.want, svc.Status.LoadBalancer.Ingress); diff != "" {
				t.Errorf("ingress mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestSetObjectDefaultsNamespace(t *testing.T) {
	tests := []struct {
		name string
		in   *corev1.Namespace
		want *corev1.Namespace
	}{
		{
			name: "named namespace is labelled and Active",
			in:   &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "team", Labels: map[string]string{"a": "b"}}},
			want: &corev1.Namespace{
				ObjectMeta: metav1.ObjectMeta{Name: "team", Labels: map[string]string{"a": "b", "kubernetes.io/metadata.name": "team"}},
				Status:     corev1.NamespaceStatus{Phase: corev1.NamespaceActive},
			},
		},
		{
			name: "a wrong name label is corrected",
			in:   &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "team", Labels: map[string]string{"kubernetes.io/metadata.name": "other"}}},
			want: &corev1.Namespace{
				ObjectMeta: metav1.ObjectMeta{Name: "team", Labels: map[string]string{"kubernetes.io/metadata.name": "team"}},
				Status:     corev1.NamespaceStatus{Phase: corev1.NamespaceActive},
			},
		},
		{
			name: "generateName namespace is not labelled; finalizers are left to the registry",
			in:   &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{GenerateName: "team-"}},
			want: &corev1.Namespace{
				ObjectMeta: metav1.ObjectMeta{GenerateName: "team-"},
				Status:     corev1.NamespaceStatus{Phase: corev1.NamespaceActive},
			},
		},
		{
			name: "Terminating is kept",
			in:   &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "x"}, Status: corev1.NamespaceStatus{Phase: corev1.NamespaceTerminating}},
			want: &corev1.Namespace{
				ObjectMeta: metav1.ObjectMeta{Name: "x", Labels: map[string]string{"kubernetes.io/metadata.name": "x"}},
				Status:     corev1.NamespaceStatus{Phase: corev1.NamespaceTerminating},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := tt.in.DeepCopy()
			SetObjectDefaultsNamespace(got)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("SetObjectDefaultsNamespace() mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestSetObjectDefaultsNode(t *testing.T) {
	capacity := corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("4"), corev1.ResourcePods: resource.MustParse("110")}
	tests := []struct {
		name string
		in   corev1.NodeStatus
		want corev1.NodeStatus
	}{
		{
			name: "allocatable defaults to capacity",
			in:   corev1.NodeStatus{Capacity: capacity},
			want: corev1.NodeStatus{Capacity: capacity, Allocatable: capacity},
		},
		{
			name: "reported allocatable is kept",
			in:   corev1.NodeStatus{Capacity: capacity, Allocatable: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("3")}},
			want: corev1.NodeStatus{Capacity: capacity, Allocatable: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("3")}},
		},
		{
			name: "no capacity, no allocatable",
			in:   corev1.NodeStatus{},
			want: corev1.NodeStatus{},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := &corev1.Node{Status: *tt.in.DeepCopy()}
			SetObjectDefaultsNode(got)
			if diff := cmp.Diff(&corev1.Node{Status: tt.want}, got); diff != "" {
				t.Errorf("SetObjectDefaultsNode() mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestSetObjectDefaultsSecret(t *testing.T) {
	tests := []struct {
		name string
		in   corev1.SecretType
		want corev1.SecretType
	}{
		{name: "untyped is Opaque", in: "", want: corev1.SecretTypeOpaque},
		{name: "type is kept", in: corev1.SecretTypeTLS, want: corev1.SecretTypeTLS},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := &corev1.Secret{Type: tt.in}
			SetObjectDefaultsSecret(got)
			if diff := cmp.Diff(&corev1.Secret{Type: tt.want}, got); diff != "" {
				t.Errorf("SetObjectDefaultsSecret() mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestMergeSecretStringData(t *testing.T) {
	tests := []struct {
		name string
		in   corev1.Secret
		want map[string][]byte
	}{
		{name: "data alone", in: corev1.Secret{Data: map[string][]byte{"a": []byte("1")}}, want: map[string][]byte{"a": []byte("1")}},
		{name: "stringData alone", in: corev1.Secret{StringData: map[string]string{"a": "1"}}, want: map[string][]byte{"a": []byte("1")}},
		{name: "stringData wins", in: corev1.Secret{Data: map[string][]byte{"a": []byte("1"), "b": []byte("2")}, StringData: map[string]string{"b": "3"}},
			want: map[string][]byte{"a": []byte("1"), "b": []byte("3")}},
		{name: "neither", in: corev1.Secret{}, want: nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := tt.in.DeepCopy()
			MergeSecretStringData(got)
			if diff := cmp.Diff(&corev1.Secret{Data: tt.want}, got); diff != "" {
				t.Errorf("MergeSecretStringData() mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestSetObjectDefaultsConfigMap(t *testing.T) {
	tests := []struct {
		name string
		in   *corev1.ConfigMap
		want *corev1.ConfigMap
	}{
		{name: "nil data becomes empty", in: &corev1.ConfigMap{}, want: &corev1.ConfigMap{Data: map[string]string{}}},
		{
			name: "data is kept",
			in:   &corev1.ConfigMap{Data: map[string]string{"k": "v"}},
			want: &corev1.ConfigMap{Data: map[string]string{"k": "v"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := tt.in.DeepCopy()
			SetObjectDefaultsConfigMap(got)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("SetObjectDefaultsConfigMap() mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestSetObjectDefaultsPersistentVolume(t *testing.T) {
	tests := []struct {
		name string
		in   *corev1.PersistentVolume
		want *corev1.PersistentVolume
	}{
		{
			name: "Pending, Retain, Filesystem",
			in:   &corev1.PersistentVolume{},
			want: &corev1.PersistentVolume{
				Spec: corev1.PersistentVolumeSpec{
					PersistentVolumeReclaimPolicy: corev1.PersistentVolumeReclaimRetain,
					VolumeMode:                    ptr.To(corev1.PersistentVolumeFilesystem),
				},
				Status: corev1.PersistentVolumeStatus{Phase: corev1.VolumePending},
			},
		},
		{
			name: "set fields are kept and the source is defaulted",
			in: &corev1.PersistentVolume{
				Spec: corev1.PersistentVolumeSpec{
					PersistentVolumeReclaimPolicy: corev1.PersistentVolumeReclaimDelete,
					VolumeMode:                    ptr.To(corev1.PersistentVolumeBlock),
					Capacity:                      corev1.ResourceList{corev1.ResourceStorage: resource.MustParse("0.5m")},
					PersistentVolumeSource: corev1.PersistentVolumeSource{
						RBD: &corev1.RBDPersistentVolumeSource{CephMonitors: []string{"m"}, RBDImage: "img"},
					},
				},
				Status: corev1.PersistentVolumeStatus{Phase: corev1.VolumeBound},
			},
			want: &corev1.PersistentVolume{
				Spec: corev1.PersistentVolumeSpec{
					PersistentVolumeReclaimPolicy: corev1.PersistentVolumeReclaimDelete,
					VolumeMode:                    ptr.To(corev1.PersistentVolumeBlock),
					Capacity:                      corev1.ResourceList{corev1.ResourceStorage: resource.MustParse("1m")},
					PersistentVolumeSource: corev1.PersistentVolumeSource{
						RBD: &corev1.RBDPersistentVolumeSource{
							CephMonitors: []string{"m"}, RBDImage: "img", RBDPool: "rbd", RadosUser: "admin", Keyring: "/etc/ceph/keyring",
						},
					},
				},
				Status: corev1.PersistentVolumeStatus{Phase: corev1.VolumeBound},
			},
		},
		{
			name: "hostPath, iscsi and scaleIO sources",
			in: &corev1.PersistentVolume{Spec: corev1.PersistentVolumeSpec{PersistentVolumeSource: corev1.PersistentVolumeSource{
				HostPath: &corev1.HostPathVolumeSource{Path: "/d"},
				ISCSI:    &corev1.ISCSIPersistentVolumeSource{TargetPortal: "t"},
				ScaleIO:  &corev1.ScaleIOPersistentVolumeSource{System: "s"},
			}}},
			want: &corev1.PersistentVolume{
				Spec: corev1.PersistentVolumeSpec{
					PersistentVolumeReclaimPolicy: corev1.PersistentVolumeReclaimRetain,
					VolumeMode:                    ptr.To(corev1.PersistentVolumeFilesystem),
					PersistentVolumeSource: corev1.PersistentVolumeSource{
						HostPath: &corev1.HostPathVolumeSource{Path: "/d", Type: ptr.To(corev1.HostPathUnset)},
						ISCSI:    &corev1.ISCSIPersistentVolumeSource{TargetPortal: "t", ISCSIInterface: "default"},
						ScaleIO:  &corev1.ScaleIOPersistentVolumeSource{System: "s", StorageMode: "ThinProvisioned", FSType: "xfs"},
					},
				},
				Status: corev1.PersistentVolumeStatus{Phase: corev1.VolumePending},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := tt.in.DeepCopy()
			SetObjectDefaultsPersistentVolume(got)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("SetObjectDefaultsPersistentVolume() mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestSetObjectDefaultsPersistentVolumeClaim(t *testing.T) {
	tests := []struct {
		name string
		in   *corev1.PersistentVolumeClaim
		want *corev1.PersistentVolumeClaim
	}{
		{
			name: "Pending and Filesystem",
			in:   &corev1.PersistentVolumeClaim{},
			want: &corev1.PersistentVolumeClaim{
				Spec:   corev1.PersistentVolumeClaimSpec{VolumeMode: ptr.To(corev1.PersistentVolumeFilesystem)},
				Status: corev1.PersistentVolumeClaimStatus{Phase: corev1.ClaimPending},
			},
		},
		{
			name: "set fields are kept",
			in: &corev1.PersistentVolumeClaim{
				Spec:   corev1.PersistentVolumeClaimSpec{VolumeMode: ptr.To(corev1.PersistentVolumeBlock)},
				Status: corev1.PersistentVolumeClaimStatus{Phase: corev1.ClaimBound},
			},
			want: &corev1.PersistentVolumeClaim{
				Spec:   corev1.PersistentVolumeClaimSpec{VolumeMode: ptr.To(corev1.PersistentVolumeBlock)},
				Status: corev1.PersistentVolumeClaimStatus{Phase: corev1.ClaimBound},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := tt.in.DeepCopy()
			SetObjectDefaultsPersistentVolumeClaim(got)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("SetObjectDefaultsPersistentVolumeClaim() mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestSetObjectDefaultsReplicationController(t *testing.T) {
	labels := map[string]string{"app": "web"}
	tests := []struct {
		name string
		in   *corev1.ReplicationController
		want *corev1.ReplicationController
	}{
		{
			name: "selector and labels come from the template",
			in: &corev1.ReplicationController{Spec: corev1.ReplicationControllerSpec{
				Template: &corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: labels}},
			}},
			want: &corev1.ReplicationController{
				ObjectMeta: metav1.ObjectMeta{Labels: labels},
				Spec: corev1.ReplicationControllerSpec{
					Replicas: ptr.To[int32](1),
					Selector: labels,
					Template: &corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: labels}, Spec: defaultedSpec(nil)},
				},
			},
		},
		{
			name: "set selector, labels and replicas are kept",
			in: &corev1.ReplicationController{
				ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"owner": "me"}},
				Spec: corev1.ReplicationControllerSpec{
					Replicas: ptr.To[int32](0),
					Selector: map[string]string{"app": "w"},
					Template: &corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: labels}},
				},
			},
			want: &corev1.ReplicationController{
				ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"owner": "me"}},
				Spec: corev1.ReplicationControllerSpec{
					Replicas: ptr.To[int32](0),
					Selector: map[string]string{"app": "w"},
					Template: &corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: labels}, Spec: defaultedSpec(nil)},
				},
			},
		},
		{
			name: "no template",
			in:   &corev1.ReplicationController{},
			want: &corev1.ReplicationController{Spec: corev1.ReplicationControllerSpec{Replicas: ptr.To[int32](1)}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := tt.in.DeepCopy()
			SetObjectDefaultsReplicationController(got)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("SetObjectDefaultsReplicationController() mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestSetObjectDefaultsEndpoints(t *testing.T) {
	tests := []struct {
		name string
		in   []corev1.EndpointPort
		want []corev1.EndpointPort
	}{
		{
			name: "ports get TCP",
			in:   []corev1.EndpointPort{{Port: 80}, {Port: 53, Protocol: corev1.ProtocolUDP}},
			want: []corev1.EndpointPort{{Port: 80, Protocol: corev1.ProtocolTCP}, {Port: 53, Protocol: corev1.ProtocolUDP}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := &corev1.Endpoints{Subsets: []corev1.EndpointSubset{{Ports: tt.in}}}
			SetObjectDefaultsEndpoints(got)
			if diff := cmp.Diff(tt.want, got.Subsets[0].Ports); diff != "" {
				t.Errorf("SetObjectDefaultsEndpoints() mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestSetObjectDefaultsLimitRange(t *testing.T) {
	q := resource.MustParse
	tests := []struct {
		name string
		in   corev1.LimitRangeItem
		want corev1.LimitRangeItem
	}{
		{
			name: "container default falls back to max, default request to default then min",
			in: corev1.LimitRangeItem{
				Type: corev1.LimitTypeContainer,
				Max:  corev1.ResourceList{corev1.ResourceCPU: q("2"), corev1.ResourceMemory: q("1Gi")},
				Min:  corev1.ResourceList{corev1.ResourceEphemeralStorage: q("1Mi")},
			},
			want: corev1.LimitRangeItem{
				Type:    corev1.LimitTypeContainer,
				Max:     corev1.ResourceList{corev1.ResourceCPU: q("2"), corev1.ResourceMemory: q("1Gi")},
				Min:     corev1.ResourceList{corev1.ResourceEphemeralStorage: q("1Mi")},
				Default: corev1.ResourceList{corev1.ResourceCPU: q("2"), corev1.ResourceMemory: q("1Gi")},
				DefaultRequest: corev1.ResourceList{
					corev1.ResourceCPU: q("2"), corev1.ResourceMemory: q("1Gi"), corev1.ResourceEphemeralStorage: q("1Mi"),
				},
			},
		},
		{
			name: "set defaults are kept",
			in: corev1.LimitRangeItem{
				Type:           corev1.LimitTypeContainer,
				Max:            corev1.ResourceList{corev1.ResourceCPU: q("2")},
				Min:            corev1.ResourceList{corev1.ResourceCPU: q("100m")},
				Default:        corev1.ResourceList{corev1.ResourceCPU: q("1")},
				DefaultRequest: corev1.ResourceList{corev1.ResourceCPU: q("500m")},
			},
			want: corev1.LimitRangeItem{
				Type:           corev1.LimitTypeContainer,
				Max:            corev1.ResourceList{corev1.ResourceCPU: q("2")},
				Min:            corev1.ResourceList{corev1.ResourceCPU: q("100m")},
				Default:        corev1.ResourceList{corev1.ResourceCPU: q("1")},
				DefaultRequest: corev1.ResourceList{corev1.ResourceCPU: q("500m")},
			},
		},
		{
			name: "empty container item gets empty defaults",
			in:   corev1.LimitRangeItem{Type: corev1.LimitTypeContainer},
			want: corev1.LimitRangeItem{Type: corev1.LimitTypeContainer, Default: corev1.ResourceList{}, DefaultRequest: corev1.ResourceList{}},
		},
		{
			name: "pod items get no defaults",
			in:   corev1.LimitRangeItem{Type: corev1.LimitTypePod, Max: corev1.ResourceList{corev1.ResourceCPU: q("0.0001")}},
			want: corev1.LimitRangeItem{Type: corev1.LimitTypePod, Max: corev1.ResourceList{corev1.ResourceCPU: q("1m")}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := &corev1.LimitRange{Spec: corev1.LimitRangeSpec{Limits: []corev1.LimitRangeItem{*tt.in.DeepCopy()}}}
			SetObjectDefaultsLimitRange(got)
			if diff := cmp.Diff(tt.want, got.Spec.Limits[0]); diff != "" {
				t.Errorf("SetObjectDefaultsLimitRange() mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestSetObjectDefaultsResourceQuota(t *testing.T) {
	tests := []struct {
		name string
		in   corev1.ResourceList
		want corev1.ResourceList
	}{
		{
			name: "quantities round up to milli",
			in:   corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("0.0001"), corev1.ResourcePods: resource.MustParse("10")},
			want: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("1m"), corev1.ResourcePods: resource.MustParse("10")},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := &corev1.ResourceQuota{Spec: corev1.ResourceQuotaSpec{Hard: tt.in.DeepCopy()}}
			SetObjectDefaultsResourceQuota(got)
			if diff := cmp.Diff(tt.want, got.Spec.Hard); diff != "" {
				t.Errorf("SetObjectDefaultsResourceQuota() mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

// TestSchemeDefault checks that Install registers the funcs for the kinds,
// their lists, and only those kinds.
func TestSchemeDefault(t *testing.T) {
	s := runtime.NewScheme()
	if err := corev1.AddToScheme(s); err != nil {
		t.Fatal(err)
	}
	if err := Install(s); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		in   runtime.Object
		want runtime.Object
	}{
		{
			name: "pod",
			in:   &corev1.Pod{Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "app", Image: "nginx:1.27"}}}},
			want: &corev1.Pod{Spec: defaultedPodSpec(func(s *corev1.PodSpec) { s.Containers = []corev1.Container{defaultedContainer("app")} })},
		},
		{
			name: "pod list",
			in:   &corev1.PodList{Items: []corev1.Pod{{}, {}}},
			want: &corev1.PodList{Items: []corev1.Pod{{Spec: defaultedPodSpec(nil)}, {Spec: defaultedPodSpec(nil)}}},
		},
		{
			name: "replication controller template",
			in:   &corev1.ReplicationController{Spec: corev1.ReplicationControllerSpec{Template: &corev1.PodTemplateSpec{}}},
			want: &corev1.ReplicationController{Spec: corev1.ReplicationControllerSpec{
				Replicas: ptr.To[int32](1), Template: &corev1.PodTemplateSpec{Spec: defaultedSpec(nil)},
			}},
		},
		{
			name: "secret list",
			in:   &corev1.SecretList{Items: []corev1.Secret{{}}},
			want: &corev1.SecretList{Items: []corev1.Secret{{Type: corev1.SecretTypeOpaque}}},
		},
		{
			name: "service",
			in:   &corev1.Service{},
			want: &corev1.Service{Spec: corev1.ServiceSpec{
				Type: corev1.ServiceTypeClusterIP, SessionAffinity: corev1.ServiceAffinityNone,
				InternalTrafficPolicy: ptr.To(corev1.ServiceInternalTrafficPolicyCluster),
			}},
		},
		{
			name: "service account has no defaults",
			in:   &corev1.ServiceAccount{},
			want: &corev1.ServiceAccount{},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := tt.in.DeepCopyObject()
			s.Default(got)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Default() mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

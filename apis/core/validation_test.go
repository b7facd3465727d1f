package core

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"k8s.io/utils/ptr"
)

// Expected errors are written as the API reports them: "<field>: <type>:
// <value>: <detail>", the text a 422's causes and message carry.

func errStrings(errs field.ErrorList) []string {
	var out []string
	for _, e := range errs {
		out = append(out, e.Error())
	}
	return out
}

func check(t *testing.T, want []string, got field.ErrorList) {
	t.Helper()
	if diff := cmp.Diff(want, errStrings(got)); diff != "" {
		t.Errorf("errors (-want +got):\n%s", diff)
	}
}

const (
	dns1123LabelMsg     = "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')"
	dns1123SubdomainMsg = "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"
	configKeyMsg        = "a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')"
)

func meta(name string) metav1.ObjectMeta {
	return metav1.ObjectMeta{Name: name, Namespace: "default", ResourceVersion: "1"}
}

// validPod is a pod as it looks after upstream's defaulting.
func validPod() *corev1.Pod {
	return &corev1.Pod{
		ObjectMeta: meta("web"),
		Spec:       validPodSpec(),
	}
}

func validContainer() corev1.Container {
	return corev1.Container{
		Name:                     "app",
		Image:                    "nginx:1.27",
		Ports:                    []corev1.ContainerPort{{Name: "http", ContainerPort: 80, Protocol: corev1.ProtocolTCP}},
		Env:                      []corev1.EnvVar{{Name: "MODE", Value: "prod"}},
		VolumeMounts:             []corev1.VolumeMount{{Name: "data", MountPath: "/data"}},
		ImagePullPolicy:          corev1.PullIfNotPresent,
		TerminationMessagePolicy: corev1.TerminationMessageReadFile,
		TerminationMessagePath:   corev1.TerminationMessagePathDefault,
		Resources: corev1.ResourceRequirements{
			Requests: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("100m")},
			Limits:   corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("1")},
		},
		LivenessProbe: &corev1.Probe{
			ProbeHandler:     corev1.ProbeHandler{HTTPGet: &corev1.HTTPGetAction{Path: "/healthz", Port: intstr.FromString("http"), Scheme: corev1.URISchemeHTTP}},
			TimeoutSeconds:   1,
			PeriodSeconds:    10,
			SuccessThreshold: 1,
			FailureThreshold: 3,
		},
	}
}

func validPodSpec() corev1.PodSpec {
	return corev1.PodSpec{
		Volumes:                       []corev1.Volume{{Name: "data", VolumeSource: corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{}}}},
		Containers:                    []corev1.Container{validContainer()},
		RestartPolicy:                 corev1.RestartPolicyAlways,
		DNSPolicy:                     corev1.DNSClusterFirst,
		TerminationGracePeriodSeconds: ptr.To[int64](30),
		SecurityContext:               &corev1.PodSecurityContext{},
		SchedulerName:                 corev1.DefaultSchedulerName,
	}
}

func TestValidatePod(t *testing.T) {
	cases := []struct {
		name   string
		mutate func(*corev1.Pod)
		want   []string
	}{
		{name: "valid", mutate: func(*corev1.Pod) {}},
		{
			name:   "name not a DNS subdomain",
			mutate: func(p *corev1.Pod) { p.Name = "Web_1" },
			want:   []string{`metadata.name: Invalid value: "Web_1": ` + dns1123SubdomainMsg},
		},
		{
			name:   "generateName checked as a prefix",
			mutate: func(p *corev1.Pod) { p.Name, p.GenerateName = "", "web-" },
		},
		{
			name:   "unqualified finalizer",
			mutate: func(p *corev1.Pod) { p.Finalizers = []string{"custom"} },
			want:   []string{`metadata.finalizers[0]: Invalid value: "custom": name is neither a standard finalizer name nor is it fully qualified`},
		},
		{
			name:   "no containers",
			mutate: func(p *corev1.Pod) { p.Spec.Containers = nil },
			want:   []string{`spec.containers: Required value`},
		},
		{
			name: "container name not a DNS label, image missing",
			mutate: func(p *corev1.Pod) {
				p.Spec.Containers[0].Name = "App"
				p.Spec.Containers[0].Image = ""
			},
			want: []string{
				`spec.containers[0].name: Invalid value: "App": ` + dns1123LabelMsg,
				`spec.containers[0].image: Required value`,
			},
		},
		{
			name: "duplicate container names",
			mutate: func(p *corev1.Pod) {
				c := validContainer()
				c.Ports = nil
				p.Spec.Containers = append(p.Spec.Containers, c)
			},
			want: []string{`spec.containers[1].name: Duplicate value: "app"`},
		},
		{
			name: "init container named like a container",
			mutate: func(p *corev1.Pod) {
				c := validContainer()
				c.LivenessProbe = nil
				p.Spec.InitContainers = []corev1.Container{c}
			},
			want: []string{`spec.initContainers[0].name: Duplicate value: "app"`},
		},
		{
			name: "probe on a plain init container",
			mutate: func(p *corev1.Pod) {
				c := validContainer()
				c.Name = "init"
				p.Spec.InitContainers = []corev1.Container{c}
			},
			want: []string{`spec.initContainers[0].livenessProbe: Forbidden: may not be set for init containers without restartPolicy=Always`},
		},
		{
			name: "port out of range, bad protocol",
			mutate: func(p *corev1.Pod) {
				p.Spec.Containers[0].Ports = []corev1.ContainerPort{{ContainerPort: 70000, Protocol: "ICMP"}, {HostPort: -1, Protocol: corev1.ProtocolUDP}}
			},
			want: []string{
				`spec.containers[0].ports[0].containerPort: Invalid value: 70000: must be between 1 and 65535, inclusive`,
				`spec.containers[0].ports[0].protocol: Unsupported value: "ICMP": supported values: "SCTP", "TCP", "UDP"`,
				`spec.containers[0].ports[1].containerPort: Required value`,
				`spec.containers[0].ports[1].hostPort: Invalid value: -1: must be between 1 and 65535, inclusive`,
			},
		},
		{
			name: "duplicate port names and host ports",
			mutate: func(p *corev1.Pod) {
				p.Spec.Containers[0].Ports = []corev1.ContainerPort{
					{Name: "http", ContainerPort: 80, HostPort: 8080, Protocol: corev1.ProtocolTCP},
					{Name: "http", ContainerPort: 81, HostPort: 8080, Protocol: corev1.ProtocolTCP},
				}
			},
			want: []string{
				`spec.containers[0].ports[1].name: Duplicate value: "http"`,
				`spec.containers[0].ports[1].hostPort: Duplicate value: "TCP//8080"`,
			},
		},
		{
			name: "env name and value sources",
			mutate: func(p *corev1.Pod) {
				p.Spec.Containers[0].Env = []corev1.EnvVar{
					{Name: ""},
					{Name: "A=B"},
					{Name: "C", Value: "x", ValueFrom: &corev1.EnvVarSource{FieldRef: &corev1.ObjectFieldSelector{APIVersion: "v1", FieldPath: "metadata.name"}}},
					{Name: "D", ValueFrom: &corev1.EnvVarSource{FieldRef: &corev1.ObjectFieldSelector{APIVersion: "v1", FieldPath: "metadata.labels"}}},
					{Name: "E", ValueFrom: &corev1.EnvVarSource{SecretKeyRef: &corev1.SecretKeySelector{LocalObjectReference: corev1.LocalObjectReference{Name: "s"}, Key: "bad key"}}},
				}
			},
			want: []string{
				`spec.containers[0].env[0].name: Required value`,
				`spec.containers[0].env[1].name: Invalid value: "A=B": a valid environment variable name must consist only of printable ASCII characters other than '='`,
				`spec.containers[0].env[2].valueFrom: Invalid value: "": may not be specified when ` + "`value`" + ` is not empty`,
				`spec.containers[0].env[3].valueFrom.fieldRef.fieldPath: Unsupported value: "metadata.labels": supported values: "metadata.name", "metadata.namespace", "metadata.uid", "spec.nodeName", "spec.serviceAccountName", "status.hostIP", "status.hostIPs", "status.podIP", "status.podIPs"`,
				`spec.containers[0].env[4].valueFrom.secretKeyRef.key: Invalid value: "bad key": ` + configKeyMsg,
			},
		},
		{
			name: "envFrom without a source",
			mutate: func(p *corev1.Pod) {
				p.Spec.Containers[0].EnvFrom = []corev1.EnvFromSource{{Prefix: "P_"}}
			},
			want: []string{"spec.containers[0].envFrom: Invalid value: \"\": must specify one of: `configMapRef` or `secretRef`"},
		},
		{
			name: "mount of an unknown volume, duplicate mount path",
			mutate: func(p *corev1.Pod) {
				p.Spec.Containers[0].VolumeMounts = append(p.Spec.Containers[0].VolumeMounts, corev1.VolumeMount{Name: "missing", MountPath: "/data"})
			},
			want: []string{
				`spec.containers[0].volumeMounts[1].name: Not found: "missing"`,
				`spec.containers[0].volumeMounts[1].mountPath: Invalid value: "/data": must be unique`,
			},
		},
		{
			name: "duplicate volumes, invalid volume not mountable",
			mutate: func(p *corev1.Pod) {
				p.Spec.Volumes = append(p.Spec.Volumes, corev1.Volume{Name: "data", VolumeSource: corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{}}})
			},
			want: []string{`spec.volumes[1].name: Duplicate value: "data"`},
		},
		{
			name: "volume without source, two sources",
			mutate: func(p *corev1.Pod) {
				p.Spec.Volumes = []corev1.Volume{
					{Name: "data", VolumeSource: corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{}, HostPath: &corev1.HostPathVolumeSource{Path: "/x"}}},
					{Name: "none"},
					{Name: "cfg", VolumeSource: corev1.VolumeSource{ConfigMap: &corev1.ConfigMapVolumeSource{DefaultMode: ptr.To[int32](01000),
						Items: []corev1.KeyToPath{{Key: "k", Path: "../etc"}}}}},
				}
			},
			want: []string{
				`spec.volumes[0].hostPath: Forbidden: may not specify more than 1 volume type`,
				`spec.volumes[1]: Required value: must specify a volume type`,
				`spec.volumes[2].configMap.name: Required value`,
				`spec.volumes[2].configMap.defaultMode: Invalid value: 512: must be a number between 0 and 0777 (octal), both inclusive`,
				`spec.volumes[2].configMap.items[0].path: Invalid value: "../etc": must not contain '..'`,
				`spec.containers[0].volumeMounts[0].name: Not found: "data"`,
			},
		},
		{
			name: "requests above limits, unknown resource",
			mutate: func(p *corev1.Pod) {
				p.Spec.Containers[0].Resources = corev1.ResourceRequirements{
					Requests: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("2"), "gpu": resource.MustParse("1")},
					Limits:   corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("1")},
				}
			},
			want: []string{
				`spec.containers[0].resources.requests: Invalid value: "2": must be less than or equal to cpu limit of 1`,
				`spec.containers[0].resources.requests[gpu]: Invalid value: "gpu": must be a standard resource type or fully qualified`,
				`spec.containers[0].resources.requests[gpu]: Invalid value: "gpu": must be a standard resource for containers`,
			},
		},
		{
			name: "extended resource requires equal limit",
			mutate: func(p *corev1.Pod) {
				p.Spec.Containers[0].Resources.Requests["example.com/gpu"] = resource.MustParse("1")
			},
			want: []string{`spec.containers[0].resources.limits: Required value: Limit must be set for non overcommitable resources`},
		},
		{
			name: "restart and dns policy enums",
			mutate: func(p *corev1.Pod) {
				p.Spec.RestartPolicy = "Sometimes"
				p.Spec.DNSPolicy = ""
			},
			want: []string{
				`spec.restartPolicy: Unsupported value: "Sometimes": supported values: "Always", "OnFailure", "Never"`,
				`spec.dnsPolicy: Required value`,
			},
		},
		{
			name: "probe without handler, negative period, liveness success threshold",
			mutate: func(p *corev1.Pod) {
				p.Spec.Containers[0].LivenessProbe = &corev1.Probe{PeriodSeconds: -1, SuccessThreshold: 2}
			},
			want: []string{
				`spec.containers[0].livenessProbe: Required value: must specify a handler type`,
				`spec.containers[0].livenessProbe.periodSeconds: Invalid value: -1: must be greater than or equal to 0`,
				`spec.containers[0].livenessProbe.successThreshold: Invalid value: 2: must be 1`,
			},
		},
		{
			name: "probe with two handlers",
			mutate: func(p *corev1.Pod) {
				p.Spec.Containers[0].ReadinessProbe = &corev1.Probe{
					ProbeHandler:     corev1.ProbeHandler{Exec: &corev1.ExecAction{}, TCPSocket: &corev1.TCPSocketAction{Port: intstr.FromInt32(0)}},
					SuccessThreshold: 1,
				}
			},
			want: []string{
				`spec.containers[0].readinessProbe.exec.command: Required value`,
				`spec.containers[0].readinessProbe.tcpSocket: Forbidden: may not specify more than 1 handler type`,
			},
		},
		{
			name: "security context",
			mutate: func(p *corev1.Pod) {
				p.Spec.SecurityContext.RunAsUser = ptr.To[int64](-1)
				p.Spec.Containers[0].SecurityContext = &corev1.SecurityContext{
					Privileged:               ptr.To(true),
					AllowPrivilegeEscalation: ptr.To(false),
					ProcMount:                ptr.To(corev1.UnmaskedProcMount),
				}
			},
			want: []string{
				`spec.containers[0].securityContext.procMount: Invalid value: "Unmasked": ` + "`hostUsers`" + ` must be false to use ` + "`Unmasked`",
				`spec.containers[0].securityContext: Invalid value: {"Capabilities":null,"Privileged":true,"SELinuxOptions":null,"WindowsOptions":null,"RunAsUser":null,"RunAsGroup":null,"RunAsNonRoot":null,"ReadOnlyRootFilesystem":null,"AllowPrivilegeEscalation":false,"ProcMount":"Unmasked","SeccompProfile":null,"AppArmorProfile":null}: cannot set ` + "`allowPrivilegeEscalation`" + ` to false and ` + "`privileged`" + ` to true`,
				`spec.securityContext.runAsUser: Invalid value: -1: must be between 0 and 2147483647, inclusive`,
			},
		},
		{
			name: "hostNetwork requires hostPort equal containerPort on pods",
			mutate: func(p *corev1.Pod) {
				p.Spec.HostNetwork = true
			},
			want: []string{"spec.containers[0].ports[0].hostPort: Invalid value: 0: must match `containerPort` when `hostNetwork` is true"},
		},
		{
			name: "tolerations",
			mutate: func(p *corev1.Pod) {
				p.Spec.Tolerations = []corev1.Toleration{
					{Operator: corev1.TolerationOpEqual, Value: "x"},
					{Key: "k", Operator: corev1.TolerationOpExists, Value: "v", Effect: "Sometimes"},
					{Key: "k", TolerationSeconds: ptr.To[int64](5), Effect: corev1.TaintEffectNoSchedule},
				}
			},
			want: []string{
				"spec.tolerations[0].operator: Invalid value: \"Equal\": operator must be Exists when `key` is empty, which means \"match all values and all keys\"",
				`spec.tolerations[1].operator: Invalid value: "v": value must be empty when ` + "`operator`" + ` is 'Exists'`,
				`spec.tolerations[1].effect: Unsupported value: "Sometimes": supported values: "NoSchedule", "PreferNoSchedule", "NoExecute"`,
				`spec.tolerations[2].effect: Invalid value: "NoSchedule": effect must be 'NoExecute' when ` + "`tolerationSeconds`" + ` is set`,
			},
		},
		{
			name: "node affinity without terms",
			mutate: func(p *corev1.Pod) {
				p.Spec.Affinity = &corev1.Affinity{NodeAffinity: &corev1.NodeAffinity{RequiredDuringSchedulingIgnoredDuringExecution: &corev1.NodeSelector{}}}
			},
			want: []string{`spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms: Required value: must have at least one node selector term`},
		},
		{
			name: "grace period required, deadline range",
			mutate: func(p *corev1.Pod) {
				p.Spec.TerminationGracePeriodSeconds = nil
				p.Spec.ActiveDeadlineSeconds = ptr.To[int64](0)
			},
			want: []string{
				`spec.terminationGracePeriodSeconds: Required value`,
				`spec.activeDeadlineSeconds: Invalid value: 0: must be between 1 and 2147483647, inclusive`,
			},
		},
		{
			name:   "image with whitespace",
			mutate: func(p *corev1.Pod) { p.Spec.Containers[0].Image = " nginx" },
			want:   []string{`spec.containers[0].image: Invalid value: " nginx": must not have leading or trailing whitespace`},
		},
		{
			name: "ephemeral containers on create",
			mutate: func(p *corev1.Pod) {
				p.Spec.EphemeralContainers = []corev1.EphemeralContainer{{EphemeralContainerCommon: corev1.EphemeralContainerCommon{Name: "debug", Image: "busybox"}}}
			},
			want: []string{`spec.ephemeralContainers: Forbidden: cannot be set on create`},
		},
		{
			name:   "dnsPolicy None needs config",
			mutate: func(p *corev1.Pod) { p.Spec.DNSPolicy = corev1.DNSNone },
			want:   []string{"spec.dnsConfig: Required value: must provide `dnsConfig` when `dnsPolicy` is None"},
		},
		{
			name: "projected token without service account",
			mutate: func(p *corev1.Pod) {
				p.Spec.Volumes = append(p.Spec.Volumes, corev1.Volume{Name: "token", VolumeSource: corev1.VolumeSource{Projected: &corev1.ProjectedVolumeSource{
					Sources: []corev1.VolumeProjection{{ServiceAccountToken: &corev1.ServiceAccountTokenProjection{Path: "token", ExpirationSeconds: ptr.To[int64](3600)}}},
				}}})
			},
			want: []string{`spec.volumes[1].projected.sources[0].serviceAccountToken: Forbidden: must not be specified when serviceAccountName is not set`},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			pod := validPod()
			tc.mutate(pod)
			check(t, tc.want, ValidatePod(pod))
		})
	}
}

func TestValidatePodUpdate(t *testing.T) {
	cases := []struct {
		name   string
		mutate func(*corev1.Pod)
		want   []string
	}{
		{name: "unchanged", mutate: func(*corev1.Pod) {}},
		{name: "image changes", mutate: func(p *corev1.Pod) { p.Spec.Containers[0].Image = "nginx:1.28" }},
		{name: "deadline set", mutate: func(p *corev1.Pod) { p.Spec.ActiveDeadlineSeconds = ptr.To[int64](60) }},
		{
			name:   "toleration added",
			mutate: func(p *corev1.Pod) { p.Spec.Tolerations = []corev1.Toleration{{Operator: corev1.TolerationOpExists}} },
		},
		{
			name: "container removed",
			mutate: func(p *corev1.Pod) {
				c := validContainer()
				c.Name, c.Ports = "sidecar", nil
				p.Spec.Containers = append(p.Spec.Containers, c)
			},
			want: []string{`spec.containers: Forbidden: pod updates may not add or remove containers`},
		},
		{
			name:   "name changed",
			mutate: func(p *corev1.Pod) { p.Name = "other" },
			want:   []string{`metadata.name: Invalid value: "other": field is immutable`},
		},
		{
			name:   "resource version missing",
			mutate: func(p *corev1.Pod) { p.ResourceVersion = "" },
			want:   []string{`metadata.resourceVersion: Invalid value: "": must be specified for an update`},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			old := validPod()
			pod := validPod()
			tc.mutate(pod)
			check(t, tc.want, ValidatePodUpdate(pod, old))
		})
	}

	t.Run("other spec change", func(t *testing.T) {
		old, pod := validPod(), validPod()
		pod.Spec.RestartPolicy = corev1.RestartPolicyNever
		errs := ValidatePodUpdate(pod, old)
		if len(errs) != 1 || errs[0].Type != field.ErrorTypeForbidden || errs[0].Field != "spec" ||
			!strings.HasPrefix(errs[0].Detail, "pod updates may not change fields other than `spec.containers[*].image`,") {
			t.Errorf("want one Forbidden spec error, got %v", errs)
		}
	})
}

func TestValidatePodStatusUpdate(t *testing.T) {
	cases := []struct {
		name   string
		mutate func(*corev1.Pod)
		want   []string
	}{
		{name: "ready condition", mutate: func(p *corev1.Pod) {
			p.Status.Conditions = []corev1.PodCondition{{Type: corev1.PodReady, Status: corev1.ConditionTrue}}
			p.Status.PodIP, p.Status.PodIPs = "10.0.0.1", []corev1.PodIP{{IP: "10.0.0.1"}}
		}},
		{
			name: "node name change, bad pod IPs",
			mutate: func(p *corev1.Pod) {
				p.Spec.NodeName = "node-1"
				p.Status.PodIP, p.Status.PodIPs = "10.0.0.1", []corev1.PodIP{{IP: "10.0.0.1"}, {IP: "10.0.0.2"}}
			},
			want: []string{
				`status.nodeName: Forbidden: may not be changed directly`,
				`status.podIPs: Invalid value: [{"IP":"10.0.0.1"},{"IP":"10.0.0.2"}]: may specify no more than one IP for each IP family`,
			},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			old, pod := validPod(), validPod()
			tc.mutate(pod)
			check(t, tc.want, ValidatePodStatusUpdate(pod, old))
		})
	}
}

func TestValidatePodTemplate(t *testing.T) {
	valid := func() *corev1.PodTemplate {
		return &corev1.PodTemplate{ObjectMeta: meta("tmpl"), Template: corev1.PodTemplateSpec{
			ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"app": "web"}}, Spec: validPodSpec()}}
	}
	cases := []struct {
		name   string
		mutate func(*corev1.PodTemplate)
		want   []string
	}{
		{name: "valid", mutate: func(*corev1.PodTemplate) {}},
		{
			name: "template labels and spec",
			mutate: func(pt *corev1.PodTemplate) {
				pt.Template.Labels = map[string]string{"app": "-web"}
				pt.Template.Spec.Containers[0].Image = ""
			},
			want: []string{
				`template.labels: Invalid value: "-web": a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')`,
				`template.spec.containers[0].image: Required value`,
			},
		},
		{
			// Templates leave host ports to pod defaulting.
			name:   "hostNetwork with unset hostPort",
			mutate: func(pt *corev1.PodTemplate) { pt.Template.Spec.HostNetwork = true },
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			pt := valid()
			tc.mutate(pt)
			check(t, tc.want, ValidatePodTemplate(pt))
			check(t, tc.want, ValidatePodTemplateUpdate(pt, valid()))
		})
	}
}

func TestValidateConfigMap(t *testing.T) {
	cases := []struct {
		name string
		cm   *corev1.ConfigMap
		want []string
	}{
		{name: "valid", cm: &corev1.ConfigMap{ObjectMeta: meta("cfg"), Data: map[string]string{"app.conf": "x"}, BinaryData: map[string][]byte{"logo.png": {1}}}},
		{
			name: "empty key",
			cm:   &corev1.ConfigMap{ObjectMeta: meta("cfg"), Data: map[string]string{"": "x"}},
			want: []string{`data[]: Invalid value: "": ` + configKeyMsg},
		},
		{
			name: "dot key and duplicate across data and binaryData",
			cm:   &corev1.ConfigMap{ObjectMeta: meta("cfg"), Data: map[string]string{"..": "x", "k": "v"}, BinaryData: map[string][]byte{"k": {1}}},
			want: []string{
				`data[..]: Invalid value: "..": must not be '..'`,
				`data[k]: Invalid value: "k": duplicate of key present in binaryData`,
			},
		},
		{
			name: "too large",
			cm:   &corev1.ConfigMap{ObjectMeta: meta("cfg"), Data: map[string]string{"big": strings.Repeat("x", corev1.MaxSecretSize+1)}},
			want: []string{`[]: Too long: may not be more than 1048576 bytes`},
		},
		{
			name: "bad name",
			cm:   &corev1.ConfigMap{ObjectMeta: meta("Cfg")},
			want: []string{`metadata.name: Invalid value: "Cfg": ` + dns1123SubdomainMsg},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := ValidateConfigMap(tc.cm)
			// Map iteration makes the order of data errors random.
			if diff := cmp.Diff(tc.want, errStrings(got), sortStrings); diff != "" {
				t.Errorf("errors (-want +got):\n%s", diff)
			}
		})
	}
}

var sortStrings = cmp.Transformer("sort", func(in []string) []string {
	out := append([]string(nil), in...)
	for i := range out {
		for j := i + 1; j < len(out); j++ {
			if out[j] < out[i] {
				out[i], out[j] = out[j], out[i]
			}
		}
	}
	return out
})

func TestValidateConfigMapUpdate(t *testing.T) {
	old := &corev1.ConfigMap{ObjectMeta: meta("cfg"), Data: map[string]string{"k": "v"}, Immutable: ptr.To(true)}
	cases := []struct {
		name string
		cm   *corev1.ConfigMap
		want []string
	}{
		{name: "unchanged", cm: old.DeepCopy()},
		{
			name: "immutable data changed and flag cleared",
			cm:   &corev1.ConfigMap{ObjectMeta: meta("cfg"), Data: map[string]string{"k": "w"}},
			want: []string{
				"immutable: Forbidden: field is immutable when `immutable` is set",
				"data: Forbidden: field is immutable when `immutable` is set",
			},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			check(t, tc.want, ValidateConfigMapUpdate(tc.cm, old))
		})
	}
}

func TestValidateSecret(t *testing.T) {
	cases := []struct {
		name   string
		secret *corev1.Secret
		want   []string
	}{
		{name: "opaque", secret: &corev1.Secret{ObjectMeta: meta("s"), Type: corev1.SecretTypeOpaque, Data: map[string][]byte{"password": []byte("x")}}},
		{
			name:   "stringData keys count as data",
			secret: &corev1.Secret{ObjectMeta: meta("s"), Type: corev1.SecretTypeOpaque, StringData: map[string]string{"a b": "x"}},
			want:   []string{`data[a b]: Invalid value: "a b": ` + configKeyMsg},
		},
		{
			name:   "tls without key",
			secret: &corev1.Secret{ObjectMeta: meta("s"), Type: corev1.SecretTypeTLS, Data: map[string][]byte{corev1.TLSCertKey: {1}}},
			want:   []string{`data[tls.key]: Required value`},
		},
		{
			name:   "docker config not JSON",
			secret: &corev1.Secret{ObjectMeta: meta("s"), Type: corev1.SecretTypeDockerConfigJson, Data: map[string][]byte{corev1.DockerConfigJsonKey: []byte("{")}},
			want:   []string{`data[.dockerconfigjson]: Invalid value: "<secret contents redacted>": unexpected end of JSON input`},
		},
		{
			name:   "service account token without annotation",
			secret: &corev1.Secret{ObjectMeta: meta("s"), Type: corev1.SecretTypeServiceAccountToken},
			want:   []string{`metadata.annotations[kubernetes.io/service-account.name]: Required value`},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			check(t, tc.want, ValidateSecret(tc.secret))
		})
	}

	t.Run("type is immutable", func(t *testing.T) {
		old := &corev1.Secret{ObjectMeta: meta("s"), Type: corev1.SecretTypeOpaque}
		s := &corev1.Secret{ObjectMeta: meta("s"), Type: "example.com/custom"}
		check(t, []string{`type: Invalid value: "example.com/custom": field is immutable`}, ValidateSecretUpdate(s, old))
	})
}

func validService() *corev1.Service {
	return &corev1.Service{
		ObjectMeta: meta("web"),
		Spec: corev1.ServiceSpec{
			Type:                  corev1.ServiceTypeClusterIP,
			Selector:              map[string]string{"app": "web"},
			Ports:                 []corev1.ServicePort{{Name: "http", Port: 80, Protocol: corev1.ProtocolTCP, TargetPort: intstr.FromInt32(8080)}},
			ClusterIP:             "10.96.0.10",
			ClusterIPs:            []string{"10.96.0.10"},
			IPFamilies:            []corev1.IPFamily{corev1.IPv4Protocol},
			IPFamilyPolicy:        ptr.To(corev1.IPFamilyPolicySingleStack),
			SessionAffinity:       corev1.ServiceAffinityNone,
			InternalTrafficPolicy: ptr.To(corev1.ServiceInternalTrafficPolicyCluster),
		},
	}
}

func TestValidateService(t *testing.T) {
	cases := []struct {
		name   string
		mutate func(*corev1.Service)
		want   []string
	}{
		{name: "valid", mutate: func(*corev1.Service) {}},
		{
			name: "headless",
			mutate: func(s *corev1.Service) {
				s.Spec.ClusterIP, s.Spec.ClusterIPs, s.Spec.Ports = "None", []string{"None"}, nil
			},
		},
		{
			name:   "name with dots",
			mutate: func(s *corev1.Service) { s.Name = "web.v1" },
			want:   []string{`metadata.name: Invalid value: "web.v1": must not contain dots`},
		},
		{
			name: "ports: second unnamed, duplicate, out of range",
			mutate: func(s *corev1.Service) {
				s.Spec.Ports = append(s.Spec.Ports,
					corev1.ServicePort{Port: 80, Protocol: corev1.ProtocolTCP, TargetPort: intstr.FromInt32(80)},
					corev1.ServicePort{Name: "x", Port: 0, Protocol: "ICMP", TargetPort: intstr.FromString("Bad")})
			},
			want: []string{
				`spec.ports[1].name: Required value`,
				`spec.ports[2].port: Invalid value: 0: must be between 1 and 65535, inclusive`,
				`spec.ports[2].protocol: Unsupported value: "ICMP": supported values: "SCTP", "TCP", "UDP"`,
				`spec.ports[2].targetPort: Invalid value: "Bad": must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)`,
				`spec.ports[1]: Duplicate value: {"Name":"","Protocol":"TCP","AppProtocol":null,"Port":80,"TargetPort":0,"NodePort":0}`,
			},
		},
		{
			name:   "no ports",
			mutate: func(s *corev1.Service) { s.Spec.Ports = nil },
			want:   []string{`spec.ports: Required value`},
		},
		{
			name: "type and session affinity",
			mutate: func(s *corev1.Service) {
				s.Spec.Type = "Internal"
				s.Spec.SessionAffinity = "Cookie"
			},
			want: []string{
				`spec.sessionAffinity: Unsupported value: "Cookie": supported values: "ClientIP", "None"`,
				`spec.type: Unsupported value: "Internal": supported values: "ClusterIP", "ExternalName", "LoadBalancer", "NodePort"`,
			},
		},
		{
			name:   "node port on ClusterIP",
			mutate: func(s *corev1.Service) { s.Spec.Ports[0].NodePort = 30080 },
			want:   []string{`spec.ports[0].nodePort: Forbidden: may not be used when ` + "`type`" + ` is 'ClusterIP'`},
		},
		{
			name:   "node port type accepts it",
			mutate: func(s *corev1.Service) { s.Spec.Type, s.Spec.Ports[0].NodePort = corev1.ServiceTypeNodePort, 30080 },
			want:   []string{`spec.externalTrafficPolicy: Required value`},
		},
		{
			name:   "bad cluster IP",
			mutate: func(s *corev1.Service) { s.Spec.ClusterIP, s.Spec.ClusterIPs = "10.96.0.300", []string{"10.96.0.300"} },
			want:   []string{`spec.clusterIPs[0]: Invalid value: "10.96.0.300": must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)`},
		},
		{
			name:   "cluster IPs out of sync",
			mutate: func(s *corev1.Service) { s.Spec.ClusterIPs = []string{"10.96.0.11"} },
			want:   []string{"spec.clusterIPs: Invalid value: [\"10.96.0.11\"]: first value must match `clusterIP`"},
		},
		{
			name:   "selector label",
			mutate: func(s *corev1.Service) { s.Spec.Selector = map[string]string{"app/x/y": "web"} },
			want:   []string{`spec.selector: Invalid value: "app/x/y": a valid label key must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]') with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')`},
		},
		{
			name: "client IP affinity without config",
			mutate: func(s *corev1.Service) {
				s.Spec.SessionAffinity = corev1.ServiceAffinityClientIP
			},
			want: []string{`spec.sessionAffinityConfig: Required value: when session affinity type is ClientIP`},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			svc := validService()
			tc.mutate(svc)
			check(t, tc.want, ValidateService(svc))
		})
	}

	t.Run("update may not change cluster IP", func(t *testing.T) {
		old, svc := validService(), validService()
		svc.Spec.ClusterIP, svc.Spec.ClusterIPs = "10.96.0.11", []string{"10.96.0.11"}
		check(t, []string{`spec.clusterIPs[0]: Invalid value: ["10.96.0.11"]: may not change once set`}, ValidateServiceUpdate(svc, old))
	})
}

func TestValidateNamespace(t *testing.T) {
	cases := []struct {
		name string
		ns   *corev1.Namespace
		want []string
	}{
		{name: "valid", ns: &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "team-a"}}},
		{
			name: "name is a label, not a subdomain",
			ns:   &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "team.a"}},
			want: []string{`metadata.name: Invalid value: "team.a": must not contain dots`},
		},
		{
			name: "spec finalizer",
			ns:   &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "a"}, Spec: corev1.NamespaceSpec{Finalizers: []corev1.FinalizerName{"custom"}}},
			want: []string{`spec.finalizers: Invalid value: "custom": name is neither a standard finalizer name nor is it fully qualified`},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			check(t, tc.want, ValidateNamespace(tc.ns))
		})
	}
}

func TestValidateEndpoints(t *testing.T) {
	valid := func() *corev1.Endpoints {
		return &corev1.Endpoints{ObjectMeta: meta("web"), Subsets: []corev1.EndpointSubset{{
			Addresses: []corev1.EndpointAddress{{IP: "10.0.0.5"}},
			Ports:     []corev1.EndpointPort{{Port: 8080, Protocol: corev1.ProtocolTCP}},
		}}}
	}
	cases := []struct {
		name   string
		mutate func(*corev1.Endpoints)
		want   []string
	}{
		{name: "valid", mutate: func(*corev1.Endpoints) {}},
		{
			name: "loopback address, no addresses",
			mutate: func(e *corev1.Endpoints) {
				e.Subsets = append(e.Subsets, corev1.EndpointSubset{})
				e.Subsets[0].Addresses[0].IP = "127.0.0.1"
			},
			want: []string{
				`subsets[0].addresses[0].ip: Invalid value: "127.0.0.1": may not be in the loopback range (127.0.0.0/8, ::1/128)`,
				"subsets[1]: Required value: must specify `addresses` or `notReadyAddresses`",
			},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ep := valid()
			tc.mutate(ep)
			check(t, tc.want, ValidateEndpoints(ep))
		})
	}
}

func TestValidateNode(t *testing.T) {
	cases := []struct {
		name string
		node *corev1.Node
		want []string
	}{
		{name: "valid", node: &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: "node-1"}, Spec: corev1.NodeSpec{PodCIDRs: []string{"10.244.0.0/24"}}}},
		{
			name: "duplicate taint, bad CIDR",
			node: &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: "node-1"}, Spec: corev1.NodeSpec{
				Taints:   []corev1.Taint{{Key: "k", Effect: corev1.TaintEffectNoSchedule}, {Key: "k", Effect: corev1.TaintEffectNoSchedule}},
				PodCIDRs: []string{"10.244.0.0/33"},
			}},
			want: []string{
				`metadata.taints[1]: Duplicate value: {"Key":"k","Value":"","Effect":"NoSchedule","TimeAdded":null}: taints must be unique by key and effect pair`,
				`spec.podCIDRs[0]: Invalid value: "10.244.0.0/33": must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)`,
			},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			check(t, tc.want, ValidateNode(tc.node))
		})
	}

	t.Run("pod CIDR may not change", func(t *testing.T) {
		old := &corev1.Node{ObjectMeta: meta("n"), Spec: corev1.NodeSpec{PodCIDRs: []string{"10.244.0.0/24"}}}
		node := old.DeepCopy()
		node.Namespace, old.Namespace = "", ""
		node.Spec.PodCIDRs = []string{"10.244.1.0/24"}
		check(t, []string{`spec.podCIDRs: Forbidden: node updates may not change podCIDR except from "" to valid`}, ValidateNodeUpdate(node, old))
	})
}

func TestValidateServiceAccountAndEvent(t *testing.T) {
	check(t, nil, ValidateServiceAccount(&corev1.ServiceAccount{ObjectMeta: meta("builder")}))
	check(t, []string{`metadata.name: Invalid value: "Builder": ` + dns1123SubdomainMsg},
		ValidateServiceAccount(&corev1.ServiceAccount{ObjectMeta: meta("Builder")}))

	check(t, nil, ValidateEvent(&corev1.Event{ObjectMeta: meta("e"), InvolvedObject: corev1.ObjectReference{Namespace: "default"}}))
	check(t, []string{`involvedObject.namespace: Invalid value: "other": does not match event.namespace`},
		ValidateEvent(&corev1.Event{ObjectMeta: meta("e"), InvolvedObject: corev1.ObjectReference{Namespace: "other"}}))
	check(t, []string{`reportingComponent: Required value`, `reportingComponent: Invalid value: "": name part must be non-empty`,
		`reportingComponent: Invalid value: "": name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')`,
		`reportingInstance: Required value`, `action: Required value`, `reason: Required value`},
		ValidateEvent(&corev1.Event{ObjectMeta: meta("e"), EventTime: metav1.NowMicro(), InvolvedObject: corev1.ObjectReference{Namespace: "default"}}))
}

func TestValidateLimitRangeAndQuota(t *testing.T) {
	lr := &corev1.LimitRange{ObjectMeta: meta("limits"), Spec: corev1.LimitRangeSpec{Limits: []corev1.LimitRangeItem{{
		Type: corev1.LimitTypeContainer,
		Min:  corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("2")},
		Max:  corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("1")},
	}, {Type: "Thing"}}}}
	check(t, []string{
		`spec.limits[0].min[cpu]: Invalid value: "2": min value 2 is greater than max value 1`,
		`spec.limits[1].type: Invalid value: "Thing": must be a standard limit type or fully qualified`,
	}, ValidateLimitRange(lr))

	rq := &corev1.ResourceQuota{ObjectMeta: meta("quota"), Spec: corev1.ResourceQuotaSpec{
		Hard:   corev1.ResourceList{corev1.ResourcePods: resource.MustParse("1.5")},
		Scopes: []corev1.ResourceQuotaScope{corev1.ResourceQuotaScopeBestEffort, corev1.ResourceQuotaScopeNotBestEffort},
	}}
	check(t, []string{
		`spec.hard[pods]: Invalid value: "1500m": must be an integer`,
		`spec.scopes: Invalid value: ["BestEffort","NotBestEffort"]: conflicting scopes`,
	}, ValidateResourceQuota(rq))
}

func TestValidatePersistentVolumeAndClaim(t *testing.T) {
	pv := &corev1.PersistentVolume{ObjectMeta: metav1.ObjectMeta{Name: "pv1", ResourceVersion: "1"}, Spec: corev1.PersistentVolumeSpec{
		AccessModes:                   []corev1.PersistentVolumeAccessMode{corev1.ReadWriteOnce},
		Capacity:                      corev1.ResourceList{corev1.ResourceStorage: resource.MustParse("1Gi")},
		PersistentVolumeReclaimPolicy: corev1.PersistentVolumeReclaimRetain,
		PersistentVolumeSource:        corev1.PersistentVolumeSource{NFS: &corev1.NFSVolumeSource{Server: "nfs", Path: "/exports"}},
	}}
	check(t, nil, ValidatePersistentVolume(pv))

	bad := pv.DeepCopy()
	bad.Spec.AccessModes = []corev1.PersistentVolumeAccessMode{corev1.ReadWriteOncePod, corev1.ReadOnlyMany}
	bad.Spec.NFS.Path = "exports"
	check(t, []string{
		`spec.accessModes: Forbidden: may not use ReadWriteOncePod with other access modes`,
		`spec.nfs.path: Invalid value: "exports": must be an absolute path`,
	}, ValidatePersistentVolume(bad))

	changed := pv.DeepCopy()
	changed.Spec.NFS.Server = "other"
	errs := ValidatePersistentVolumeUpdate(changed, pv)
	if len(errs) != 1 || errs[0].Field != "spec.persistentvolumesource" || errs[0].Type != field.ErrorTypeForbidden {
		t.Errorf("want the source to be immutable, got %v", errs)
	}

	pvc := &corev1.PersistentVolumeClaim{ObjectMeta: meta("data"), Spec: corev1.PersistentVolumeClaimSpec{
		AccessModes: []corev1.PersistentVolumeAccessMode{corev1.ReadWriteOnce},
		Resources:   corev1.VolumeResourceRequirements{Requests: corev1.ResourceList{corev1.ResourceStorage: resource.MustParse("1Gi")}},
	}}
	check(t, nil, ValidatePersistentVolumeClaim(pvc))
	noSize := pvc.DeepCopy()
	noSize.Spec.Resources.Requests = nil
	noSize.Spec.AccessModes = nil
	check(t, []string{
		`spec.accessModes: Required value: at least 1 access mode is required`,
		`spec.resources[storage]: Required value`,
	}, ValidatePersistentVolumeClaim(noSize))

	grown := pvc.DeepCopy()
	grown.Spec.Resources.Requests[corev1.ResourceStorage] = resource.MustParse("2Gi")
	if errs := ValidatePersistentVolumeClaimUpdate(grown, pvc); len(errs) != 1 || errs[0].Field != "spec" {
		t.Errorf("an unbound claim's size is fixed, got %v", errs)
	}
	grown.Status.Phase = corev1.ClaimBound
	check(t, nil, ValidatePersistentVolumeClaimUpdate(grown, pvc))
}

func TestValidateReplicationController(t *testing.T) {
	valid := func() *corev1.ReplicationController {
		spec := validPodSpec()
		return &corev1.ReplicationController{ObjectMeta: meta("web"), Spec: corev1.ReplicationControllerSpec{
			Replicas: ptr.To[int32](2),
			Selector: map[string]string{"app": "web"},
			Template: &corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"app": "web"}}, Spec: spec},
		}}
	}
	cases := []struct {
		name   string
		mutate func(*corev1.ReplicationController)
		want   []string
	}{
		{name: "valid", mutate: func(*corev1.ReplicationController) {}},
		{
			name: "selector mismatch, negative replicas, restart policy",
			mutate: func(rc *corev1.ReplicationController) {
				rc.Spec.Replicas = ptr.To[int32](-1)
				rc.Spec.Template.Labels = map[string]string{"app": "db"}
				rc.Spec.Template.Spec.RestartPolicy = corev1.RestartPolicyNever
			},
			want: []string{
				`spec.replicas: Invalid value: -1: must be greater than or equal to 0`,
				"spec.template.metadata.labels: Invalid value: {\"app\":\"db\"}: `selector` does not match template `labels`",
				`spec.template.spec.restartPolicy: Unsupported value: "Never": supported values: "Always"`,
			},
		},
		{
			name:   "empty selector",
			mutate: func(rc *corev1.ReplicationController) { rc.Spec.Selector = nil },
			want:   []string{`spec.selector: Required value`},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			rc := valid()
			tc.mutate(rc)
			check(t, tc.want, ValidateReplicationController(rc))
		})
	}
}

package envvars

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes/fake"
)

// mapGetter is a Getter over fixed objects, keyed by namespace/name.
type mapGetter struct {
	configMaps map[string]*corev1.ConfigMap
	secrets    map[string]*corev1.Secret
	services   []*corev1.Service
}

func (g mapGetter) ConfigMap(_ context.Context, ns, name string) (*corev1.ConfigMap, error) {
	if cm, ok := g.configMaps[ns+"/"+name]; ok {
		return cm, nil
	}
	return nil, apierrors.NewNotFound(corev1.Resource("configmap"), name)
}

func (g mapGetter) Secret(_ context.Context, ns, name string) (*corev1.Secret, error) {
	if s, ok := g.secrets[ns+"/"+name]; ok {
		return s, nil
	}
	return nil, apierrors.NewNotFound(corev1.Resource("secret"), name)
}

func (g mapGetter) Services(_ context.Context, ns string) ([]*corev1.Service, error) {
	var out []*corev1.Service
	for _, s := range g.services {
		if s.Namespace == ns {
			out = append(out, s)
		}
	}
	return out, nil
}

func ptr[T any](v T) *T { return &v }

func service(ns, name, ip string, ports ...corev1.ServicePort) *corev1.Service {
	return &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		Spec:       corev1.ServiceSpec{ClusterIP: ip, Ports: ports},
	}
}

func testGetter() mapGetter {
	return mapGetter{
		configMaps: map[string]*corev1.ConfigMap{
			"ns/cfg":   {Data: map[string]string{"A": "a", "B": "b", "REF": "$(A)"}},
			"ns/other": {Data: map[string]string{"A": "other-a"}},
			"ns/bad":   {Data: map[string]string{"GOOD": "g", "BAD=KEY": "x", "": "empty"}},
		},
		secrets: map[string]*corev1.Secret{
			"ns/sec": {Data: map[string][]byte{"PASSWORD": []byte("hunter2"), "B": []byte("secret-b")}},
		},
		services: []*corev1.Service{
			service("default", "kubernetes", "10.96.0.1", corev1.ServicePort{Name: "https", Port: 443, Protocol: corev1.ProtocolTCP}),
			service("default", "other-default", "10.96.0.7", corev1.ServicePort{Port: 1}),
			service("ns", "web-front", "10.96.0.20", corev1.ServicePort{Port: 80}),
			service("ns", "headless", "None", corev1.ServicePort{Port: 80}),
			service("ns", "external", "", corev1.ServicePort{Port: 80}),
		},
	}
}

var webFrontEnv = []corev1.EnvVar{
	{Name: "WEB_FRONT_PORT", Value: "tcp://10.96.0.20:80"},
	{Name: "WEB_FRONT_PORT_80_TCP", Value: "tcp://10.96.0.20:80"},
	{Name: "WEB_FRONT_PORT_80_TCP_ADDR", Value: "10.96.0.20"},
	{Name: "WEB_FRONT_PORT_80_TCP_PORT", Value: "80"},
	{Name: "WEB_FRONT_PORT_80_TCP_PROTO", Value: "tcp"},
	{Name: "WEB_FRONT_SERVICE_HOST", Value: "10.96.0.20"},
	{Name: "WEB_FRONT_SERVICE_PORT", Value: "80"},
}

var kubernetesEnv = []corev1.EnvVar{
	{Name: "KUBERNETES_PORT", Value: "tcp://10.96.0.1:443"},
	{Name: "KUBERNETES_PORT_443_TCP", Value: "tcp://10.96.0.1:443"},
	{Name: "KUBERNETES_PORT_443_TCP_ADDR", Value: "10.96.0.1"},
	{Name: "KUBERNETES_PORT_443_TCP_PORT", Value: "443"},
	{Name: "KUBERNETES_PORT_443_TCP_PROTO", Value: "tcp"},
	{Name: "KUBERNETES_SERVICE_HOST", Value: "10.96.0.1"},
	{Name: "KUBERNETES_SERVICE_PORT", Value: "443"},
	{Name: "KUBERNETES_SERVICE_PORT_HTTPS", Value: "443"},
}

func TestResolve(t *testing.T) {
	noLinks := func(p *corev1.Pod) { p.Spec.EnableServiceLinks = ptr(false) }
	tests := []struct {
		name        string
		pod         func(*corev1.Pod)
		c           corev1.Container
		info        PodInfo
		want        []corev1.EnvVar // without service variables unless links
		wantLinks   bool
		wantSkipped []SkippedKeys
		wantErr     string
	}{
		{
			name:      "service links on by default",
			wantLinks: true,
		},
		{
			name: "kubernetes service even without links",
			pod:  noLinks,
		},
		{
			name: "plain values and expansion in order",
			pod:  noLinks,
			c: corev1.Container{Env: []corev1.EnvVar{
				{Name: "FIRST", Value: "1"},
				{Name: "SECOND", Value: "$(FIRST)-2"},
				{Name: "FORWARD", Value: "$(THIRD)"},
				{Name: "THIRD", Value: "3"},
				{Name: "ESCAPED", Value: "$$(FIRST)"},
				{Name: "EMPTY"},
				{Name: "SVC", Value: "$(KUBERNETES_SERVICE_HOST):$(KUBERNETES_SERVICE_PORT)"},
			}},
			want: []corev1.EnvVar{
				{Name: "EMPTY"}, {Name: "ESCAPED", Value: "$(FIRST)"}, {Name: "FIRST", Value: "1"},
				{Name: "FORWARD", Value: "$(THIRD)"}, {Name: "SECOND", Value: "1-2"},
				{Name: "SVC", Value: "10.96.0.1:443"}, {Name: "THIRD", Value: "3"},
			},
		},
		{
			name: "envFrom with prefix, later source wins, env overrides, values not expanded",
			pod:  noLinks,
			c: corev1.Container{
				EnvFrom: []corev1.EnvFromSource{
					{ConfigMapRef: &corev1.ConfigMapEnvSource{LocalObjectReference: corev1.LocalObjectReference{Name: "cfg"}}},
					{SecretRef: &corev1.SecretEnvSource{LocalObjectReference: corev1.LocalObjectReference{Name: "sec"}}},
					{Prefix: "P_", ConfigMapRef: &corev1.ConfigMapEnvSource{LocalObjectReference: corev1.LocalObjectReference{Name: "other"}}},
				},
				Env: []corev1.EnvVar{{Name: "A", Value: "$(A)-env"}},
			},
			want: []corev1.EnvVar{
				{Name: "A", Value: "a-env"}, {Name: "B", Value: "secret-b"}, {Name: "PASSWORD", Value: "hunter2"},
				{Name: "P_A", Value: "other-a"}, {Name: "REF", Value: "$(A)"},
			},
		},
		{
			name: "envFrom invalid keys skipped and reported",
			pod:  noLinks,
			c: corev1.Container{EnvFrom: []corev1.EnvFromSource{
				{ConfigMapRef: &corev1.ConfigMapEnvSource{LocalObjectReference: corev1.LocalObjectReference{Name: "bad"}}},
			}},
			want:        []corev1.EnvVar{{Name: "GOOD", Value: "g"}},
			wantSkipped: []SkippedKeys{{Kind: "configMap", Namespace: "ns", Name: "bad", Keys: []string{"", "BAD=KEY"}}},
		},
		{
			name: "optional envFrom missing",
			pod:  noLinks,
			c: corev1.Container{EnvFrom: []corev1.EnvFromSource{
				{ConfigMapRef: &corev1.ConfigMapEnvSource{LocalObjectReference: corev1.LocalObjectReference{Name: "nope"}, Optional: ptr(true)}},
				{SecretRef: &corev1.SecretEnvSource{LocalObjectReference: corev1.LocalObjectReference{Name: "nope"}, Optional: ptr(true)}},
			}},
		},
		{
			name: "required envFrom configMap missing",
			pod:  noLinks,
			c: corev1.Container{EnvFrom: []corev1.EnvFromSource{
				{ConfigMapRef: &corev1.ConfigMapEnvSource{LocalObjectReference: corev1.LocalObjectReference{Name: "nope"}}},
			}},
			wantErr: `configmap "nope" not found`,
		},
		{
			name: "required envFrom secret missing",
			pod:  noLinks,
			c: corev1.Container{EnvFrom: []corev1.EnvFromSource{
				{SecretRef: &corev1.SecretEnvSource{LocalObjectReference: corev1.LocalObjectReference{Name: "nope"}, Optional: ptr(false)}},
			}},
			wantErr: `secret "nope" not found`,
		},
		{
			name: "key refs",
			pod:  noLinks,
			c: corev1.Container{Env: []corev1.EnvVar{
				{Name: "CM", ValueFrom: &corev1.EnvVarSource{ConfigMapKeyRef: &corev1.ConfigMapKeySelector{LocalObjectReference: corev1.LocalObjectReference{Name: "cfg"}, Key: "REF"}}},
				{Name: "SEC", ValueFrom: &corev1.EnvVarSource{SecretKeyRef: &corev1.SecretKeySelector{LocalObjectReference: corev1.LocalObjectReference{Name: "sec"}, Key: "PASSWORD"}}},
				{Name: "OPT_KEY", ValueFrom: &corev1.EnvVarSource{ConfigMapKeyRef: &corev1.ConfigMapKeySelector{LocalObjectReference: corev1.LocalObjectReference{Name: "cfg"}, Key: "NOPE", Optional: ptr(true)}}},
				{Name: "OPT_OBJ", ValueFrom: &corev1.EnvVarSource{SecretKeyRef: &corev1.SecretKeySelector{LocalObjectReference: corev1.LocalObjectReference{Name: "nope"}, Key: "X", Optional: ptr(true)}}},
			}},
			want: []corev1.EnvVar{{Name: "CM", Value: "$(A)"}, {Name: "SEC", Value: "hunter2"}},
		},
		{
			name: "configMap key missing",
			pod:  noLinks,
			c: corev1.Container{Env: []corev1.EnvVar{
				{Name: "X", ValueFrom: &corev1.EnvVarSource{ConfigMapKeyRef: &corev1.ConfigMapKeySelector{LocalObjectReference: corev1.LocalObjectReference{Name: "cfg"}, Key: "FOO"}}},
			}},
			wantErr: "couldn't find key FOO in ConfigMap ns/cfg",
		},
		{
			name: "secret key missing",
			pod:  noLinks,
			c: corev1.Container{Env: []corev1.EnvVar{
				{Name: "X", ValueFrom: &corev1.EnvVarSource{SecretKeyRef: &corev1.SecretKeySelector{LocalObjectReference: corev1.LocalObjectReference{Name: "sec"}, Key: "FOO"}}},
			}},
			wantErr: "couldn't find key FOO in Secret ns/sec",
		},
		{
			name: "secret key ref object missing",
			pod:  noLinks,
			c: corev1.Container{Env: []corev1.EnvVar{
				{Name: "X", ValueFrom: &corev1.EnvVarSource{SecretKeyRef: &corev1.SecretKeySelector{LocalObjectReference: corev1.LocalObjectReference{Name: "gone"}, Key: "FOO"}}},
			}},
			wantErr: `secret "gone" not found`,
		},
		{
			name: "field refs",
			pod:  noLinks,
			c: corev1.Container{Env: []corev1.EnvVar{
				fieldEnv("NAME", "metadata.name"), fieldEnv("NS", "metadata.namespace"), fieldEnv("UID", "metadata.uid"),
				fieldEnv("LABEL", "metadata.labels['app']"), fieldEnv("ANNOTATION", "metadata.annotations['example.com/a']"),
				fieldEnv("NODE", "spec.nodeName"), fieldEnv("SA", "spec.serviceAccountName"),
				fieldEnv("HOST_IP", "status.hostIP"), fieldEnv("HOST_IPS", "status.hostIPs"),
				fieldEnv("POD_IP", "status.podIP"), fieldEnv("POD_IPS", "status.podIPs"),
			}},
			info: PodInfo{PodIPs: []string{"10.244.0.5", "fd00::5"}, HostIPs: []string{"192.0.2.1", "2001:db8::1"}},
			want: []corev1.EnvVar{
				{Name: "ANNOTATION", Value: "yes"}, {Name: "HOST_IP", Value: "192.0.2.1"}, {Name: "HOST_IPS", Value: "192.0.2.1,2001:db8::1"},
				{Name: "LABEL", Value: "web"}, {Name: "NAME", Value: "pod"}, {Name: "NODE", Value: "node-1"}, {Name: "NS", Value: "ns"},
				{Name: "POD_IP", Value: "10.244.0.5"}, {Name: "POD_IPS", Value: "10.244.0.5,fd00::5"}, {Name: "SA", Value: "builder"},
				{Name: "UID", Value: "uid-1"},
			},
		},
		{
			name: "pod IP not yet known is empty",
			pod:  noLinks,
			c:    corev1.Container{Env: []corev1.EnvVar{fieldEnv("POD_IP", "status.podIP")}},
			want: []corev1.EnvVar{{Name: "POD_IP"}},
		},
		{
			name:    "host IP not known",
			pod:     noLinks,
			c:       corev1.Container{Env: []corev1.EnvVar{fieldEnv("HOST_IP", "status.hostIP")}},
			wantErr: "no host IPs are known for this node",
		},
		{
			name:    "unsupported field",
			pod:     noLinks,
			c:       corev1.Container{Env: []corev1.EnvVar{fieldEnv("X", "spec.hostname")}},
			wantErr: "field label not supported: spec.hostname",
		},
		{
			name: "resource refs with divisor and allocatable defaults",
			pod:  noLinks,
			c: corev1.Container{
				Name: "main",
				Resources: corev1.ResourceRequirements{
					Requests: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("250m"), corev1.ResourceMemory: resource.MustParse("64Mi")},
					Limits:   corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("1500m")},
				},
				Env: []corev1.EnvVar{
					resourceEnv("CPU_LIMIT", "", "limits.cpu", ""),
					resourceEnv("CPU_LIMIT_M", "", "limits.cpu", "1m"),
					resourceEnv("CPU_REQUEST", "", "requests.cpu", ""),
					resourceEnv("MEM_REQUEST_MI", "", "requests.memory", "1Mi"),
					resourceEnv("MEM_LIMIT", "", "limits.memory", ""),
					resourceEnv("EPH_LIMIT_GI", "", "limits.ephemeral-storage", "1Gi"),
					resourceEnv("EPH_REQUEST", "", "requests.ephemeral-storage", ""),
					resourceEnv("SIDE_CPU_LIMIT", "side", "limits.cpu", "1m"),
				},
			},
			info: PodInfo{NodeAllocatable: corev1.ResourceList{
				corev1.ResourceCPU:              resource.MustParse("4"),
				corev1.ResourceMemory:           resource.MustParse("8Gi"),
				corev1.ResourceEphemeralStorage: resource.MustParse("100Gi"),
			}},
			want: []corev1.EnvVar{
				{Name: "CPU_LIMIT", Value: "2"}, {Name: "CPU_LIMIT_M", Value: "1500"}, {Name: "CPU_REQUEST", Value: "1"},
				{Name: "EPH_LIMIT_GI", Value: "100"}, {Name: "EPH_REQUEST", Value: "0"},
				{Name: "MEM_LIMIT", Value: "8589934592"}, {Name: "MEM_REQUEST_MI", Value: "64"},
				{Name: "SIDE_CPU_LIMIT", Value: "4000"},
			},
		},
		{
			name: "pod-level limits bound unset container limits",
			pod: func(p *corev1.Pod) {
				noLinks(p)
				p.Spec.Resources = &corev1.ResourceRequirements{Limits: corev1.ResourceList{corev1.ResourceMemory: resource.MustParse("1Gi")}}
			},
			c: corev1.Container{Env: []corev1.EnvVar{resourceEnv("MEM", "", "limits.memory", "1Mi"), resourceEnv("CPU", "", "limits.cpu", "")}},
			info: PodInfo{NodeAllocatable: corev1.ResourceList{
				corev1.ResourceCPU: resource.MustParse("4"), corev1.ResourceMemory: resource.MustParse("8Gi"),
			}},
			want: []corev1.EnvVar{{Name: "CPU", Value: "4"}, {Name: "MEM", Value: "1024"}},
		},
		{
			name:    "unknown resource",
			pod:     noLinks,
			c:       corev1.Container{Env: []corev1.EnvVar{resourceEnv("X", "", "limits.gpu", "")}},
			wantErr: "unsupported container resource : limits.gpu",
		},
		{
			name:    "resource of unknown container",
			pod:     noLinks,
			c:       corev1.Container{Env: []corev1.EnvVar{resourceEnv("X", "ghost", "limits.cpu", "")}},
			wantErr: "container ghost not found",
		},
		{
			name: "env overrides service variables",
			c:    corev1.Container{Env: []corev1.EnvVar{{Name: "WEB_FRONT_SERVICE_HOST", Value: "mine"}}},
			want: []corev1.EnvVar{{Name: "WEB_FRONT_SERVICE_HOST", Value: "mine"}},
			// The remaining web-front variables and kubernetes' come from links.
			wantLinks: true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pod := &corev1.Pod{
				ObjectMeta: metav1.ObjectMeta{
					Namespace: "ns", Name: "pod", UID: "uid-1",
					Labels:      map[string]string{"app": "web"},
					Annotations: map[string]string{"example.com/a": "yes"},
				},
				Spec: corev1.PodSpec{
					NodeName: "node-1", ServiceAccountName: "builder",
					Containers: []corev1.Container{{Name: "side"}},
				},
			}
			if tt.pod != nil {
				tt.pod(pod)
			}
			got, err := Resolve(context.Background(), testGetter(), pod, &tt.c, tt.info)
			if tt.wantErr != "" {
				if err == nil || err.Error() != tt.wantErr {
					t.Fatalf("Resolve() error = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("Resolve() error = %v", err)
			}
			want := mergeEnv(tt.want, kubernetesEnv)
			if tt.wantLinks {
				want = mergeEnv(want, webFrontEnv)
			}
			if diff := cmp.Diff(want, got.Env); diff != "" {
				t.Errorf("Env (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.wantSkipped, got.Skipped); diff != "" {
				t.Errorf("Skipped (-want +got):\n%s", diff)
			}
		})
	}
}

// mergeEnv adds the variables of extra that env does not define, sorted.
func mergeEnv(env, extra []corev1.EnvVar) []corev1.EnvVar {
	out := append([]corev1.EnvVar(nil), env...)
	have := map[string]bool{}
	for _, e := range env {
		have[e.Name] = true
	}
	for _, e := range extra {
		if !have[e.Name] {
			out = append(out, e)
		}
	}
	sortEnv(out)
	return out
}

func sortEnv(env []corev1.EnvVar) {
	for i := 1; i < len(env); i++ {
		for j := i; j > 0 && env[j].Name < env[j-1].Name; j-- {
			env[j], env[j-1] = env[j-1], env[j]
		}
	}
}

func fieldEnv(name, path string) corev1.EnvVar {
	return corev1.EnvVar{Name: name, ValueFrom: &corev1.EnvVarSource{FieldRef: &corev1.ObjectFieldSelector{APIVersion: "v1", FieldPath: path}}}
}

func resourceEnv(name, container, res, divisor string) corev1.EnvVar {
	sel := &corev1.ResourceFieldSelector{ContainerName: container, Resource: res}
	if divisor != "" {
		sel.Divisor = resource.MustParse(divisor)
	}
	return corev1.EnvVar{Name: name, ValueFrom: &corev1.EnvVarSource{ResourceFieldRef: sel}}
}

func TestResultStrings(t *testing.T) {
	r := Result{Env: []corev1.EnvVar{{Name: "A", Value: "1"}, {Name: "B", Value: "x=y"}, {Name: "C"}}}
	if diff := cmp.Diff([]string{"A=1", "B=x=y", "C="}, r.Strings()); diff != "" {
		t.Errorf("Strings (-want +got):\n%s", diff)
	}
}

func TestSkippedKeysMessage(t *testing.T) {
	s := SkippedKeys{Kind: "configMap", Namespace: "ns", Name: "cfg", Keys: []string{"1A", "B=C"}}
	want := "Keys [1A, B=C] from the EnvFrom configMap ns/cfg were skipped since they are considered invalid environment variable names."
	if diff := cmp.Diff(want, s.Message()); diff != "" {
		t.Errorf("Message (-want +got):\n%s", diff)
	}
}

func TestServiceVariables(t *testing.T) {
	tests := []struct {
		name string
		svc  *corev1.Service
		want []corev1.EnvVar
	}{
		{
			name: "headless", svc: service("ns", "h", "None", corev1.ServicePort{Port: 80}),
		},
		{
			name: "named ports and protocols",
			svc: service("ns", "my-dns", "10.96.0.10",
				corev1.ServicePort{Name: "dns", Port: 53, Protocol: corev1.ProtocolUDP},
				corev1.ServicePort{Name: "dns-tcp", Port: 53, Protocol: corev1.ProtocolTCP}),
			want: []corev1.EnvVar{
				{Name: "MY_DNS_SERVICE_HOST", Value: "10.96.0.10"},
				{Name: "MY_DNS_SERVICE_PORT", Value: "53"},
				{Name: "MY_DNS_SERVICE_PORT_DNS", Value: "53"},
				{Name: "MY_DNS_SERVICE_PORT_DNS_TCP", Value: "53"},
				{Name: "MY_DNS_PORT", Value: "udp://10.96.0.10:53"},
				{Name: "MY_DNS_PORT_53_UDP", Value: "udp://10.96.0.10:53"},
				{Name: "MY_DNS_PORT_53_UDP_PROTO", Value: "udp"},
				{Name: "MY_DNS_PORT_53_UDP_PORT", Value: "53"},
				{Name: "MY_DNS_PORT_53_UDP_ADDR", Value: "10.96.0.10"},
				{Name: "MY_DNS_PORT_53_TCP", Value: "tcp://10.96.0.10:53"},
				{Name: "MY_DNS_PORT_53_TCP_PROTO", Value: "tcp"},
				{Name: "MY_DNS_PORT_53_TCP_PORT", Value: "53"},
				{Name: "MY_DNS_PORT_53_TCP_ADDR", Value: "10.96.0.10"},
			},
		},
		{
			name: "IPv6",
			svc:  service("ns", "v6", "fd00::a", corev1.ServicePort{Port: 8080}),
			want: []corev1.EnvVar{
				{Name: "V6_SERVICE_HOST", Value: "fd00::a"},
				{Name: "V6_SERVICE_PORT", Value: "8080"},
				{Name: "V6_PORT", Value: "tcp://[fd00::a]:8080"},
				{Name: "V6_PORT_8080_TCP", Value: "tcp://[fd00::a]:8080"},
				{Name: "V6_PORT_8080_TCP_PROTO", Value: "tcp"},
				{Name: "V6_PORT_8080_TCP_PORT", Value: "8080"},
				{Name: "V6_PORT_8080_TCP_ADDR", Value: "fd00::a"},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, FromService(tt.svc)); diff != "" {
				t.Errorf("FromService (-want +got):\n%s", diff)
			}
		})
	}
}

func TestNamespaceKubernetesServiceWins(t *testing.T) {
	g := testGetter()
	g.services = append(g.services, service("ns", "kubernetes", "10.96.5.5", corev1.ServicePort{Port: 443}))
	pod := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "p"}}
	got, err := Resolve(context.Background(), g, pod, &corev1.Container{}, PodInfo{})
	if err != nil {
		t.Fatal(err)
	}
	env := map[string]string{}
	for _, e := range got.Env {
		env[e.Name] = e.Value
	}
	if diff := cmp.Diff("10.96.5.5", env["KUBERNETES_SERVICE_HOST"]); diff != "" {
		t.Errorf("KUBERNETES_SERVICE_HOST (-want +got):\n%s", diff)
	}
	if _, ok := env["OTHER_DEFAULT_SERVICE_HOST"]; ok {
		t.Errorf("a pod outside default got variables of default's other services")
	}
}

func TestClientGetterNotFound(t *testing.T) {
	client := fake.NewClientset(
		&corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "cfg"}, Data: map[string]string{"k": "v"}},
		service("ns", "svc", "10.96.0.3", corev1.ServicePort{Port: 1}),
	)
	g := NewClientGetter(client)
	ctx := context.Background()
	if cm, err := g.ConfigMap(ctx, "ns", "cfg"); err != nil || cm.Data["k"] != "v" {
		t.Errorf("ConfigMap(cfg) = %v, %v", cm, err)
	}
	_, err := g.ConfigMap(ctx, "ns", "x")
	if !apierrors.IsNotFound(err) || err.Error() != `configmap "x" not found` {
		t.Errorf("ConfigMap(x) error = %v, want NotFound `configmap \"x\" not found`", err)
	}
	_, err = g.Secret(ctx, "ns", "x")
	if !apierrors.IsNotFound(err) || err.Error() != `secret "x" not found` {
		t.Errorf("Secret(x) error = %v, want NotFound `secret \"x\" not found`", err)
	}
	svcs, err := g.Services(ctx, "ns")
	if err != nil || len(svcs) != 1 || svcs[0].Name != "svc" {
		t.Errorf("Services(ns) = %v, %v", svcs, err)
	}
}

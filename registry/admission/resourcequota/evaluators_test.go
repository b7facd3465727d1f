package resourcequota

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	resourceapi "k8s.io/api/resource/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apiserver/pkg/admission"
	quota "k8s.io/apiserver/pkg/quota/v1"
	"k8s.io/apiserver/pkg/quota/v1/generic"
	testclock "k8s.io/utils/clock/testing"
	"k8s.io/utils/ptr"
)

func list(kv ...string) corev1.ResourceList {
	out := corev1.ResourceList{}
	for i := 0; i < len(kv); i += 2 {
		out[corev1.ResourceName(kv[i])] = resource.MustParse(kv[i+1])
	}
	return out
}

// quantities makes lists comparable with cmp whatever the quantities'
// formats.
func quantities(l corev1.ResourceList) map[corev1.ResourceName]string {
	out := map[corev1.ResourceName]string{}
	for k, v := range l {
		out[k] = v.String()
	}
	return out
}

func container(name string, requests, limits corev1.ResourceList) corev1.Container {
	return corev1.Container{Name: name, Resources: corev1.ResourceRequirements{Requests: requests, Limits: limits}}
}

func podWith(containers ...corev1.Container) *corev1.Pod {
	return &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "p", Namespace: "ns"}, Spec: corev1.PodSpec{Containers: containers}}
}

var now = time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)

func TestPodUsage(t *testing.T) {
	deleting := func(ago time.Duration, grace int64) *corev1.Pod {
		p := podWith(container("c", list("cpu", "1"), nil))
		p.DeletionTimestamp = &metav1.Time{Time: now.Add(-ago)}
		p.DeletionGracePeriodSeconds = &grace
		return p
	}
	withPhase := func(phase corev1.PodPhase) *corev1.Pod {
		p := podWith(container("c", list("cpu", "1"), nil))
		p.Status.Phase = phase
		return p
	}
	sidecar := podWith(container("app", list("cpu", "500m", "memory", "1Gi"), list("cpu", "1")))
	sidecar.Spec.InitContainers = []corev1.Container{
		container("init", list("cpu", "2"), nil),
		container("proxy", list("cpu", "100m"), nil),
	}
	sidecar.Spec.InitContainers[1].RestartPolicy = ptr.To(corev1.ContainerRestartPolicyAlways)
	overhead := podWith(container("c", list("cpu", "1", "memory", "1Gi"), list("cpu", "2", "memory", "1Gi")))
	overhead.Spec.Overhead = list("cpu", "250m", "memory", "120Mi")

	tests := []struct {
		name string
		pod  *corev1.Pod
		want corev1.ResourceList
	}{
		{
			name: "a pod with nothing set is one pod",
			pod:  podWith(container("c", nil, nil)),
			want: list("pods", "1", "count/pods", "1"),
		},
		{
			name: "requests under requests.* and the bare legacy names, limits under limits.*",
			pod: podWith(
				container("a", list("cpu", "250m", "memory", "64Mi", "ephemeral-storage", "1Gi"), list("cpu", "500m", "memory", "128Mi", "ephemeral-storage", "2Gi")),
				container("b", list("cpu", "250m"), list("memory", "64Mi"))),
			want: list("pods", "1", "count/pods", "1",
				"cpu", "500m", "requests.cpu", "500m", "limits.cpu", "500m",
				"memory", "64Mi", "requests.memory", "64Mi", "limits.memory", "192Mi",
				"ephemeral-storage", "1Gi", "requests.ephemeral-storage", "1Gi", "limits.ephemeral-storage", "2Gi"),
		},
		{
			name: "an init container counts where it asks for more; a sidecar adds to the containers",
			pod:  sidecar,
			want: list("pods", "1", "count/pods", "1", "cpu", "2", "requests.cpu", "2", "limits.cpu", "1",
				"memory", "1Gi", "requests.memory", "1Gi"),
		},
		{
			name: "the pod overhead is charged",
			pod:  overhead,
			want: list("pods", "1", "count/pods", "1", "cpu", "1250m", "requests.cpu", "1250m", "limits.cpu", "2250m",
				"memory", "1144Mi", "requests.memory", "1144Mi", "limits.memory", "1144Mi"),
		},
		{
			name: "extended resources and hugepages, as requests",
			pod:  podWith(container("c", list("example.com/gpu", "2", "hugepages-2Mi", "4Mi"), list("example.com/gpu", "2", "hugepages-2Mi", "4Mi"))),
			want: list("pods", "1", "count/pods", "1", "requests.example.com/gpu", "2", "hugepages-2Mi", "4Mi", "requests.hugepages-2Mi", "4Mi"),
		},
		{
			name: "a succeeded pod is only counted",
			pod:  withPhase(corev1.PodSucceeded),
			want: list("count/pods", "1"),
		},
		{
			name: "a failed pod is only counted",
			pod:  withPhase(corev1.PodFailed),
			want: list("count/pods", "1"),
		},
		{
			name: "a deleted pod within its grace period is charged",
			pod:  deleting(10*time.Second, 30),
			want: list("pods", "1", "count/pods", "1", "cpu", "1", "requests.cpu", "1"),
		},
		{
			name: "a deleted pod past its grace period is only counted",
			pod:  deleting(time.Minute, 30),
			want: list("count/pods", "1"),
		},
	}
	e := NewPodEvaluator(nil, testclock.NewFakePassiveClock(now))
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := e.Usage(tc.pod)
			if err != nil {
				t.Fatalf("usage: %v", err)
			}
			if diff := cmp.Diff(quantities(tc.want), quantities(got)); diff != "" {
				t.Errorf("usage (-want +got):\n%s", diff)
			}
		})
	}
}

func TestPodConstraints(t *testing.T) {
	podLevel := podWith(container("c", nil, nil))
	podLevel.Spec.Resources = &corev1.ResourceRequirements{Requests: list("cpu", "1")}
	init := podWith(container("app", list("cpu", "1", "memory", "1Gi"), list("cpu", "1", "memory", "1Gi")))
	init.Spec.InitContainers = []corev1.Container{container("init", nil, nil)}
	tests := []struct {
		name     string
		required []corev1.ResourceName
		pod      *corev1.Pod
		want     string
	}{
		{name: "nothing required", required: []corev1.ResourceName{"pods"}, pod: podWith(container("c", nil, nil))},
		{name: "requests.cpu set", required: []corev1.ResourceName{"requests.cpu"}, pod: podWith(container("c", list("cpu", "1"), nil))},
		{
			name:     "cpu and memory missing, per resource, containers sorted",
			required: []corev1.ResourceName{"cpu", "memory", "pods"},
			pod:      podWith(container("b", nil, nil), container("a", list("memory", "1Gi"), nil)),
			want:     "must specify cpu for: a,b; memory for: b",
		},
		{
			name:     "limits missing",
			required: []corev1.ResourceName{"limits.cpu", "limits.memory", "requests.cpu"},
			pod:      podWith(container("c", list("cpu", "1"), list("memory", "1Gi"))),
			want:     "must specify limits.cpu for: c",
		},
		{
			name:     "init containers too",
			required: []corev1.ResourceName{"requests.memory"},
			pod:      init,
			want:     "must specify requests.memory for: init",
		},
		{
			name:     "ephemeral storage is never required",
			required: []corev1.ResourceName{"requests.ephemeral-storage", "example.com/gpu"},
			pod:      podWith(container("c", nil, nil)),
		},
		{name: "pod-level resources waive it", required: []corev1.ResourceName{"requests.cpu", "limits.memory"}, pod: podLevel},
	}
	e := NewPodEvaluator(nil, testclock.NewFakePassiveClock(now))
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := ""
			if err := e.Constraints(tc.required, tc.pod); err != nil {
				got = err.Error()
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("constraints (-want +got):\n%s", diff)
			}
		})
	}
}

func TestPodScopes(t *testing.T) {
	bestEffort := podWith(container("c", nil, nil))
	burstable := podWith(container("c", list("cpu", "1"), nil))
	terminating := podWith(container("c", nil, nil))
	terminating.Spec.ActiveDeadlineSeconds = ptr.To[int64](60)
	high := podWith(container("c", nil, nil))
	high.Spec.PriorityClassName = "high"
	cross := podWith(container("c", nil, nil))
	cross.Spec.Affinity = &corev1.Affinity{PodAntiAffinity: &corev1.PodAntiAffinity{
		PreferredDuringSchedulingIgnoredDuringExecution: []corev1.WeightedPodAffinityTerm{{
			Weight: 1, PodAffinityTerm: corev1.PodAffinityTerm{TopologyKey: "k", NamespaceSelector: &metav1.LabelSelector{}},
		}},
	}}
	exists := func(s corev1.ResourceQuotaScope) corev1.ScopedResourceSelectorRequirement {
		return corev1.ScopedResourceSelectorRequirement{ScopeName: s, Operator: corev1.ScopeSelectorOpExists}
	}
	priority := func(op corev1.ScopeSelectorOperator, values ...string) corev1.ScopedResourceSelectorRequirement {
		return corev1.ScopedResourceSelectorRequirement{ScopeName: corev1.ResourceQuotaScopePriorityClass, Operator: op, Values: values}
	}
	pods := map[string]*corev1.Pod{"bestEffort": bestEffort, "burstable": burstable, "terminating": terminating, "high": high, "cross": cross}
	tests := []struct {
		name     string
		selector corev1.ScopedResourceSelectorRequirement
		want     []string
	}{
		{name: "Terminating", selector: exists(corev1.ResourceQuotaScopeTerminating), want: []string{"terminating"}},
		{name: "NotTerminating", selector: exists(corev1.ResourceQuotaScopeNotTerminating), want: []string{"bestEffort", "burstable", "cross", "high"}},
		{name: "BestEffort", selector: exists(corev1.ResourceQuotaScopeBestEffort), want: []string{"bestEffort", "cross", "high", "terminating"}},
		{name: "NotBestEffort", selector: exists(corev1.ResourceQuotaScopeNotBestEffort), want: []string{"burstable"}},
		{name: "PriorityClass exists", selector: exists(corev1.ResourceQuotaScopePriorityClass), want: []string{"high"}},
		{name: "PriorityClass in", selector: priority(corev1.ScopeSelectorOpIn, "high", "low"), want: []string{"high"}},
		{name: "PriorityClass not in: pods without one too", selector: priority(corev1.ScopeSelectorOpNotIn, "high"), want: []string{"bestEffort", "burstable", "cross", "terminating"}},
		{name: "PriorityClass does not exist", selector: priority(corev1.ScopeSelectorOpDoesNotExist), want: []string{"bestEffort", "burstable", "cross", "terminating"}},
		{name: "CrossNamespacePodAffinity", selector: exists(corev1.ResourceQuotaScopeCrossNamespacePodAffinity), want: []string{"cross"}},
	}
	e := NewPodEvaluator(nil, testclock.NewFakePassiveClock(now))
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var got []string
			for _, name := range []string{"bestEffort", "burstable", "cross", "high", "terminating"} {
				matched, err := e.MatchingScopes(pods[name], []corev1.ScopedResourceSelectorRequirement{tc.selector})
				if err != nil {
					t.Fatalf("%s: %v", name, err)
				}
				if len(matched) == 1 {
					got = append(got, name)
				}
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("matching pods (-want +got):\n%s", diff)
			}
		})
	}
	if _, err := e.MatchingScopes(high, []corev1.ScopedResourceSelectorRequirement{priority("Bogus")}); err == nil {
		t.Error("a bad operator matched without error")
	}
}

func TestPodMatchingResources(t *testing.T) {
	in := []corev1.ResourceName{"pods", "count/pods", "requests.cpu", "limits.memory", "services", "requests.storage",
		"requests.example.com/gpu", "example.com/gpu", "hugepages-2Mi", "requests.hugepages-1Gi",
		"requests.deviceclass.resource.kubernetes.io/gpu.example.com", "count/secrets"}
	want := []corev1.ResourceName{"pods", "count/pods", "requests.cpu", "limits.memory", "requests.example.com/gpu", "hugepages-2Mi",
		"requests.hugepages-1Gi", "requests.deviceclass.resource.kubernetes.io/gpu.example.com"}
	got := NewPodEvaluator(nil, testclock.NewFakePassiveClock(now)).MatchingResources(in)
	if diff := cmp.Diff(quota.ToSet(want).List(), quota.ToSet(got).List()); diff != "" {
		t.Errorf("matching resources (-want +got):\n%s", diff)
	}
}

// attributes of a request on resource/subresource with the object and the
// one it replaces.
func attributes(resource, subresource string, op admission.Operation, obj, old runtime.Object) admission.Attributes {
	return admission.NewAttributesRecord(obj, old, corev1.SchemeGroupVersion.WithKind(""), "ns", "x",
		corev1.SchemeGroupVersion.WithResource(resource), subresource, op, nil, false, nil)
}

func TestHandles(t *testing.T) {
	plain := podWith(container("c", nil, nil))
	deadline := plain.DeepCopy()
	deadline.Spec.ActiveDeadlineSeconds = ptr.To[int64](30)
	labelled := plain.DeepCopy()
	labelled.Labels = map[string]string{"a": "b"}
	clusterIP := &corev1.Service{Spec: corev1.ServiceSpec{Type: corev1.ServiceTypeClusterIP}}
	claim := &corev1.PersistentVolumeClaim{}
	grown := claim.DeepCopy()
	grown.Status.AllocatedResources = list("storage", "2Gi")
	e := NewPodEvaluator(nil, testclock.NewFakePassiveClock(now))
	tests := []struct {
		name string
		e    quota.Evaluator
		a    admission.Attributes
		want bool
	}{
		{name: "pod create", e: e, a: attributes("pods", "", admission.Create, plain, nil), want: true},
		{name: "pod update within its scope", e: e, a: attributes("pods", "", admission.Update, labelled, plain)},
		{name: "pod update into Terminating", e: e, a: attributes("pods", "", admission.Update, deadline, plain), want: true},
		{name: "pod resize", e: e, a: attributes("pods", "resize", admission.Update, plain, plain), want: true},
		{name: "pod status", e: e, a: attributes("pods", "status", admission.Update, plain, plain)},
		{name: "service update", e: NewServiceEvaluator(nil), a: attributes("services", "", admission.Update, clusterIP, clusterIP), want: true},
		{name: "service status", e: NewServiceEvaluator(nil), a: attributes("services", "status", admission.Update, clusterIP, clusterIP)},
		{name: "claim update", e: NewClaimEvaluator(nil), a: attributes("persistentvolumeclaims", "", admission.Update, claim, claim), want: true},
		{name: "claim status, same allocation", e: NewClaimEvaluator(nil), a: attributes("persistentvolumeclaims", "status", admission.Update, claim, claim.DeepCopy())},
		{name: "claim status, larger allocation", e: NewClaimEvaluator(nil), a: attributes("persistentvolumeclaims", "status", admission.Update, grown, claim), want: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.e.Handles(tc.a); got != tc.want {
				t.Errorf("Handles = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestServiceUsage(t *testing.T) {
	ports := []corev1.ServicePort{{Port: 80}, {Port: 443, NodePort: 30443}}
	svc := func(typ corev1.ServiceType, allocate *bool) *corev1.Service {
		return &corev1.Service{Spec: corev1.ServiceSpec{Type: typ, Ports: ports, AllocateLoadBalancerNodePorts: allocate}}
	}
	tests := []struct {
		name string
		svc  *corev1.Service
		want corev1.ResourceList
	}{
		{name: "ClusterIP", svc: svc(corev1.ServiceTypeClusterIP, nil),
			want: list("services", "1", "count/services", "1", "services.nodeports", "0", "services.loadbalancers", "0")},
		{name: "ExternalName", svc: svc(corev1.ServiceTypeExternalName, nil),
			want: list("services", "1", "count/services", "1", "services.nodeports", "0", "services.loadbalancers", "0")},
		{name: "NodePort: every port, allocated or not", svc: svc(corev1.ServiceTypeNodePort, nil),
			want: list("services", "1", "count/services", "1", "services.nodeports", "2", "services.loadbalancers", "0")},
		{name: "LoadBalancer", svc: svc(corev1.ServiceTypeLoadBalancer, nil),
			want: list("services", "1", "count/services", "1", "services.nodeports", "2", "services.loadbalancers", "1")},
		{name: "LoadBalancer without node ports: only the explicit ones", svc: svc(corev1.ServiceTypeLoadBalancer, ptr.To(false)),
			want: list("services", "1", "count/services", "1", "services.nodeports", "1", "services.loadbalancers", "1")},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := NewServiceEvaluator(nil).Usage(tc.svc)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(quantities(tc.want), quantities(got)); diff != "" {
				t.Errorf("usage (-want +got):\n%s", diff)
			}
		})
	}
}

func TestClaimUsage(t *testing.T) {
	claim := func(class *string, request string, allocated string) *corev1.PersistentVolumeClaim {
		c := &corev1.PersistentVolumeClaim{Spec: corev1.PersistentVolumeClaimSpec{StorageClassName: class}}
		if request != "" {
			c.Spec.Resources.Requests = list("storage", request)
		}
		if allocated != "" {
			c.Status.AllocatedResources = list("storage", allocated)
		}
		return c
	}
	beta := claim(nil, "1Gi", "")
	beta.Annotations = map[string]string{corev1.BetaStorageClassAnnotation: "silver"}
	tests := []struct {
		name  string
		claim *corev1.PersistentVolumeClaim
		want  corev1.ResourceList
	}{
		{name: "no class", claim: claim(nil, "10Gi", ""),
			want: list("persistentvolumeclaims", "1", "count/persistentvolumeclaims", "1", "requests.storage", "10Gi")},
		{name: "by storage class", claim: claim(ptr.To("gold"), "10Gi", ""),
			want: list("persistentvolumeclaims", "1", "count/persistentvolumeclaims", "1", "requests.storage", "10Gi",
				"gold.storageclass.storage.k8s.io/persistentvolumeclaims", "1", "gold.storageclass.storage.k8s.io/requests.storage", "10Gi")},
		{name: "class from the beta annotation", claim: beta,
			want: list("persistentvolumeclaims", "1", "count/persistentvolumeclaims", "1", "requests.storage", "1Gi",
				"silver.storageclass.storage.k8s.io/persistentvolumeclaims", "1", "silver.storageclass.storage.k8s.io/requests.storage", "1Gi")},
		{name: "no request", claim: claim(nil, "", ""),
			want: list("persistentvolumeclaims", "1", "count/persistentvolumeclaims", "1")},
		{name: "a fractional request in whole bytes", claim: claim(nil, "1500m", ""),
			want: list("persistentvolumeclaims", "1", "count/persistentvolumeclaims", "1", "requests.storage", "2")},
		{name: "allocated more than requested", claim: claim(nil, "1Gi", "2Gi"),
			want: list("persistentvolumeclaims", "1", "count/persistentvolumeclaims", "1", "requests.storage", "2Gi")},
		{name: "allocated less than requested", claim: claim(nil, "3Gi", "2Gi"),
			want: list("persistentvolumeclaims", "1", "count/persistentvolumeclaims", "1", "requests.storage", "3Gi")},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := NewClaimEvaluator(nil).Usage(tc.claim)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(quantities(tc.want), quantities(got)); diff != "" {
				t.Errorf("usage (-want +got):\n%s", diff)
			}
		})
	}
	in := []corev1.ResourceName{"persistentvolumeclaims", "count/persistentvolumeclaims", "requests.storage", "gold.storageclass.storage.k8s.io/requests.storage",
		"gold.storageclass.storage.k8s.io/persistentvolumeclaims", "pods", "requests.cpu"}
	if diff := cmp.Diff(in[:5], NewClaimEvaluator(nil).MatchingResources(in)); diff != "" {
		t.Errorf("matching resources (-want +got):\n%s", diff)
	}
}

// TestUsageStats runs the evaluators over listed objects, as the controller
// does, with the quota's scopes.
func TestUsageStats(t *testing.T) {
	objs := []runtime.Object{
		podWith(container("c", nil, nil)),
		podWith(container("c", list("cpu", "1", "memory", "1Gi"), nil)),
	}
	objs[1].(*corev1.Pod).Spec.ActiveDeadlineSeconds = ptr.To[int64](10)
	tests := []struct {
		name   string
		scopes []corev1.ResourceQuotaScope
		want   corev1.ResourceList
	}{
		{name: "all", want: list("pods", "2", "requests.cpu", "1")},
		{name: "BestEffort", scopes: []corev1.ResourceQuotaScope{corev1.ResourceQuotaScopeBestEffort}, want: list("pods", "1", "requests.cpu", "0")},
		{name: "Terminating", scopes: []corev1.ResourceQuotaScope{corev1.ResourceQuotaScopeTerminating}, want: list("pods", "1", "requests.cpu", "1")},
		{name: "NotBestEffort and NotTerminating", scopes: []corev1.ResourceQuotaScope{corev1.ResourceQuotaScopeNotBestEffort, corev1.ResourceQuotaScopeNotTerminating},
			want: list("pods", "0", "requests.cpu", "0")},
	}
	e := &podEvaluator{clock: testclock.NewFakePassiveClock(now), list: generic.ListFuncByNamespace(func(string) ([]runtime.Object, error) { return objs, nil })}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			names := []corev1.ResourceName{"pods", "requests.cpu"}
			got, err := e.UsageStats(quota.UsageStatsOptions{Namespace: "ns", Scopes: tc.scopes, Resources: names})
			if err != nil {
				t.Fatal(err)
			}
			// The caller (quota.CalculateUsage) masks the sum to the names.
			if diff := cmp.Diff(quantities(tc.want), quantities(quota.Mask(got.Used, names))); diff != "" {
				t.Errorf("used (-want +got):\n%s", diff)
			}
		})
	}
	if _, err := NewPodEvaluator(nil, testclock.NewFakePassiveClock(now)).UsageStats(quota.UsageStatsOptions{Namespace: "ns"}); err == nil {
		t.Error("usage stats without a lister did not fail")
	}
}

func TestResourceClaimUsage(t *testing.T) {
	exactly := func(class string, mode resourceapi.DeviceAllocationMode, count int64) resourceapi.DeviceRequest {
		return resourceapi.DeviceRequest{Name: "r", Exactly: &resourceapi.ExactDeviceRequest{DeviceClassName: class, AllocationMode: mode, Count: count}}
	}
	claim := func(requests ...resourceapi.DeviceRequest) *resourceapi.ResourceClaim {
		return &resourceapi.ResourceClaim{Spec: resourceapi.ResourceClaimSpec{Devices: resourceapi.DeviceClaim{Requests: requests}}}
	}
	firstAvailable := resourceapi.DeviceRequest{Name: "any", FirstAvailable: []resourceapi.DeviceSubRequest{
		{Name: "big", DeviceClassName: "gold", AllocationMode: resourceapi.DeviceAllocationModeExactCount, Count: 4},
		{Name: "small", DeviceClassName: "gold", AllocationMode: resourceapi.DeviceAllocationModeExactCount, Count: 1},
		{Name: "other", DeviceClassName: "silver", AllocationMode: resourceapi.DeviceAllocationModeExactCount, Count: 2},
	}}
	tests := []struct {
		name  string
		claim *resourceapi.ResourceClaim
		want  corev1.ResourceList
	}{
		{name: "no requests", claim: claim(), want: list("count/resourceclaims.resource.k8s.io", "1")},
		{name: "exact counts add up per class",
			claim: claim(exactly("gold", resourceapi.DeviceAllocationModeExactCount, 1), exactly("gold", resourceapi.DeviceAllocationModeExactCount, 2),
				exactly("silver", resourceapi.DeviceAllocationModeExactCount, 1)),
			want: list("count/resourceclaims.resource.k8s.io", "1", "gold.deviceclass.resource.k8s.io/devices", "3", "silver.deviceclass.resource.k8s.io/devices", "1")},
		{name: "All is the worst case", claim: claim(exactly("gold", resourceapi.DeviceAllocationModeAll, 0)),
			want: list("count/resourceclaims.resource.k8s.io", "1", "gold.deviceclass.resource.k8s.io/devices", "32")},
		{name: "first available: the most of each class", claim: claim(firstAvailable),
			want: list("count/resourceclaims.resource.k8s.io", "1", "gold.deviceclass.resource.k8s.io/devices", "4", "silver.deviceclass.resource.k8s.io/devices", "2")},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := NewResourceClaimEvaluator(nil).Usage(tc.claim)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(quantities(tc.want), quantities(got)); diff != "" {
				t.Errorf("usage (-want +got):\n%s", diff)
			}
		})
	}
	in := []corev1.ResourceName{"count/resourceclaims.resource.k8s.io", "gold.deviceclass.resource.k8s.io/devices", "pods", "count/pods"}
	if diff := cmp.Diff(in[:2], NewResourceClaimEvaluator(nil).MatchingResources(in)); diff != "" {
		t.Errorf("matching resources (-want +got):\n%s", diff)
	}
}

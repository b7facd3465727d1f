package priority

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	schedulingv1 "k8s.io/api/scheduling/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apiserver/pkg/admission"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes/fake"
	"k8s.io/utils/ptr"
)

func class(name string, value int32, globalDefault bool, policy corev1.PreemptionPolicy) *schedulingv1.PriorityClass {
	return &schedulingv1.PriorityClass{
		ObjectMeta:       metav1.ObjectMeta{Name: name},
		Value:            value,
		GlobalDefault:    globalDefault,
		PreemptionPolicy: ptr.To(policy),
	}
}

var (
	nodeCritical = class("system-node-critical", 2000001000, false, corev1.PreemptLowerPriority)
	high         = class("high", 1000, false, corev1.PreemptLowerPriority)
	never        = class("never", 500, false, corev1.PreemptNever)
	defaultLow   = class("default-low", 10, true, corev1.PreemptLowerPriority)
	defaultHigh  = class("default-high", 20, true, corev1.PreemptNever)
)

// newPlugin returns the plugin over informers holding cached and a client
// holding live (the informer lags the API in some cases).
func newPlugin(t *testing.T, cached, live []*schedulingv1.PriorityClass) *Plugin {
	t.Helper()
	objects := make([]runtime.Object, 0, len(live))
	for _, c := range live {
		objects = append(objects, c)
	}
	client := fake.NewClientset(objects...)
	factory := informers.NewSharedInformerFactory(client, 0)
	store := factory.Scheduling().V1().PriorityClasses().Informer().GetStore()
	for _, c := range cached {
		if err := store.Add(c); err != nil {
			t.Fatal(err)
		}
	}
	p := New()
	p.SetExternalKubeClientSet(client)
	p.SetExternalKubeInformerFactory(factory)
	if err := p.ValidateInitialization(); err != nil {
		t.Fatal(err)
	}
	return p
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// podPriority is what the plugin decides for a pod.
type podPriority struct {
	ClassName string
	Priority  *int32
	Policy    *corev1.PreemptionPolicy
}

func TestAdmitPod(t *testing.T) {
	lower, neverPolicy := corev1.PreemptLowerPriority, corev1.PreemptNever
	tests := []struct {
		name    string
		cached  []*schedulingv1.PriorityClass
		live    []*schedulingv1.PriorityClass
		ns      string
		pod     podPriority
		want    podPriority
		wantErr string
	}{
		{
			name: "no class and no default: priority 0",
			want: podPriority{Priority: ptr.To[int32](0), Policy: &lower},
		},
		{
			name:   "no class: the global default, named",
			cached: []*schedulingv1.PriorityClass{high, defaultHigh},
			want:   podPriority{ClassName: "default-high", Priority: ptr.To[int32](20), Policy: &neverPolicy},
		},
		{
			name:   "two defaults after a race: the lower wins",
			cached: []*schedulingv1.PriorityClass{defaultHigh, defaultLow},
			want:   podPriority{ClassName: "default-low", Priority: ptr.To[int32](10), Policy: &lower},
		},
		{
			name:   "named class over the default",
			cached: []*schedulingv1.PriorityClass{high, defaultLow},
			pod:    podPriority{ClassName: "high"},
			want:   podPriority{ClassName: "high", Priority: ptr.To[int32](1000), Policy: &lower},
		},
		{
			name:   "class's preemption policy",
			cached: []*schedulingv1.PriorityClass{never},
			pod:    podPriority{ClassName: "never"},
			want:   podPriority{ClassName: "never", Priority: ptr.To[int32](500), Policy: &neverPolicy},
		},
		{
			name:   "system class outside kube-system, as upstream",
			cached: []*schedulingv1.PriorityClass{nodeCritical},
			ns:     "default",
			pod:    podPriority{ClassName: "system-node-critical"},
			want:   podPriority{ClassName: "system-node-critical", Priority: ptr.To[int32](2000001000), Policy: &lower},
		},
		{
			name:   "priority and policy equal to the class's",
			cached: []*schedulingv1.PriorityClass{never},
			pod:    podPriority{ClassName: "never", Priority: ptr.To[int32](500), Policy: &neverPolicy},
			want:   podPriority{ClassName: "never", Priority: ptr.To[int32](500), Policy: &neverPolicy},
		},
		{
			name:    "priority other than the class's",
			cached:  []*schedulingv1.PriorityClass{high},
			pod:     podPriority{ClassName: "high", Priority: ptr.To[int32](7)},
			wantErr: `pods "p" is forbidden: the integer value of priority (7) must not be provided in pod spec; priority admission controller computed 1000 from the given PriorityClass name`,
		},
		{
			name:    "priority without a class",
			pod:     podPriority{Priority: ptr.To[int32](100)},
			wantErr: `pods "p" is forbidden: the integer value of priority (100) must not be provided in pod spec; priority admission controller computed 0 from the given PriorityClass name`,
		},
		{
			name:    "preemption policy other than the class's",
			cached:  []*schedulingv1.PriorityClass{high},
			pod:     podPriority{ClassName: "high", Policy: &neverPolicy},
			wantErr: `pods "p" is forbidden: the string value of PreemptionPolicy (Never) must not be provided in pod spec; priority admission controller computed PreemptLowerPriority from the given PriorityClass name`,
		},
		{
			name:    "unknown class",
			cached:  []*schedulingv1.PriorityClass{high},
			pod:     podPriority{ClassName: "missing"},
			wantErr: `pods "p" is forbidden: no PriorityClass with name missing was found`,
		},
		{
			name: "class the informer has not seen yet",
			live: []*schedulingv1.PriorityClass{high},
			pod:  podPriority{ClassName: "high"},
			want: podPriority{ClassName: "high", Priority: ptr.To[int32](1000), Policy: &lower},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := newPlugin(t, tt.cached, tt.live)
			ns := tt.ns
			if ns == "" {
				ns = "team"
			}
			pod := &corev1.Pod{
				ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "p"},
				Spec:       corev1.PodSpec{PriorityClassName: tt.pod.ClassName, Priority: tt.pod.Priority, PreemptionPolicy: tt.pod.Policy},
			}
			a := admission.NewAttributesRecord(pod, nil, corev1.SchemeGroupVersion.WithKind("Pod"), ns, "p",
				corev1.SchemeGroupVersion.WithResource("pods"), "", admission.Create, &metav1.CreateOptions{}, false, nil)
			err := p.Admit(context.Background(), a, nil)
			if diff := cmp.Diff(tt.wantErr, errString(err)); diff != "" {
				t.Fatalf("error (-want +got):\n%s", diff)
			}
			if err != nil {
				return
			}
			got := podPriority{ClassName: pod.Spec.PriorityClassName, Priority: pod.Spec.Priority, Policy: pod.Spec.PreemptionPolicy}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("pod priority (-want +got):\n%s", diff)
			}
		})
	}
}

func TestAdmitPodLeavesOthersAlone(t *testing.T) {
	lower := corev1.PreemptLowerPriority
	admitted := podPriority{ClassName: "high", Priority: ptr.To[int32](1000), Policy: &lower}
	tests := []struct {
		name        string
		operation   admission.Operation
		subresource string
		pod         podPriority
		want        podPriority
	}{
		{
			name:      "update keeps the admitted priority",
			operation: admission.Update,
			pod:       podPriority{ClassName: "high"},
			want:      admitted,
		},
		{
			// Validation refuses the change; admission does not hide it.
			name:      "update changing the priority is left to validation",
			operation: admission.Update,
			pod:       podPriority{ClassName: "high", Priority: ptr.To[int32](5)},
			want:      podPriority{ClassName: "high", Priority: ptr.To[int32](5), Policy: &lower},
		},
		{
			name:        "subresource",
			operation:   admission.Create,
			subresource: "status",
			want:        podPriority{},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := newPlugin(t, []*schedulingv1.PriorityClass{high, defaultLow}, nil)
			pod := &corev1.Pod{
				ObjectMeta: metav1.ObjectMeta{Namespace: "team", Name: "p"},
				Spec:       corev1.PodSpec{PriorityClassName: tt.pod.ClassName, Priority: tt.pod.Priority, PreemptionPolicy: tt.pod.Policy},
			}
			old := &corev1.Pod{
				ObjectMeta: pod.ObjectMeta,
				Spec:       corev1.PodSpec{PriorityClassName: admitted.ClassName, Priority: admitted.Priority, PreemptionPolicy: admitted.Policy},
			}
			a := admission.NewAttributesRecord(pod, old, corev1.SchemeGroupVersion.WithKind("Pod"), "team", "p",
				corev1.SchemeGroupVersion.WithResource("pods"), tt.subresource, tt.operation, nil, false, nil)
			if err := p.Admit(context.Background(), a, nil); err != nil {
				t.Fatal(err)
			}
			got := podPriority{ClassName: pod.Spec.PriorityClassName, Priority: pod.Spec.Priority, Policy: pod.Spec.PreemptionPolicy}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("pod priority (-want +got):\n%s", diff)
			}
		})
	}
}

func TestValidatePriorityClass(t *testing.T) {
	tests := []struct {
		name      string
		existing  []*schedulingv1.PriorityClass
		operation admission.Operation
		class     *schedulingv1.PriorityClass
		wantErr   string
	}{
		{
			name:      "first default",
			existing:  []*schedulingv1.PriorityClass{high},
			operation: admission.Create,
			class:     defaultLow,
		},
		{
			name:      "second default",
			existing:  []*schedulingv1.PriorityClass{high, defaultLow},
			operation: admission.Create,
			class:     defaultHigh,
			wantErr:   `priorityclasses.scheduling.k8s.io "default-high" is forbidden: PriorityClass default-low is already marked as default. Only one default can exist`,
		},
		{
			name:      "non-default beside a default",
			existing:  []*schedulingv1.PriorityClass{defaultLow},
			operation: admission.Create,
			class:     high,
		},
		{
			name:      "update of the default itself",
			existing:  []*schedulingv1.PriorityClass{defaultLow},
			operation: admission.Update,
			class:     defaultLow,
		},
		{
			name:      "update making another class the default",
			existing:  []*schedulingv1.PriorityClass{defaultLow, high},
			operation: admission.Update,
			class:     class("high", 1000, true, corev1.PreemptLowerPriority),
			wantErr:   `priorityclasses.scheduling.k8s.io "high" is forbidden: PriorityClass default-low is already marked as default. Only one default can exist`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// Only the API holds the classes: the check must not trust a
			// lagging cache.
			p := newPlugin(t, nil, tt.existing)
			c := tt.class.DeepCopy()
			a := admission.NewAttributesRecord(c, nil, schedulingv1.SchemeGroupVersion.WithKind("PriorityClass"), "", c.Name,
				schedulingv1.SchemeGroupVersion.WithResource("priorityclasses"), "", tt.operation, nil, false, nil)
			err := p.Validate(context.Background(), a, nil)
			if diff := cmp.Diff(tt.wantErr, errString(err)); diff != "" {
				t.Errorf("error (-want +got):\n%s", diff)
			}
		})
	}
}

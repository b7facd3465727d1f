package apiserver

import (
	"context"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	schedulingv1 "k8s.io/api/scheduling/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/kubernetes"
	"k8s.io/utils/ptr"

	"github.com/kubeshim/kubeshim/test/integration/framework"
)

func TestPrioritySystemClasses(t *testing.T) {
	client := kubernetes.NewForConfigOrDie(framework.Shared(t))
	want := map[string]int32{"system-node-critical": 2000001000, "system-cluster-critical": 2000000000}
	got := map[string]int32{}
	for name := range want {
		// The server is ready only after its bootstrap: no waiting.
		pc, err := client.SchedulingV1().PriorityClasses().Get(context.Background(), name, metav1.GetOptions{})
		if err != nil {
			t.Fatalf("system priority class: %v", err)
		}
		if pc.GlobalDefault || pc.PreemptionPolicy == nil || *pc.PreemptionPolicy != corev1.PreemptLowerPriority {
			t.Errorf("%s: globalDefault %v preemptionPolicy %v, want false and PreemptLowerPriority", name, pc.GlobalDefault, pc.PreemptionPolicy)
		}
		got[name] = pc.Value
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("system priority classes (-want +got):\n%s", diff)
	}
}

// podPriority is what admission decided for a pod.
type podPriority struct {
	ClassName string
	Priority  *int32
	Policy    *corev1.PreemptionPolicy
}

func priorityOf(p *corev1.Pod) podPriority {
	return podPriority{ClassName: p.Spec.PriorityClassName, Priority: p.Spec.Priority, Policy: p.Spec.PreemptionPolicy}
}

func TestPriorityAdmission(t *testing.T) {
	ctx := context.Background()
	client := kubernetes.NewForConfigOrDie(framework.Shared(t))
	ns := framework.Namespace(t, client)
	pods := client.CoreV1().Pods(ns)
	classes := client.SchedulingV1().PriorityClasses()

	high := &schedulingv1.PriorityClass{
		ObjectMeta:       metav1.ObjectMeta{Name: "high-" + ns},
		Value:            1000,
		PreemptionPolicy: ptr.To(corev1.PreemptNever),
	}
	if _, err := classes.Create(ctx, high, metav1.CreateOptions{}); err != nil {
		t.Fatalf("create priority class: %v", err)
	}
	t.Cleanup(func() { classes.Delete(ctx, high.Name, metav1.DeleteOptions{}) })

	lower, never := corev1.PreemptLowerPriority, corev1.PreemptNever
	tests := []struct {
		name     string
		class    string
		priority *int32
		want     podPriority
		wantErr  string
	}{
		{
			name: "no class",
			want: podPriority{Priority: ptr.To[int32](0), Policy: &lower},
		},
		{
			// Right after its creation: the informer may not have it yet.
			name:  "new class",
			class: high.Name,
			want:  podPriority{ClassName: high.Name, Priority: ptr.To[int32](1000), Policy: &never},
		},
		{
			name:  "system class outside kube-system",
			class: "system-node-critical",
			want:  podPriority{ClassName: "system-node-critical", Priority: ptr.To[int32](2000001000), Policy: &lower},
		},
		{
			name:     "the class's priority repeated",
			class:    high.Name,
			priority: ptr.To[int32](1000),
			want:     podPriority{ClassName: high.Name, Priority: ptr.To[int32](1000), Policy: &never},
		},
		{
			name:     "another priority",
			class:    high.Name,
			priority: ptr.To[int32](7),
			wantErr:  `pods "another-priority" is forbidden: the integer value of priority (7) must not be provided in pod spec; priority admission controller computed 1000 from the given PriorityClass name`,
		},
		{
			name:    "unknown class",
			class:   "missing-" + ns,
			wantErr: `pods "unknown-class" is forbidden: no PriorityClass with name missing-` + ns + ` was found`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := newPod(podName(tt.name), nil)
			p.Spec.PriorityClassName = tt.class
			p.Spec.Priority = tt.priority
			got, err := pods.Create(ctx, p, metav1.CreateOptions{})
			if tt.wantErr != "" {
				if !apierrors.IsForbidden(err) {
					t.Fatalf("err = %v, want 403", err)
				}
				if diff := cmp.Diff(tt.wantErr, err.Error()); diff != "" {
					t.Errorf("error (-want +got):\n%s", diff)
				}
				return
			}
			if err != nil {
				t.Fatalf("create pod: %v", err)
			}
			if diff := cmp.Diff(tt.want, priorityOf(got)); diff != "" {
				t.Errorf("pod priority (-want +got):\n%s", diff)
			}
		})
	}

	t.Run("update keeps the priority", func(t *testing.T) {
		p, err := pods.Get(ctx, "new-class", metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		want := priorityOf(p)
		p.Spec.Priority, p.Spec.PreemptionPolicy = nil, nil
		p.Labels = map[string]string{"updated": "yes"}
		p, err = pods.Update(ctx, p, metav1.UpdateOptions{})
		if err != nil {
			t.Fatalf("update without priority: %v", err)
		}
		if diff := cmp.Diff(want, priorityOf(p)); diff != "" {
			t.Errorf("pod priority after update (-want +got):\n%s", diff)
		}
	})
}

// podName turns a case name into a pod name.
func podName(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c == ' ' || c == '\'' {
			b[i] = '-'
		}
	}
	return string(b)
}

// TestPriorityGlobalDefault changes what every pod of the cluster gets: it
// removes its default class again and waits until admission forgets it, so
// that the package's other tests see priority 0.
func TestPriorityGlobalDefault(t *testing.T) {
	ctx := context.Background()
	client := kubernetes.NewForConfigOrDie(framework.Shared(t))
	ns := framework.Namespace(t, client)
	pods := client.CoreV1().Pods(ns)
	classes := client.SchedulingV1().PriorityClasses()

	// dryRunPriority is what a pod without a class gets now; a dry run goes
	// through admission and stores nothing.
	dryRunPriority := func(ctx context.Context) (podPriority, error) {
		p, err := pods.Create(ctx, newPod("probe", nil), metav1.CreateOptions{DryRun: []string{metav1.DryRunAll}})
		if err != nil {
			return podPriority{}, err
		}
		return priorityOf(p), nil
	}
	waitFor := func(want podPriority) {
		t.Helper()
		var got podPriority
		err := wait.PollUntilContextTimeout(ctx, 50*time.Millisecond, 30*time.Second, true, func(ctx context.Context) (bool, error) {
			var err error
			got, err = dryRunPriority(ctx)
			return err == nil && cmp.Equal(want, got), err
		})
		if err != nil {
			t.Fatalf("pod without a class (-want +got):\n%s\n%v", cmp.Diff(want, got), err)
		}
	}

	def := &schedulingv1.PriorityClass{ObjectMeta: metav1.ObjectMeta{Name: "default-" + ns}, Value: 10, GlobalDefault: true}
	if _, err := classes.Create(ctx, def, metav1.CreateOptions{}); err != nil {
		t.Fatalf("create default priority class: %v", err)
	}
	lower := corev1.PreemptLowerPriority
	t.Cleanup(func() {
		if err := classes.Delete(ctx, def.Name, metav1.DeleteOptions{}); err != nil {
			t.Errorf("delete default priority class: %v", err)
		}
		waitFor(podPriority{Priority: ptr.To[int32](0), Policy: &lower})
	})

	second := &schedulingv1.PriorityClass{ObjectMeta: metav1.ObjectMeta{Name: "second-" + ns}, Value: 20, GlobalDefault: true}
	_, err := classes.Create(ctx, second, metav1.CreateOptions{})
	if !apierrors.IsForbidden(err) {
		classes.Delete(ctx, second.Name, metav1.DeleteOptions{})
		t.Fatalf("second default: err = %v, want 403", err)
	}
	wantErr := `priorityclasses.scheduling.k8s.io "second-` + ns + `" is forbidden: PriorityClass default-` + ns + ` is already marked as default. Only one default can exist`
	if diff := cmp.Diff(wantErr, err.Error()); diff != "" {
		t.Errorf("second default (-want +got):\n%s", diff)
	}

	waitFor(podPriority{ClassName: def.Name, Priority: ptr.To[int32](10), Policy: &lower})
	p, err := pods.Create(ctx, newPod("defaulted", nil), metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("create pod: %v", err)
	}
	if diff := cmp.Diff(podPriority{ClassName: def.Name, Priority: ptr.To[int32](10), Policy: &lower}, priorityOf(p)); diff != "" {
		t.Errorf("pod without a class (-want +got):\n%s", diff)
	}
}

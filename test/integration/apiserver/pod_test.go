package apiserver

import (
	"context"
	"k8s.io/apimachinery/pkg/util/wait"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/client-go/kubernetes"
	"k8s.io/utils/ptr"

	"github.com/kubeshim/kubeshim/test/integration/framework"
)

func newPod(name string, labels map[string]string) *corev1.Pod {
	return &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: name, Labels: labels},
		Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "c", Image: "busybox"}}},
	}
}

func TestPodBinding(t *testing.T) {
	ctx := context.Background()
	client := kubernetes.NewForConfigOrDie(framework.Shared(t))
	ns := framework.Namespace(t, client)
	pods := client.CoreV1().Pods(ns)
	if _, err := pods.Create(ctx, newPod("b", nil), metav1.CreateOptions{}); err != nil {
		t.Fatalf("create: %v", err)
	}
	binding := &corev1.Binding{
		ObjectMeta: metav1.ObjectMeta{Name: "b", Annotations: map[string]string{"bound-by": "test"}},
		Target:     corev1.ObjectReference{Kind: "Node", Name: "node-1"},
	}
	if err := pods.Bind(ctx, binding, metav1.CreateOptions{}); err != nil {
		t.Fatalf("bind: %v", err)
	}
	p, err := pods.Get(ctx, "b", metav1.GetOptions{})
	if err != nil {
		t.Fatalf("get: %v", err)
	}
	scheduled := false
	for _, c := range p.Status.Conditions {
		scheduled = scheduled || c.Type == corev1.PodScheduled && c.Status == corev1.ConditionTrue
	}
	if p.Spec.NodeName != "node-1" || p.Annotations["bound-by"] != "test" || !scheduled {
		t.Errorf("after bind: nodeName %q annotations %v PodScheduled=True %v", p.Spec.NodeName, p.Annotations, scheduled)
	}
	binding.Target.Name = "node-2"
	if err := pods.Bind(ctx, binding, metav1.CreateOptions{}); !apierrors.IsConflict(err) {
		t.Errorf("second bind: err = %v, want 409 Conflict", err)
	}
	binding.Target.Name = ""
	if err := pods.Bind(ctx, binding, metav1.CreateOptions{}); !apierrors.IsInvalid(err) {
		t.Errorf("bind without target: err = %v, want 422", err)
	}
}

func TestPodEviction(t *testing.T) {
	ctx := context.Background()
	client := kubernetes.NewForConfigOrDie(framework.Shared(t))
	ns := framework.Namespace(t, client)
	pods := client.CoreV1().Pods(ns)
	labels := map[string]string{"app": "guarded"}

	// A running, ready pod guarded by a budget that allows no disruption.
	for _, name := range []string{"guarded", "free"} {
		l := labels
		if name == "free" {
			l = nil
		}
		p, err := pods.Create(ctx, newPod(name, l), metav1.CreateOptions{})
		if err != nil {
			t.Fatalf("create: %v", err)
		}
		p.Status.Phase = corev1.PodRunning
		p.Status.Conditions = []corev1.PodCondition{{Type: corev1.PodReady, Status: corev1.ConditionTrue}}
		if _, err := pods.UpdateStatus(ctx, p, metav1.UpdateOptions{}); err != nil {
			t.Fatalf("update status: %v", err)
		}
	}
	minAvailable := intstr.FromInt32(1)
	pdb, err := client.PolicyV1().PodDisruptionBudgets(ns).Create(ctx, &policyv1.PodDisruptionBudget{
		ObjectMeta: metav1.ObjectMeta{Name: "budget"},
		Spec:       policyv1.PodDisruptionBudgetSpec{MinAvailable: &minAvailable, Selector: &metav1.LabelSelector{MatchLabels: labels}},
	}, metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("create pdb: %v", err)
	}
	// The disruption controller reports: the budget is met, no disruption
	// is allowed. (Before it reports, evictions get 429 with Retry-After,
	// which client-go waits out.)
	budgetAllows := func(want int32) {
		t.Helper()
		err := wait.PollUntilContextTimeout(ctx, 100*time.Millisecond, 30*time.Second, true, func(ctx context.Context) (bool, error) {
			cur, err := client.PolicyV1().PodDisruptionBudgets(ns).Get(ctx, "budget", metav1.GetOptions{})
			return err == nil && cur.Status.ObservedGeneration == pdb.Generation && cur.Status.DisruptionsAllowed == want, nil
		})
		if err != nil {
			t.Fatalf("pdb status never allowed %d disruptions: %v", want, err)
		}
	}
	budgetAllows(0)
	evict := func(name string) error {
		return pods.EvictV1(ctx, &policyv1.Eviction{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns}})
	}
	if err := evict("guarded"); !apierrors.IsTooManyRequests(err) {
		t.Fatalf("evict a pod its budget protects: err = %v, want 429", err)
	}
	if err := evict("free"); err != nil {
		t.Fatalf("evict a pod no budget guards: %v", err)
	}
	if _, err := pods.Get(ctx, "free", metav1.GetOptions{}); !apierrors.IsNotFound(err) {
		t.Errorf("evicted unscheduled pod: err = %v, want it gone", err)
	}

	// A second healthy pod: now one disruption is allowed.
	p, err := pods.Create(ctx, newPod("second", labels), metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("create: %v", err)
	}
	p.Status.Phase = corev1.PodRunning
	p.Status.Conditions = []corev1.PodCondition{{Type: corev1.PodReady, Status: corev1.ConditionTrue}}
	if _, err := pods.UpdateStatus(ctx, p, metav1.UpdateOptions{}); err != nil {
		t.Fatalf("update status: %v", err)
	}
	budgetAllows(1)
	if err := evict("guarded"); err != nil {
		t.Fatalf("evict with a disruption allowed: %v", err)
	}
	// The eviction used the one allowed disruption.
	budgetAllows(0)
}

func TestEphemeralContainers(t *testing.T) {
	ctx := context.Background()
	client := kubernetes.NewForConfigOrDie(framework.Shared(t))
	ns := framework.Namespace(t, client)
	pods := client.CoreV1().Pods(ns)
	p, err := pods.Create(ctx, newPod("debugme", nil), metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("create: %v", err)
	}
	p.Spec.EphemeralContainers = []corev1.EphemeralContainer{{EphemeralContainerCommon: corev1.EphemeralContainerCommon{Name: "debugger", Image: "busybox"}}}
	p.Spec.Containers[0].Image = "changed-through-the-wrong-door"
	p, err = pods.UpdateEphemeralContainers(ctx, "debugme", p, metav1.UpdateOptions{})
	if err != nil {
		t.Fatalf("add ephemeral container: %v", err)
	}
	if len(p.Spec.EphemeralContainers) != 1 || p.Spec.Containers[0].Image != "busybox" {
		t.Errorf("after update: ephemeral %v, image %q; want one debugger and the image unchanged", p.Spec.EphemeralContainers, p.Spec.Containers[0].Image)
	}
	if p.Generation != 2 {
		t.Errorf("generation after adding an ephemeral container = %d, want 2", p.Generation)
	}
	p.Spec.EphemeralContainers = nil
	if _, err := pods.UpdateEphemeralContainers(ctx, "debugme", p, metav1.UpdateOptions{}); !apierrors.IsInvalid(err) {
		t.Errorf("remove ephemeral container: err = %v, want 422", err)
	}
}

func TestGracefulPodDeletion(t *testing.T) {
	ctx := context.Background()
	client := kubernetes.NewForConfigOrDie(framework.Shared(t))
	ns := framework.Namespace(t, client)
	pods := client.CoreV1().Pods(ns)

	// An unscheduled pod has no node to wait for: it goes at once.
	if _, err := pods.Create(ctx, newPod("pending", nil), metav1.CreateOptions{}); err != nil {
		t.Fatalf("create: %v", err)
	}
	if err := pods.Delete(ctx, "pending", metav1.DeleteOptions{}); err != nil {
		t.Fatalf("delete: %v", err)
	}
	if _, err := pods.Get(ctx, "pending", metav1.GetOptions{}); !apierrors.IsNotFound(err) {
		t.Errorf("unscheduled pod after delete: err = %v, want NotFound", err)
	}

	// A pod on a node waits for its node agent, for its grace period.
	p := newPod("running", nil)
	p.Spec.NodeName = "node-1"
	p, err := pods.Create(ctx, p, metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("create: %v", err)
	}
	p.Status.Phase = corev1.PodRunning
	if _, err := pods.UpdateStatus(ctx, p, metav1.UpdateOptions{}); err != nil {
		t.Fatalf("update status: %v", err)
	}
	if err := pods.Delete(ctx, "running", metav1.DeleteOptions{}); err != nil {
		t.Fatalf("delete: %v", err)
	}
	p, err = pods.Get(ctx, "running", metav1.GetOptions{})
	if err != nil {
		t.Fatalf("running pod after delete: %v, want it terminating", err)
	}
	if p.DeletionTimestamp == nil || p.DeletionGracePeriodSeconds == nil || *p.DeletionGracePeriodSeconds != 30 {
		t.Errorf("deletionTimestamp %v grace %v, want set and 30", p.DeletionTimestamp, p.DeletionGracePeriodSeconds)
	}
	// What the node agent does once the containers are gone.
	zero := int64(0)
	if err := pods.Delete(ctx, "running", metav1.DeleteOptions{GracePeriodSeconds: &zero}); err != nil {
		t.Fatalf("delete with grace 0: %v", err)
	}
	if _, err := pods.Get(ctx, "running", metav1.GetOptions{}); !apierrors.IsNotFound(err) {
		t.Errorf("after grace-0 delete: err = %v, want NotFound", err)
	}
}

// TestPodGeneration: a pod starts at generation 1, spec changes bump it,
// metadata changes and clients' own generations do not, as upstream.
func TestPodGeneration(t *testing.T) {
	ctx := context.Background()
	client := kubernetes.NewForConfigOrDie(framework.Shared(t))
	ns := framework.Namespace(t, client)
	pods := client.CoreV1().Pods(ns)
	p, err := pods.Create(ctx, newPod("gen", nil), metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("create: %v", err)
	}
	steps := []struct {
		name   string
		change func(*corev1.Pod)
		want   int64
	}{
		{"created", func(*corev1.Pod) {}, 1},
		{"spec change", func(p *corev1.Pod) { p.Spec.ActiveDeadlineSeconds = ptr.To[int64](600) }, 2},
		{"annotation", func(p *corev1.Pod) { p.Annotations = map[string]string{"k": "v"} }, 2},
		{"client sets generation", func(p *corev1.Pod) { p.Generation = 7 }, 2},
	}
	for _, s := range steps {
		s.change(p)
		if p, err = pods.Update(ctx, p, metav1.UpdateOptions{}); err != nil {
			t.Fatalf("%s: update: %v", s.name, err)
		}
		if p.Generation != s.want {
			t.Errorf("%s: generation = %d, want %d", s.name, p.Generation, s.want)
		}
	}
	// A status update leaves the generation alone.
	p.Status.ObservedGeneration = p.Generation
	if p, err = pods.UpdateStatus(ctx, p, metav1.UpdateOptions{}); err != nil {
		t.Fatalf("update status: %v", err)
	}
	if p.Generation != 2 || p.Status.ObservedGeneration != 2 {
		t.Errorf("after status update: generation %d observedGeneration %d, want 2 and 2", p.Generation, p.Status.ObservedGeneration)
	}
}

package controllers

import (
	"context"
	"fmt"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	"k8s.io/utils/ptr"

	"github.com/kubeshim/kubeshim/controllers/podgc"
	"github.com/kubeshim/kubeshim/test/integration/framework"
)

// startPodGC runs a pod garbage collector of the test's own beside the
// server's, with a period and quarantine short enough to watch (the
// server's are upstream's 20 s and 40 s). Its terminated-pod threshold is
// off: it counts the pods of the whole cluster, other tests' too.
func startPodGC(t *testing.T, client kubernetes.Interface) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	factory := informers.NewSharedInformerFactory(client, 0)
	c := podgc.New(client, factory.Core().V1().Pods(), factory.Core().V1().Nodes(),
		podgc.Options{Period: 100 * time.Millisecond, Quarantine: time.Second, TerminatedPodThreshold: -1})
	factory.Start(ctx.Done())
	done := make(chan struct{})
	go func() { c.Run(ctx); close(done) }()
	t.Cleanup(func() {
		cancel()
		<-done
		factory.Shutdown()
	})
}

// TestPodGCOrphaned: a pod bound to a node that does not exist is failed
// with the DisruptionTarget condition and deleted once the quarantine has
// passed.
func TestPodGCOrphaned(t *testing.T) {
	client := kubernetes.NewForConfigOrDie(framework.Shared(t))
	ns := framework.Namespace(t, client)
	ctx := context.Background()
	// Held by a finalizer so that its last state can be read after the
	// delete; released when the test ends.
	pod, err := client.CoreV1().Pods(ns).Create(ctx, &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: "orphan", Finalizers: []string{"kubeshim.io/test-hold"}},
		Spec: corev1.PodSpec{NodeName: "gone-" + ns,
			Containers: []corev1.Container{{Name: "c", Image: "registry.k8s.io/pause:3.10"}}},
	}, metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("create pod: %v", err)
	}
	t.Cleanup(func() { release(t, client, ns, pod.Name) })
	// A pod on a node that exists is left alone.
	nlNode(t, client, "here-"+ns, ns, time.Now())
	kept := nlPod(t, client, ns, "kept", "here-"+ns)
	startPodGC(t, client)

	eventually(t, "orphan failed and deleted", func(ctx context.Context) (string, bool) {
		p, err := client.CoreV1().Pods(ns).Get(ctx, pod.Name, metav1.GetOptions{})
		if err != nil {
			return err.Error(), false
		}
		var cond *corev1.PodCondition
		for i := range p.Status.Conditions {
			if p.Status.Conditions[i].Type == corev1.DisruptionTarget {
				cond = &p.Status.Conditions[i]
			}
		}
		state := fmt.Sprintf("phase %s, deletionTimestamp %v, DisruptionTarget %+v", p.Status.Phase, p.DeletionTimestamp, cond)
		return state, p.Status.Phase == corev1.PodFailed && p.DeletionTimestamp != nil &&
			cond != nil && cond.Status == corev1.ConditionTrue && cond.Reason == "DeletionByPodGC"
	})
	p, err := client.CoreV1().Pods(ns).Get(ctx, kept.Name, metav1.GetOptions{})
	if err != nil || p.DeletionTimestamp != nil {
		t.Errorf("pod on an existing node: %v, deletionTimestamp %v; want it untouched", err, p.GetDeletionTimestamp())
	}
}

// TestPodGCUnscheduledTerminating: a terminating pod that was never
// scheduled has no agent to finish it; the collector fails and deletes it.
func TestPodGCUnscheduledTerminating(t *testing.T) {
	client := kubernetes.NewForConfigOrDie(framework.Shared(t))
	ns := framework.Namespace(t, client)
	ctx := context.Background()
	// No scheduler serves this name, so the pod stays unscheduled; the
	// finalizer keeps it terminating after the delete.
	pod, err := client.CoreV1().Pods(ns).Create(ctx, &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: "unscheduled", Finalizers: []string{"kubeshim.io/test-hold"}},
		Spec: corev1.PodSpec{SchedulerName: "nobody",
			Containers: []corev1.Container{{Name: "c", Image: "registry.k8s.io/pause:3.10"}}},
	}, metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("create pod: %v", err)
	}
	t.Cleanup(func() { release(t, client, ns, pod.Name) })
	if err := client.CoreV1().Pods(ns).Delete(ctx, pod.Name, metav1.DeleteOptions{GracePeriodSeconds: ptr.To[int64](30)}); err != nil {
		t.Fatalf("delete: %v", err)
	}
	startPodGC(t, client)
	eventually(t, "unscheduled terminating pod failed", func(ctx context.Context) (string, bool) {
		p, err := client.CoreV1().Pods(ns).Get(ctx, pod.Name, metav1.GetOptions{})
		if err != nil {
			return err.Error(), false
		}
		grace := ptr.Deref(p.DeletionGracePeriodSeconds, -1)
		return fmt.Sprintf("phase %s, grace %d", p.Status.Phase, grace), p.Status.Phase == corev1.PodFailed && grace == 0
	})
}

// release removes the test's finalizer, so the pod can go.
func release(t *testing.T, client kubernetes.Interface, ns, name string) {
	t.Helper()
	_, err := client.CoreV1().Pods(ns).Patch(context.Background(), name, types.MergePatchType,
		[]byte(`{"metadata":{"finalizers":null}}`), metav1.PatchOptions{})
	if err != nil && !apierrors.IsNotFound(err) {
		t.Errorf("release pod %s: %v", name, err)
	}
}

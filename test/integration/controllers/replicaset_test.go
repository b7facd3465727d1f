package controllers

import (
	"context"
	"fmt"
	"sort"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/kubernetes"
	"k8s.io/utils/ptr"

	"github.com/kubeshim/kubeshim/test/integration/framework"
)

func template(app string) corev1.PodTemplateSpec {
	return corev1.PodTemplateSpec{
		ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"app": app}},
		Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "pause", Image: "registry.k8s.io/pause:3.10"}}},
	}
}

// activePods lists the pods selected by app that are not being deleted, by name.
func activePods(ctx context.Context, client kubernetes.Interface, ns, app string) ([]corev1.Pod, error) {
	list, err := client.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{LabelSelector: labels.Set{"app": app}.String()})
	if err != nil {
		return nil, err
	}
	var out []corev1.Pod
	for _, p := range list.Items {
		if p.DeletionTimestamp == nil {
			out = append(out, p)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// eventually polls cond until it holds, failing the test with the last
// reason cond gave.
func eventually(t *testing.T, what string, cond func(ctx context.Context) (string, bool)) {
	t.Helper()
	var last string
	err := wait.PollUntilContextTimeout(context.Background(), 50*time.Millisecond, 30*time.Second, true, func(ctx context.Context) (bool, error) {
		var ok bool
		last, ok = cond(ctx)
		return ok, nil
	})
	if err != nil {
		t.Fatalf("%s: %v; last: %s", what, err, last)
	}
}

func markReady(t *testing.T, client kubernetes.Interface, p *corev1.Pod) {
	t.Helper()
	p = p.DeepCopy()
	p.Status.Phase = corev1.PodRunning
	p.Status.Conditions = append(p.Status.Conditions, corev1.PodCondition{Type: corev1.PodReady, Status: corev1.ConditionTrue, LastTransitionTime: metav1.Now()})
	if _, err := client.CoreV1().Pods(p.Namespace).UpdateStatus(context.Background(), p, metav1.UpdateOptions{}); err != nil {
		t.Fatalf("mark %s ready: %v", p.Name, err)
	}
}

func TestReplicaSet(t *testing.T) {
	client := kubernetes.NewForConfigOrDie(framework.Shared(t))
	ns := framework.Namespace(t, client)
	ctx := context.Background()

	rs, err := client.AppsV1().ReplicaSets(ns).Create(ctx, &appsv1.ReplicaSet{
		ObjectMeta: metav1.ObjectMeta{Name: "web"},
		Spec: appsv1.ReplicaSetSpec{
			Replicas: ptr.To[int32](3),
			Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": "web"}},
			Template: template("web"),
		},
	}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	rsStatus := func(want appsv1.ReplicaSetStatus) func(ctx context.Context) (string, bool) {
		return func(ctx context.Context) (string, bool) {
			got, err := client.AppsV1().ReplicaSets(ns).Get(ctx, "web", metav1.GetOptions{})
			if err != nil {
				return err.Error(), false
			}
			s := got.Status
			msg := fmt.Sprintf("status %+v, generation %d", s, got.Generation)
			return msg, s.Replicas == want.Replicas && s.ReadyReplicas == want.ReadyReplicas &&
				s.AvailableReplicas == want.AvailableReplicas && s.FullyLabeledReplicas == want.Replicas &&
				s.ObservedGeneration == got.Generation && ptr.Deref(s.TerminatingReplicas, -1) == 0
		}
	}

	// Three pods, each controlled by the ReplicaSet, named from it.
	var pods []corev1.Pod
	eventually(t, "3 pods", func(ctx context.Context) (string, bool) {
		pods, err = activePods(ctx, client, ns, "web")
		return fmt.Sprintf("%d pods (err %v)", len(pods), err), len(pods) == 3
	})
	for _, p := range pods {
		ref := metav1.GetControllerOf(&p)
		if ref == nil || ref.UID != rs.UID || ref.Kind != "ReplicaSet" || ref.APIVersion != "apps/v1" || !ptr.Deref(ref.BlockOwnerDeletion, false) {
			t.Errorf("pod %s controller = %+v, want ReplicaSet web with blockOwnerDeletion", p.Name, ref)
		}
		if p.GenerateName != "web-" || len(p.Name) != len("web-")+5 {
			t.Errorf("pod name %q (generateName %q), want web-<5 random>", p.Name, p.GenerateName)
		}
	}
	eventually(t, "status.replicas 3", rsStatus(appsv1.ReplicaSetStatus{Replicas: 3}))

	// Two pods become ready (no node agent runs: the test plays it).
	markReady(t, client, &pods[0])
	markReady(t, client, &pods[1])
	eventually(t, "2 ready and available", rsStatus(appsv1.ReplicaSetStatus{Replicas: 3, ReadyReplicas: 2, AvailableReplicas: 2}))

	// A deleted pod is replaced.
	if err := client.CoreV1().Pods(ns).Delete(ctx, pods[0].Name, metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	eventually(t, "deleted pod replaced", func(ctx context.Context) (string, bool) {
		now, err := activePods(ctx, client, ns, "web")
		names := []string{}
		for _, p := range now {
			names = append(names, p.Name)
		}
		return fmt.Sprintf("pods %v (err %v)", names, err), len(now) == 3 && now[0].Name != pods[0].Name && now[1].Name != pods[0].Name && now[2].Name != pods[0].Name
	})
	eventually(t, "1 ready after the delete", rsStatus(appsv1.ReplicaSetStatus{Replicas: 3, ReadyReplicas: 1, AvailableReplicas: 1}))

	// Scaling to 1 deletes 2, and keeps the ready pod: not ready pods go first.
	cur, err := client.AppsV1().ReplicaSets(ns).Get(ctx, "web", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	cur.Spec.Replicas = ptr.To[int32](1)
	if _, err := client.AppsV1().ReplicaSets(ns).Update(ctx, cur, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	eventually(t, "scaled to 1", func(ctx context.Context) (string, bool) {
		now, err := activePods(ctx, client, ns, "web")
		if err != nil || len(now) != 1 {
			return fmt.Sprintf("%d pods (err %v)", len(now), err), false
		}
		return "remaining " + now[0].Name, now[0].Name == pods[1].Name
	})
	eventually(t, "status after scale down", rsStatus(appsv1.ReplicaSetStatus{Replicas: 1, ReadyReplicas: 1, AvailableReplicas: 1}))

	// A matching orphan is adopted, and as the surplus not-ready pod it is
	// the one deleted.
	if _, err := client.CoreV1().Pods(ns).Create(ctx, &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: "orphan", Labels: map[string]string{"app": "web"}},
		Spec:       template("web").Spec,
	}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	eventually(t, "orphan adopted and deleted", func(ctx context.Context) (string, bool) {
		now, err := activePods(ctx, client, ns, "web")
		if err != nil || len(now) != 1 {
			return fmt.Sprintf("%d pods (err %v)", len(now), err), false
		}
		return "remaining " + now[0].Name, now[0].Name == pods[1].Name
	})

	// A pod relabelled out of the selector is released (its ownerReference
	// removed) and replaced.
	keep, err := client.CoreV1().Pods(ns).Get(ctx, pods[1].Name, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	keep.Labels = map[string]string{"app": "elsewhere"}
	if _, err := client.CoreV1().Pods(ns).Update(ctx, keep, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	eventually(t, "relabelled pod released", func(ctx context.Context) (string, bool) {
		p, err := client.CoreV1().Pods(ns).Get(ctx, keep.Name, metav1.GetOptions{})
		if err != nil {
			return err.Error(), false
		}
		return fmt.Sprintf("ownerReferences %+v", p.OwnerReferences), len(p.OwnerReferences) == 0
	})
	eventually(t, "released pod replaced", func(ctx context.Context) (string, bool) {
		now, err := activePods(ctx, client, ns, "web")
		return fmt.Sprintf("%d pods (err %v)", len(now), err), len(now) == 1 && now[0].Name != keep.Name
	})
}

func TestReplicationController(t *testing.T) {
	client := kubernetes.NewForConfigOrDie(framework.Shared(t))
	ns := framework.Namespace(t, client)
	ctx := context.Background()
	tmpl := template("legacy")
	rc, err := client.CoreV1().ReplicationControllers(ns).Create(ctx, &corev1.ReplicationController{
		ObjectMeta: metav1.ObjectMeta{Name: "legacy"},
		Spec:       corev1.ReplicationControllerSpec{Replicas: ptr.To[int32](2), Selector: map[string]string{"app": "legacy"}, Template: &tmpl},
	}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var pods []corev1.Pod
	eventually(t, "2 pods", func(ctx context.Context) (string, bool) {
		pods, err = activePods(ctx, client, ns, "legacy")
		return fmt.Sprintf("%d pods (err %v)", len(pods), err), len(pods) == 2
	})
	for _, p := range pods {
		if ref := metav1.GetControllerOf(&p); ref == nil || ref.UID != rc.UID || ref.Kind != "ReplicationController" || ref.APIVersion != "v1" {
			t.Errorf("pod %s controller = %+v, want ReplicationController legacy", p.Name, ref)
		}
	}
	markReady(t, client, &pods[0])
	eventually(t, "rc status", func(ctx context.Context) (string, bool) {
		got, err := client.CoreV1().ReplicationControllers(ns).Get(ctx, "legacy", metav1.GetOptions{})
		if err != nil {
			return err.Error(), false
		}
		s := got.Status
		return fmt.Sprintf("%+v", s), s.Replicas == 2 && s.ReadyReplicas == 1 && s.AvailableReplicas == 1 && s.ObservedGeneration == got.Generation
	})
}

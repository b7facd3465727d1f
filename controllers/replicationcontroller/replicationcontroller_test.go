package replicationcontroller

import (
	"context"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	utilrand "k8s.io/apimachinery/pkg/util/rand"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes/fake"
	clienttesting "k8s.io/client-go/testing"
	"k8s.io/utils/ptr"
)

func TestConversionRoundTrip(t *testing.T) {
	rc := &corev1.ReplicationController{
		ObjectMeta: metav1.ObjectMeta{Name: "rc", Namespace: "ns", UID: "u", Generation: 3, ResourceVersion: "7"},
		Spec: corev1.ReplicationControllerSpec{
			Replicas:        ptr.To[int32](2),
			MinReadySeconds: 5,
			Selector:        map[string]string{"app": "a"},
			Template: &corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"app": "a"}},
				Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "c", Image: "i"}}},
			},
		},
		Status: corev1.ReplicationControllerStatus{Replicas: 1, FullyLabeledReplicas: 1, ReadyReplicas: 1, AvailableReplicas: 1, ObservedGeneration: 2,
			Conditions: []corev1.ReplicationControllerCondition{{Type: corev1.ReplicationControllerReplicaFailure, Status: corev1.ConditionTrue, Reason: "FailedCreate", Message: "m"}}},
	}
	rs := toReplicaSet(rc)
	if diff := cmp.Diff(&metav1.LabelSelector{MatchLabels: map[string]string{"app": "a"}}, rs.Spec.Selector); diff != "" {
		t.Errorf("selector (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(appsv1.ReplicaSetReplicaFailure, rs.Status.Conditions[0].Type); diff != "" {
		t.Errorf("condition type (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(rc, toReplicationController(rs)); diff != "" {
		t.Errorf("round trip (-want +got):\n%s", diff)
	}
}

// TestController runs the shared controller on ReplicationControllers with
// running informers: pods are created with the RC as controller and the
// RC's own status is written.
func TestController(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	rc := &corev1.ReplicationController{
		ObjectMeta: metav1.ObjectMeta{Name: "rc", Namespace: "ns", UID: "rc-uid", Generation: 1},
		Spec: corev1.ReplicationControllerSpec{
			Replicas: ptr.To[int32](2),
			Selector: map[string]string{"app": "a"},
			Template: &corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"app": "a"}},
				Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "c", Image: "i"}}},
			},
		},
	}
	client := fake.NewClientset(rc)
	client.PrependReactor("create", "pods", func(a clienttesting.Action) (bool, runtime.Object, error) {
		p := a.(clienttesting.CreateAction).GetObject().(*corev1.Pod)
		if p.Name == "" {
			p.Name = p.GenerateName + utilrand.String(5)
		}
		return false, nil, nil
	})
	factory := informers.NewSharedInformerFactory(client, 0)
	c := New(client, factory.Core().V1().ReplicationControllers(), factory.Core().V1().Pods())
	factory.Start(ctx.Done())
	defer func() {
		// Shutdown waits for the informers, which stop with ctx.
		cancel()
		factory.Shutdown()
	}()
	go c.Run(ctx, 1)

	err := wait.PollUntilContextCancel(ctx, 20*time.Millisecond, true, func(ctx context.Context) (bool, error) {
		got, err := client.CoreV1().ReplicationControllers("ns").Get(ctx, "rc", metav1.GetOptions{})
		return err == nil && got.Status.Replicas == 2 && got.Status.ObservedGeneration == 1, nil
	})
	if err != nil {
		t.Fatalf("status.replicas never reached 2: %v", err)
	}
	pods, err := client.CoreV1().Pods("ns").List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(pods.Items) != 2 {
		t.Fatalf("%d pods, want 2", len(pods.Items))
	}
	want := []metav1.OwnerReference{{APIVersion: "v1", Kind: "ReplicationController", Name: "rc", UID: "rc-uid",
		Controller: ptr.To(true), BlockOwnerDeletion: ptr.To(true)}}
	for _, p := range pods.Items {
		if diff := cmp.Diff(want, p.OwnerReferences); diff != "" {
			t.Errorf("pod %s ownerReferences (-want +got):\n%s", p.Name, diff)
		}
	}
}

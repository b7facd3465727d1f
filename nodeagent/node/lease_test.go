package node

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	coordinationv1 "k8s.io/api/coordination/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	k8sruntime "k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes/fake"
	clienttesting "k8s.io/client-go/testing"
	"k8s.io/utils/ptr"
)

// leaseView is what the lease tests check; renew is an offset from t0.
type leaseView struct {
	Holder   string
	Duration int32
	Renew    time.Duration
	Owners   []metav1.OwnerReference
}

func viewLease(t *testing.T, client *fake.Clientset) leaseView {
	t.Helper()
	l, err := client.CoordinationV1().Leases(corev1.NamespaceNodeLease).Get(context.Background(), "n1", metav1.GetOptions{})
	if err != nil {
		t.Fatalf("get lease: %v", err)
	}
	return leaseView{ptr.Deref(l.Spec.HolderIdentity, ""), ptr.Deref(l.Spec.LeaseDurationSeconds, 0),
		l.Spec.RenewTime.Sub(t0), l.OwnerReferences}
}

// leaseActions lists the verbs sent to leases.
func leaseActions(client *fake.Clientset) []string {
	var out []string
	for _, a := range client.Actions() {
		if a.GetResource().Resource == "leases" {
			out = append(out, a.GetVerb())
		}
	}
	return out
}

func TestLeaseRenewal(t *testing.T) {
	nodeOwner := []metav1.OwnerReference{{APIVersion: "v1", Kind: "Node", Name: "n1", UID: "uid-n1"}}
	otherLease := &coordinationv1.Lease{
		ObjectMeta: metav1.ObjectMeta{Name: "n1", Namespace: corev1.NamespaceNodeLease},
		Spec:       coordinationv1.LeaseSpec{HolderIdentity: ptr.To("previous"), LeaseDurationSeconds: ptr.To[int32](15)},
	}
	conflict := apierrors.NewConflict(schema.GroupResource{Group: "coordination.k8s.io", Resource: "leases"}, "n1", errors.New("stale"))
	notFound := apierrors.NewNotFound(schema.GroupResource{Group: "coordination.k8s.io", Resource: "leases"}, "n1")

	type step struct {
		advance time.Duration
		// failUpdates makes the next updates fail with err.
		failUpdates int
		err         error
		deleteLease bool
		wantActions []string
		want        leaseView
	}
	tests := []struct {
		name     string
		existing []k8sruntime.Object
		steps    []step
	}{
		{
			name: "create then renew from the lease last written",
			steps: []step{
				{wantActions: []string{"get", "create"}, want: leaseView{"n1", 40, 0, nodeOwner}},
				{advance: 10 * time.Second, wantActions: []string{"update"}, want: leaseView{"n1", 40, 10 * time.Second, nodeOwner}},
				{advance: 10 * time.Second, wantActions: []string{"update"}, want: leaseView{"n1", 40, 20 * time.Second, nodeOwner}},
			},
		},
		{
			name:     "adopt an existing lease: holder kept, duration and owner set",
			existing: []k8sruntime.Object{otherLease.DeepCopy()},
			steps: []step{
				{wantActions: []string{"get", "update"}, want: leaseView{"previous", 40, 0, nodeOwner}},
			},
		},
		{
			name: "conflict: re-read and renew",
			steps: []step{
				{wantActions: []string{"get", "create"}, want: leaseView{"n1", 40, 0, nodeOwner}},
				{advance: 10 * time.Second, failUpdates: 1, err: conflict,
					wantActions: []string{"update", "get", "update"}, want: leaseView{"n1", 40, 10 * time.Second, nodeOwner}},
			},
		},
		{
			name: "lease deleted: recreated",
			steps: []step{
				{wantActions: []string{"get", "create"}, want: leaseView{"n1", 40, 0, nodeOwner}},
				{advance: 10 * time.Second, deleteLease: true, failUpdates: maxLeaseUpdateRetries, err: notFound,
					wantActions: []string{"update", "update", "update", "update", "update", "get", "create"},
					want:        leaseView{"n1", 40, 10 * time.Second, nodeOwner}},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			node := &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: "n1", UID: types.UID("uid-n1")}}
			client := fake.NewClientset(append(tt.existing, node)...)
			var failing int
			var failErr error
			client.PrependReactor("update", "leases", func(clienttesting.Action) (bool, k8sruntime.Object, error) {
				if failing > 0 {
					failing--
					return true, nil, failErr
				}
				return false, nil, nil
			})
			ta := newTestAgent(t, client, nil)
			ctx := context.Background()
			for i, s := range tt.steps {
				ta.clock.Step(s.advance)
				failing, failErr = s.failUpdates, s.err
				if s.deleteLease {
					if err := client.CoordinationV1().Leases(corev1.NamespaceNodeLease).Delete(ctx, "n1", metav1.DeleteOptions{}); err != nil {
						t.Fatal(err)
					}
				}
				client.ClearActions()
				ta.syncLease(ctx)
				if diff := cmp.Diff(s.wantActions, leaseActions(client)); diff != "" {
					t.Errorf("step %d: lease requests (-want +got):\n%s", i, diff)
				}
				if diff := cmp.Diff(s.want, viewLease(t, client)); diff != "" {
					t.Errorf("step %d: lease (-want +got):\n%s", i, diff)
				}
			}
		})
	}
}

// TestRun drives the whole agent on a fake clock: registration, the
// Starting event, NotReady until Ready says otherwise (noticed within the
// one-second poll), and lease renewals every RenewInterval.
func TestRun(t *testing.T) {
	client := fake.NewClientset()
	ta := newTestAgent(t, client, nil)
	ta.ready.err = errors.New("container runtime is down")
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- ta.Run(ctx) }()

	// The status loop and the lease loop each wait on a timer.
	waitForWaiters := func() {
		t.Helper()
		deadline := time.Now().Add(10 * time.Second)
		for ta.clock.Waiters() < 2 {
			if time.Now().After(deadline) {
				t.Fatalf("%d waiters on the clock, want 2", ta.clock.Waiters())
			}
			time.Sleep(time.Millisecond)
		}
	}
	waitForWaiters()
	if c := readyCondition(&getNode(t, client).Status); c.Status != corev1.ConditionFalse || c.Message != "container runtime is down" {
		t.Errorf("Ready condition = %+v, want False with the Ready error", c)
	}
	if got := viewLease(t, client).Renew; got != 0 {
		t.Errorf("lease renewed at %s, want 0", got)
	}

	ta.ready.err = nil
	ta.clock.Step(time.Second)
	deadline := time.Now().Add(10 * time.Second)
	for !isReady(&getNode(t, client).Status) {
		if time.Now().After(deadline) {
			t.Fatal("node did not turn Ready after one poll interval")
		}
		time.Sleep(time.Millisecond)
	}
	c := readyCondition(&getNode(t, client).Status)
	if !c.LastTransitionTime.Time.Equal(t0.Add(time.Second)) {
		t.Errorf("Ready transition at %v, want t0+1s", c.LastTransitionTime)
	}

	for i := 1; i <= 3; i++ {
		waitForWaiters()
		ta.clock.Step(time.Duration(i)*10*time.Second - ta.clock.Since(t0))
		want := time.Duration(i) * 10 * time.Second
		deadline := time.Now().Add(10 * time.Second)
		for viewLease(t, client).Renew != want {
			if time.Now().After(deadline) {
				t.Fatalf("lease renewed at %s, want %s", viewLease(t, client).Renew, want)
			}
			time.Sleep(time.Millisecond)
		}
	}

	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Run = %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not return after cancel")
	}
	want := []string{
		"Normal NodeHasSufficientMemory Node n1 status is now: NodeHasSufficientMemory",
		"Normal NodeHasNoDiskPressure Node n1 status is now: NodeHasNoDiskPressure",
		"Normal NodeHasSufficientPID Node n1 status is now: NodeHasSufficientPID",
		"Normal Starting Starting kubelet.",
		"Normal NodeReady Node n1 status is now: NodeReady",
	}
	if diff := cmp.Diff(want, ta.events()); diff != "" {
		t.Errorf("events (-want +got):\n%s", diff)
	}
}

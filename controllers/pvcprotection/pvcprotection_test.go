package pvcprotection

import (
	"context"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes/fake"
	"k8s.io/utils/ptr"
)

const ns = "default"

func claim(phase corev1.PersistentVolumeClaimPhase, deleted bool, finalizers ...string) *corev1.PersistentVolumeClaim {
	c := &corev1.PersistentVolumeClaim{
		ObjectMeta: metav1.ObjectMeta{Name: "data", Namespace: ns, UID: "claim-uid", Finalizers: finalizers},
		Status:     corev1.PersistentVolumeClaimStatus{Phase: phase},
	}
	if deleted {
		c.DeletionTimestamp = &metav1.Time{Time: time.Unix(1, 0)}
	}
	return c
}

type podOpt func(*corev1.Pod)

func pod(name string, opts ...podOpt) *corev1.Pod {
	p := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns, UID: types.UID("uid-" + name)},
		Spec: corev1.PodSpec{NodeName: "node-1", Volumes: []corev1.Volume{{Name: "vol", VolumeSource: corev1.VolumeSource{
			PersistentVolumeClaim: &corev1.PersistentVolumeClaimVolumeSource{ClaimName: "data"}}}}},
		Status: corev1.PodStatus{Phase: corev1.PodRunning},
	}
	for _, o := range opts {
		o(p)
	}
	return p
}

func unscheduled(p *corev1.Pod) { p.Spec.NodeName = "" }
func succeeded(p *corev1.Pod)   { p.Status.Phase = corev1.PodSucceeded }

type state struct {
	Finalizers []string
	Unused     string // the condition's status and reason, "" without one
}

func TestSync(t *testing.T) {
	tests := []struct {
		name  string
		claim *corev1.PersistentVolumeClaim
		// informerPods are in the informer and the API; apiPods only in
		// the API, as pods the informer has not seen yet.
		informerPods, apiPods []*corev1.Pod
		want                  state
		wantGone              bool
	}{{
		name:  "a claim without the finalizer gets it",
		claim: claim(corev1.ClaimPending, false),
		want:  state{Finalizers: []string{Finalizer}},
	}, {
		name:  "a deleted claim no pod uses loses it",
		claim: claim(corev1.ClaimBound, true, Finalizer),
		want:  state{Finalizers: []string{}},
	}, {
		name:         "a deleted claim a scheduled pod uses keeps it",
		claim:        claim(corev1.ClaimBound, true, Finalizer),
		informerPods: []*corev1.Pod{pod("app")},
		want:         state{Finalizers: []string{Finalizer}},
	}, {
		name:         "a finished pod still holds the claim until it is deleted",
		claim:        claim(corev1.ClaimBound, true, Finalizer),
		informerPods: []*corev1.Pod{pod("job", succeeded)},
		want:         state{Finalizers: []string{Finalizer}},
	}, {
		name:         "an unscheduled pod does not hold the claim",
		claim:        claim(corev1.ClaimBound, true, Finalizer),
		informerPods: []*corev1.Pod{pod("waiting", unscheduled)},
		want:         state{Finalizers: []string{}},
	}, {
		name:    "a pod the informer has not seen holds the claim",
		claim:   claim(corev1.ClaimBound, true, Finalizer),
		apiPods: []*corev1.Pod{pod("new")},
		want:    state{Finalizers: []string{Finalizer}},
	}, {
		name:         "a bound claim a running pod uses is not Unused",
		claim:        claim(corev1.ClaimBound, false, Finalizer),
		informerPods: []*corev1.Pod{pod("app")},
		want:         state{Finalizers: []string{Finalizer}, Unused: "False PodUsingPVC"},
	}, {
		name:         "a bound claim only an unscheduled pod uses is not Unused either",
		claim:        claim(corev1.ClaimBound, false, Finalizer),
		informerPods: []*corev1.Pod{pod("waiting", unscheduled)},
		want:         state{Finalizers: []string{Finalizer}, Unused: "False PodUsingPVC"},
	}, {
		name:         "a bound claim only finished pods use is Unused",
		claim:        claim(corev1.ClaimBound, false, Finalizer),
		informerPods: []*corev1.Pod{pod("job", succeeded)},
		want:         state{Finalizers: []string{Finalizer}, Unused: "True NoPodsUsingPVC"},
	}, {
		name:  "a pending claim has no Unused condition",
		claim: claim(corev1.ClaimPending, false, Finalizer),
		want:  state{Finalizers: []string{Finalizer}},
	}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			objs := []runtime.Object{tc.claim}
			for _, p := range append(append([]*corev1.Pod{}, tc.informerPods...), tc.apiPods...) {
				objs = append(objs, p)
			}
			client := fake.NewClientset(objs...)
			factory := informers.NewSharedInformerFactory(client, 0)
			c, err := New(client, factory.Core().V1().PersistentVolumeClaims(), factory.Core().V1().Pods())
			if err != nil {
				t.Fatal(err)
			}
			c.now = func() metav1.Time { return metav1.Unix(100, 0) }
			if err := factory.Core().V1().PersistentVolumeClaims().Informer().GetIndexer().Add(tc.claim); err != nil {
				t.Fatal(err)
			}
			for _, p := range tc.informerPods {
				if err := factory.Core().V1().Pods().Informer().GetIndexer().Add(p); err != nil {
					t.Fatal(err)
				}
			}
			if _, err := c.sync(context.Background(), ns+"/data"); err != nil {
				t.Fatalf("sync: %v", err)
			}
			got, err := client.CoreV1().PersistentVolumeClaims(ns).Get(context.Background(), "data", metav1.GetOptions{})
			if err != nil {
				t.Fatal(err)
			}
			s := state{Finalizers: got.Finalizers}
			if s.Finalizers == nil {
				s.Finalizers = []string{}
			}
			if cond := unusedCondition(got); cond != nil {
				s.Unused = string(cond.Status) + " " + cond.Reason
				if !cond.LastTransitionTime.Equal(ptr.To(metav1.Unix(100, 0))) {
					t.Errorf("Unused condition's transition time %v, want the controller's now", cond.LastTransitionTime)
				}
			}
			if diff := cmp.Diff(tc.want, s); diff != "" {
				t.Errorf("claim (-want +got):\n%s", diff)
			}
		})
	}
}

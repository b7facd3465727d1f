package disruption

import (
	"context"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes/fake"
	testclock "k8s.io/utils/clock/testing"
	"k8s.io/utils/ptr"
)

var now = time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)

func budget(edits ...func(*policyv1.PodDisruptionBudget)) *policyv1.PodDisruptionBudget {
	b := &policyv1.PodDisruptionBudget{
		ObjectMeta: metav1.ObjectMeta{Name: "pdb", Namespace: "ns", Generation: 3},
		Spec:       policyv1.PodDisruptionBudgetSpec{Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": "web"}}},
	}
	for _, e := range edits {
		e(b)
	}
	return b
}

func minAvailable(v intstr.IntOrString) func(*policyv1.PodDisruptionBudget) {
	return func(b *policyv1.PodDisruptionBudget) { b.Spec.MinAvailable = &v }
}

func maxUnavailable(v intstr.IntOrString) func(*policyv1.PodDisruptionBudget) {
	return func(b *policyv1.PodDisruptionBudget) { b.Spec.MaxUnavailable = &v }
}

// pod is a pod of app web, Ready unless told otherwise, controlled by owner
// if it is not nil.
func pod(name string, owner metav1.Object, kind string, edits ...func(*corev1.Pod)) *corev1.Pod {
	p := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "ns", Labels: map[string]string{"app": "web"}},
		Status: corev1.PodStatus{Phase: corev1.PodRunning, Conditions: []corev1.PodCondition{
			{Type: corev1.PodReady, Status: corev1.ConditionTrue},
		}},
	}
	if owner != nil {
		apiVersion := "apps/v1"
		if kind == "ReplicationController" {
			apiVersion = "v1"
		}
		p.OwnerReferences = []metav1.OwnerReference{{APIVersion: apiVersion, Kind: kind, Name: owner.GetName(), UID: owner.GetUID(), Controller: ptr.To(true)}}
	}
	for _, e := range edits {
		e(p)
	}
	return p
}

func unready(p *corev1.Pod) { p.Status.Conditions[0].Status = corev1.ConditionFalse }

func terminating(p *corev1.Pod) { p.DeletionTimestamp = ptr.To(metav1.NewTime(now)) }

func meta(name, uid string) metav1.ObjectMeta {
	return metav1.ObjectMeta{Name: name, Namespace: "ns", UID: types.UID(uid)}
}

var (
	rc     = &corev1.ReplicationController{ObjectMeta: meta("rc", "rc-uid"), Spec: corev1.ReplicationControllerSpec{Replicas: ptr.To[int32](4)}}
	rs     = &appsv1.ReplicaSet{ObjectMeta: meta("rs", "rs-uid"), Spec: appsv1.ReplicaSetSpec{Replicas: ptr.To[int32](4)}}
	deploy = &appsv1.Deployment{ObjectMeta: meta("deploy", "deploy-uid"), Spec: appsv1.DeploymentSpec{Replicas: ptr.To[int32](5)}}
	// deployRS is a ReplicaSet of deploy mid-rollout: its own replicas are
	// not what the budget scales against.
	deployRS = &appsv1.ReplicaSet{
		ObjectMeta: metav1.ObjectMeta{Name: "deploy-1", Namespace: "ns", UID: "deploy-rs-uid", OwnerReferences: []metav1.OwnerReference{
			{APIVersion: "apps/v1", Kind: "Deployment", Name: "deploy", UID: "deploy-uid", Controller: ptr.To(true)},
		}},
		Spec: appsv1.ReplicaSetSpec{Replicas: ptr.To[int32](2)},
	}
	sts = &appsv1.StatefulSet{ObjectMeta: meta("sts", "sts-uid"), Spec: appsv1.StatefulSetSpec{Replicas: ptr.To[int32](10)}}
)

func status(current, desired, expected, allowed int32, reason string) policyv1.PodDisruptionBudgetStatus {
	cond := metav1.Condition{Type: policyv1.DisruptionAllowedCondition, Status: metav1.ConditionFalse, Reason: reason, ObservedGeneration: 3}
	if reason == policyv1.SufficientPodsReason {
		cond.Status = metav1.ConditionTrue
	}
	return policyv1.PodDisruptionBudgetStatus{
		ObservedGeneration: 3, CurrentHealthy: current, DesiredHealthy: desired, ExpectedPods: expected,
		DisruptionsAllowed: allowed, DisruptedPods: map[string]metav1.Time{}, Conditions: []metav1.Condition{cond},
	}
}

func TestSync(t *testing.T) {
	recent := metav1.NewTime(now.Add(-time.Minute))
	stale := metav1.NewTime(now.Add(-3 * time.Minute))
	cases := []struct {
		name        string
		budget      *policyv1.PodDisruptionBudget
		objects     []runtime.Object
		want        policyv1.PodDisruptionBudgetStatus
		wantRecheck time.Duration
	}{{
		name:   "minAvailable int, no pods",
		budget: budget(minAvailable(intstr.FromInt32(2))),
		want:   status(0, 2, 0, 0, policyv1.InsufficientPodsReason),
	}, {
		name:    "minAvailable int, unmanaged pods",
		budget:  budget(minAvailable(intstr.FromInt32(2))),
		objects: []runtime.Object{pod("a", nil, ""), pod("b", nil, ""), pod("c", nil, "")},
		want:    status(3, 2, 3, 1, policyv1.SufficientPodsReason),
	}, {
		name:    "minAvailable int, unready and terminating pods are not healthy",
		budget:  budget(minAvailable(intstr.FromInt32(1))),
		objects: []runtime.Object{pod("a", nil, ""), pod("b", nil, "", unready), pod("c", nil, "", terminating)},
		want:    status(1, 1, 3, 0, policyv1.InsufficientPodsReason),
	}, {
		name:    "minAvailable int above healthy pods allows none, never negative",
		budget:  budget(minAvailable(intstr.FromInt32(5))),
		objects: []runtime.Object{pod("a", nil, "")},
		want:    status(1, 5, 1, 0, policyv1.InsufficientPodsReason),
	}, {
		name:    "minAvailable percent of a ReplicationController",
		budget:  budget(minAvailable(intstr.FromString("50%"))),
		objects: []runtime.Object{rc, pod("a", rc, "ReplicationController"), pod("b", rc, "ReplicationController"), pod("c", rc, "ReplicationController")},
		want:    status(3, 2, 4, 1, policyv1.SufficientPodsReason),
	}, {
		name:    "minAvailable percent rounds up",
		budget:  budget(minAvailable(intstr.FromString("60%"))),
		objects: []runtime.Object{rs, pod("a", rs, "ReplicaSet"), pod("b", rs, "ReplicaSet"), pod("c", rs, "ReplicaSet")},
		want:    status(3, 3, 4, 0, policyv1.InsufficientPodsReason),
	}, {
		name:    "maxUnavailable int of a ReplicaSet",
		budget:  budget(maxUnavailable(intstr.FromInt32(1))),
		objects: []runtime.Object{rs, pod("a", rs, "ReplicaSet"), pod("b", rs, "ReplicaSet"), pod("c", rs, "ReplicaSet"), pod("d", rs, "ReplicaSet")},
		want:    status(4, 3, 4, 1, policyv1.SufficientPodsReason),
	}, {
		name:    "maxUnavailable int of a Deployment scales by the Deployment",
		budget:  budget(maxUnavailable(intstr.FromInt32(2))),
		objects: []runtime.Object{deploy, deployRS, pod("a", deployRS, "ReplicaSet"), pod("b", deployRS, "ReplicaSet")},
		want:    status(2, 3, 5, 0, policyv1.InsufficientPodsReason),
	}, {
		name:    "maxUnavailable percent of a StatefulSet",
		budget:  budget(maxUnavailable(intstr.FromString("25%"))),
		objects: []runtime.Object{sts, pod("a", sts, "StatefulSet"), pod("b", sts, "StatefulSet", unready)},
		want:    status(1, 7, 10, 0, policyv1.InsufficientPodsReason),
	}, {
		name:   "maxUnavailable percent across controllers",
		budget: budget(maxUnavailable(intstr.FromString("50%"))),
		objects: []runtime.Object{rc, sts, deploy, deployRS,
			pod("a", rc, "ReplicationController"), pod("b", sts, "StatefulSet"), pod("c", deployRS, "ReplicaSet")},
		// 4 + 10 + 5 = 19 expected; half of it, rounded up, may be down.
		want: status(3, 9, 19, 0, policyv1.InsufficientPodsReason),
	}, {
		name:    "maxUnavailable with no pods",
		budget:  budget(maxUnavailable(intstr.FromInt32(1))),
		objects: nil,
		want:    status(0, 0, 0, 0, policyv1.InsufficientPodsReason),
	}, {
		name:    "nil selector selects nothing",
		budget:  budget(minAvailable(intstr.FromInt32(1)), func(b *policyv1.PodDisruptionBudget) { b.Spec.Selector = nil }),
		objects: []runtime.Object{pod("a", nil, "")},
		want:    status(0, 1, 0, 0, policyv1.InsufficientPodsReason),
	}, {
		name:    "empty selector selects every pod",
		budget:  budget(minAvailable(intstr.FromInt32(1)), func(b *policyv1.PodDisruptionBudget) { b.Spec.Selector = &metav1.LabelSelector{} }),
		objects: []runtime.Object{pod("a", nil, ""), pod("b", nil, "", func(p *corev1.Pod) { p.Labels = nil })},
		want:    status(2, 1, 2, 1, policyv1.SufficientPodsReason),
	}, {
		name: "recently evicted pods are not healthy, stale entries expire",
		budget: budget(minAvailable(intstr.FromInt32(1)), func(b *policyv1.PodDisruptionBudget) {
			b.Status.DisruptedPods = map[string]metav1.Time{"a": recent, "b": stale, "gone": recent}
		}),
		objects: []runtime.Object{pod("a", nil, ""), pod("b", nil, ""), pod("c", nil, "")},
		want: func() policyv1.PodDisruptionBudgetStatus {
			s := status(2, 1, 3, 1, policyv1.SufficientPodsReason)
			s.DisruptedPods = map[string]metav1.Time{"a": recent}
			return s
		}(),
		wantRecheck: time.Minute,
	}, {
		name:    "pod of a missing controller fails the sync",
		budget:  budget(maxUnavailable(intstr.FromInt32(1))),
		objects: []runtime.Object{pod("a", rs, "ReplicaSet")},
		want: policyv1.PodDisruptionBudgetStatus{Conditions: []metav1.Condition{{
			Type: policyv1.DisruptionAllowedCondition, Status: metav1.ConditionFalse, Reason: policyv1.SyncFailedReason,
			Message: `found no controllers for pod "a"`,
		}}},
	}}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			client := fake.NewClientset(tc.budget)
			factory := informers.NewSharedInformerFactory(client, 0)
			c := newController(client, factory.Policy().V1().PodDisruptionBudgets(), factory.Core().V1().Pods(),
				factory.Core().V1().ReplicationControllers(), factory.Apps().V1().ReplicaSets(),
				factory.Apps().V1().Deployments(), factory.Apps().V1().StatefulSets(), testclock.NewFakePassiveClock(now))
			add := func(obj runtime.Object) {
				var err error
				switch o := obj.(type) {
				case *corev1.Pod:
					err = factory.Core().V1().Pods().Informer().GetIndexer().Add(o)
				case *corev1.ReplicationController:
					err = factory.Core().V1().ReplicationControllers().Informer().GetIndexer().Add(o)
				case *appsv1.ReplicaSet:
					err = factory.Apps().V1().ReplicaSets().Informer().GetIndexer().Add(o)
				case *appsv1.Deployment:
					err = factory.Apps().V1().Deployments().Informer().GetIndexer().Add(o)
				case *appsv1.StatefulSet:
					err = factory.Apps().V1().StatefulSets().Informer().GetIndexer().Add(o)
				case *policyv1.PodDisruptionBudget:
					err = factory.Policy().V1().PodDisruptionBudgets().Informer().GetIndexer().Add(o)
				}
				if err != nil {
					t.Fatal(err)
				}
			}
			add(tc.budget)
			for _, o := range tc.objects {
				add(o)
			}
			recheck, err := c.sync(ctx, "ns/pdb")
			if err != nil {
				t.Fatalf("sync: %v", err)
			}
			if recheck != tc.wantRecheck {
				t.Errorf("recheck after %v, want %v", recheck, tc.wantRecheck)
			}
			got, err := client.PolicyV1().PodDisruptionBudgets("ns").Get(ctx, "pdb", metav1.GetOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, got.Status, cmpopts.IgnoreFields(metav1.Condition{}, "LastTransitionTime"), cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("status (-want +got):\n%s", diff)
			}
		})
	}
}

// TestSyncUpToDate: a status that already holds writes nothing.
func TestSyncUpToDate(t *testing.T) {
	b := budget(minAvailable(intstr.FromInt32(1)), func(b *policyv1.PodDisruptionBudget) {
		b.Status = status(1, 1, 1, 0, policyv1.InsufficientPodsReason)
	})
	client := fake.NewClientset(b)
	factory := informers.NewSharedInformerFactory(client, 0)
	c := newController(client, factory.Policy().V1().PodDisruptionBudgets(), factory.Core().V1().Pods(),
		factory.Core().V1().ReplicationControllers(), factory.Apps().V1().ReplicaSets(),
		factory.Apps().V1().Deployments(), factory.Apps().V1().StatefulSets(), testclock.NewFakePassiveClock(now))
	if err := factory.Policy().V1().PodDisruptionBudgets().Informer().GetIndexer().Add(b); err != nil {
		t.Fatal(err)
	}
	if err := factory.Core().V1().Pods().Informer().GetIndexer().Add(pod("a", nil, "")); err != nil {
		t.Fatal(err)
	}
	client.ClearActions()
	if _, err := c.sync(context.Background(), "ns/pdb"); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(0, len(client.Actions())); diff != "" {
		t.Errorf("actions %v (-want +got):\n%s", client.Actions(), diff)
	}
}

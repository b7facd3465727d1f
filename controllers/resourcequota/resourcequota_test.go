package resourcequota

import (
	"context"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes/fake"
)

// newController returns a controller whose informers have synced with a
// fake clientset holding objs.
func newController(t *testing.T, objs ...runtime.Object) (*Controller, *fake.Clientset) {
	t.Helper()
	client := fake.NewClientset(objs...)
	factory := informers.NewSharedInformerFactory(client, 0)
	c := New(client, factory)
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	factory.Start(ctx.Done())
	for typ, ok := range factory.WaitForCacheSync(ctx.Done()) {
		if !ok {
			t.Fatalf("informer for %v did not sync", typ)
		}
	}
	return c, client
}

func quota(hard corev1.ResourceList) *corev1.ResourceQuota {
	return &corev1.ResourceQuota{ObjectMeta: metav1.ObjectMeta{Name: "q", Namespace: "ns"}, Spec: corev1.ResourceQuotaSpec{Hard: hard}}
}

func list(kv ...string) corev1.ResourceList {
	out := corev1.ResourceList{}
	for i := 0; i < len(kv); i += 2 {
		out[corev1.ResourceName(kv[i])] = resource.MustParse(kv[i+1])
	}
	return out
}

func container(requests, limits corev1.ResourceList) corev1.Container {
	return corev1.Container{Name: "c", Image: "i", Resources: corev1.ResourceRequirements{Requests: requests, Limits: limits}}
}

func pod(name string, phase corev1.PodPhase, containers ...corev1.Container) *corev1.Pod {
	return &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "ns"},
		Spec:       corev1.PodSpec{Containers: containers},
		Status:     corev1.PodStatus{Phase: phase},
	}
}

func TestSync(t *testing.T) {
	deleted := pod("deleted", corev1.PodRunning, container(list("cpu", "5"), nil))
	// Long past its deletion time and grace period, as a pod on a lost
	// node is: upstream stops charging for it too.
	deleted.DeletionTimestamp = &metav1.Time{Time: time.Unix(1, 0)}
	deleted.DeletionGracePeriodSeconds = new(int64)
	deleted.Finalizers = []string{"example.com/hold"}
	gold := "gold"
	tests := []struct {
		name string
		hard corev1.ResourceList
		objs []runtime.Object
		want corev1.ResourceList
	}{
		{
			name: "nothing in the namespace",
			hard: list("pods", "10", "requests.cpu", "4"),
			want: list("pods", "0", "requests.cpu", "0"),
		},
		{
			name: "object counts under legacy and count/ names",
			hard: list("pods", "10", "count/pods", "10", "configmaps", "5", "count/secrets", "5", "services", "3",
				"services.loadbalancers", "1", "services.nodeports", "2", "persistentvolumeclaims", "4", "resourcequotas", "1",
				"count/replicationcontrollers", "1"),
			objs: []runtime.Object{
				pod("a", corev1.PodRunning), pod("b", corev1.PodPending),
				&corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "c1", Namespace: "ns"}},
				&corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "c2", Namespace: "ns"}},
				&corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "elsewhere", Namespace: "other"}},
				&corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "s", Namespace: "ns"}},
				&corev1.Service{ObjectMeta: metav1.ObjectMeta{Name: "cluster", Namespace: "ns"}, Spec: corev1.ServiceSpec{Type: corev1.ServiceTypeClusterIP}},
				&corev1.Service{ObjectMeta: metav1.ObjectMeta{Name: "np", Namespace: "ns"}, Spec: corev1.ServiceSpec{Type: corev1.ServiceTypeNodePort,
					Ports: []corev1.ServicePort{{Port: 80, NodePort: 30080}, {Port: 443, NodePort: 30443}}}},
				&corev1.Service{ObjectMeta: metav1.ObjectMeta{Name: "lb", Namespace: "ns"}, Spec: corev1.ServiceSpec{Type: corev1.ServiceTypeLoadBalancer,
					Ports: []corev1.ServicePort{{Port: 80, NodePort: 31000}}}},
				&corev1.PersistentVolumeClaim{ObjectMeta: metav1.ObjectMeta{Name: "pvc", Namespace: "ns"}},
			},
			want: list("pods", "2", "count/pods", "2", "configmaps", "2", "count/secrets", "1", "services", "3",
				"services.loadbalancers", "1", "services.nodeports", "3", "persistentvolumeclaims", "1", "resourcequotas", "1",
				"count/replicationcontrollers", "0"),
		},
		{
			name: "requests and limits of pods, with cpu and memory as aliases of their requests",
			hard: list("requests.cpu", "10", "cpu", "10", "limits.cpu", "20", "requests.memory", "10Gi", "memory", "10Gi", "limits.memory", "20Gi"),
			objs: []runtime.Object{
				pod("a", corev1.PodRunning,
					container(list("cpu", "500m", "memory", "1Gi"), list("cpu", "1", "memory", "2Gi")),
					container(list("cpu", "250m"), list("cpu", "500m"))),
				pod("b", corev1.PodPending, container(list("cpu", "1", "memory", "512Mi"), list("memory", "1Gi"))),
			},
			want: list("requests.cpu", "1750m", "cpu", "1750m", "limits.cpu", "1500m",
				"requests.memory", "1536Mi", "memory", "1536Mi", "limits.memory", "3Gi"),
		},
		{
			name: "finished pods and pods past their deletion grace hold nothing",
			hard: list("pods", "10", "requests.cpu", "10"),
			objs: []runtime.Object{
				pod("running", corev1.PodRunning, container(list("cpu", "1"), nil)),
				pod("succeeded", corev1.PodSucceeded, container(list("cpu", "2"), nil)),
				pod("failed", corev1.PodFailed, container(list("cpu", "3"), nil)),
				deleted,
			},
			want: list("pods", "1", "requests.cpu", "1"),
		},
		{
			name: "storage requests of claims, in total and per storage class",
			hard: list("requests.storage", "100Gi", "gold.storageclass.storage.k8s.io/requests.storage", "50Gi"),
			objs: []runtime.Object{
				&corev1.PersistentVolumeClaim{ObjectMeta: metav1.ObjectMeta{Name: "a", Namespace: "ns"},
					Spec: corev1.PersistentVolumeClaimSpec{StorageClassName: &gold, Resources: corev1.VolumeResourceRequirements{Requests: list("storage", "10Gi")}}},
				&corev1.PersistentVolumeClaim{ObjectMeta: metav1.ObjectMeta{Name: "b", Namespace: "ns"},
					Spec: corev1.PersistentVolumeClaimSpec{Resources: corev1.VolumeResourceRequirements{Requests: list("storage", "5Gi")}}},
			},
			want: list("requests.storage", "15Gi", "gold.storageclass.storage.k8s.io/requests.storage", "10Gi"),
		},
		{
			name: "a name nothing counts is reported as 0",
			hard: list("example.com/widgets", "3"),
			objs: []runtime.Object{pod("a", corev1.PodRunning, container(list("cpu", "1"), nil))},
			want: list("example.com/widgets", "0"),
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			q := quota(tc.hard)
			c, client := newController(t, append(tc.objs, q)...)
			if _, err := c.sync(context.Background(), "ns/q"); err != nil {
				t.Fatalf("sync: %v", err)
			}
			got, err := client.CoreV1().ResourceQuotas("ns").Get(context.Background(), "q", metav1.GetOptions{})
			if err != nil {
				t.Fatal(err)
			}
			want := corev1.ResourceQuotaStatus{Hard: tc.hard, Used: tc.want}
			if diff := cmp.Diff(want, got.Status); diff != "" {
				t.Errorf("status (-want +got):\n%s", diff)
			}
		})
	}
}

// TestSyncWritesOnlyChanges checks that a quota whose status is already
// right is not written again, and that one whose hard changed is.
func TestSyncWritesOnlyChanges(t *testing.T) {
	tests := []struct {
		name      string
		status    corev1.ResourceQuotaStatus
		wantWrite bool
	}{
		{name: "up to date", status: corev1.ResourceQuotaStatus{Hard: list("pods", "5"), Used: list("pods", "1")}},
		{name: "stale used", status: corev1.ResourceQuotaStatus{Hard: list("pods", "5"), Used: list("pods", "0")}, wantWrite: true},
		{name: "stale hard", status: corev1.ResourceQuotaStatus{Hard: list("pods", "4"), Used: list("pods", "1")}, wantWrite: true},
		{name: "new quota", wantWrite: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			q := quota(list("pods", "5"))
			q.Status = tc.status
			c, client := newController(t, q, pod("a", corev1.PodRunning))
			client.ClearActions()
			if _, err := c.sync(context.Background(), "ns/q"); err != nil {
				t.Fatalf("sync: %v", err)
			}
			wrote := false
			for _, a := range client.Actions() {
				if a.Matches("update", "resourcequotas") && a.GetSubresource() == "status" {
					wrote = true
				}
			}
			if wrote != tc.wantWrite {
				t.Errorf("status written: %v, want %v", wrote, tc.wantWrite)
			}
		})
	}
}

// TestSyncMissingQuota checks that a key for a deleted quota is dropped.
func TestSyncMissingQuota(t *testing.T) {
	c, client := newController(t)
	client.ClearActions()
	if _, err := c.sync(context.Background(), "ns/gone"); err != nil {
		t.Fatalf("sync: %v", err)
	}
	if diff := cmp.Diff(0, len(client.Actions())); diff != "" {
		t.Errorf("actions (-want +got):\n%s", diff)
	}
}

// TestSyncScopes checks that a scoped quota counts only the pods in its
// scopes, with the admission plugin's evaluators.
func TestSyncScopes(t *testing.T) {
	bestEffort := pod("best-effort", corev1.PodRunning, container(nil, nil))
	burstable := pod("burstable", corev1.PodRunning, container(list("cpu", "1"), nil))
	deadline := int64(30)
	terminating := pod("terminating", corev1.PodRunning, container(list("cpu", "2"), nil))
	terminating.Spec.ActiveDeadlineSeconds = &deadline
	tests := []struct {
		name   string
		scopes []corev1.ResourceQuotaScope
		want   corev1.ResourceList
	}{
		{name: "BestEffort", scopes: []corev1.ResourceQuotaScope{corev1.ResourceQuotaScopeBestEffort}, want: list("pods", "1")},
		{name: "NotBestEffort", scopes: []corev1.ResourceQuotaScope{corev1.ResourceQuotaScopeNotBestEffort}, want: list("pods", "2")},
		{name: "Terminating", scopes: []corev1.ResourceQuotaScope{corev1.ResourceQuotaScopeTerminating}, want: list("pods", "1")},
		{name: "NotTerminating", scopes: []corev1.ResourceQuotaScope{corev1.ResourceQuotaScopeNotTerminating}, want: list("pods", "2")},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			q := quota(list("pods", "10"))
			q.Spec.Scopes = tc.scopes
			c, client := newController(t, q, bestEffort, burstable, terminating)
			if _, err := c.sync(context.Background(), "ns/q"); err != nil {
				t.Fatalf("sync: %v", err)
			}
			got, err := client.CoreV1().ResourceQuotas("ns").Get(context.Background(), "q", metav1.GetOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, got.Status.Used); diff != "" {
				t.Errorf("used (-want +got):\n%s", diff)
			}
		})
	}
}

// TestSyncCountsAnyResource checks that count/<resource>.<group> of a
// resource the evaluators do not know starts an informer for it and counts
// its objects, as the admission plugin charges them.
func TestSyncCountsAnyResource(t *testing.T) {
	rs := func(name, ns string) *appsv1.ReplicaSet {
		return &appsv1.ReplicaSet{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns}}
	}
	q := quota(list("count/replicasets.apps", "5", "count/widgets.example.com", "1"))
	c, client := newController(t, q, rs("a", "ns"), rs("b", "ns"), rs("elsewhere", "other"))
	client.Resources = []*metav1.APIResourceList{{GroupVersion: "apps/v1", APIResources: []metav1.APIResource{
		{Name: "replicasets", Namespaced: true, Kind: "ReplicaSet", Verbs: metav1.Verbs{"list", "watch"}},
	}}}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	c.counter.stop = ctx.Done()
	err := wait.PollUntilContextTimeout(ctx, 10*time.Millisecond, 10*time.Second, true, func(ctx context.Context) (bool, error) {
		requeue, err := c.sync(ctx, "ns/q")
		return requeue == 0, err
	})
	if err != nil {
		t.Fatalf("sync: %v", err)
	}
	got, err := client.CoreV1().ResourceQuotas("ns").Get(ctx, "q", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	// widgets.example.com is not served: nothing counts it.
	if diff := cmp.Diff(list("count/replicasets.apps", "2", "count/widgets.example.com", "0"), got.Status.Used); diff != "" {
		t.Errorf("used (-want +got):\n%s", diff)
	}
}

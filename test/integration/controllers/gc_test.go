package controllers

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/kubernetes"
	"k8s.io/utils/ptr"

	"github.com/kubeshim/kubeshim/test/integration/framework"
)

// A finalizer the tests put on a dependent to hold it while they look at
// its owner.
const holdFinalizer = "kubeshim.test/hold"

// gcClients returns a client and a namespace of the test's own; the
// package's server runs the garbage collector with its other controllers.
func gcClients(t *testing.T) (kubernetes.Interface, string) {
	t.Helper()
	client := kubernetes.NewForConfigOrDie(framework.Shared(t))
	return client, framework.Namespace(t, client)
}

func createConfigMap(t *testing.T, client kubernetes.Interface, ns, name string, finalizers []string, owners ...*corev1.ConfigMap) *corev1.ConfigMap {
	t.Helper()
	cm := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: name, Finalizers: finalizers}}
	for _, o := range owners {
		cm.OwnerReferences = append(cm.OwnerReferences, metav1.OwnerReference{
			APIVersion: "v1", Kind: "ConfigMap", Name: o.Name, UID: o.UID, BlockOwnerDeletion: ptr.To(true),
		})
	}
	created, err := client.CoreV1().ConfigMaps(ns).Create(context.Background(), cm, metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("create config map %s: %v", name, err)
	}
	return created
}

func deleteConfigMap(t *testing.T, client kubernetes.Interface, ns, name string, policy metav1.DeletionPropagation) {
	t.Helper()
	err := client.CoreV1().ConfigMaps(ns).Delete(context.Background(), name, metav1.DeleteOptions{PropagationPolicy: &policy})
	if err != nil {
		t.Fatalf("delete config map %s: %v", name, err)
	}
}

// waitFor polls cond for up to 30 s.
func waitFor(t *testing.T, what string, cond func(ctx context.Context) (bool, error)) {
	t.Helper()
	if err := wait.PollUntilContextTimeout(context.Background(), 100*time.Millisecond, 30*time.Second, true, cond); err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

func gone(client kubernetes.Interface, ns, name string) func(ctx context.Context) (bool, error) {
	return func(ctx context.Context) (bool, error) {
		_, err := client.CoreV1().ConfigMaps(ns).Get(ctx, name, metav1.GetOptions{})
		if apierrors.IsNotFound(err) {
			return true, nil
		}
		return false, err
	}
}

func unhold(t *testing.T, client kubernetes.Interface, ns, name string) {
	t.Helper()
	patch, _ := json.Marshal(map[string]any{"metadata": map[string]any{"finalizers": nil}})
	_, err := client.CoreV1().ConfigMaps(ns).Patch(context.Background(), name, types.MergePatchType, patch, metav1.PatchOptions{})
	if err != nil && !apierrors.IsNotFound(err) {
		t.Fatalf("remove finalizers of %s: %v", name, err)
	}
}

func TestGCBackground(t *testing.T) {
	client, ns := gcClients(t)
	owner := createConfigMap(t, client, ns, "owner", nil)
	other := createConfigMap(t, client, ns, "other-owner", nil)
	createConfigMap(t, client, ns, "dependent", nil, owner)
	// shared has a second owner that stays: it must lose only the
	// reference to the deleted one.
	createConfigMap(t, client, ns, "shared", nil, owner, other)
	// A dependent naming an owner that never existed (right name, wrong
	// UID) is collected too, as upstream's absent-owner check does.
	impostor := owner.DeepCopy()
	impostor.UID = "00000000-0000-0000-0000-000000000000"
	createConfigMap(t, client, ns, "orphan-at-birth", nil, impostor)

	deleteConfigMap(t, client, ns, "owner", metav1.DeletePropagationBackground)
	waitFor(t, "dependent collected", gone(client, ns, "dependent"))
	waitFor(t, "dependent of a wrong UID collected", gone(client, ns, "orphan-at-birth"))
	waitFor(t, "shared loses the dangling reference", func(ctx context.Context) (bool, error) {
		cm, err := client.CoreV1().ConfigMaps(ns).Get(ctx, "shared", metav1.GetOptions{})
		if err != nil {
			return false, err
		}
		return len(cm.OwnerReferences) == 1, nil
	})
	cm, err := client.CoreV1().ConfigMaps(ns).Get(context.Background(), "shared", metav1.GetOptions{})
	if err != nil {
		t.Fatalf("get shared: %v", err)
	}
	if diff := cmp.Diff([]types.UID{other.UID}, ownerUIDs(cm)); diff != "" {
		t.Errorf("shared's owners (-want +got):\n%s", diff)
	}
}

func TestGCForeground(t *testing.T) {
	client, ns := gcClients(t)
	owner := createConfigMap(t, client, ns, "owner", nil)
	createConfigMap(t, client, ns, "blocking", []string{holdFinalizer}, owner)
	t.Cleanup(func() { unhold(t, client, ns, "blocking") })

	// As `kubectl delete --cascade=foreground`.
	deleteConfigMap(t, client, ns, "owner", metav1.DeletePropagationForeground)
	waitFor(t, "blocking dependent deleted", func(ctx context.Context) (bool, error) {
		cm, err := client.CoreV1().ConfigMaps(ns).Get(ctx, "blocking", metav1.GetOptions{})
		if err != nil {
			return false, err
		}
		return cm.DeletionTimestamp != nil, nil
	})
	// The dependent is held by its finalizer: the owner must wait for it.
	time.Sleep(time.Second)
	got, err := client.CoreV1().ConfigMaps(ns).Get(context.Background(), "owner", metav1.GetOptions{})
	if err != nil {
		t.Fatalf("owner went before its blocking dependent: %v", err)
	}
	if diff := cmp.Diff([]string{metav1.FinalizerDeleteDependents}, got.Finalizers); diff != "" {
		t.Errorf("owner's finalizers while waiting (-want +got):\n%s", diff)
	}

	unhold(t, client, ns, "blocking")
	waitFor(t, "dependent gone", gone(client, ns, "blocking"))
	waitFor(t, "owner gone after its dependent", gone(client, ns, "owner"))
}

func TestGCOrphan(t *testing.T) {
	client, ns := gcClients(t)
	owner := createConfigMap(t, client, ns, "owner", nil)
	createConfigMap(t, client, ns, "dependent", nil, owner)

	// As `kubectl delete --cascade=orphan`.
	deleteConfigMap(t, client, ns, "owner", metav1.DeletePropagationOrphan)
	waitFor(t, "owner gone", gone(client, ns, "owner"))
	cm, err := client.CoreV1().ConfigMaps(ns).Get(context.Background(), "dependent", metav1.GetOptions{})
	if err != nil {
		t.Fatalf("orphaned dependent: %v", err)
	}
	if diff := cmp.Diff([]types.UID(nil), ownerUIDs(cm)); diff != "" {
		t.Errorf("orphaned dependent's owners (-want +got):\n%s", diff)
	}
	// It stays: nothing collects an object without owners.
	time.Sleep(time.Second)
	if _, err := client.CoreV1().ConfigMaps(ns).Get(context.Background(), "dependent", metav1.GetOptions{}); err != nil {
		t.Errorf("orphaned dependent after a second: %v", err)
	}
}

func ownerUIDs(cm *corev1.ConfigMap) []types.UID {
	var out []types.UID
	for _, r := range cm.OwnerReferences {
		out = append(out, r.UID)
	}
	return out
}

package rbac

import (
	"context"
	"strings"
	"testing"

	authenticationv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes"

	"github.com/kubeshim/kubeshim/test/integration/framework"
)

// TestNodeAuthorization: a node's certificate (system:node:<name> in
// system:nodes) reads the Secret of a pod bound to it, not the Secret of a
// pod on another node, and NodeRestriction keeps its writes to its own
// Node and pods, as upstream's Node authorizer and admission plugin do.
func TestNodeAuthorization(t *testing.T) {
	ctx := context.Background()
	s, err := framework.Start(nil)
	if err != nil {
		t.Fatalf("start API server: %v", err)
	}
	defer s.Stop()
	admin := kubernetes.NewForConfigOrDie(s.Config)
	ns := framework.Namespace(t, admin)
	for _, name := range []string{"s-a", "s-b"} {
		_, err := admin.CoreV1().Secrets(ns).Create(ctx, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: name}, StringData: map[string]string{"k": "v"}}, metav1.CreateOptions{})
		if err != nil {
			t.Fatalf("create secret %s: %v", name, err)
		}
	}
	boundPod := func(name, node, secret string) *corev1.Pod {
		p := pod(name)
		p.Spec.NodeName = node
		p.Spec.Volumes = []corev1.Volume{{Name: "s", VolumeSource: corev1.VolumeSource{Secret: &corev1.SecretVolumeSource{SecretName: secret}}}}
		return p
	}
	var podA *corev1.Pod
	eventually(t, "pods are created (the namespace's service account exists)", func(ctx context.Context) (bool, error) {
		var err error
		podA, err = admin.CoreV1().Pods(ns).Create(ctx, boundPod("pod-a", "node-a", "s-a"), metav1.CreateOptions{})
		return err == nil, err
	})
	podB, err := admin.CoreV1().Pods(ns).Create(ctx, boundPod("pod-b", "node-b", "s-b"), metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("create pod-b: %v", err)
	}

	nodeA := certClient(t, s, "system:node:node-a", "system:nodes")
	eventually(t, "node-a reads the secret of its pod", func(ctx context.Context) (bool, error) {
		_, err := nodeA.CoreV1().Secrets(ns).Get(ctx, "s-a", metav1.GetOptions{})
		return err == nil, err
	})
	forbidden := func(what string, err error, wantInMessage string) {
		t.Helper()
		if !apierrors.IsForbidden(err) || !strings.Contains(err.Error(), wantInMessage) {
			t.Errorf("%s: error %v, want 403 saying %q", what, err, wantInMessage)
		}
	}
	_, err = nodeA.CoreV1().Secrets(ns).Get(ctx, "s-b", metav1.GetOptions{})
	forbidden("node-a reads pod-b's secret", err,
		`secrets "s-b" is forbidden: User "system:node:node-a" cannot get resource "secrets" in API group "" in the namespace "`+ns+`": node: no relationship found between node 'node-a' and this object`)
	_, err = nodeA.CoreV1().Secrets(ns).List(ctx, metav1.ListOptions{})
	forbidden("node-a lists secrets", err, `User "system:node:node-a" cannot list resource "secrets"`)

	// Pods: its own, through the field selector kubelets use.
	list, err := nodeA.CoreV1().Pods("").List(ctx, metav1.ListOptions{FieldSelector: fields.OneTermEqualSelector("spec.nodeName", "node-a").String()})
	if err != nil || len(list.Items) != 1 || list.Items[0].Name != "pod-a" {
		t.Errorf("node-a lists its pods: %v, %v; want pod-a alone", list, err)
	}
	_, err = nodeA.CoreV1().Pods("").List(ctx, metav1.ListOptions{})
	forbidden("node-a lists every pod", err, "can only list/watch pods with spec.nodeName field selector")

	// NodeRestriction: its pods' status and no other's.
	podA.Status.Message = "from node-a"
	if _, err := nodeA.CoreV1().Pods(ns).UpdateStatus(ctx, podA, metav1.UpdateOptions{}); err != nil {
		t.Errorf("node-a updates its pod's status: %v", err)
	}
	podB.Status.Message = "from node-a"
	_, err = nodeA.CoreV1().Pods(ns).UpdateStatus(ctx, podB, metav1.UpdateOptions{})
	forbidden("node-a updates pod-b's status", err, `node "node-a" can only update pod status for pods with spec.nodeName set to itself`)
	err = nodeA.CoreV1().Pods(ns).Delete(ctx, "pod-b", metav1.DeleteOptions{})
	forbidden("node-a deletes pod-b", err, `node "node-a" can only delete pods with spec.nodeName set to itself`)
	_, err = nodeA.CoreV1().Pods(ns).Create(ctx, boundPod("sneaky", "node-a", "s-b"), metav1.CreateOptions{})
	forbidden("node-a creates a pod", err, `node "node-a" can only create mirror pods`)

	// NodeRestriction: its own Node.
	if _, err := nodeA.CoreV1().Nodes().Create(ctx, &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: "node-a"}}, metav1.CreateOptions{}); err != nil {
		t.Errorf("node-a registers itself: %v", err)
	}
	_, err = nodeA.CoreV1().Nodes().Create(ctx, &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: "node-b"}}, metav1.CreateOptions{})
	forbidden("node-a registers node-b", err, `node "node-a" is not allowed to modify node "node-b"`)
	// Reading other nodes is allowed: the agent's local-path provisioner
	// lists them (kubeshim:local-path-provisioner, docs/differences.md).

	// Tokens: for its pod's service account, bound to its pod.
	tokenFor := func(p *corev1.Pod) error {
		_, err := nodeA.CoreV1().ServiceAccounts(ns).CreateToken(ctx, "default", &authenticationv1.TokenRequest{
			Spec: authenticationv1.TokenRequestSpec{BoundObjectRef: &authenticationv1.BoundObjectReference{Kind: "Pod", APIVersion: "v1", Name: p.Name, UID: types.UID(p.UID)}},
		}, metav1.CreateOptions{})
		return err
	}
	eventually(t, "node-a gets a token for its pod", func(ctx context.Context) (bool, error) {
		err := tokenFor(podA)
		return err == nil, err
	})
	forbidden("node-a gets a token bound to pod-b", tokenFor(podB), "node requested token bound to a pod scheduled on a different node")
}

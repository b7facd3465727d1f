package apiserver

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/util/retry"
	"k8s.io/utils/ptr"

	"github.com/kubeshim/kubeshim/test/integration/framework"
)

// warnings collects the API's Warning headers.
type warnings struct {
	mu  sync.Mutex
	got []string
}

func (w *warnings) HandleWarningHeader(_ int, _ string, text string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.got = append(w.got, text)
}

func (w *warnings) take() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	out := w.got
	w.got = nil
	return out
}

func TestPodSecurityAdmission(t *testing.T) {
	ctx := context.Background()
	config := framework.Shared(t)
	w := &warnings{}
	config.WarningHandler = w
	client := kubernetes.NewForConfigOrDie(config)
	ns := framework.Namespace(t, client)

	privileged := func(name string) *corev1.Pod {
		return &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: name}, Spec: corev1.PodSpec{Containers: []corev1.Container{{
			Name: "c", Image: "busybox", SecurityContext: &corev1.SecurityContext{Privileged: ptr.To(true)},
		}}}}
	}
	restricted := func(name string) *corev1.Pod {
		return &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: name}, Spec: corev1.PodSpec{
			SecurityContext: &corev1.PodSecurityContext{RunAsNonRoot: ptr.To(true), SeccompProfile: &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeRuntimeDefault}},
			Containers: []corev1.Container{{Name: "c", Image: "busybox", SecurityContext: &corev1.SecurityContext{
				AllowPrivilegeEscalation: ptr.To(false), Capabilities: &corev1.Capabilities{Drop: []corev1.Capability{"ALL"}},
			}}},
		}}
	}
	pods := client.CoreV1().Pods(ns)
	// Without labels a namespace is privileged.
	if _, err := pods.Create(ctx, privileged("before"), metav1.CreateOptions{}); err != nil {
		t.Fatalf("privileged pod in an unlabeled namespace: %v", err)
	}
	// Labelling the namespace restricted warns about the pod already there.
	// The check lists the namespace's pods from the server's informer,
	// which may not have the new pod yet: until the warning comes, the
	// label is taken off and put on again.
	label := func(level string) []string {
		t.Helper()
		err := retry.RetryOnConflict(retry.DefaultRetry, func() error {
			nsObj, err := client.CoreV1().Namespaces().Get(ctx, ns, metav1.GetOptions{})
			if err != nil {
				return err
			}
			nsObj.Labels["pod-security.kubernetes.io/enforce"] = level
			w.take()
			_, err = client.CoreV1().Namespaces().Update(ctx, nsObj, metav1.UpdateOptions{})
			return err
		})
		if err != nil {
			t.Fatalf("label the namespace %s: %v", level, err)
		}
		return w.take()
	}
	want := `existing pods in namespace "` + ns + `" violate the new PodSecurity enforce level "restricted:latest"`
	var got string
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		if got = strings.Join(label("restricted"), "\n"); strings.Contains(got, want) {
			break
		}
		label("privileged")
	}
	if !strings.Contains(got, want) {
		t.Errorf("warnings on labelling the namespace: %q, want %q", got, want)
	}
	// Now a privileged pod is refused with upstream's 403, once the
	// server's namespace informer has the label (as upstream's, admission
	// reads namespaces from it).
	var err error
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		if _, err = pods.Create(ctx, privileged("after"), metav1.CreateOptions{}); err != nil {
			break
		}
		if err := pods.Delete(ctx, "after", metav1.DeleteOptions{GracePeriodSeconds: ptr.To[int64](0)}); err != nil {
			t.Fatal(err)
		}
	}
	if !apierrors.IsForbidden(err) || !strings.Contains(err.Error(), `pods "after" is forbidden: violates PodSecurity "restricted:latest": privileged (container "c" must not set securityContext.privileged=true)`) {
		t.Errorf("privileged pod in a restricted namespace: err = %v, want 403 violates PodSecurity", err)
	}
	// ... and a restricted one is admitted.
	if _, err := pods.Create(ctx, restricted("ok"), metav1.CreateOptions{}); err != nil {
		t.Errorf("restricted pod: %v", err)
	}
	// Workloads are only warned about: their pods are what is enforced.
	rc := &corev1.ReplicationController{ObjectMeta: metav1.ObjectMeta{Name: "rc"}, Spec: corev1.ReplicationControllerSpec{
		Replicas: ptr.To[int32](0), Selector: map[string]string{"app": "rc"},
		Template: &corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"app": "rc"}}, Spec: privileged("").Spec},
	}}
	if _, err := client.CoreV1().ReplicationControllers(ns).Create(ctx, rc, metav1.CreateOptions{}); err != nil {
		t.Errorf("replication controller with a privileged template: %v", err)
	}
	if got := strings.Join(w.take(), "\n"); !strings.Contains(got, `would violate PodSecurity "restricted:latest"`) {
		t.Errorf("warnings on the replication controller: %q", got)
	}
}

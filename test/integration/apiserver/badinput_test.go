package apiserver

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/kubeshim/kubeshim/test/integration/framework"
)

// causes returns the (type, field) pairs of an Invalid error.
func causes(t *testing.T, err error) []string {
	t.Helper()
	status, ok := err.(apierrors.APIStatus)
	if !ok || status.Status().Details == nil {
		t.Fatalf("err = %v, want a Status with details", err)
	}
	var out []string
	for _, c := range status.Status().Details.Causes {
		out = append(out, string(c.Type)+" "+c.Field)
	}
	return out
}

func TestValidationRejects(t *testing.T) {
	ctx := context.Background()
	client := kubernetes.NewForConfigOrDie(framework.Shared(t))
	ns := framework.Namespace(t, client)

	t.Run("configmap empty key", func(t *testing.T) {
		_, err := client.CoreV1().ConfigMaps(ns).Create(ctx, &corev1.ConfigMap{
			ObjectMeta: metav1.ObjectMeta{Name: "bad"}, Data: map[string]string{"": "x"},
		}, metav1.CreateOptions{})
		if !apierrors.IsInvalid(err) {
			t.Fatalf("err = %v, want 422 Invalid", err)
		}
		if diff := cmp.Diff([]string{"FieldValueInvalid data[]"}, causes(t, err)); diff != "" {
			t.Errorf("causes (-want +got):\n%s", diff)
		}
	})
	t.Run("pod without image, bad name", func(t *testing.T) {
		_, err := client.CoreV1().Pods(ns).Create(ctx, &corev1.Pod{
			ObjectMeta: metav1.ObjectMeta{Name: "Bad_Name"},
			Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "c"}}},
		}, metav1.CreateOptions{})
		if !apierrors.IsInvalid(err) {
			t.Fatalf("err = %v, want 422 Invalid", err)
		}
		got := strings.Join(causes(t, err), "\n")
		for _, want := range []string{"FieldValueInvalid metadata.name", "FieldValueRequired spec.containers[0].image"} {
			if !strings.Contains(got, want) {
				t.Errorf("causes %q lack %q", got, want)
			}
		}
	})
	t.Run("deployment selector does not match template", func(t *testing.T) {
		d := deployment("mismatch")
		d.Spec.Template.Labels = map[string]string{"app": "other"}
		_, err := client.AppsV1().Deployments(ns).Create(ctx, d, metav1.CreateOptions{})
		if !apierrors.IsInvalid(err) || !strings.Contains(err.Error(), "`selector` does not match template `labels`") {
			t.Fatalf("err = %v, want 422 with upstream's selector message", err)
		}
	})
	t.Run("immutable configmap", func(t *testing.T) {
		immutable := true
		cm, err := client.CoreV1().ConfigMaps(ns).Create(ctx, &corev1.ConfigMap{
			ObjectMeta: metav1.ObjectMeta{Name: "frozen"}, Data: map[string]string{"a": "1"}, Immutable: &immutable,
		}, metav1.CreateOptions{})
		if err != nil {
			t.Fatalf("create: %v", err)
		}
		cm.Data["a"] = "2"
		if _, err := client.CoreV1().ConfigMaps(ns).Update(ctx, cm, metav1.UpdateOptions{}); !apierrors.IsInvalid(err) {
			t.Fatalf("update of an immutable configmap: err = %v, want 422", err)
		}
	})
}

// TestMalformedRequests sends what no client library would and checks the
// answer is a Status with the right code, and that nothing was stored.
func TestMalformedRequests(t *testing.T) {
	ctx := context.Background()
	config := framework.Shared(t)
	client := kubernetes.NewForConfigOrDie(config)
	ns := framework.Namespace(t, client)
	raw := client.CoreV1().RESTClient()

	post := func(path, contentType string, body []byte) (int, error) {
		var code int
		err := raw.Post().AbsPath(path).SetHeader("Content-Type", contentType).Body(body).Do(ctx).StatusCode(&code).Error()
		return code, err
	}
	big := `{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"big"},"data":{"a":"` + strings.Repeat("x", 4<<20) + `"}}`
	for _, tc := range []struct {
		name, path, contentType, body string
		want                          int
	}{
		{"malformed JSON", "/api/v1/namespaces/" + ns + "/configmaps", "application/json", `{"apiVersion":"v1","kind":"ConfigMap",`, http.StatusBadRequest},
		{"malformed YAML", "/api/v1/namespaces/" + ns + "/configmaps", "application/yaml", "kind: ConfigMap\n  bad: [", http.StatusBadRequest},
		{"malformed protobuf", "/api/v1/namespaces/" + ns + "/configmaps", "application/vnd.kubernetes.protobuf", "k8s\x00\xff\xff\xff", http.StatusBadRequest},
		{"wrong kind for the resource", "/api/v1/namespaces/" + ns + "/configmaps", "application/json", `{"apiVersion":"v1","kind":"Secret","metadata":{"name":"s"}}`, http.StatusBadRequest},
		{"internal version in the body", "/api/v1/namespaces/" + ns + "/configmaps", "application/json", `{"apiVersion":"__internal","kind":"ConfigMap","metadata":{"name":"i"}}`, http.StatusBadRequest},
		{"unknown version", "/apis/apps/v9/namespaces/" + ns + "/deployments", "application/json", `{}`, http.StatusNotFound},
		{"unknown resource", "/api/v1/namespaces/" + ns + "/widgets", "application/json", `{}`, http.StatusNotFound},
		{"body over 3 MiB", "/api/v1/namespaces/" + ns + "/configmaps", "application/json", big, http.StatusRequestEntityTooLarge},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, err := post(tc.path, tc.contentType, []byte(tc.body))
			if code != tc.want {
				t.Errorf("status %d (%v), want %d", code, err, tc.want)
			}
		})
	}
	list, err := client.CoreV1().ConfigMaps(ns).List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatalf("list: %v", err)
	}
	// Only the namespace's root CA configmap may exist once its controller runs.
	for _, cm := range list.Items {
		if cm.Name != "kube-root-ca.crt" {
			t.Errorf("configmap %q stored by a rejected request", cm.Name)
		}
	}
	// The server still answers.
	if _, err := client.Discovery().ServerVersion(); err != nil {
		t.Errorf("server version after bad requests: %v", err)
	}
}

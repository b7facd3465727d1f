package apiserver

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	corev1apply "k8s.io/client-go/applyconfigurations/core/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/kubeshim/kubeshim/test/integration/framework"
)

// TestSecretStringData: stringData is write-only, as upstream: on create,
// update, patch and server-side apply it is merged into data (winning over
// a key in both) and neither stored nor returned.
func TestSecretStringData(t *testing.T) {
	ctx := context.Background()
	client := kubernetes.NewForConfigOrDie(framework.Shared(t))
	ns := framework.Namespace(t, client)
	secrets := client.CoreV1().Secrets(ns)
	check := func(what string, s *corev1.Secret, want map[string]string) {
		t.Helper()
		got := map[string]string{}
		for k, v := range s.Data {
			got[k] = string(v)
		}
		if diff := cmp.Diff(want, got); diff != "" || s.StringData != nil {
			t.Errorf("%s: data (-want +got):\n%s; stringData %v, want none", what, diff, s.StringData)
		}
		stored, err := secrets.Get(ctx, s.Name, metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(s.Data, stored.Data); diff != "" || stored.StringData != nil {
			t.Errorf("%s: stored data differs from the response (-response +stored):\n%s; stringData %v", what, diff, stored.StringData)
		}
	}

	s, err := secrets.Create(ctx, &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Name: "s"},
		Data:       map[string][]byte{"a": []byte("data-a"), "b": []byte("data-b")},
		StringData: map[string]string{"b": "string-b", "c": "string-c"},
	}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	check("create", s, map[string]string{"a": "data-a", "b": "string-b", "c": "string-c"})

	s.StringData = map[string]string{"a": "updated-a"}
	if s, err = secrets.Update(ctx, s, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	check("update", s, map[string]string{"a": "updated-a", "b": "string-b", "c": "string-c"})

	if s, err = secrets.Patch(ctx, "s", types.MergePatchType, []byte(`{"stringData":{"d":"patched-d"}}`), metav1.PatchOptions{}); err != nil {
		t.Fatal(err)
	}
	check("merge patch", s, map[string]string{"a": "updated-a", "b": "string-b", "c": "string-c", "d": "patched-d"})

	apply := corev1apply.Secret("applied", ns).WithStringData(map[string]string{"e": "applied-e"})
	if s, err = secrets.Apply(ctx, apply, metav1.ApplyOptions{FieldManager: "test"}); err != nil {
		t.Fatal(err)
	}
	check("server-side apply", s, map[string]string{"e": "applied-e"})

	// Immutable data cannot change through stringData either.
	immutable := true
	s.Immutable = &immutable
	if s, err = secrets.Update(ctx, s, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	s.StringData = map[string]string{"e": "changed"}
	if _, err := secrets.Update(ctx, s, metav1.UpdateOptions{}); err == nil {
		t.Error("changing an immutable secret through stringData succeeded")
	}
}

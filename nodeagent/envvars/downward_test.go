package envvars

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func TestObjectFieldValue(t *testing.T) {
	pod := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{
		Name: "p", Namespace: "ns", UID: "u",
		Labels:      map[string]string{"b": "2", "a": `say "hi"`},
		Annotations: map[string]string{"example.com/x": "line1\nline2"},
	}}
	tests := []struct {
		path, want, wantErr string
	}{
		{path: "metadata.name", want: "p"},
		{path: "metadata.namespace", want: "ns"},
		{path: "metadata.uid", want: "u"},
		{path: "metadata.labels", want: "a=\"say \\\"hi\\\"\"\nb=\"2\""},
		{path: "metadata.annotations", want: `example.com/x="line1\nline2"`},
		{path: "metadata.labels['b']", want: "2"},
		{path: "metadata.labels['missing']", want: ""},
		{path: "metadata.annotations['example.com/x']", want: "line1\nline2"},
		{path: "metadata.labels['bad key!']", wantErr: "invalid key subscript in metadata.labels['bad key!']"},
		{path: "metadata.name['x']", wantErr: `fieldPath "metadata.name['x']" does not support subscript`},
		{path: "spec.nodeName", wantErr: "unsupported fieldPath: spec.nodeName"},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			got, err := ObjectFieldValue(pod, tt.path)
			if tt.wantErr != "" {
				if err == nil || len(err.Error()) < len(tt.wantErr) || err.Error()[:len(tt.wantErr)] != tt.wantErr {
					t.Fatalf("error = %v, want prefix %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestPodFieldValueVersion(t *testing.T) {
	pod := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "p"}, Spec: corev1.PodSpec{NodeName: "n"}}
	if _, err := PodFieldValue(pod, "v2", "metadata.name", PodInfo{}); err == nil || err.Error() != "unsupported pod version: v2" {
		t.Errorf("v2 error = %v", err)
	}
	if got, err := PodFieldValue(pod, "", "spec.host", PodInfo{}); err != nil || got != "n" {
		t.Errorf("spec.host = %q, %v; want the node name", got, err)
	}
}

package scheduling

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	schedulingv1 "k8s.io/api/scheduling/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"k8s.io/utils/ptr"
)

// Expected errors are written as the API reports them.
func wantErrors(t *testing.T, want []string, got field.ErrorList) {
	t.Helper()
	var gotStrings []string
	for _, e := range got {
		gotStrings = append(gotStrings, e.Error())
	}
	if diff := cmp.Diff(want, gotStrings); diff != "" {
		t.Errorf("errors (-want +got):\n%s", diff)
	}
}

func TestValidatePriorityClass(t *testing.T) {
	cases := []struct {
		name string
		pc   schedulingv1.PriorityClass
		want []string
	}{
		{name: "valid", pc: schedulingv1.PriorityClass{ObjectMeta: metav1.ObjectMeta{Name: "high"}, Value: 1000, PreemptionPolicy: ptr.To(corev1.PreemptLowerPriority)}},
		{name: "system class", pc: schedulingv1.PriorityClass{ObjectMeta: metav1.ObjectMeta{Name: "system-node-critical"}, Value: 2000001000}},
		{
			name: "reserved prefix",
			pc:   schedulingv1.PriorityClass{ObjectMeta: metav1.ObjectMeta{Name: "system-mine"}, Value: 5},
			want: []string{`metadata.name: Forbidden: priority class names with 'system-' prefix are reserved for system use only. error: system-mine is not a known system priority class`},
		},
		{
			name: "value too high, bad policy",
			pc:   schedulingv1.PriorityClass{ObjectMeta: metav1.ObjectMeta{Name: "top"}, Value: 1000000001, PreemptionPolicy: ptr.To[corev1.PreemptionPolicy]("Sometimes")},
			want: []string{
				`value: Forbidden: maximum allowed value of a user defined priority is 1000000000`,
				`preemptionPolicy: Unsupported value: "Sometimes": supported values: "PreemptLowerPriority", "Never"`,
			},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			wantErrors(t, tc.want, ValidatePriorityClass(&tc.pc))
		})
	}

	t.Run("value is immutable", func(t *testing.T) {
		old := &schedulingv1.PriorityClass{ObjectMeta: metav1.ObjectMeta{Name: "high", ResourceVersion: "1"}, Value: 1000}
		pc := old.DeepCopy()
		pc.Value = 2000
		wantErrors(t, []string{`value: Forbidden: may not be changed in an update.`}, ValidatePriorityClassUpdate(pc, old))
	})
}

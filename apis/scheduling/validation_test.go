package scheduling

import (
	"testing"

	corev1 "k8s.io/api/core/v1"
	schedulingv1 "k8s.io/api/scheduling/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	"github.com/kubeshim/kubeshim/apis/internal/fielderrors"
)

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
			fielderrors.Want(t, tc.want, ValidatePriorityClass(&tc.pc))
		})
	}

	t.Run("value is immutable", func(t *testing.T) {
		old := &schedulingv1.PriorityClass{ObjectMeta: metav1.ObjectMeta{Name: "high", ResourceVersion: "1"}, Value: 1000}
		pc := old.DeepCopy()
		pc.Value = 2000
		fielderrors.Want(t, []string{`value: Forbidden: may not be changed in an update.`}, ValidatePriorityClassUpdate(pc, old))
	})
}

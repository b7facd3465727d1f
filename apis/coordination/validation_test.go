package coordination

import (
	"testing"

	coordinationv1 "k8s.io/api/coordination/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	"github.com/kubeshim/kubeshim/apis/internal/fielderrors"
)

func TestValidateLease(t *testing.T) {
	cases := []struct {
		name string
		spec coordinationv1.LeaseSpec
		want []string
	}{
		{name: "valid", spec: coordinationv1.LeaseSpec{HolderIdentity: ptr.To("node-1"), LeaseDurationSeconds: ptr.To[int32](40)}},
		{
			name: "non-positive duration, negative transitions",
			spec: coordinationv1.LeaseSpec{LeaseDurationSeconds: ptr.To[int32](0), LeaseTransitions: ptr.To[int32](-1)},
			want: []string{
				`spec.leaseDurationSeconds: Invalid value: 0: must be greater than 0`,
				`spec.leaseTransitions: Invalid value: -1: must be greater than or equal to 0`,
			},
		},
		{
			name: "unknown strategy, preferred holder without strategy",
			spec: coordinationv1.LeaseSpec{Strategy: ptr.To[coordinationv1.CoordinatedLeaseStrategy]("Newest")},
			want: []string{`spec.strategy.strategy: Unsupported value: "Newest": supported values: "OldestEmulationVersion"`},
		},
		{
			name: "preferred holder needs strategy",
			spec: coordinationv1.LeaseSpec{PreferredHolder: ptr.To("a")},
			want: []string{"spec.preferredHolder: Forbidden: may only be specified if `strategy` is defined"},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			l := &coordinationv1.Lease{ObjectMeta: metav1.ObjectMeta{Name: "node-1", Namespace: "kube-node-lease", ResourceVersion: "1"}, Spec: tc.spec}
			fielderrors.Want(t, tc.want, ValidateLease(l))
			fielderrors.Want(t, tc.want, ValidateLeaseUpdate(l, l.DeepCopy()))
		})
	}
}

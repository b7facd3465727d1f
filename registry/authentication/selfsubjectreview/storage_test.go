package selfsubjectreview

import (
	"context"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	authenticationv1 "k8s.io/api/authentication/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apiserver/pkg/authentication/user"
	"k8s.io/apiserver/pkg/endpoints/request"
	clocktesting "k8s.io/utils/clock/testing"
)

func TestCreate(t *testing.T) {
	now := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	cases := []struct {
		name    string
		user    user.Info
		in      *authenticationv1.SelfSubjectReview
		want    runtime.Object
		wantErr string
	}{
		{
			name: "the requester, whatever was sent",
			user: &user.DefaultInfo{Name: "kubernetes-admin", Groups: []string{"system:masters", "system:authenticated"}},
			in:   &authenticationv1.SelfSubjectReview{ObjectMeta: metav1.ObjectMeta{Name: "ignored"}},
			want: &authenticationv1.SelfSubjectReview{
				ObjectMeta: metav1.ObjectMeta{CreationTimestamp: metav1.NewTime(now)},
				Status: authenticationv1.SelfSubjectReviewStatus{UserInfo: authenticationv1.UserInfo{
					Username: "kubernetes-admin", Groups: []string{"system:masters", "system:authenticated"},
					Extra: map[string]authenticationv1.ExtraValue{},
				}},
			},
		},
		{
			name: "uid and extra",
			user: &user.DefaultInfo{Name: "system:serviceaccount:web:front", UID: "u1", Extra: map[string][]string{"authentication.kubernetes.io/pod-name": {"front-1"}}},
			in:   &authenticationv1.SelfSubjectReview{},
			want: &authenticationv1.SelfSubjectReview{
				ObjectMeta: metav1.ObjectMeta{CreationTimestamp: metav1.NewTime(now)},
				Status: authenticationv1.SelfSubjectReviewStatus{UserInfo: authenticationv1.UserInfo{
					Username: "system:serviceaccount:web:front", UID: "u1",
					Extra: map[string]authenticationv1.ExtraValue{"authentication.kubernetes.io/pod-name": {"front-1"}},
				}},
			},
		},
		{name: "no user", in: &authenticationv1.SelfSubjectReview{}, wantErr: "no user present on request"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			if tc.user != nil {
				ctx = request.WithUser(ctx, tc.user)
			}
			got, err := NewStorage(clocktesting.NewFakePassiveClock(now)).Create(ctx, tc.in, nil, &metav1.CreateOptions{})
			if tc.wantErr != "" {
				if err == nil || err.Error() != tc.wantErr {
					t.Fatalf("Create() error = %v, want %q", err, tc.wantErr)
				}
			} else if err != nil {
				t.Fatalf("Create() error = %v", err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("Create() mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

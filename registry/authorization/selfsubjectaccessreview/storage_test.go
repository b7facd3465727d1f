package selfsubjectaccessreview

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"
	authorizationv1 "k8s.io/api/authorization/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apiserver/pkg/authentication/user"
	"k8s.io/apiserver/pkg/authorization/authorizer"
	"k8s.io/apiserver/pkg/endpoints/request"
)

func TestCreate(t *testing.T) {
	alice := &user.DefaultInfo{Name: "alice", Groups: []string{"devs", "system:authenticated"}}
	createPods := authorizationv1.SelfSubjectAccessReviewSpec{ResourceAttributes: &authorizationv1.ResourceAttributes{Namespace: "web", Verb: "create", Resource: "pods"}}
	cases := []struct {
		name     string
		user     user.Info
		spec     authorizationv1.SelfSubjectAccessReviewSpec
		decision authorizer.Decision
		asked    authorizer.Attributes
		status   authorizationv1.SubjectAccessReviewStatus
		wantErr  string
	}{
		{
			name: "the requester may", user: alice, spec: createPods, decision: authorizer.DecisionAllow,
			asked:  authorizer.AttributesRecord{User: alice, Verb: "create", Namespace: "web", APIVersion: "*", Resource: "pods", ResourceRequest: true},
			status: authorizationv1.SubjectAccessReviewStatus{Allowed: true},
		},
		{
			name: "the requester may not, non-resource", user: alice, decision: authorizer.DecisionNoOpinion,
			spec:  authorizationv1.SelfSubjectAccessReviewSpec{NonResourceAttributes: &authorizationv1.NonResourceAttributes{Verb: "get", Path: "/logs"}},
			asked: authorizer.AttributesRecord{User: alice, Verb: "get", Path: "/logs"},
		},
		{
			name: "invalid", user: alice,
			wantErr: `SelfSubjectAccessReview.authorization.k8s.io "" is invalid: spec: Invalid value: null: exactly one of nonResourceAttributes or resourceAttributes must be specified`,
		},
		{name: "no user", spec: createPods, wantErr: "no user present on request"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var asked authorizer.Attributes
			authz := authorizer.AuthorizerFunc(func(_ context.Context, a authorizer.Attributes) (authorizer.Decision, string, error) {
				asked = a
				return tc.decision, "", nil
			})
			ctx := context.Background()
			if tc.user != nil {
				ctx = request.WithUser(ctx, tc.user)
			}
			got, err := NewStorage(authz).Create(ctx, &authorizationv1.SelfSubjectAccessReview{Spec: tc.spec}, nil, &metav1.CreateOptions{})
			var want runtime.Object
			if tc.wantErr != "" {
				if err == nil || err.Error() != tc.wantErr {
					t.Fatalf("Create() error = %v, want %q", err, tc.wantErr)
				}
			} else {
				if err != nil {
					t.Fatalf("Create() error = %v", err)
				}
				want = &authorizationv1.SelfSubjectAccessReview{Spec: tc.spec, Status: tc.status}
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("Create() mismatch (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tc.asked, asked); diff != "" {
				t.Errorf("authorizer asked about (-want +got):\n%s", diff)
			}
		})
	}
}

package subjectaccessreview

import (
	"context"
	"errors"
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
	listPods := &authorizationv1.ResourceAttributes{Namespace: "web", Verb: "list", Resource: "pods"}
	cases := []struct {
		name     string
		spec     authorizationv1.SubjectAccessReviewSpec
		meta     metav1.ObjectMeta
		decision authorizer.Decision
		reason   string
		err      error
		// asked is what the authorizer is asked about; nil if it is not.
		asked   authorizer.Attributes
		status  authorizationv1.SubjectAccessReviewStatus
		wantErr string
	}{
		{
			name: "allowed",
			spec: authorizationv1.SubjectAccessReviewSpec{User: "alice", Groups: []string{"devs"}, ResourceAttributes: listPods},
			// The requester (the admin) is not the subject.
			decision: authorizer.DecisionAllow, reason: "devs may",
			asked: authorizer.AttributesRecord{
				User: &user.DefaultInfo{Name: "alice", Groups: []string{"devs"}},
				Verb: "list", Namespace: "web", APIVersion: "*", Resource: "pods", ResourceRequest: true,
			},
			status: authorizationv1.SubjectAccessReviewStatus{Allowed: true, Reason: "devs may"},
		},
		{
			name:     "denied, non-resource",
			spec:     authorizationv1.SubjectAccessReviewSpec{User: "bob", NonResourceAttributes: &authorizationv1.NonResourceAttributes{Verb: "get", Path: "/metrics"}},
			decision: authorizer.DecisionDeny, reason: "no",
			asked:  authorizer.AttributesRecord{User: &user.DefaultInfo{Name: "bob"}, Verb: "get", Path: "/metrics"},
			status: authorizationv1.SubjectAccessReviewStatus{Denied: true, Reason: "no"},
		},
		{
			name:     "evaluation error",
			spec:     authorizationv1.SubjectAccessReviewSpec{User: "bob", NonResourceAttributes: &authorizationv1.NonResourceAttributes{Verb: "get", Path: "/metrics"}},
			decision: authorizer.DecisionNoOpinion, err: errors.New("webhook down"),
			asked:  authorizer.AttributesRecord{User: &user.DefaultInfo{Name: "bob"}, Verb: "get", Path: "/metrics"},
			status: authorizationv1.SubjectAccessReviewStatus{EvaluationError: "webhook down"},
		},
		{
			name: "invalid",
			meta: metav1.ObjectMeta{Name: "x"},
			wantErr: `SubjectAccessReview.authorization.k8s.io "" is invalid: [` +
				`spec: Invalid value: null: exactly one of nonResourceAttributes or resourceAttributes must be specified, ` +
				`spec.user: Invalid value: "": at least one of user or group must be specified, ` +
				`metadata: Invalid value: {"name":"x"}: must be empty]`,
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var asked authorizer.Attributes
			authz := authorizer.AuthorizerFunc(func(_ context.Context, a authorizer.Attributes) (authorizer.Decision, string, error) {
				asked = a
				return tc.decision, tc.reason, tc.err
			})
			ctx := request.WithUser(context.Background(), &user.DefaultInfo{Name: "kubernetes-admin", Groups: []string{"system:masters"}})
			in := &authorizationv1.SubjectAccessReview{ObjectMeta: tc.meta, Spec: tc.spec}
			got, err := NewStorage(authz).Create(ctx, in, nil, &metav1.CreateOptions{})
			if tc.wantErr != "" {
				if err == nil || err.Error() != tc.wantErr {
					t.Fatalf("Create() error = %v, want %q", err, tc.wantErr)
				}
			} else if err != nil {
				t.Fatalf("Create() error = %v", err)
			}
			var want runtime.Object
			if tc.wantErr == "" {
				want = &authorizationv1.SubjectAccessReview{ObjectMeta: tc.meta, Spec: tc.spec, Status: tc.status}
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

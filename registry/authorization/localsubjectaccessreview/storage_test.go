package localsubjectaccessreview

import (
	"context"
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
	authorizationv1 "k8s.io/api/authorization/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apiserver/pkg/authentication/user"
	"k8s.io/apiserver/pkg/authorization/authorizer"
	"k8s.io/apiserver/pkg/endpoints/request"
)

func TestCreate(t *testing.T) {
	pods := func(ns string) *authorizationv1.ResourceAttributes {
		return &authorizationv1.ResourceAttributes{Namespace: ns, Verb: "get", Resource: "pods", Name: "p"}
	}
	cases := []struct {
		name string
		// namespace is the request's.
		namespace string
		review    authorizationv1.LocalSubjectAccessReview
		asked     authorizer.Attributes
		status    authorizationv1.SubjectAccessReviewStatus
		wantErr   string
		code      int32
	}{
		{
			name: "allowed in the review's namespace", namespace: "web",
			review: authorizationv1.LocalSubjectAccessReview{
				ObjectMeta: metav1.ObjectMeta{Namespace: "web"},
				Spec:       authorizationv1.SubjectAccessReviewSpec{User: "alice", ResourceAttributes: pods("web")},
			},
			asked: authorizer.AttributesRecord{
				User: &user.DefaultInfo{Name: "alice"}, Verb: "get", Namespace: "web", APIVersion: "*",
				Resource: "pods", Name: "p", ResourceRequest: true,
			},
			status: authorizationv1.SubjectAccessReviewStatus{Allowed: true},
		},
		{
			name: "spec names another namespace", namespace: "web",
			review: authorizationv1.LocalSubjectAccessReview{
				ObjectMeta: metav1.ObjectMeta{Namespace: "web"},
				Spec:       authorizationv1.SubjectAccessReviewSpec{User: "alice", ResourceAttributes: pods("db")},
			},
			wantErr: `LocalSubjectAccessReview.authorization.k8s.io "" is invalid: spec.resourceAttributes.namespace: Invalid value: "db": must match metadata.namespace`,
			code:    422,
		},
		{
			name: "non-resource, name", namespace: "web",
			review: authorizationv1.LocalSubjectAccessReview{
				ObjectMeta: metav1.ObjectMeta{Namespace: "web", Name: "x"},
				Spec:       authorizationv1.SubjectAccessReviewSpec{User: "alice", NonResourceAttributes: &authorizationv1.NonResourceAttributes{Verb: "get", Path: "/"}},
			},
			wantErr: `LocalSubjectAccessReview.authorization.k8s.io "" is invalid: [` +
				`metadata: Invalid value: {"name":"x","namespace":"web"}: must be empty except for namespace, ` +
				`spec.nonResourceAttributes: Invalid value: {"path":"/","verb":"get"}: disallowed on this kind of request]`,
			code: 422,
		},
		{
			name: "review in another namespace than the request", namespace: "db",
			review: authorizationv1.LocalSubjectAccessReview{
				ObjectMeta: metav1.ObjectMeta{Namespace: "web"},
				Spec:       authorizationv1.SubjectAccessReviewSpec{User: "alice", ResourceAttributes: pods("web")},
			},
			wantErr: "spec.resourceAttributes.namespace must match namespace: db",
			code:    400,
		},
		{
			name: "no namespace on the request",
			review: authorizationv1.LocalSubjectAccessReview{
				Spec: authorizationv1.SubjectAccessReviewSpec{User: "alice", ResourceAttributes: pods("")},
			},
			wantErr: "namespace is required on this type: ",
			code:    400,
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var asked authorizer.Attributes
			authz := authorizer.AuthorizerFunc(func(_ context.Context, a authorizer.Attributes) (authorizer.Decision, string, error) {
				asked = a
				return authorizer.DecisionAllow, "", nil
			})
			ctx := request.WithNamespace(request.WithUser(context.Background(), &user.DefaultInfo{Name: "kubernetes-admin"}), tc.namespace)
			got, err := NewStorage(authz).Create(ctx, tc.review.DeepCopy(), nil, &metav1.CreateOptions{})
			var want runtime.Object
			if tc.wantErr != "" {
				var status apierrors.APIStatus
				if err == nil || err.Error() != tc.wantErr || !errors.As(err, &status) || status.Status().Code != tc.code {
					t.Fatalf("Create() error = %v, want %d %q", err, tc.code, tc.wantErr)
				}
			} else {
				if err != nil {
					t.Fatalf("Create() error = %v", err)
				}
				r := tc.review.DeepCopy()
				r.Status = tc.status
				want = r
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

package selfsubjectrulesreview

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

// resolver answers with fixed rules and records whom it was asked about.
type resolver struct {
	resource    []authorizer.ResourceRuleInfo
	nonResource []authorizer.NonResourceRuleInfo
	incomplete  bool
	err         error

	user      user.Info
	namespace string
}

func (r *resolver) RulesFor(_ context.Context, u user.Info, namespace string) ([]authorizer.ResourceRuleInfo, []authorizer.NonResourceRuleInfo, bool, error) {
	r.user, r.namespace = u, namespace
	return r.resource, r.nonResource, r.incomplete, r.err
}

func TestCreate(t *testing.T) {
	alice := &user.DefaultInfo{Name: "alice"}
	cases := []struct {
		name      string
		user      user.Info
		namespace string
		resolver  resolver
		want      runtime.Object
		wantErr   string
	}{
		{
			name: "rules", user: alice, namespace: "web",
			resolver: resolver{
				resource: []authorizer.ResourceRuleInfo{&authorizer.DefaultResourceRuleInfo{
					Verbs: []string{"get", "list"}, APIGroups: []string{""}, Resources: []string{"pods"}, ResourceNames: []string{"p"},
				}},
				nonResource: []authorizer.NonResourceRuleInfo{&authorizer.DefaultNonResourceRuleInfo{
					Verbs: []string{"get"}, NonResourceURLs: []string{"/healthz"},
				}},
			},
			want: &authorizationv1.SelfSubjectRulesReview{Status: authorizationv1.SubjectRulesReviewStatus{
				ResourceRules:    []authorizationv1.ResourceRule{{Verbs: []string{"get", "list"}, APIGroups: []string{""}, Resources: []string{"pods"}, ResourceNames: []string{"p"}}},
				NonResourceRules: []authorizationv1.NonResourceRule{{Verbs: []string{"get"}, NonResourceURLs: []string{"/healthz"}}},
			}},
		},
		{
			name: "incomplete, with an error", user: alice, namespace: "web",
			resolver: resolver{incomplete: true, err: errors.New("webhook cannot list rules")},
			want: &authorizationv1.SelfSubjectRulesReview{Status: authorizationv1.SubjectRulesReviewStatus{
				ResourceRules: []authorizationv1.ResourceRule{}, NonResourceRules: []authorizationv1.NonResourceRule{},
				Incomplete: true, EvaluationError: "webhook cannot list rules",
			}},
		},
		{name: "no namespace", user: alice, wantErr: "no namespace on request"},
		{name: "no user", namespace: "web", wantErr: "no user present on request"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			if tc.user != nil {
				ctx = request.WithUser(ctx, tc.user)
			}
			r := tc.resolver
			in := &authorizationv1.SelfSubjectRulesReview{Spec: authorizationv1.SelfSubjectRulesReviewSpec{Namespace: tc.namespace}}
			got, err := NewStorage(&r).Create(ctx, in, nil, &metav1.CreateOptions{})
			if tc.wantErr != "" {
				if err == nil || err.Error() != tc.wantErr {
					t.Fatalf("Create() error = %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("Create() error = %v", err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("Create() mismatch (-want +got):\n%s", diff)
			}
			if r.user != tc.user || r.namespace != tc.namespace {
				t.Errorf("resolver asked about %v in %q, want %v in %q", r.user, r.namespace, tc.user, tc.namespace)
			}
		})
	}
}

package review

import (
	"context"
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
	authorizationv1 "k8s.io/api/authorization/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/selection"
	"k8s.io/apiserver/pkg/authentication/user"
	"k8s.io/apiserver/pkg/authorization/authorizer"
)

// view is an AttributesRecord in comparable form: label requirements and
// errors have no exported fields, so they are compared as text.
type view struct {
	Record    authorizer.AttributesRecord
	Labels    []string
	LabelErr  string
	Fields    fields.Requirements
	FieldsErr string
}

func viewOf(a authorizer.AttributesRecord) view {
	v := view{Fields: a.FieldSelectorRequirements}
	for _, r := range a.LabelSelectorRequirements {
		v.Labels = append(v.Labels, r.String())
	}
	if a.LabelSelectorParsingErr != nil {
		v.LabelErr = a.LabelSelectorParsingErr.Error()
	}
	if a.FieldSelectorParsingErr != nil {
		v.FieldsErr = a.FieldSelectorParsingErr.Error()
	}
	a.LabelSelectorRequirements, a.LabelSelectorParsingErr = nil, nil
	a.FieldSelectorRequirements, a.FieldSelectorParsingErr = nil, nil
	v.Record = a
	return v
}

func TestAttributes(t *testing.T) {
	alice := &user.DefaultInfo{Name: "alice", Groups: []string{"devs"}}
	pods := func(mutate func(*authorizationv1.ResourceAttributes)) *authorizationv1.ResourceAttributes {
		r := &authorizationv1.ResourceAttributes{Namespace: "web", Verb: "list", Group: "", Resource: "pods"}
		if mutate != nil {
			mutate(r)
		}
		return r
	}
	listPods := authorizer.AttributesRecord{User: alice, Verb: "list", Namespace: "web", APIVersion: "*", Resource: "pods", ResourceRequest: true}
	cases := []struct {
		name   string
		res    *authorizationv1.ResourceAttributes
		nonRes *authorizationv1.NonResourceAttributes
		want   view
	}{
		{
			name:   "non-resource",
			nonRes: &authorizationv1.NonResourceAttributes{Verb: "get", Path: "/healthz"},
			want:   view{Record: authorizer.AttributesRecord{User: alice, Verb: "get", Path: "/healthz"}},
		},
		{
			name: "resource, every version when none",
			res:  pods(nil),
			want: view{Record: listPods},
		},
		{
			name: "resource, all fields",
			res: &authorizationv1.ResourceAttributes{
				Namespace: "web", Verb: "update", Group: "apps", Version: "v1", Resource: "deployments", Subresource: "scale", Name: "front",
			},
			want: view{Record: authorizer.AttributesRecord{
				User: alice, Verb: "update", Namespace: "web", APIGroup: "apps", APIVersion: "v1",
				Resource: "deployments", Subresource: "scale", Name: "front", ResourceRequest: true,
			}},
		},
		{
			name: "raw selectors",
			res: pods(func(r *authorizationv1.ResourceAttributes) {
				r.LabelSelector = &authorizationv1.LabelSelectorAttributes{RawSelector: "app=web,tier!=db"}
				r.FieldSelector = &authorizationv1.FieldSelectorAttributes{RawSelector: "spec.nodeName=n1"}
			}),
			want: view{
				Record: listPods,
				Labels: []string{"app=web", "tier!=db"},
				Fields: fields.Requirements{{Field: "spec.nodeName", Operator: selection.Equals, Value: "n1"}},
			},
		},
		{
			name: "raw selectors that do not parse",
			res: pods(func(r *authorizationv1.ResourceAttributes) {
				r.LabelSelector = &authorizationv1.LabelSelectorAttributes{RawSelector: "app in (web"}
				r.FieldSelector = &authorizationv1.FieldSelectorAttributes{RawSelector: "a=b=c"}
			}),
			want: view{
				Record:    listPods,
				LabelErr:  "unable to parse requirement: found '', expected: ',' or ')'",
				FieldsErr: `invalid field selector: unescaped character in value: 61`,
			},
		},
		{
			name: "requirements",
			res: pods(func(r *authorizationv1.ResourceAttributes) {
				r.LabelSelector = &authorizationv1.LabelSelectorAttributes{Requirements: []metav1.LabelSelectorRequirement{
					{Key: "app", Operator: metav1.LabelSelectorOpIn, Values: []string{"web", "api"}},
					{Key: "debug", Operator: metav1.LabelSelectorOpDoesNotExist, Values: []string{}},
				}}
				r.FieldSelector = &authorizationv1.FieldSelectorAttributes{Requirements: []metav1.FieldSelectorRequirement{
					{Key: "spec.nodeName", Operator: metav1.FieldSelectorOpIn, Values: []string{"n1"}},
					{Key: "status.phase", Operator: metav1.FieldSelectorOpNotIn, Values: []string{"Failed"}},
				}}
			}),
			want: view{
				Record: listPods,
				Labels: []string{"app in (api,web)", "!debug"},
				Fields: fields.Requirements{
					{Field: "spec.nodeName", Operator: selection.Equals, Value: "n1"},
					{Field: "status.phase", Operator: selection.NotEquals, Value: "Failed"},
				},
			},
		},
		{
			name: "requirements partly understood",
			res: pods(func(r *authorizationv1.ResourceAttributes) {
				r.LabelSelector = &authorizationv1.LabelSelectorAttributes{Requirements: []metav1.LabelSelectorRequirement{
					{Key: "app", Operator: metav1.LabelSelectorOpExists},
					{Key: "tier", Operator: "Matches", Values: []string{"d.*"}},
				}}
				r.FieldSelector = &authorizationv1.FieldSelectorAttributes{Requirements: []metav1.FieldSelectorRequirement{
					{Key: "spec.nodeName", Operator: metav1.FieldSelectorOpIn, Values: []string{"n1", "n2"}},
					{Key: "spec.nodeName", Operator: metav1.FieldSelectorOpExists},
					{Key: "spec.nodeName", Operator: metav1.FieldSelectorOpNotIn},
					{Key: "spec.nodeName", Operator: "Matches", Values: []string{"n"}},
					{Key: "metadata.name", Operator: metav1.FieldSelectorOpIn, Values: []string{"p"}},
				}}
			}),
			want: view{
				Record:   listPods,
				Labels:   []string{"app"},
				LabelErr: `"Matches" is not a valid label selector operator`,
				Fields:   fields.Requirements{{Field: "metadata.name", Operator: selection.Equals, Value: "p"}},
				FieldsErr: `[fieldSelectors do not yet support multiple values, fieldSelectors do not yet support Exists, ` +
					`fieldSelectors not in must have one value, "Matches" is not a valid field selector operator]`,
			},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := viewOf(Attributes(alice, tc.res, tc.nonRes))
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("Attributes() mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestSubjectAttributes(t *testing.T) {
	cases := []struct {
		name string
		spec authorizationv1.SubjectAccessReviewSpec
		want authorizer.AttributesRecord
	}{
		{
			name: "user without extra",
			spec: authorizationv1.SubjectAccessReviewSpec{
				User: "alice", UID: "42", Groups: []string{"devs"},
				NonResourceAttributes: &authorizationv1.NonResourceAttributes{Verb: "get", Path: "/version"},
			},
			want: authorizer.AttributesRecord{User: &user.DefaultInfo{Name: "alice", UID: "42", Groups: []string{"devs"}}, Verb: "get", Path: "/version"},
		},
		{
			name: "group with extra",
			spec: authorizationv1.SubjectAccessReviewSpec{
				Groups: []string{"ops"}, Extra: map[string]authorizationv1.ExtraValue{"scopes": {"a", "b"}},
				ResourceAttributes: &authorizationv1.ResourceAttributes{Verb: "delete", Resource: "nodes", Name: "n1"},
			},
			want: authorizer.AttributesRecord{
				User: &user.DefaultInfo{Groups: []string{"ops"}, Extra: map[string][]string{"scopes": {"a", "b"}}},
				Verb: "delete", APIVersion: "*", Resource: "nodes", Name: "n1", ResourceRequest: true,
			},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, SubjectAttributes(tc.spec)); diff != "" {
				t.Errorf("SubjectAttributes() mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestDecide(t *testing.T) {
	listPods := authorizer.AttributesRecord{Verb: "list", Resource: "pods", ResourceRequest: true}
	partly := listPods
	partly.LabelSelectorRequirements, partly.LabelSelectorParsingErr = Attributes(nil, &authorizationv1.ResourceAttributes{
		LabelSelector: &authorizationv1.LabelSelectorAttributes{Requirements: []metav1.LabelSelectorRequirement{
			{Key: "app", Operator: metav1.LabelSelectorOpExists}, {Key: "x", Operator: "Matches"},
		}},
	}, nil).GetLabelSelector()
	partly.FieldSelectorParsingErr = errors.New("bad")
	cases := []struct {
		name     string
		decision authorizer.Decision
		reason   string
		err      error
		attrs    authorizer.AttributesRecord
		want     authorizationv1.SubjectAccessReviewStatus
	}{
		{name: "allow", decision: authorizer.DecisionAllow, reason: "admin", attrs: listPods,
			want: authorizationv1.SubjectAccessReviewStatus{Allowed: true, Reason: "admin"}},
		{name: "deny", decision: authorizer.DecisionDeny, reason: "no", attrs: listPods,
			want: authorizationv1.SubjectAccessReviewStatus{Denied: true, Reason: "no"}},
		{name: "no opinion", decision: authorizer.DecisionNoOpinion, attrs: listPods,
			want: authorizationv1.SubjectAccessReviewStatus{}},
		{
			name: "evaluation and selector errors", decision: authorizer.DecisionNoOpinion, err: errors.New("webhook down"), attrs: partly,
			want: authorizationv1.SubjectAccessReviewStatus{EvaluationError: "webhook down; " +
				"spec.resourceAttributes.fieldSelector ignored due to parse error; " +
				"spec.resourceAttributes.labelSelector partially ignored due to parse error"},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var asked authorizer.Attributes
			authz := authorizer.AuthorizerFunc(func(_ context.Context, a authorizer.Attributes) (authorizer.Decision, string, error) {
				asked = a
				return tc.decision, tc.reason, tc.err
			})
			if diff := cmp.Diff(tc.want, Decide(context.Background(), authz, tc.attrs)); diff != "" {
				t.Errorf("Decide() mismatch (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(viewOf(tc.attrs), viewOf(asked.(authorizer.AttributesRecord))); diff != "" {
				t.Errorf("authorizer asked about (-want +got):\n%s", diff)
			}
		})
	}
}

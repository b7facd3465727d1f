package review

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	authorizationv1 "k8s.io/api/authorization/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// Expected errors are written as the API reports them.
func errorStrings(errs field.ErrorList) []string {
	var out []string
	for _, e := range errs {
		out = append(out, e.Error())
	}
	return out
}

func TestValidateSubjectAccessReviewSpec(t *testing.T) {
	pods := &authorizationv1.ResourceAttributes{Verb: "list", Resource: "pods"}
	cases := []struct {
		name string
		spec authorizationv1.SubjectAccessReviewSpec
		want []string
	}{
		{name: "resource, user", spec: authorizationv1.SubjectAccessReviewSpec{ResourceAttributes: pods, User: "alice"}},
		{name: "non-resource, group", spec: authorizationv1.SubjectAccessReviewSpec{
			NonResourceAttributes: &authorizationv1.NonResourceAttributes{Verb: "get", Path: "/healthz"}, Groups: []string{"devs"},
		}},
		{
			name: "empty",
			want: []string{
				`spec: Invalid value: null: exactly one of nonResourceAttributes or resourceAttributes must be specified`,
				`spec.user: Invalid value: "": at least one of user or group must be specified`,
			},
		},
		{
			name: "both attributes",
			spec: authorizationv1.SubjectAccessReviewSpec{
				ResourceAttributes: pods, NonResourceAttributes: &authorizationv1.NonResourceAttributes{Verb: "get", Path: "/"}, User: "alice",
			},
			want: []string{`spec: Invalid value: {"path":"/","verb":"get"}: exactly one of nonResourceAttributes or resourceAttributes must be specified`},
		},
		{
			name: "selectors raw and requirements, and neither",
			spec: authorizationv1.SubjectAccessReviewSpec{User: "alice", ResourceAttributes: &authorizationv1.ResourceAttributes{
				Verb: "list", Resource: "pods",
				FieldSelector: &authorizationv1.FieldSelectorAttributes{},
				LabelSelector: &authorizationv1.LabelSelectorAttributes{
					RawSelector:  "app=web",
					Requirements: []metav1.LabelSelectorRequirement{{Key: "app", Operator: metav1.LabelSelectorOpExists}},
				},
			}},
			want: []string{
				`spec.resourceAttributes.fieldSelector.requirements: Required value: when spec.resourceAttributes.fieldSelector is specified, requirements or rawSelector is required`,
				`spec.resourceAttributes.labelSelector.rawSelector: Invalid value: "app=web": may not specified at the same time as requirements`,
			},
		},
		{
			name: "bad requirements, unknown operators allowed",
			spec: authorizationv1.SubjectAccessReviewSpec{User: "alice", ResourceAttributes: &authorizationv1.ResourceAttributes{
				Verb: "list", Resource: "pods",
				FieldSelector: &authorizationv1.FieldSelectorAttributes{Requirements: []metav1.FieldSelectorRequirement{
					{Key: "spec.nodeName", Operator: "Matches", Values: []string{"a"}},
					{Key: "", Operator: metav1.FieldSelectorOpIn, Values: []string{"a"}},
				}},
				LabelSelector: &authorizationv1.LabelSelectorAttributes{Requirements: []metav1.LabelSelectorRequirement{
					{Key: "app", Operator: "Matches", Values: []string{"a"}},
					{Key: "app", Operator: metav1.LabelSelectorOpIn},
				}},
			}},
			want: []string{
				`spec.resourceAttributes.fieldSelector.requirements[1].key: Required value: must be specified`,
				`spec.resourceAttributes.labelSelector.requirements[1].values: Required value: must be specified when ` + "`operator` is 'In' or 'NotIn'",
			},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := errorStrings(ValidateSubjectAccessReviewSpec(tc.spec, field.NewPath("spec")))
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("errors (-want +got):\n%s", diff)
			}
		})
	}
}

func TestValidateSelfSubjectAccessReviewSpec(t *testing.T) {
	cases := []struct {
		name string
		spec authorizationv1.SelfSubjectAccessReviewSpec
		want []string
	}{
		{name: "resource, no user needed", spec: authorizationv1.SelfSubjectAccessReviewSpec{ResourceAttributes: &authorizationv1.ResourceAttributes{Verb: "create", Resource: "pods"}}},
		{
			name: "empty",
			want: []string{`spec: Invalid value: null: exactly one of nonResourceAttributes or resourceAttributes must be specified`},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := errorStrings(ValidateSelfSubjectAccessReviewSpec(tc.spec, field.NewPath("spec")))
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("errors (-want +got):\n%s", diff)
			}
		})
	}
}

func TestValidateEmptyMeta(t *testing.T) {
	cases := []struct {
		name       string
		meta       metav1.ObjectMeta
		namespaced bool
		want       []string
	}{
		{name: "empty"},
		{name: "managed fields only", meta: metav1.ObjectMeta{ManagedFields: []metav1.ManagedFieldsEntry{{Manager: "kubectl"}}}},
		{name: "namespace of a namespaced review", meta: metav1.ObjectMeta{Namespace: "web"}, namespaced: true},
		{
			name: "namespace of a cluster review",
			meta: metav1.ObjectMeta{Namespace: "web"},
			want: []string{`metadata: Invalid value: {"namespace":"web"}: must be empty`},
		},
		{
			name: "name", meta: metav1.ObjectMeta{Name: "x", Namespace: "web"}, namespaced: true,
			want: []string{`metadata: Invalid value: {"name":"x","namespace":"web"}: must be empty except for namespace`},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := errorStrings(ValidateEmptyMeta(tc.meta, tc.namespaced))
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("errors (-want +got):\n%s", diff)
			}
		})
	}
}

package paramauthz

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"k8s.io/apiserver/pkg/authentication/user"
	"k8s.io/apiserver/pkg/authorization/authorizer"
	genericapirequest "k8s.io/apiserver/pkg/endpoints/request"
)

// allowed is an authorizer that allows exactly the listed
// "verb group/resource namespace/name" requests, and records what it was
// asked.
type allowed struct {
	rules []string
	asked []string
}

func (a *allowed) Authorize(_ context.Context, attrs authorizer.Attributes) (authorizer.Decision, string, error) {
	r := attrs.GetVerb() + " " + attrs.GetAPIGroup() + "/" + attrs.GetResource() + " " + attrs.GetNamespace() + "/" + attrs.GetName()
	a.asked = append(a.asked, r)
	for _, rule := range a.rules {
		if rule == r {
			return authorizer.DecisionAllow, "", nil
		}
	}
	return authorizer.DecisionNoOpinion, "", nil
}

func (a *allowed) ConditionsAwareAuthorize(ctx context.Context, attrs authorizer.Attributes) authorizer.ConditionsAwareDecision {
	return authorizer.ConditionsAwareDecisionFromParts(a.Authorize(ctx, attrs))
}

func (a *allowed) EvaluateConditions(context.Context, authorizer.ConditionsAwareDecision, authorizer.ConditionsData) (authorizer.Decision, string, error) {
	return authorizer.DecisionDeny, "", authorizer.ErrorConditionEvaluationNotSupported
}

func checker(a authorizer.Authorizer) *Checker {
	pk := &admissionregistrationv1.ParamKind{APIVersion: "v1", Kind: "ConfigMap"}
	return &Checker{
		Authorizer: a,
		Resolve: func(gvk schema.GroupVersionKind) (schema.GroupVersionResource, error) {
			if gvk.Kind == "ConfigMap" {
				return schema.GroupVersionResource{Version: "v1", Resource: "configmaps"}, nil
			}
			return schema.GroupVersionResource{}, errors.New("no such kind")
		},
		ValidatingParamKind: func(_ context.Context, name string) (*admissionregistrationv1.ParamKind, error) {
			if name == "with-params" {
				return pk, nil
			}
			return nil, errors.New("not found")
		},
	}
}

func TestValidate(t *testing.T) {
	alice := genericapirequest.WithUser(context.Background(), &user.DefaultInfo{Name: "alice"})
	root := genericapirequest.WithUser(context.Background(), &user.DefaultInfo{Name: "admin", Groups: []string{user.SystemPrivilegedGroup}})
	policy := func(pk *admissionregistrationv1.ParamKind) *admissionregistrationv1.ValidatingAdmissionPolicy {
		return &admissionregistrationv1.ValidatingAdmissionPolicy{Spec: admissionregistrationv1.ValidatingAdmissionPolicySpec{ParamKind: pk}}
	}
	binding := func(policyName string, ref *admissionregistrationv1.ParamRef) *admissionregistrationv1.ValidatingAdmissionPolicyBinding {
		return &admissionregistrationv1.ValidatingAdmissionPolicyBinding{Spec: admissionregistrationv1.ValidatingAdmissionPolicyBindingSpec{PolicyName: policyName, ParamRef: ref}}
	}
	configMaps := &admissionregistrationv1.ParamKind{APIVersion: "v1", Kind: "ConfigMap"}
	tests := []struct {
		name      string
		ctx       context.Context
		rules     []string
		obj       runtime.Object
		wantAsked []string
		wantErr   string // the Forbidden cause's field and message start; empty: allowed
	}{
		{name: "no paramKind", ctx: alice, obj: policy(nil)},
		{name: "system:masters is not asked", ctx: root, obj: policy(configMaps)},
		{
			name: "paramKind the writer may not get", ctx: alice, obj: policy(configMaps),
			wantAsked: []string{"get /configmaps */*"},
			wantErr:   `spec.paramKind: Forbidden: user &{alice  [] map[]} must have "get" permission on all objects of the referenced paramKind (kind=ConfigMap, apiVersion=v1)`,
		},
		{
			name: "paramKind the writer may get", ctx: alice, rules: []string{"get /configmaps */*"}, obj: policy(configMaps),
			wantAsked: []string{"get /configmaps */*"},
		},
		{
			name: "unknown kind: everything is needed", ctx: alice, obj: policy(&admissionregistrationv1.ParamKind{APIVersion: "example.com/v1", Kind: "Nope"}),
			wantAsked: []string{"get example.com/* */*"},
			wantErr:   `spec.paramKind: Forbidden: user &{alice  [] map[]} must have "get" permission`,
		},
		{
			name: "named paramRef", ctx: alice, rules: []string{"get /configmaps ns/p"},
			obj:       binding("with-params", &admissionregistrationv1.ParamRef{Name: "p", Namespace: "ns"}),
			wantAsked: []string{"get /configmaps ns/p"},
		},
		{
			name: "selector paramRef needs list", ctx: alice, rules: []string{"get /configmaps ns/"},
			obj:       binding("with-params", &admissionregistrationv1.ParamRef{Namespace: "ns"}),
			wantAsked: []string{"list /configmaps ns/"},
			wantErr:   `spec.paramRef: Forbidden: user &{alice  [] map[]} does not have "list" permission on the object referenced by paramRef`,
		},
		{
			name: "binding of a missing policy", ctx: alice,
			obj:       binding("missing", &admissionregistrationv1.ParamRef{Name: "p", Namespace: "ns"}),
			wantAsked: []string{"get */* ns/p"},
			wantErr:   `spec.paramRef: Forbidden: unable to get policy missing to determine minimum required permissions and user &{alice  [] map[]} does not have "get" permission for all groups, versions and resources`,
		},
		{name: "binding without paramRef", ctx: alice, obj: binding("with-params", nil)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := &allowed{rules: tt.rules}
			valid := func(context.Context, runtime.Object) field.ErrorList { return nil }
			errs := checker(a).Validate(valid)(tt.ctx, tt.obj)
			if diff := cmp.Diff(tt.wantAsked, a.asked); diff != "" {
				t.Errorf("authorizer asked (-want +got):\n%s", diff)
			}
			switch {
			case tt.wantErr == "" && len(errs) > 0:
				t.Errorf("errors %v, want none", errs)
			case tt.wantErr != "" && (len(errs) != 1 || !strings.HasPrefix(errs[0].Error(), tt.wantErr)):
				t.Errorf("errors %v, want one starting %q", errs, tt.wantErr)
			}
		})
	}
}

// TestValidateUpdate: an unchanged paramKind is not authorized again; a
// changed one is; invalid objects are not authorized at all.
func TestValidateUpdate(t *testing.T) {
	alice := genericapirequest.WithUser(context.Background(), &user.DefaultInfo{Name: "alice"})
	old := &admissionregistrationv1.ValidatingAdmissionPolicy{Spec: admissionregistrationv1.ValidatingAdmissionPolicySpec{ParamKind: &admissionregistrationv1.ParamKind{APIVersion: "v1", Kind: "ConfigMap"}}}
	valid := func(context.Context, runtime.Object, runtime.Object) field.ErrorList { return nil }
	a := &allowed{}
	if errs := checker(a).ValidateUpdate(valid)(alice, old.DeepCopy(), old); len(errs) > 0 || len(a.asked) > 0 {
		t.Errorf("unchanged paramKind: errors %v, asked %v; want neither", errs, a.asked)
	}
	changed := old.DeepCopy()
	changed.Spec.ParamKind.Kind = "Secret"
	if errs := checker(a).ValidateUpdate(valid)(alice, changed, old); len(errs) != 1 {
		t.Errorf("changed paramKind: errors %v, want the Forbidden one", errs)
	}
	invalid := func(context.Context, runtime.Object, runtime.Object) field.ErrorList {
		return field.ErrorList{field.Required(field.NewPath("spec"), "")}
	}
	a = &allowed{}
	if errs := checker(a).ValidateUpdate(invalid)(alice, changed, old); len(errs) != 1 || len(a.asked) > 0 {
		t.Errorf("invalid object: errors %v, asked %v; want the validation error alone", errs, a.asked)
	}
}

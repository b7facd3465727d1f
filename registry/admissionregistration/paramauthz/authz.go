package paramauthz

import (
	"context"
	"errors"
	"fmt"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	apiequality "k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"k8s.io/apiserver/pkg/authorization/authorizer"
	genericapirequest "k8s.io/apiserver/pkg/endpoints/request"

	rbacauthorizer "github.com/kubeshim/kubeshim/registry/authorization/rbac"
)

// Checker authorizes paramKinds and paramRefs. A nil *Checker checks
// nothing (a server without authorization).
type Checker struct {
	// Authorizer is the server's.
	Authorizer authorizer.Authorizer
	// Resolve maps a kind to its resource (discovery's REST mapping).
	Resolve func(schema.GroupVersionKind) (schema.GroupVersionResource, error)
	// ValidatingParamKind and MutatingParamKind read the named policy's
	// paramKind (nil when it has none).
	ValidatingParamKind func(ctx context.Context, policy string) (*admissionregistrationv1.ParamKind, error)
	MutatingParamKind   func(ctx context.Context, policy string) (*admissionregistrationv1.ParamKind, error)
}

// target is the group, version and resource a paramKind names: "*" for
// what cannot be told, so that the writer needs permission on everything.
func (c *Checker) target(pk *admissionregistrationv1.ParamKind) (group, version, resource string, parseErr, resolveErr error) {
	group, version, resource = "*", "*", "*"
	gv, err := schema.ParseGroupVersion(pk.APIVersion)
	if err != nil {
		return group, version, resource, err, nil
	}
	group, version = gv.Group, gv.Version
	gvr, err := c.Resolve(gv.WithKind(pk.Kind))
	if err != nil {
		return group, version, resource, nil, err
	}
	return group, version, gvr.Resource, nil, nil
}

// paramKind is upstream's policy check.
func (c *Checker) paramKind(ctx context.Context, pk *admissionregistrationv1.ParamKind) error {
	if c == nil || c.Authorizer == nil || pk == nil || rbacauthorizer.EscalationAllowed(ctx) {
		return nil
	}
	u, ok := genericapirequest.UserFrom(ctx)
	if !ok {
		return errors.New("cannot identify user to authorize read access to paramKind resources")
	}
	group, version, resource, _, _ := c.target(pk)
	d, _, err := c.Authorizer.Authorize(ctx, authorizer.AttributesRecord{
		User: u, Verb: "get", ResourceRequest: true, Name: "*", Namespace: "*",
		APIGroup: group, APIVersion: version, Resource: resource,
	})
	if err != nil {
		return err
	}
	if d != authorizer.DecisionAllow {
		return fmt.Errorf(`user %v must have "get" permission on all objects of the referenced paramKind (kind=%s, apiVersion=%s)`, u, pk.Kind, pk.APIVersion)
	}
	return nil
}

// paramRef is upstream's binding check.
func (c *Checker) paramRef(ctx context.Context, ref *admissionregistrationv1.ParamRef, policyName string, getParamKind func(context.Context, string) (*admissionregistrationv1.ParamKind, error)) error {
	if c == nil || c.Authorizer == nil || ref == nil || rbacauthorizer.EscalationAllowed(ctx) {
		return nil
	}
	u, ok := genericapirequest.UserFrom(ctx)
	if !ok {
		return errors.New("cannot identify user to authorize read access to paramRef object")
	}
	group, version, resource := "*", "*", "*"
	pk, policyErr := getParamKind(ctx, policyName)
	var parseErr, resolveErr error
	if policyErr == nil && pk != nil {
		group, version, resource, parseErr, resolveErr = c.target(pk)
	}
	verb := "get"
	if ref.Name == "" {
		verb = "list"
	}
	d, _, err := c.Authorizer.Authorize(ctx, authorizer.AttributesRecord{
		User: u, Verb: verb, ResourceRequest: true, Name: ref.Name, Namespace: ref.Namespace,
		APIGroup: group, APIVersion: version, Resource: resource,
	})
	if err != nil {
		return fmt.Errorf("failed to authorize request: %w", err)
	}
	if d == authorizer.DecisionAllow {
		return nil
	}
	switch {
	case policyErr != nil:
		return fmt.Errorf(`unable to get policy %s to determine minimum required permissions and user %v does not have "%v" permission for all groups, versions and resources`, policyName, u, verb)
	case parseErr != nil:
		return fmt.Errorf(`unable to parse paramKind %v to determine minimum required permissions and user %v does not have "%v" permission for all groups, versions and resources`, pk, u, verb)
	case resolveErr != nil:
		return fmt.Errorf(`unable to resolve paramKind %v to determine minimum required permissions and user %v does not have "%v" permission for all groups, versions and resources`, pk, u, verb)
	}
	return fmt.Errorf(`user %v does not have "%v" permission on the object referenced by paramRef`, u, verb)
}

// forbidden turns a refusal into the cause upstream reports.
func forbidden(path *field.Path, err error) field.ErrorList {
	if err == nil {
		return nil
	}
	return field.ErrorList{field.Forbidden(path, err.Error())}
}

// Validate wraps a kind's create validation: the paramKind or paramRef is
// authorized once the object is otherwise valid, as upstream does.
func (c *Checker) Validate(validate func(context.Context, runtime.Object) field.ErrorList) func(context.Context, runtime.Object) field.ErrorList {
	return func(ctx context.Context, obj runtime.Object) field.ErrorList {
		errs := validate(ctx, obj)
		if len(errs) == 0 {
			errs = c.authorize(ctx, obj, nil)
		}
		return errs
	}
}

// ValidateUpdate wraps a kind's update validation: only a changed
// paramKind, or a changed paramRef or policy name, is authorized again.
func (c *Checker) ValidateUpdate(validate func(context.Context, runtime.Object, runtime.Object) field.ErrorList) func(context.Context, runtime.Object, runtime.Object) field.ErrorList {
	return func(ctx context.Context, obj, old runtime.Object) field.ErrorList {
		errs := validate(ctx, obj, old)
		if len(errs) == 0 {
			errs = c.authorize(ctx, obj, old)
		}
		return errs
	}
}

func (c *Checker) authorize(ctx context.Context, obj, old runtime.Object) field.ErrorList {
	kindPath, refPath := field.NewPath("spec", "paramKind"), field.NewPath("spec", "paramRef")
	same := func(a, b any) bool { return old != nil && apiequality.Semantic.DeepEqual(a, b) }
	switch o := obj.(type) {
	case *admissionregistrationv1.ValidatingAdmissionPolicy:
		if prev, _ := old.(*admissionregistrationv1.ValidatingAdmissionPolicy); prev != nil && prev.Spec.ParamKind != nil && same(prev.Spec.ParamKind, o.Spec.ParamKind) {
			return nil
		}
		return forbidden(kindPath, c.paramKind(ctx, o.Spec.ParamKind))
	case *admissionregistrationv1.MutatingAdmissionPolicy:
		if prev, _ := old.(*admissionregistrationv1.MutatingAdmissionPolicy); prev != nil && prev.Spec.ParamKind != nil && same(prev.Spec.ParamKind, o.Spec.ParamKind) {
			return nil
		}
		return forbidden(kindPath, c.paramKind(ctx, o.Spec.ParamKind))
	case *admissionregistrationv1.ValidatingAdmissionPolicyBinding:
		if prev, _ := old.(*admissionregistrationv1.ValidatingAdmissionPolicyBinding); prev != nil && prev.Spec.ParamRef != nil &&
			same(prev.Spec.ParamRef, o.Spec.ParamRef) && prev.Spec.PolicyName == o.Spec.PolicyName {
			return nil
		}
		if c == nil {
			return nil
		}
		return forbidden(refPath, c.paramRef(ctx, o.Spec.ParamRef, o.Spec.PolicyName, c.ValidatingParamKind))
	case *admissionregistrationv1.MutatingAdmissionPolicyBinding:
		if prev, _ := old.(*admissionregistrationv1.MutatingAdmissionPolicyBinding); prev != nil && prev.Spec.ParamRef != nil &&
			same(prev.Spec.ParamRef, o.Spec.ParamRef) && prev.Spec.PolicyName == o.Spec.PolicyName {
			return nil
		}
		if c == nil {
			return nil
		}
		return forbidden(refPath, c.paramRef(ctx, o.Spec.ParamRef, o.Spec.PolicyName, c.MutatingParamKind))
	}
	return nil
}

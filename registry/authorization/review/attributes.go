package review

import (
	"context"
	"errors"
	"fmt"
	"strings"

	authorizationv1 "k8s.io/api/authorization/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/selection"
	utilerrors "k8s.io/apimachinery/pkg/util/errors"
	"k8s.io/apiserver/pkg/authentication/user"
	"k8s.io/apiserver/pkg/authorization/authorizer"
)

// Attributes are the authorizer attributes of a request by u described by an
// access review: res or nonRes, whichever is set (validation makes sure
// exactly one is).
func Attributes(u user.Info, res *authorizationv1.ResourceAttributes, nonRes *authorizationv1.NonResourceAttributes) authorizer.AttributesRecord {
	if res == nil {
		return authorizer.AttributesRecord{User: u, Verb: nonRes.Verb, Path: nonRes.Path}
	}
	a := authorizer.AttributesRecord{
		User:            u,
		Verb:            res.Verb,
		Namespace:       res.Namespace,
		APIGroup:        res.Group,
		APIVersion:      res.Version,
		Resource:        res.Resource,
		Subresource:     res.Subresource,
		Name:            res.Name,
		ResourceRequest: true,
	}
	if a.APIVersion == "" {
		a.APIVersion = "*"
	}
	if s := res.LabelSelector; s != nil {
		a.LabelSelectorRequirements, a.LabelSelectorParsingErr = labelRequirements(s)
	}
	if s := res.FieldSelector; s != nil {
		a.FieldSelectorRequirements, a.FieldSelectorParsingErr = fieldRequirements(s)
	}
	return a
}

// SubjectAttributes are the attributes of the request an access review
// asks about, by the user the spec describes.
func SubjectAttributes(spec authorizationv1.SubjectAccessReviewSpec) authorizer.AttributesRecord {
	u := &user.DefaultInfo{Name: spec.User, UID: spec.UID, Groups: spec.Groups}
	if spec.Extra != nil {
		u.Extra = make(map[string][]string, len(spec.Extra))
		for k, v := range spec.Extra {
			u.Extra[k] = v
		}
	}
	return Attributes(u, spec.ResourceAttributes, spec.NonResourceAttributes)
}

// Decide asks authz about attrs and returns the review's status. A selector
// that did not parse, wholly or partly, is reported in evaluationError: the
// decision was made on the requirements that did parse, which is broader,
// never narrower, than the request asked about.
func Decide(ctx context.Context, authz authorizer.UnconditionalAuthorizer, attrs authorizer.AttributesRecord) authorizationv1.SubjectAccessReviewStatus {
	decision, reason, err := authz.Authorize(ctx, attrs)
	var errs []string
	if err != nil {
		errs = append(errs, err.Error())
	}
	if reqs, err := attrs.GetFieldSelector(); err != nil {
		errs = append(errs, ignored("fieldSelector", len(reqs) > 0))
	}
	if reqs, err := attrs.GetLabelSelector(); err != nil {
		errs = append(errs, ignored("labelSelector", len(reqs) > 0))
	}
	return authorizationv1.SubjectAccessReviewStatus{
		Allowed:         decision == authorizer.DecisionAllow,
		Denied:          decision == authorizer.DecisionDeny,
		Reason:          reason,
		EvaluationError: strings.Join(errs, "; "),
	}
}

func ignored(selector string, partly bool) string {
	if partly {
		return "spec.resourceAttributes." + selector + " partially ignored due to parse error"
	}
	return "spec.resourceAttributes." + selector + " ignored due to parse error"
}

var labelOperators = map[metav1.LabelSelectorOperator]selection.Operator{
	metav1.LabelSelectorOpIn:           selection.In,
	metav1.LabelSelectorOpNotIn:        selection.NotIn,
	metav1.LabelSelectorOpExists:       selection.Exists,
	metav1.LabelSelectorOpDoesNotExist: selection.DoesNotExist,
}

// labelRequirements returns the requirements of s that parse, and an error
// naming those that do not. Requirements are ANDed, so dropping one makes the
// check broader: a client that knows an operator this server does not is
// still authorized, on what the server understands.
func labelRequirements(s *authorizationv1.LabelSelectorAttributes) (labels.Requirements, error) {
	if len(s.Requirements) == 0 {
		if s.RawSelector == "" {
			return nil, nil
		}
		sel, err := labels.Parse(s.RawSelector)
		if err != nil {
			return nil, err
		}
		reqs, _ := sel.Requirements()
		return reqs, nil
	}
	var reqs labels.Requirements
	var errs []error
	for _, r := range s.Requirements {
		op, ok := labelOperators[r.Operator]
		if !ok {
			errs = append(errs, fmt.Errorf("%q is not a valid label selector operator", r.Operator))
			continue
		}
		values := r.Values
		if len(values) == 0 {
			values = nil
		}
		req, err := labels.NewRequirement(r.Key, op, values)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		reqs = append(reqs, *req)
	}
	return reqs, utilerrors.NewAggregate(errs)
}

// fieldRequirements is labelRequirements for field selectors, which know
// only equality and inequality to one value (In and NotIn become = and !=,
// as a parsed selector's).
func fieldRequirements(s *authorizationv1.FieldSelectorAttributes) (fields.Requirements, error) {
	if len(s.Requirements) == 0 {
		if s.RawSelector == "" {
			return nil, nil
		}
		sel, err := fields.ParseSelector(s.RawSelector)
		if err != nil {
			return nil, err
		}
		return sel.Requirements(), nil
	}
	var reqs fields.Requirements
	var errs []error
	for _, r := range s.Requirements {
		if len(r.Values) > 1 {
			errs = append(errs, errors.New("fieldSelectors do not yet support multiple values"))
			continue
		}
		var op selection.Operator
		switch r.Operator {
		case metav1.FieldSelectorOpIn:
			if len(r.Values) != 1 {
				errs = append(errs, errors.New("fieldSelectors in must have one value"))
				continue
			}
			op = selection.Equals
		case metav1.FieldSelectorOpNotIn:
			if len(r.Values) != 1 {
				errs = append(errs, errors.New("fieldSelectors not in must have one value"))
				continue
			}
			op = selection.NotEquals
		case metav1.FieldSelectorOpExists, metav1.FieldSelectorOpDoesNotExist:
			errs = append(errs, fmt.Errorf("fieldSelectors do not yet support %v", r.Operator))
			continue
		default:
			errs = append(errs, fmt.Errorf("%q is not a valid field selector operator", r.Operator))
			continue
		}
		reqs = append(reqs, fields.Requirement{Field: r.Key, Operator: op, Value: r.Values[0]})
	}
	return reqs, utilerrors.NewAggregate(errs)
}

package rbac

import (
	"context"
	"fmt"

	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/labels"
	utilerrors "k8s.io/apimachinery/pkg/util/errors"
	"k8s.io/apiserver/pkg/authentication/user"
	"k8s.io/apiserver/pkg/authorization/authorizer"
	rbacinformers "k8s.io/client-go/informers/rbac/v1"
	rbaclisters "k8s.io/client-go/listers/rbac/v1"
	"k8s.io/klog/v2"
)

// Authorizer authorizes requests by RBAC rules; it is also the rule
// resolver SelfSubjectRulesReview (`kubectl auth can-i --list`) answers
// with.
type Authorizer struct {
	resolver *Resolver
}

var (
	_ authorizer.Authorizer   = &Authorizer{}
	_ authorizer.RuleResolver = &Authorizer{}
)

// New returns an authorizer over the rules source holds.
func New(source Source) *Authorizer { return &Authorizer{resolver: NewResolver(source)} }

// NewFromInformers returns an authorizer reading the shared informers'
// caches. It registers the four informers with their factory, so it must be
// called before the factory starts.
func NewFromInformers(i rbacinformers.Interface) *Authorizer {
	return New(NewListerSource(i.Roles().Lister(), i.RoleBindings().Lister(), i.ClusterRoles().Lister(), i.ClusterRoleBindings().Lister()))
}

// Authorize allows the request if a rule granted to its user allows it.
// Otherwise it has no opinion, with no reason unless a binding could not be
// resolved (its role missing, say): the API server's 403 message then says
// only what was refused.
func (a *Authorizer) Authorize(ctx context.Context, attrs authorizer.Attributes) (authorizer.Decision, string, error) {
	var (
		allowedBy fmt.Stringer
		errs      []error
	)
	a.resolver.VisitRulesFor(ctx, attrs.GetUser(), attrs.GetNamespace(), func(source fmt.Stringer, rule *rbacv1.PolicyRule, err error) bool {
		if rule != nil && RuleAllows(attrs, rule) {
			allowedBy = source
			return false
		}
		if err != nil {
			errs = append(errs, err)
		}
		return true
	})
	if allowedBy != nil {
		return authorizer.DecisionAllow, "RBAC: allowed by " + allowedBy.String(), nil
	}
	if logger := klog.FromContext(ctx).V(5); logger.Enabled() {
		logger.Info("RBAC: no rules authorize the request", "user", attrs.GetUser().GetName(), "groups", attrs.GetUser().GetGroups(),
			"verb", attrs.GetVerb(), "resource", attrs.GetResource(), "subresource", attrs.GetSubresource(), "apiGroup", attrs.GetAPIGroup(),
			"name", attrs.GetName(), "namespace", attrs.GetNamespace(), "path", attrs.GetPath())
	}
	if len(errs) > 0 {
		return authorizer.DecisionNoOpinion, fmt.Sprintf("RBAC: %v", utilerrors.NewAggregate(errs)), nil
	}
	return authorizer.DecisionNoOpinion, "", nil
}

// ConditionsAwareAuthorize: RBAC decisions carry no conditions.
func (a *Authorizer) ConditionsAwareAuthorize(ctx context.Context, attrs authorizer.Attributes) authorizer.ConditionsAwareDecision {
	return authorizer.ConditionsAwareDecisionFromParts(a.Authorize(ctx, attrs))
}

// EvaluateConditions is never needed: no RBAC decision is conditional.
func (a *Authorizer) EvaluateConditions(context.Context, authorizer.ConditionsAwareDecision, authorizer.ConditionsData) (authorizer.Decision, string, error) {
	return authorizer.DecisionDeny, "", authorizer.ErrorConditionEvaluationNotSupported
}

// RulesFor lists the rules that apply to u in namespace, resource and
// non-resource rules apart, as SelfSubjectRulesReview reports them. The list
// is never marked incomplete: RBAC knows every rule it would allow by.
func (a *Authorizer) RulesFor(ctx context.Context, u user.Info, namespace string) ([]authorizer.ResourceRuleInfo, []authorizer.NonResourceRuleInfo, bool, error) {
	rules, err := a.resolver.RulesFor(ctx, u, namespace)
	var resourceRules []authorizer.ResourceRuleInfo
	var nonResourceRules []authorizer.NonResourceRuleInfo
	for _, r := range rules {
		if len(r.Resources) > 0 {
			resourceRules = append(resourceRules, &authorizer.DefaultResourceRuleInfo{
				Verbs: r.Verbs, APIGroups: r.APIGroups, Resources: r.Resources, ResourceNames: r.ResourceNames,
			})
		}
		if len(r.NonResourceURLs) > 0 {
			nonResourceRules = append(nonResourceRules, &authorizer.DefaultNonResourceRuleInfo{
				Verbs: r.Verbs, NonResourceURLs: r.NonResourceURLs,
			})
		}
	}
	return resourceRules, nonResourceRules, false, err
}

// Resolver returns the authorizer's rule resolver.
func (a *Authorizer) Resolver() *Resolver { return a.resolver }

// ListerSource reads roles and bindings from listers.
type ListerSource struct {
	roles               rbaclisters.RoleLister
	roleBindings        rbaclisters.RoleBindingLister
	clusterRoles        rbaclisters.ClusterRoleLister
	clusterRoleBindings rbaclisters.ClusterRoleBindingLister
}

var _ Source = &ListerSource{}

// NewListerSource returns a source over the four listers.
func NewListerSource(roles rbaclisters.RoleLister, roleBindings rbaclisters.RoleBindingLister, clusterRoles rbaclisters.ClusterRoleLister, clusterRoleBindings rbaclisters.ClusterRoleBindingLister) *ListerSource {
	return &ListerSource{roles: roles, roleBindings: roleBindings, clusterRoles: clusterRoles, clusterRoleBindings: clusterRoleBindings}
}

func (s *ListerSource) GetRole(_ context.Context, namespace, name string) (*rbacv1.Role, error) {
	return s.roles.Roles(namespace).Get(name)
}

func (s *ListerSource) ListRoleBindings(_ context.Context, namespace string) ([]*rbacv1.RoleBinding, error) {
	return s.roleBindings.RoleBindings(namespace).List(labels.Everything())
}

func (s *ListerSource) GetClusterRole(_ context.Context, name string) (*rbacv1.ClusterRole, error) {
	return s.clusterRoles.Get(name)
}

func (s *ListerSource) ListClusterRoleBindings(context.Context) ([]*rbacv1.ClusterRoleBinding, error) {
	return s.clusterRoleBindings.List(labels.Everything())
}

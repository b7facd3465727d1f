package rbac

import (
	"context"
	"errors"
	"fmt"

	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metainternalversion "k8s.io/apimachinery/pkg/apis/meta/internalversion"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apiserver/pkg/authorization/authorizer"
	genericapirequest "k8s.io/apiserver/pkg/endpoints/request"
	"k8s.io/apiserver/pkg/registry/generic"
	"k8s.io/apiserver/pkg/registry/rest"

	rbacauthorizer "github.com/kubeshim/kubeshim/registry/authorization/rbac"
	"github.com/kubeshim/kubeshim/registry/rbac/clusterrole"
	"github.com/kubeshim/kubeshim/registry/rbac/clusterrolebinding"
	"github.com/kubeshim/kubeshim/registry/rbac/role"
	"github.com/kubeshim/kubeshim/registry/rbac/rolebinding"
	"github.com/kubeshim/kubeshim/registry/resource"
)

// NewStorage builds the four stores, guarded by authz: the server's
// authorizer, asked whether the user may "escalate" or "bind".
func NewStorage(optsGetter generic.RESTOptionsGetter, authz authorizer.Authorizer) (map[string]rest.Storage, error) {
	stores := map[string]*resource.Storage{}
	for _, def := range []resource.Definition{role.Definition(), rolebinding.Definition(), clusterrole.Definition(), clusterrolebinding.Definition()} {
		s, err := resource.New(def, rbacv1.SchemeGroupVersion.String(), optsGetter)
		if err != nil {
			return nil, err
		}
		stores[def.Resource.Resource] = s
	}
	g := &guard{
		authz: authz,
		resolver: rbacauthorizer.NewResolver(&storeSource{
			roles: stores["roles"].Store, roleBindings: stores["rolebindings"].Store,
			clusterRoles: stores["clusterroles"].Store, clusterRoleBindings: stores["clusterrolebindings"].Store,
		}),
	}
	out := map[string]rest.Storage{}
	for name, s := range stores {
		var check func(ctx context.Context, obj, old runtime.Object) error
		switch name {
		case "roles":
			check = func(ctx context.Context, obj, _ runtime.Object) error {
				r := obj.(*rbacv1.Role)
				return g.checkRole(ctx, rbacv1.Resource("roles"), r.Name, r.Rules, false)
			}
		case "clusterroles":
			check = func(ctx context.Context, obj, old runtime.Object) error {
				r := obj.(*rbacv1.ClusterRole)
				// Setting, changing or removing an aggregation rule all
				// need every permission: removing one stops the roles it
				// gathered from being tightened.
				aggregates := hasAggregationRule(r)
				if o, ok := old.(*rbacv1.ClusterRole); ok && hasAggregationRule(o) {
					aggregates = true
				}
				return g.checkRole(ctx, rbacv1.Resource("clusterroles"), r.Name, r.Rules, aggregates)
			}
		case "rolebindings":
			check = func(ctx context.Context, obj, _ runtime.Object) error {
				b := obj.(*rbacv1.RoleBinding)
				namespace, ok := genericapirequest.NamespaceFrom(ctx)
				if !ok || namespace == "" {
					return apierrors.NewBadRequest("namespace is required")
				}
				return g.checkBinding(ctx, rbacv1.Resource("rolebindings"), b.Name, b.RoleRef, namespace)
			}
		case "clusterrolebindings":
			check = func(ctx context.Context, obj, _ runtime.Object) error {
				b := obj.(*rbacv1.ClusterRoleBinding)
				return g.checkBinding(ctx, rbacv1.Resource("clusterrolebindings"), b.Name, b.RoleRef, "")
			}
		}
		for path, st := range s.Map() {
			if path == name {
				st = &guarded{REST: s.Store, check: check}
			}
			out[path] = st
		}
	}
	return out, nil
}

// guard holds what the checks need.
type guard struct {
	authz    authorizer.Authorizer
	resolver *rbacauthorizer.Resolver
}

// everything is cluster-admin's rules: what an aggregation rule needs.
var everything = []rbacv1.PolicyRule{
	{Verbs: []string{"*"}, APIGroups: []string{"*"}, Resources: []string{"*"}},
	{Verbs: []string{"*"}, NonResourceURLs: []string{"*"}},
}

func (g *guard) checkRole(ctx context.Context, gr schema.GroupResource, name string, rules []rbacv1.PolicyRule, aggregates bool) error {
	if rbacauthorizer.EscalationAllowed(ctx) || rbacauthorizer.RoleEscalationAuthorized(ctx, g.authz) {
		return nil
	}
	if err := rbacauthorizer.ConfirmNoEscalation(ctx, g.resolver, rules); err != nil {
		return apierrors.NewForbidden(gr, name, err)
	}
	if aggregates {
		if err := rbacauthorizer.ConfirmNoEscalation(ctx, g.resolver, everything); err != nil {
			return apierrors.NewForbidden(gr, name, errors.New("must have cluster-admin privileges to use the aggregationRule"))
		}
	}
	return nil
}

func (g *guard) checkBinding(ctx context.Context, gr schema.GroupResource, name string, ref rbacv1.RoleRef, namespace string) error {
	if rbacauthorizer.EscalationAllowed(ctx) || rbacauthorizer.BindingAuthorized(ctx, ref, namespace, g.authz) {
		return nil
	}
	// A role that cannot be read is the error itself (a 404 for a
	// missing role), as upstream's.
	rules, err := g.resolver.RoleRefRules(ctx, ref, namespace)
	if err != nil {
		return err
	}
	if err := rbacauthorizer.ConfirmNoEscalation(ctx, g.resolver, rules); err != nil {
		return apierrors.NewForbidden(gr, name, err)
	}
	return nil
}

func hasAggregationRule(r *rbacv1.ClusterRole) bool {
	return r.AggregationRule != nil && len(r.AggregationRule.ClusterRoleSelectors) > 0
}

// guarded is a store whose creates and updates pass check first.
type guarded struct {
	*resource.REST
	// check returns an error to refuse obj; old is nil on create.
	check func(ctx context.Context, obj, old runtime.Object) error
}

// Create checks before the store's own validation, as upstream's: an
// escalation is refused whatever else is wrong with the object.
func (g *guarded) Create(ctx context.Context, obj runtime.Object, createValidation rest.ValidateObjectFunc, options *metav1.CreateOptions) (runtime.Object, error) {
	if err := g.check(ctx, obj, nil); err != nil {
		return nil, err
	}
	return g.REST.Create(ctx, obj, createValidation, options)
}

// Update checks the object the update would store (after a patch or an
// apply is applied), unless only the garbage collector's fields change.
func (g *guarded) Update(ctx context.Context, name string, objInfo rest.UpdatedObjectInfo, createValidation rest.ValidateObjectFunc, updateValidation rest.ValidateObjectUpdateFunc, forceAllowCreate bool, options *metav1.UpdateOptions) (runtime.Object, bool, error) {
	checked := rest.WrapUpdatedObjectInfo(objInfo, func(ctx context.Context, obj, old runtime.Object) (runtime.Object, error) {
		if onlyGCFieldsChange(obj, old) {
			return obj, nil
		}
		if err := g.check(ctx, obj, old); err != nil {
			return nil, err
		}
		return obj, nil
	})
	return g.REST.Update(ctx, name, checked, createValidation, updateValidation, forceAllowCreate, options)
}

// onlyGCFieldsChange reports whether obj differs from old in owner
// references, finalizers or managed fields only.
func onlyGCFieldsChange(obj, old runtime.Object) bool {
	if old == nil {
		return false
	}
	oldMeta, err := meta.Accessor(old)
	if err != nil || oldMeta.GetResourceVersion() == "" {
		// An object created by a PUT has no stored version to compare.
		return false
	}
	copied := obj.DeepCopyObject()
	m, err := meta.Accessor(copied)
	if err != nil {
		return false
	}
	m.SetOwnerReferences(oldMeta.GetOwnerReferences())
	m.SetFinalizers(oldMeta.GetFinalizers())
	m.SetSelfLink(oldMeta.GetSelfLink())
	m.SetManagedFields(oldMeta.GetManagedFields())
	return equality.Semantic.DeepEqual(copied, old)
}

// storeSource reads roles and bindings from the stores.
type storeSource struct {
	roles, roleBindings, clusterRoles, clusterRoleBindings *resource.REST
}

func (s *storeSource) GetRole(ctx context.Context, namespace, name string) (*rbacv1.Role, error) {
	obj, err := s.roles.Get(genericapirequest.WithNamespace(ctx, namespace), name, &metav1.GetOptions{})
	if err != nil {
		return nil, err
	}
	return typed[*rbacv1.Role](obj)
}

func (s *storeSource) ListRoleBindings(ctx context.Context, namespace string) ([]*rbacv1.RoleBinding, error) {
	obj, err := s.roleBindings.List(genericapirequest.WithNamespace(ctx, namespace), &metainternalversion.ListOptions{})
	if err != nil {
		return nil, err
	}
	list, err := typed[*rbacv1.RoleBindingList](obj)
	if err != nil {
		return nil, err
	}
	out := make([]*rbacv1.RoleBinding, len(list.Items))
	for i := range list.Items {
		out[i] = &list.Items[i]
	}
	return out, nil
}

func (s *storeSource) GetClusterRole(ctx context.Context, name string) (*rbacv1.ClusterRole, error) {
	obj, err := s.clusterRoles.Get(genericapirequest.WithNamespace(ctx, ""), name, &metav1.GetOptions{})
	if err != nil {
		return nil, err
	}
	return typed[*rbacv1.ClusterRole](obj)
}

func (s *storeSource) ListClusterRoleBindings(ctx context.Context) ([]*rbacv1.ClusterRoleBinding, error) {
	obj, err := s.clusterRoleBindings.List(genericapirequest.WithNamespace(ctx, ""), &metainternalversion.ListOptions{})
	if err != nil {
		return nil, err
	}
	list, err := typed[*rbacv1.ClusterRoleBindingList](obj)
	if err != nil {
		return nil, err
	}
	out := make([]*rbacv1.ClusterRoleBinding, len(list.Items))
	for i := range list.Items {
		out[i] = &list.Items[i]
	}
	return out, nil
}

func typed[T runtime.Object](obj runtime.Object) (T, error) {
	t, ok := obj.(T)
	if !ok {
		var zero T
		return zero, fmt.Errorf("storage returned %T, want %T", obj, zero)
	}
	return t, nil
}

package apiserver

import (
	"fmt"
	"slices"
	"strings"

	"k8s.io/apiserver/pkg/authentication/user"
	"k8s.io/apiserver/pkg/authorization/authorizer"
	"k8s.io/apiserver/pkg/authorization/authorizerfactory"
	"k8s.io/apiserver/pkg/authorization/union"
	genericapiserver "k8s.io/apiserver/pkg/server"
	"k8s.io/client-go/informers"

	nodeauthorizer "github.com/kubeshim/kubeshim/registry/authorization/node"
	rbacauthorizer "github.com/kubeshim/kubeshim/registry/authorization/rbac"
	"github.com/kubeshim/kubeshim/registry/rbac/bootstrappolicy"
)

// Authorization modes of --authorization-mode, kube-apiserver's names.
const (
	ModeAlwaysAllow = "AlwaysAllow"
	ModeRBAC        = "RBAC"
	ModeNode        = "Node"
)

// authorizationModes are the modes kubeshim has.
var authorizationModes = []string{ModeAlwaysAllow, ModeNode, ModeRBAC}

// validateAuthorization checks --authorization-mode as kube-apiserver does.
func (o *Options) validateAuthorization() []error {
	var errs []error
	if len(o.AuthorizationModes) == 0 {
		errs = append(errs, fmt.Errorf("at least one authorization-mode must be passed"))
	}
	seen := map[string]bool{}
	for _, mode := range o.AuthorizationModes {
		if !slices.Contains(authorizationModes, mode) {
			errs = append(errs, fmt.Errorf("authorization-mode %q is not a valid mode (valid: %s)", mode, strings.Join(authorizationModes, ", ")))
		}
		if seen[mode] {
			errs = append(errs, fmt.Errorf("authorization-mode %q has mode specified more than once", o.AuthorizationModes))
		}
		seen[mode] = true
	}
	return errs
}

// authorization builds the authorizer kube-apiserver builds: members of
// system:masters are allowed everything first, then each mode in the
// order given decides, the first to allow or deny winning; a request no
// mode allows is forbidden. The rule resolver behind
// SelfSubjectRulesReview unions the modes' rules the same way.
//
// RBAC reads the shared informers: authorization registers them with
// factory, so it must run before the factory starts.
func (c *Config) authorization(generic *genericapiserver.Config, factory informers.SharedInformerFactory) error {
	authorizers := []union.NamedAuthorizer{{
		// kube-apiserver's name, which its audit annotations carry.
		AuthorizerName: "kubernetes.io/system-privileged-group",
		Authorizer:     authorizerfactory.NewPrivilegedGroups(user.SystemPrivilegedGroup),
	}}
	var resolvers []authorizer.RuleResolver
	for _, mode := range c.Options.AuthorizationModes {
		var a interface {
			authorizer.Authorizer
			authorizer.RuleResolver
		}
		switch mode {
		case ModeAlwaysAllow:
			a = authorizerfactory.NewAlwaysAllowAuthorizer()
		case ModeRBAC:
			a = rbacauthorizer.NewFromInformers(factory.Rbac().V1())
		case ModeNode:
			na, err := nodeauthorizer.New(factory, bootstrappolicy.NodeRules())
			if err != nil {
				return err
			}
			a = na
		default:
			return fmt.Errorf("authorization-mode %q is not a valid mode", mode)
		}
		authorizers = append(authorizers, union.NamedAuthorizer{AuthorizerName: strings.ToLower(mode), Authorizer: a})
		resolvers = append(resolvers, a)
	}
	authz, err := union.New(authorizers...)
	if err != nil {
		return fmt.Errorf("authorizer: %w", err)
	}
	generic.Authorization.Authorizer = authz
	generic.RuleResolver = union.NewRuleResolvers(resolvers...)
	return nil
}

package apiserver

import (
	"fmt"
	"net/url"

	authenticationv1 "k8s.io/api/authentication/v1"
	authorizationv1 "k8s.io/api/authorization/v1"
	"k8s.io/apiserver/pkg/authentication/group"
	"k8s.io/apiserver/pkg/authentication/user"
	"k8s.io/apiserver/pkg/registry/rest"
	genericapiserver "k8s.io/apiserver/pkg/server"
	"k8s.io/klog/v2"
	"k8s.io/utils/clock"

	"github.com/kubeshim/kubeshim/apis/scheme"
	"github.com/kubeshim/kubeshim/registry/authentication/selfsubjectreview"
	"github.com/kubeshim/kubeshim/registry/authentication/tokenreview"
	"github.com/kubeshim/kubeshim/registry/authorization/localsubjectaccessreview"
	"github.com/kubeshim/kubeshim/registry/authorization/selfsubjectaccessreview"
	"github.com/kubeshim/kubeshim/registry/authorization/selfsubjectrulesreview"
	"github.com/kubeshim/kubeshim/registry/authorization/subjectaccessreview"
	"github.com/kubeshim/kubeshim/registry/serviceaccount/token"
)

// installReviewGroups installs authentication.k8s.io and
// authorization.k8s.io, whose kinds are not stored: each create is answered;
// and the service account issuer's discovery documents.
//
// It reads the authorizer and rule resolver after c.Generic was completed,
// as kube-apiserver does: they are the ones the handler chain checks requests
// with, so `kubectl auth can-i` agrees with what the server then does.
func installReviewGroups(s *genericapiserver.GenericAPIServer, c *Config) error {
	authn := genericapiserver.NewDefaultAPIGroupInfo(authenticationv1.GroupName, scheme.Scheme, scheme.ParameterCodec, scheme.Codecs)
	authn.VersionedResourcesStorageMap[authenticationv1.SchemeGroupVersion.Version] = map[string]rest.Storage{
		// The server's token authenticators, not its request
		// authenticator, which would answer an unknown token as
		// system:anonymous; with system:authenticated added, as a request
		// authenticated by the token would be.
		"tokenreviews":       tokenreview.NewStorage(group.NewTokenGroupAdder(c.Tokens, []string{user.AllAuthenticated}), c.Generic.Authentication.APIAudiences),
		"selfsubjectreviews": selfsubjectreview.NewStorage(clock.RealClock{}),
	}
	infos := []*genericapiserver.APIGroupInfo{&authn}

	// Without an authorizer there is nothing to review, and upstream serves
	// no authorization.k8s.io.
	if authz := c.Generic.Authorization.Authorizer; authz != nil {
		info := genericapiserver.NewDefaultAPIGroupInfo(authorizationv1.GroupName, scheme.Scheme, scheme.ParameterCodec, scheme.Codecs)
		storage := map[string]rest.Storage{
			"subjectaccessreviews":      subjectaccessreview.NewStorage(authz),
			"selfsubjectaccessreviews":  selfsubjectaccessreview.NewStorage(authz),
			"localsubjectaccessreviews": localsubjectaccessreview.NewStorage(authz),
		}
		if rules := c.Generic.RuleResolver; rules != nil {
			storage["selfsubjectrulesreviews"] = selfsubjectrulesreview.NewStorage(rules)
		}
		info.VersionedResourcesStorageMap[authorizationv1.SchemeGroupVersion.Version] = storage
		infos = append(infos, &info)
	}
	if err := s.InstallAPIGroups(infos...); err != nil {
		return fmt.Errorf("install review API groups: %w", err)
	}
	installIssuerDiscovery(s, c)
	return nil
}

// installIssuerDiscovery serves the service account issuer's OpenID
// discovery document and keys, as kube-apiserver does beside its
// authentication API. Also as kube-apiserver, an issuer that is not an https
// URL has none, and the server runs without them.
func installIssuerDiscovery(s *genericapiserver.GenericAPIServer, c *Config) {
	jwks := (&url.URL{Scheme: "https", Host: c.Generic.ExternalAddress, Path: token.JWKSPath}).String()
	d, err := token.NewDiscovery(c.TokenIssuer.Name(), jwks, []token.PublicKey{c.TokenIssuer.PublicKey()})
	if err != nil {
		klog.Background().Info("Not serving service account issuer discovery", "err", err)
		return
	}
	d.Install(s.Handler.GoRestfulContainer)
}

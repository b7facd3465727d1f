package token

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"

	restful "github.com/emicklei/go-restful/v3"
	jose "gopkg.in/go-jose/go-jose.v2"
	"k8s.io/klog/v2"
)

// The paths upstream serves the issuer's discovery documents at.
const (
	OpenIDConfigPath = "/.well-known/openid-configuration"
	JWKSPath         = "/openid/v1/jwks"
)

// maxAge is how long clients may cache the documents: the keys are static.
const maxAge = 3600

// Discovery serves the OpenID Connect discovery document of a service
// account issuer and its JSON Web Key Set, as upstream does, so that a
// relying party outside the cluster can verify the issuer's tokens.
type Discovery struct {
	config, keys []byte
}

// NewDiscovery renders the documents of issuer, whose keys are at jwksURI.
// As upstream, it refuses an issuer or JWKS URI that the OpenID Connect
// discovery spec does not allow: not https, or with a query or fragment.
func NewDiscovery(issuer, jwksURI string, keys []PublicKey) (*Discovery, error) {
	iss, err := url.Parse(issuer)
	if err != nil {
		return nil, fmt.Errorf("issuer URL: %w", err)
	}
	if iss.Scheme != "https" || iss.RawQuery != "" || iss.Fragment != "" {
		return nil, fmt.Errorf("issuer %q is not an https URL without query and fragment", issuer)
	}
	if u, err := url.Parse(jwksURI); err != nil || u.Scheme != "https" {
		return nil, fmt.Errorf("JWKS URI %q is not an https URL", jwksURI)
	}
	if len(keys) == 0 {
		return nil, errors.New("no keys to publish")
	}
	var set jose.JSONWebKeySet
	var algs []string
	for _, k := range keys {
		jwk := jose.JSONWebKey{Algorithm: string(k.Algorithm), Key: k.Key, KeyID: k.ID, Use: "sig"}
		if !jwk.Valid() || !jwk.IsPublic() {
			return nil, fmt.Errorf("key %s is not a valid public key", k.ID)
		}
		set.Keys = append(set.Keys, jwk)
		algs = append(algs, string(k.Algorithm))
	}
	slices.Sort(algs)
	config, err := json.Marshal(struct {
		Issuer        string   `json:"issuer"`
		JWKSURI       string   `json:"jwks_uri"`
		ResponseTypes []string `json:"response_types_supported"`
		SubjectTypes  []string `json:"subject_types_supported"`
		SigningAlgs   []string `json:"id_token_signing_alg_values_supported"`
	}{
		Issuer:  issuer,
		JWKSURI: jwksURI,
		// Kubernetes issues ID tokens only, with public subjects.
		ResponseTypes: []string{"id_token"},
		SubjectTypes:  []string{"public"},
		SigningAlgs:   slices.Compact(algs),
	})
	if err != nil {
		return nil, fmt.Errorf("render OpenID configuration: %w", err)
	}
	keySet, err := json.Marshal(set)
	if err != nil {
		return nil, fmt.Errorf("render JWKS: %w", err)
	}
	return &Discovery{config: config, keys: keySet}, nil
}

// Install adds the two documents to c, as upstream's routes: their
// operations appear in the server's OpenAPI.
func (d *Discovery) Install(c *restful.Container) {
	// One web service per root path: go-restful refuses two with the same.
	cfg := new(restful.WebService).Produces(restful.MIME_JSON)
	cfg.Path(OpenIDConfigPath).Route(cfg.GET("").
		To(serve(d.config, restful.MIME_JSON)).
		Doc("get service account issuer OpenID configuration, also known as the 'OIDC discovery doc'").
		Operation("getServiceAccountIssuerOpenIDConfiguration").
		Returns(http.StatusOK, "OK", ""))
	c.Add(cfg)

	const mimeJWKS = "application/jwk-set+json"
	jwks := new(restful.WebService).Produces(mimeJWKS)
	jwks.Path(JWKSPath).Route(jwks.GET("").
		To(serve(d.keys, mimeJWKS)).
		Doc("get service account issuer OpenID JSON Web Key Set (contains public token verification keys)").
		Operation("getServiceAccountIssuerOpenIDKeyset").
		Returns(http.StatusOK, "OK", ""))
	c.Add(jwks)
}

func serve(body []byte, contentType string) restful.RouteFunction {
	return func(req *restful.Request, resp *restful.Response) {
		h := resp.Header()
		h.Set("Content-Type", contentType)
		// Overrides the server's "private, no-cache": the documents are
		// public and static.
		h.Set("Cache-Control", fmt.Sprintf("public, max-age=%d", maxAge))
		if _, err := resp.Write(body); err != nil {
			klog.FromContext(req.Request.Context()).V(4).Info("Could not write service account issuer discovery response", "err", err)
		}
	}
}

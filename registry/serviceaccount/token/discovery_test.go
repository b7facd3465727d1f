package token

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	restful "github.com/emicklei/go-restful/v3"
	"github.com/google/go-cmp/cmp"
)

func TestDiscovery(t *testing.T) {
	i := newTestIssuer(t, testIssuer)
	key := i.PublicKey()
	const jwksURI = "https://10.0.0.1:6443/openid/v1/jwks"
	d, err := NewDiscovery(testIssuer, jwksURI, []PublicKey{key})
	if err != nil {
		t.Fatalf("NewDiscovery() error = %v", err)
	}
	c := restful.NewContainer()
	d.Install(c)

	type response struct {
		ContentType, CacheControl string
		Body                      map[string]any
	}
	get := func(path string) response {
		rec := httptest.NewRecorder()
		c.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
		if rec.Code != http.StatusOK {
			t.Fatalf("GET %s: %d", path, rec.Code)
		}
		body, _ := io.ReadAll(rec.Body)
		var m map[string]any
		if err := json.Unmarshal(body, &m); err != nil {
			t.Fatalf("GET %s: %v", path, err)
		}
		return response{rec.Header().Get("Content-Type"), rec.Header().Get("Cache-Control"), m}
	}

	wantConfig := response{
		ContentType: "application/json", CacheControl: "public, max-age=3600",
		Body: map[string]any{
			"issuer": testIssuer, "jwks_uri": jwksURI,
			"response_types_supported":              []any{"id_token"},
			"subject_types_supported":               []any{"public"},
			"id_token_signing_alg_values_supported": []any{"ES256"},
		},
	}
	if diff := cmp.Diff(wantConfig, get(OpenIDConfigPath)); diff != "" {
		t.Errorf("OpenID configuration (-want +got):\n%s", diff)
	}

	keys := get(JWKSPath)
	if keys.ContentType != "application/jwk-set+json" || keys.CacheControl != "public, max-age=3600" {
		t.Errorf("JWKS headers = %q, %q", keys.ContentType, keys.CacheControl)
	}
	set, _ := keys.Body["keys"].([]any)
	if len(set) != 1 {
		t.Fatalf("JWKS keys = %v, want one", keys.Body)
	}
	jwk := set[0].(map[string]any)
	for _, f := range []string{"x", "y"} {
		if jwk[f] == nil {
			t.Errorf("JWK has no %q: %v", f, jwk)
		}
		delete(jwk, f)
	}
	if diff := cmp.Diff(map[string]any{"use": "sig", "kty": "EC", "kid": key.ID, "crv": "P-256", "alg": "ES256"}, jwk); diff != "" {
		t.Errorf("JWK (-want +got):\n%s", diff)
	}
	if jwk["d"] != nil {
		t.Error("JWK has the private key")
	}
}

func TestNewDiscoveryRefuses(t *testing.T) {
	key := newTestIssuer(t, testIssuer).PublicKey()
	for _, tc := range []struct{ name, issuer, jwks string }{
		{name: "http issuer", issuer: "http://issuer", jwks: "https://a/openid/v1/jwks"},
		{name: "not a URL", issuer: "kubernetes/serviceaccount", jwks: "https://a/openid/v1/jwks"},
		{name: "query", issuer: "https://issuer?a=b", jwks: "https://a/openid/v1/jwks"},
		{name: "fragment", issuer: "https://issuer#a", jwks: "https://a/openid/v1/jwks"},
		{name: "http JWKS", issuer: "https://issuer", jwks: "http://a/openid/v1/jwks"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := NewDiscovery(tc.issuer, tc.jwks, []PublicKey{key}); err == nil {
				t.Error("NewDiscovery() succeeded, want an error")
			}
		})
	}
}

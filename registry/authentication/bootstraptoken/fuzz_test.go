package bootstraptoken

import (
	"context"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	testclock "k8s.io/utils/clock/testing"
)

// FuzzAuthenticateToken checks that only the one stored token, byte for
// byte, authenticates, that no input is an error (every miss is "not
// mine") and that no input panics. Beside the genuine token, the store
// holds Secrets that must never authenticate: expired, not for
// authentication, of another type.
//
//	go test ./registry/authentication/bootstraptoken -run '^$' -fuzz FuzzAuthenticateToken -fuzztime 60s
func FuzzAuthenticateToken(f *testing.F) {
	rename := func(newID string) func(*corev1.Secret) {
		return func(s *corev1.Secret) { s.Name = "bootstrap-token-" + newID; s.Data["token-id"] = []byte(newID) }
	}
	secrets := []*corev1.Secret{
		tokenSecret(),
		tokenSecret(rename("expird"), data("expiration", now.Add(-time.Second).Format(time.RFC3339))),
		tokenSecret(rename("signer"), without("usage-bootstrap-authentication"), data("usage-bootstrap-signing", "true")),
		tokenSecret(rename("opaque"), func(s *corev1.Secret) { s.Type = corev1.SecretTypeOpaque }),
		tokenSecret(rename("badgrp"), data("auth-extra-groups", "system:masters")),
	}
	indexer := lister(f, secrets...)
	a := New(indexer)
	a.clock = testclock.NewFakePassiveClock(now)
	for _, s := range secrets {
		t := string(s.Data["token-id"]) + "." + secret
		for _, seed := range []string{t, t + "\n", " " + t, strings.ToUpper(t), strings.Replace(t, ".", "..", 1), t[:len(t)-1], t + "0", strings.Replace(t, ".", "", 1)} {
			f.Add(seed)
		}
	}
	f.Add("")
	f.Add(".")
	f.Add(id + ".")
	f.Add("eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln")
	f.Fuzz(func(t *testing.T, raw string) {
		resp, ok, err := a.AuthenticateToken(context.Background(), raw)
		if err != nil {
			t.Fatalf("AuthenticateToken(%q) error %v, want none", raw, err)
		}
		if raw == token {
			if !ok || resp.User.GetName() != "system:bootstrap:"+id {
				t.Fatalf("genuine token not authenticated: %v %v", ok, resp)
			}
			return
		}
		if ok || resp != nil {
			t.Fatalf("AuthenticateToken(%q) authenticated %v", raw, resp.User)
		}
	})
}

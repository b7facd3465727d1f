package token

import (
	"context"
	"strings"
	"testing"
	"time"

	"k8s.io/apiserver/pkg/authentication/authenticator"
	testingclock "k8s.io/utils/clock/testing"
)

// FuzzAuthenticate checks that nothing but a token the issuer signed, byte
// for byte, authenticates (bound tokens and a secret-based one), and that
// no input panics.
//
//	go test ./registry/serviceaccount/token -run '^$' -fuzz FuzzAuthenticate -fuzztime 60s
func FuzzAuthenticate(f *testing.F) {
	i := newTestIssuer(f, testIssuer)
	genuine := map[string]bool{}
	for _, r := range []Request{{}, {Pod: testPod, Node: testNode}, {Secret: testSecret}, {Node: testNode}, {Audiences: []string{"vault"}}} {
		genuine[issue(f, i, r)] = true
	}
	// A secret-based token too, held by its Secret.
	legacy, err := i.IssueLegacy(testSA, testSecret)
	if err != nil {
		f.Fatal(err)
	}
	genuine[legacy] = true
	objects := newObjects()
	objects.secrets["web/token"].Data = map[string][]byte{"token": []byte(legacy)}
	a := NewAuthenticator(Config{
		Issuers: []string{testIssuer}, Keys: []PublicKey{i.PublicKey()}, APIAudiences: apiAuds,
		Objects: objects, Legacy: true, Clock: testingclock.NewFakePassiveClock(issuedAt.Add(time.Minute)),
	})
	for raw := range genuine {
		dot := strings.LastIndex(raw, ".")
		for _, seed := range []string{
			raw, raw[:dot], raw[:len(raw)-1], raw + "A", raw + "=", " " + raw, raw + "\n",
			strings.Replace(raw, ".", "..", 1), strings.ToUpper(raw), raw[:dot+1] + raw[dot+2:] + "A",
			jsonSerialization(f, raw),
		} {
			f.Add(seed)
		}
	}
	f.Add("")
	f.Add("..")
	f.Add("e30.e30.")
	f.Add(`{"protected":"","payload":"","signature":""}`)
	f.Fuzz(func(t *testing.T, raw string) {
		// Every audience the genuine tokens have, so that only the
		// token itself decides.
		ctx := authenticator.WithAudiences(context.Background(), authenticator.Audiences{testIssuer, "vault"})
		resp, ok, err := a.AuthenticateToken(ctx, raw)
		if genuine[raw] {
			if !ok || err != nil {
				t.Fatalf("genuine token not authenticated: %v", err)
			}
			return
		}
		if ok || resp != nil {
			t.Fatalf("AuthenticateToken(%q) authenticated %v", raw, resp.User)
		}
	})
}

package token

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apiserver/pkg/authentication/authenticator"
	"k8s.io/apiserver/pkg/authentication/user"
	clocktesting "k8s.io/utils/clock/testing"
)

// TestLegacyToken: a secret-based token authenticates while its Secret
// holds it and its account exists with the UID it names, and not once
// either changes, is marked invalid, or when legacy tokens are off.
func TestLegacyToken(t *testing.T) {
	i := newTestIssuer(t, testIssuer)
	other := newTestIssuer(t, testIssuer)
	raw, err := i.IssueLegacy(testSA, testSecret)
	if err != nil {
		t.Fatal(err)
	}
	forged, err := other.IssueLegacy(testSA, testSecret)
	if err != nil {
		t.Fatal(err)
	}
	want := &authenticator.Response{
		User:      &user.DefaultInfo{Name: "system:serviceaccount:web:default", UID: "sa-uid", Groups: []string{"system:serviceaccounts", "system:serviceaccounts:web"}},
		Audiences: apiAuds,
	}
	cases := []struct {
		name    string
		token   string
		legacy  bool
		asked   authenticator.Audiences
		change  func(o *objects)
		want    *authenticator.Response
		wantErr string
	}{
		{name: "valid", token: raw, legacy: true, want: want},
		{name: "legacy tokens off: not this authenticator's", token: raw},
		{name: "signed by another key", token: forged, legacy: true, wantErr: "invalid signature, no keys found"},
		{name: "the Secret holds another token", token: raw, legacy: true, wantErr: "token does not match server's copy",
			change: func(o *objects) { o.secrets["web/token"].Data[corev1.ServiceAccountTokenKey] = []byte("x") }},
		{name: "the Secret is gone", token: raw, legacy: true, wantErr: "service account token has been invalidated",
			change: func(o *objects) { delete(o.secrets, "web/token") }},
		{name: "the Secret is being deleted", token: raw, legacy: true, wantErr: "service account token has been invalidated",
			change: func(o *objects) { now := metav1.Now(); o.secrets["web/token"].DeletionTimestamp = &now }},
		{name: "marked invalid", token: raw, legacy: true,
			wantErr: "the token in secret web/token for service account web/default has been marked invalid. Use tokens from the TokenRequest API or manually created secret-based tokens, or remove the 'kubernetes.io/legacy-token-invalid-since' label from the secret to re-enable it",
			change:  func(o *objects) { o.secrets["web/token"].Labels = map[string]string{InvalidSinceLabel: "2026-01-01"} }},
		{name: "the account was recreated", token: raw, legacy: true, wantErr: "service account UID (other-uid) does not match claim (sa-uid)",
			change: func(o *objects) { o.sas["web/default"].UID = "other-uid" }},
		{name: "for another audience", token: raw, legacy: true, asked: authenticator.Audiences{"vault"},
			wantErr: `token audiences ["` + apiAuds[0] + `"] is invalid for the target audiences ["vault"]`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			o := newObjects()
			o.secrets["web/token"].Data = map[string][]byte{corev1.ServiceAccountTokenKey: []byte(raw)}
			if tc.change != nil {
				tc.change(o)
			}
			a := NewAuthenticator(Config{Issuers: []string{testIssuer}, Keys: []PublicKey{i.PublicKey()}, APIAudiences: apiAuds,
				Objects: o, Legacy: tc.legacy, Clock: clocktesting.NewFakePassiveClock(issuedAt)})
			ctx := context.Background()
			if tc.asked != nil {
				ctx = authenticator.WithAudiences(ctx, tc.asked)
			}
			got, ok, err := a.AuthenticateToken(ctx, tc.token)
			gotErr := ""
			if err != nil {
				gotErr = err.Error()
			}
			if gotErr != tc.wantErr {
				t.Fatalf("error %q, want %q", gotErr, tc.wantErr)
			}
			if ok != (tc.want != nil) {
				t.Fatalf("ok = %v, want %v", ok, tc.want != nil)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("response (-want +got):\n%s", diff)
			}
		})
	}
}

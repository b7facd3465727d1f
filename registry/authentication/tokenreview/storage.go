package tokenreview

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	authenticationv1 "k8s.io/api/authentication/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apiserver/pkg/authentication/authenticator"
	"k8s.io/apiserver/pkg/authentication/request/bearertoken"
	"k8s.io/apiserver/pkg/endpoints/request"
	"k8s.io/klog/v2"

	"github.com/kubeshim/kubeshim/registry/authorization/review"
)

// NewStorage returns the tokenreviews storage. tokens authenticates the
// reviewed tokens, for audiences unless a review names its own; with nil
// tokens no token is authenticated, and a review answers only
// authenticated: false, as upstream's does without an authenticator.
func NewStorage(tokens authenticator.Token, audiences authenticator.Audiences) *review.Storage[*authenticationv1.TokenReview] {
	var authn authenticator.Request
	if tokens != nil {
		authn = bearertoken.New(tokens)
	}
	return review.New(review.Definition[*authenticationv1.TokenReview]{
		Kind:     authenticationv1.SchemeGroupVersion.WithKind("TokenReview").GroupKind(),
		Singular: "tokenreview",
		New:      func() *authenticationv1.TokenReview { return &authenticationv1.TokenReview{} },
		Check:    check,
		Answer: func(ctx context.Context, tr *authenticationv1.TokenReview) (runtime.Object, error) {
			if authn == nil {
				return tr, nil
			}
			if err := authenticate(ctx, authn, audiences, tr); err != nil {
				return nil, err
			}
			return tr, nil
		},
	})
}

func check(ctx context.Context, tr *authenticationv1.TokenReview) error {
	if ns := request.NamespaceValue(ctx); ns != "" {
		return apierrors.NewBadRequest(fmt.Sprintf("namespace is not allowed on this type: %v", ns))
	}
	if tr.Spec.Token == "" {
		return apierrors.NewBadRequest("token is required for TokenReview in authentication")
	}
	return nil
}

var errAudiences = apierrors.NewInternalError(errors.New("error validating audiences"))

// authenticate fills in tr's status. A token the authenticator rejects is
// an answer (authenticated: false, and why), not an error; an authenticator
// that accepts a token for none of the audiences asked about is broken, and
// its answer is not passed on.
func authenticate(ctx context.Context, authn authenticator.Request, apiAudiences authenticator.Audiences, tr *authenticationv1.TokenReview) error {
	auds := authenticator.Audiences(tr.Spec.Audiences)
	if len(auds) == 0 {
		auds = apiAudiences
	}
	if len(auds) > 0 {
		ctx = authenticator.WithAudiences(ctx, auds)
	}
	// A request that carries nothing but the token.
	req := (&http.Request{Header: http.Header{}}).WithContext(ctx)
	req.Header.Set("Authorization", "Bearer "+tr.Spec.Token)

	resp, ok, err := authn.AuthenticateRequest(req)
	tr.Status.Authenticated = ok
	if err != nil {
		tr.Status.Error = err.Error()
	}
	if resp == nil {
		return nil
	}
	if len(auds) > 0 && len(auds.Intersect(resp.Audiences)) == 0 {
		klog.FromContext(ctx).Error(nil, "Token authenticator answered for other audiences", "want", auds, "got", resp.Audiences)
		return errAudiences
	}
	if resp.User != nil {
		tr.Status.User = review.UserInfo(resp.User)
		tr.Status.Audiences = resp.Audiences
	}
	return nil
}

// Package tokenreview serves authentication.k8s.io/v1 TokenReviews: who is
// this bearer token? Webhook token authenticators (kubelet, proxies) ask it.
// The token is checked as if a request had presented it in its
// Authorization header.
package tokenreview

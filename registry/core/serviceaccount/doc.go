// Package serviceaccount stores core/v1 ServiceAccounts (serviceaccounts)
// and serves their token subresource (serviceaccounts/token), which issues
// bound service account tokens: an authentication.k8s.io/v1 TokenRequest
// answered with a signed token for the service account, as `kubectl create
// token` and the kubelet's projected volumes ask for.
package serviceaccount

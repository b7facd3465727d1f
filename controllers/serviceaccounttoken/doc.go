// Package serviceaccounttoken is kube-controller-manager's tokens
// controller ("serviceaccount-token"): it fills Secrets of type
// kubernetes.io/service-account-token that name a service account (the
// kubernetes.io/service-account.name annotation) with a secret-based
// token signed by the service account key, the cluster CA bundle (ca.crt)
// and the namespace, and records the account's UID
// (kubernetes.io/service-account.uid). A token Secret whose account is
// gone, or was recreated with another UID, is deleted, as are an account's
// token Secrets when the account is deleted.
//
// As upstream since 1.24, no Secret is made for an account: users create
// one when they want a long-lived token, and the API server authenticates
// its token while the Secret and the account exist.
package serviceaccounttoken

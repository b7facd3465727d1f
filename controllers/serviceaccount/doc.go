// Package serviceaccount keeps a "default" ServiceAccount in every active
// namespace, as upstream's serviceaccounts controller does: pods name it
// when they name no other, and the service account admission refuses pods
// whose service account does not exist.
package serviceaccount

// Package serviceaccount holds integration tests of bound service account
// tokens: serviceaccounts/token issues them, the API server authenticates
// them (and stops when their service account or pod is gone), TokenReview
// reviews them, and the issuer's discovery documents verify them.
package serviceaccount

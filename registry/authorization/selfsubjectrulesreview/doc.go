// Package selfsubjectrulesreview serves authorization.k8s.io/v1
// SelfSubjectRulesReviews: what may I do in this namespace? (`kubectl auth
// can-i --list`.) The answer is the rule resolver's, and, like upstream's, it
// is a hint for user interfaces, not an authorization decision: an
// authorizer that cannot enumerate its rules says so with incomplete.
package selfsubjectrulesreview

// Package rbac holds integration tests of RBAC authorization against a
// real in-process server: bindings that allow and the 403s upstream gives
// when none does, anonymous requests, ClusterRole aggregation, the
// escalation checks of the rbac.authorization.k8s.io storage, the
// bootstrap policy and its reconciliation on restart, and
// SelfSubjectRulesReview. Users other than the admin are impersonated by
// the admin, or authenticate with client certificates the server's CA
// issues.
package rbac

// Package bootstraptokencleaner deletes expired bootstrap tokens, as
// kube-controller-manager's tokencleaner (upstream's
// pkg/controller/bootstrap/tokencleaner.go).
//
// A bootstrap token is a Secret of type bootstrap.kubernetes.io/token in
// kube-system (see registry/authentication/bootstraptoken). Once the RFC 3339
// time in its "expiration" key has passed, or if that key does not parse,
// the Secret is deleted; until then the controller comes back to it at its
// expiration. A token without an expiration is kept forever.
//
// The deletion has the Secret's UID and resourceVersion as preconditions:
// the controller deletes only the very object it judged, never one that was
// recreated, or given a later expiration, since its cache saw it (the update
// brings that one back to be judged again).
package bootstraptokencleaner

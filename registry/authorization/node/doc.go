// Package node is the Node authorizer, kube-apiserver's
// --authorization-mode=Node: it authorizes the requests of node agents
// (users system:node:<name> in the group system:nodes), and only theirs.
//
// A node may read a Secret, ConfigMap, PersistentVolumeClaim,
// PersistentVolume, ResourceClaim or ServiceAccount only when a pod bound to
// it refers to that object (for a PersistentVolume: through a claim of one of
// its pods), may read its own Node and Lease, and may list and watch pods
// only with the spec.nodeName=<itself> field selector. What it asks of other
// kinds is checked against upstream's node rules (bootstrappolicy.NodeRules).
// Writes that the authorizer cannot judge from the request alone (creating a
// pod, updating a Node, a token for a pod) are left to the NodeRestriction
// admission plugin, as upstream leaves them.
//
// Upstream keeps a graph of the relations, updated by informers; this
// authorizer asks the same informers' caches at request time instead (the
// pods of a node through an index on spec.nodeName), which gives the same
// answers for the relations kubeshim's pods can have. Like upstream's, its
// view lags the store by the informers' delay: a node that reads a Secret
// the instant its pod is bound may be refused once and succeed on retry.
package node

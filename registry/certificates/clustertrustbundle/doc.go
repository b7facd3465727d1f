// Package clustertrustbundle stores certificates.k8s.io/v1
// ClusterTrustBundles (clustertrustbundles): cluster-scoped sets of X.509
// trust anchors, by signer or standalone, which pods mount through projected
// volumes (nodeagent/volumes).
package clustertrustbundle

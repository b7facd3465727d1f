// Package rootca publishes the cluster's root CA bundle as the
// kube-root-ca.crt ConfigMap in every namespace, as upstream's
// root-ca-cert-publisher does, and puts it back when it is changed or
// deleted. Pods mount it to trust the API server.
package rootca

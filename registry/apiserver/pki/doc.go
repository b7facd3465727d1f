// Package pki keeps a cluster's certificate authority and the certificates
// it issues (API server serving certificate, admin client certificate,
// service-account signing key) as PEM files in a directory.
//
// Files that exist and are still good are reused, so a restarted server keeps
// its identity and existing kubeconfigs keep working.
package pki

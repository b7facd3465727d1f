// Package certs makes the keys, certificate requests and certificates that
// tests of the certificates API, its validation and the node agent's
// projected volumes feed to the code under test.
//
// It exists so that those tests, in several packages, share one set of
// helpers instead of each carrying a copy; being imported across packages,
// it cannot live in _test.go files. It is for tests only: every function
// takes a testing.TB and fails the test on error, and no non-test code may
// import it.
//
//	key := certs.NewKey(t)
//	stub := certs.RequestDER(t, key, "")                  // a PodCertificateRequest's stub
//	root := certs.CAPEM(t, "root")                         // a trust anchor for a bundle
//	leaf := certs.SelfSignedPEM(t, key, certs.Cert{CommonName: "pod", NotBefore: now, Lifetime: time.Hour})
package certs

// Package certificatesigningrequest stores certificates.k8s.io/v1
// CertificateSigningRequests. The requester's identity is recorded from the
// request, never from the body; the approval subresource changes only the
// Approved and Denied conditions, the status subresource everything else of
// the status, as upstream.
package certificatesigningrequest

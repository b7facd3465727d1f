package certificates

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"net/mail"
	"strings"
	"time"

	certificatesv1 "k8s.io/api/certificates/v1"
	apiequality "k8s.io/apimachinery/pkg/api/equality"
	apimachineryvalidation "k8s.io/apimachinery/pkg/api/validation"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	metav1validation "k8s.io/apimachinery/pkg/apis/meta/v1/validation"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/kubeshim/kubeshim/apis/core"
)

// Upstream's limits on pod certificate requests.
const (
	MaxStubPKCS10RequestSize          = 10 * 1024
	MaxCertificateChainSize           = 100 * 1024
	MinMaxExpirationSeconds           = 60 * 60
	MaxMaxExpirationSeconds           = 91 * 24 * 60 * 60
	KubernetesMaxMaxExpirationSeconds = 24 * 60 * 60
)

var (
	pcrSpec          = field.NewPath("spec")
	pkcs10ReqPath    = pcrSpec.Child("stubPKCS10Request")
	pcrStatus        = field.NewPath("status")
	certChainPath    = pcrStatus.Child("certificateChain")
	notBeforePath    = pcrStatus.Child("notBefore")
	notAfterPath     = pcrStatus.Child("notAfter")
	beginRefreshPath = pcrStatus.Child("beginRefreshAt")
)

// ValidatePodCertificateRequest checks a new request: who it is for (pod,
// service account, node: names and UIDs), the signer, the longest lifetime
// it accepts, and the key the certificate is to be issued to: a
// self-signed stub PKCS#10 request, whose signature proves the requester
// holds the key.
func ValidatePodCertificateRequest(req *certificatesv1.PodCertificateRequest) field.ErrorList {
	allErrs := core.ValidateObjectMeta(&req.ObjectMeta, apimachineryvalidation.NameIsDNSSubdomain, field.NewPath("metadata"))
	s := req.Spec
	allErrs = append(allErrs, core.ValidateSignerName(pcrSpec.Child("signerName"), s.SignerName)...)
	if s.UnverifiedUserAnnotations != nil {
		p := pcrSpec.Child("unverifiedUserAnnotations")
		for k := range s.UnverifiedUserAnnotations {
			allErrs = append(allErrs, validation.IsDomainPrefixedKey(p, strings.ToLower(k))...)
		}
		if err := apimachineryvalidation.ValidateAnnotationsSize(s.UnverifiedUserAnnotations); err != nil {
			allErrs = append(allErrs, field.TooLong(p, "", apimachineryvalidation.TotalAnnotationSizeLimitB))
		}
	}
	name := func(child, value string) {
		for _, msg := range apimachineryvalidation.NameIsDNSSubdomain(value, false) {
			allErrs = append(allErrs, field.Invalid(pcrSpec.Child(child), value, msg))
		}
	}
	uid := func(child, value string) {
		if value == "" {
			allErrs = append(allErrs, field.Invalid(pcrSpec.Child(child), value, "must not be empty"))
		}
		if len(value) > 128 {
			allErrs = append(allErrs, field.TooLong(pcrSpec.Child(child), value, 128))
		}
	}
	name("podName", s.PodName)
	uid("podUID", string(s.PodUID))
	name("serviceAccountName", s.ServiceAccountName)
	uid("serviceAccountUID", string(s.ServiceAccountUID))
	name("nodeName", string(s.NodeName))
	uid("nodeUID", string(s.NodeUID))

	if s.MaxExpirationSeconds == nil {
		return append(allErrs, field.Required(pcrSpec.Child("maxExpirationSeconds"), "must be set"))
	}
	// Kubernetes' own signers issue for a day at most, others for 91 days.
	maxMax := int32(MaxMaxExpirationSeconds)
	if core.IsKubernetesSignerName(s.SignerName) {
		maxMax = KubernetesMaxMaxExpirationSeconds
	}
	if m := *s.MaxExpirationSeconds; m < MinMaxExpirationSeconds || m > maxMax {
		allErrs = append(allErrs, field.Invalid(pcrSpec.Child("maxExpirationSeconds"), m, fmt.Sprintf("must be in the range [%d, %d]", MinMaxExpirationSeconds, maxMax)))
	}

	// certificates.k8s.io/v1 has no pkixPublicKey and proofOfPossession
	// (v1beta1's deprecated pair): the stub request is the only way, and
	// upstream's message says so for both.
	if len(s.StubPKCS10Request) == 0 {
		return append(allErrs, field.Invalid(pcrSpec, field.OmitValueType{}, "exactly one of (stubPKCS10Request) or (pkixPublicKey, proofOfPossession) must be set"))
	}
	return append(allErrs, validateStubPKCS10Request(s.StubPKCS10Request)...)
}

// validateStubPKCS10Request checks the request's key type and signature; its
// contents are the signer's business, as upstream.
func validateStubPKCS10Request(der []byte) field.ErrorList {
	if len(der) > MaxStubPKCS10RequestSize {
		return field.ErrorList{field.TooLong(pkcs10ReqPath, der, MaxStubPKCS10RequestSize)}
	}
	csr, err := x509.ParseCertificateRequest(der)
	if err != nil {
		return field.ErrorList{field.Invalid(pkcs10ReqPath, field.OmitValueType{}, "must be a valid PKCS#10 CSR")}
	}
	switch pub := csr.PublicKey.(type) {
	case ed25519.PublicKey:
	case *ecdsa.PublicKey:
		if pub.Curve != elliptic.P256() && pub.Curve != elliptic.P384() && pub.Curve != elliptic.P521() {
			return field.ErrorList{field.Invalid(pkcs10ReqPath, "curve "+pub.Curve.Params().Name, "elliptic public keys must use curve P256, P384, or P521")}
		}
	case *rsa.PublicKey:
		if bits := pub.Size() * 8; bits != 3072 && bits != 4096 {
			return field.ErrorList{field.Invalid(pkcs10ReqPath, fmt.Sprintf("%d-bit modulus", bits), "RSA keys must have modulus size 3072 or 4096")}
		}
	default:
		return field.ErrorList{field.Invalid(pkcs10ReqPath, field.OmitValueType{}, "unknown public key type; supported types are Ed25519, ECDSA, and RSA")}
	}
	if err := csr.CheckSignature(); err != nil {
		return field.ErrorList{field.Invalid(pkcs10ReqPath, field.OmitValueType{}, "invalid signature")}
	}
	return nil
}

// ValidatePodCertificateRequestUpdate checks an update of the main
// resource: only metadata may change.
func ValidatePodCertificateRequestUpdate(req, old *certificatesv1.PodCertificateRequest) field.ErrorList {
	allErrs := core.ValidateObjectMetaUpdate(&req.ObjectMeta, &old.ObjectMeta, field.NewPath("metadata"))
	return append(allErrs, core.ValidateImmutableField(req.Spec, old.Spec, pcrSpec)...)
}

// ValidatePodCertificateRequestStatusUpdate checks a signer's status
// update at now: at most one of Issued, Denied and Failed, each True; a
// request that has one is final; Denied and Failed carry nothing else; an
// issued chain's leaf is for the requested key, and its times match the
// status's, start within 5 minutes of now, and last from an hour to
// spec.maxExpirationSeconds, with the refresh 10 minutes inside them.
// Otherwise the status cannot change.
func ValidatePodCertificateRequestStatusUpdate(req, old *certificatesv1.PodCertificateRequest, now time.Time) field.ErrorList {
	allErrs := core.ValidateObjectMetaUpdate(&req.ObjectMeta, &old.ObjectMeta, field.NewPath("metadata"))
	if len(allErrs) > 0 {
		return allErrs
	}
	known := []string{certificatesv1.PodCertificateRequestConditionTypeIssued, certificatesv1.PodCertificateRequestConditionTypeDenied, certificatesv1.PodCertificateRequestConditionTypeFailed}
	n := 0
	for i, c := range req.Status.Conditions {
		p := pcrStatus.Child("conditions").Index(i)
		switch c.Type {
		case known[0], known[1], known[2]:
			if n++; n > 1 {
				allErrs = append(allErrs, field.Invalid(p.Child("type"), c.Type, `There may be at most one condition with type "Issued", "Denied", or "Failed"`))
			}
			if c.Status != metav1.ConditionTrue {
				allErrs = append(allErrs, field.NotSupported(p.Child("status"), c.Status, []metav1.ConditionStatus{metav1.ConditionTrue}))
			}
		default:
			allErrs = append(allErrs, field.NotSupported(p.Child("type"), c.Type, known))
		}
	}
	allErrs = append(allErrs, metav1validation.ValidateConditions(req.Status.Conditions, pcrStatus.Child("conditions"))...)
	if len(allErrs) > 0 {
		return allErrs
	}
	unchanged := func(want certificatesv1.PodCertificateRequestStatus, detail string) field.ErrorList {
		if !apiequality.Semantic.DeepEqual(req.Status, want) {
			return field.ErrorList{field.Invalid(pcrStatus, field.OmitValueType{}, detail)}
		}
		return nil
	}
	if pcrHas(old, known[0]) || pcrHas(old, known[1]) || pcrHas(old, known[2]) {
		return unchanged(old.Status, "immutable after PodCertificateRequest is issued, denied, or failed")
	}
	if pcrHas(req, known[1]) || pcrHas(req, known[2]) {
		return unchanged(certificatesv1.PodCertificateRequestStatus{Conditions: req.Status.Conditions},
			"non-condition status fields must be empty when denying or failing the PodCertificateRequest")
	}
	if pcrHas(req, known[0]) {
		return validateIssued(req, old, now)
	}
	return unchanged(old.Status, `status is immutable unless transitioning to "Issued", "Denied", or "Failed"`)
}

func validateIssued(req, old *certificatesv1.PodCertificateRequest, now time.Time) field.ErrorList {
	st := req.Status
	chain := st.CertificateChain
	if len(chain) > MaxCertificateChainSize {
		return field.ErrorList{field.TooLong(certChainPath, chain, MaxCertificateChainSize)}
	}
	leafBlock, rest := pem.Decode([]byte(chain))
	if leafBlock == nil {
		return field.ErrorList{field.Invalid(certChainPath, chain, "issued certificate chain must contain at least one certificate")}
	}
	if leafBlock.Type != "CERTIFICATE" {
		return field.ErrorList{field.Invalid(certChainPath, chain, "issued certificate chain must consist entirely of CERTIFICATE PEM blocks")}
	}
	leaf, err := x509.ParseCertificate(leafBlock.Bytes)
	if err != nil {
		return field.ErrorList{field.Invalid(certChainPath, chain, "leaf certificate does not parse as valid X.509")}
	}
	var allErrs field.ErrorList
	for _, d := range leaf.DNSNames {
		if d == "" {
			allErrs = append(allErrs, field.Invalid(certChainPath, d, "leaf certificate should not contain empty DNSName"))
		}
		if strings.Contains(d, "..") {
			allErrs = append(allErrs, field.Invalid(certChainPath, d, "leaf certificate's DNSName should not contain '..'"))
		}
		if strings.HasPrefix(d, ".") || strings.HasSuffix(d, ".") {
			allErrs = append(allErrs, field.Invalid(certChainPath, d, "leaf certificate's DNSName should not start or end with '.'"))
		}
	}
	for _, e := range leaf.EmailAddresses {
		if _, err := mail.ParseAddress(e); err != nil {
			allErrs = append(allErrs, field.Invalid(certChainPath, e, "leaf certificate should not contain invalid EmailAddress"))
		}
	}
	// The key the certificate must be for.
	csr, err := x509.ParseCertificateRequest(old.Spec.StubPKCS10Request)
	if err != nil {
		return append(allErrs, field.Invalid(pkcs10ReqPath, field.OmitValueType{}, "must be a valid PKCS#10 CSR"))
	}
	if k, ok := csr.PublicKey.(interface{ Equal(crypto.PublicKey) bool }); ok && !k.Equal(leaf.PublicKey) {
		return append(allErrs, field.Invalid(certChainPath, chain, "leaf certificate was not issued to the requested public key"))
	}
	if st.NotBefore == nil {
		allErrs = append(allErrs, field.Required(notBeforePath, "must be present and consistent with the issued certificate"))
	}
	if st.NotAfter == nil {
		allErrs = append(allErrs, field.Required(notAfterPath, "must be present and consistent with the issued certificate"))
	}
	if st.BeginRefreshAt == nil {
		allErrs = append(allErrs, field.Required(beginRefreshPath, "must be present and in the range [notbefore+10min, notafter-10min]"))
	}
	if len(allErrs) > 0 {
		return allErrs
	}
	switch {
	case !st.NotBefore.Time.Equal(leaf.NotBefore):
		return field.ErrorList{field.Invalid(notBeforePath, st.NotBefore.Time, "must be set to the NotBefore time encoded in the leaf certificate")}
	case !(st.NotBefore.Time.After(now.Add(-5*time.Minute)) && st.NotBefore.Time.Before(now.Add(5*time.Minute))):
		return field.ErrorList{field.Invalid(notBeforePath, st.NotBefore.Time, "must be set to within 5 minutes of kube-apiserver's current time")}
	case !st.NotAfter.Time.Equal(leaf.NotAfter):
		return field.ErrorList{field.Invalid(notAfterPath, st.NotAfter.Time, "must be set to the NotAfter time encoded in the leaf certificate")}
	}
	lifetime := leaf.NotAfter.Sub(leaf.NotBefore)
	switch {
	case lifetime < time.Hour:
		return field.ErrorList{field.Invalid(certChainPath, lifetime, "leaf certificate lifetime must be >= 1 hour")}
	case lifetime > time.Duration(*req.Spec.MaxExpirationSeconds)*time.Second:
		return field.ErrorList{field.Invalid(certChainPath, lifetime, fmt.Sprintf("leaf certificate lifetime must be <= spec.maxExpirationSeconds (%v)", *req.Spec.MaxExpirationSeconds))}
	case st.BeginRefreshAt.Time.Before(st.NotBefore.Time.Add(10 * time.Minute)):
		return field.ErrorList{field.Invalid(beginRefreshPath, st.BeginRefreshAt.Time, "must be at least 10 minutes after status.notBefore")}
	case st.BeginRefreshAt.Time.After(st.NotAfter.Time.Add(-10 * time.Minute)):
		return field.ErrorList{field.Invalid(beginRefreshPath, st.BeginRefreshAt.Time, "must be at least 10 minutes before status.notAfter")}
	}
	// The rest of the chain: certificates, not verified (a partial chain
	// cannot be).
	for {
		var b *pem.Block
		if b, rest = pem.Decode(rest); b == nil {
			return nil
		}
		if b.Type != "CERTIFICATE" {
			return field.ErrorList{field.Invalid(certChainPath, chain, "issued certificate chain must consist entirely of CERTFICATE PEM blocks")}
		}
		if _, err := x509.ParseCertificate(b.Bytes); err != nil {
			return field.ErrorList{field.Invalid(certChainPath, chain, "intermediate certificate does not parse as valid X.509")}
		}
	}
}

func pcrHas(req *certificatesv1.PodCertificateRequest, t string) bool {
	for _, c := range req.Status.Conditions {
		if c.Type == t && c.Status == metav1.ConditionTrue {
			return true
		}
	}
	return false
}

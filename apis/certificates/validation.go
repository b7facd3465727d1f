package certificates

import (
	"bytes"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"slices"

	certificatesv1 "k8s.io/api/certificates/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/diff"
	"k8s.io/apimachinery/pkg/util/sets"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/kubeshim/kubeshim/apis/core"
)

// Validation of certificates.k8s.io/v1 CertificateSigningRequests, with
// upstream's paths and messages. Values an older release stored (unknown
// or duplicate usages, duplicate or empty condition types, both Approved
// and Denied) are tolerated on update when the old object had them.

// legacyUnknownSignerName is the signer of CSRs created through v1beta1.
const legacyUnknownSignerName = "kubernetes.io/legacy-unknown"

var (
	allValidUsages = sets.New(
		certificatesv1.UsageSigning, certificatesv1.UsageDigitalSignature, certificatesv1.UsageContentCommitment,
		certificatesv1.UsageKeyEncipherment, certificatesv1.UsageKeyAgreement, certificatesv1.UsageDataEncipherment,
		certificatesv1.UsageCertSign, certificatesv1.UsageCRLSign, certificatesv1.UsageEncipherOnly,
		certificatesv1.UsageDecipherOnly, certificatesv1.UsageAny, certificatesv1.UsageServerAuth,
		certificatesv1.UsageClientAuth, certificatesv1.UsageCodeSigning, certificatesv1.UsageEmailProtection,
		certificatesv1.UsageSMIME, certificatesv1.UsageIPsecEndSystem, certificatesv1.UsageIPsecTunnel,
		certificatesv1.UsageIPsecUser, certificatesv1.UsageTimestamping, certificatesv1.UsageOCSPSigning,
		certificatesv1.UsageMicrosoftSGC, certificatesv1.UsageNetscapeSGC,
	)
	// trueOnlyConditions may only be True: they are never retracted.
	trueOnlyConditions = sets.New(certificatesv1.CertificateApproved, certificatesv1.CertificateDenied, certificatesv1.CertificateFailed)
	allStatuses        = []corev1.ConditionStatus{corev1.ConditionFalse, corev1.ConditionTrue, corev1.ConditionUnknown}

	conditionsPath = field.NewPath("status", "conditions")
)

// csrOptions relax rules for data an older release stored or for what a
// subresource may change.
type csrOptions struct {
	allowSettingApprovalConditions bool
	allowSettingCertificate        bool
	allowBothApprovedAndDenied     bool
	allowLegacySignerName          bool
	allowDuplicateConditionTypes   bool
	allowEmptyConditionType        bool
	allowArbitraryCertificate      bool
	allowUnknownUsages             bool
	allowDuplicateUsages           bool
}

func optionsFor(csr, old *certificatesv1.CertificateSigningRequest) csrOptions {
	if old == nil {
		return csrOptions{}
	}
	conditionTypes := map[certificatesv1.RequestConditionType]int{}
	for _, c := range old.Status.Conditions {
		conditionTypes[c.Type]++
	}
	dupConditions := false
	for _, n := range conditionTypes {
		dupConditions = dupConditions || n > 1
	}
	unknownUsages, dupUsages := false, false
	seen := sets.New[certificatesv1.KeyUsage]()
	for _, u := range old.Spec.Usages {
		unknownUsages = unknownUsages || !allValidUsages.Has(u)
		dupUsages = dupUsages || seen.Has(u)
		seen.Insert(u)
	}
	return csrOptions{
		allowBothApprovedAndDenied:   conditionTypes[certificatesv1.CertificateApproved] > 0 && conditionTypes[certificatesv1.CertificateDenied] > 0,
		allowLegacySignerName:        old.Spec.SignerName == legacyUnknownSignerName,
		allowDuplicateConditionTypes: dupConditions,
		allowEmptyConditionType:      conditionTypes[""] > 0,
		// Updates that leave the certificate alone, or keep one an older
		// release accepted, need not have a valid one.
		allowArbitraryCertificate: bytes.Equal(csr.Status.Certificate, old.Status.Certificate) || validateCertificate(old.Status.Certificate) != nil,
		allowUnknownUsages:        unknownUsages,
		allowDuplicateUsages:      dupUsages,
	}
}

// ValidateCertificateSigningRequest validates a CSR on create.
func ValidateCertificateSigningRequest(csr *certificatesv1.CertificateSigningRequest) field.ErrorList {
	return validateCSR(csr, optionsFor(csr, nil))
}

// ValidateCertificateSigningRequestUpdate validates an update of a CSR's
// spec and metadata: conditions and certificate may not change here.
func ValidateCertificateSigningRequestUpdate(csr, old *certificatesv1.CertificateSigningRequest) field.ErrorList {
	return validateCSRUpdate(csr, old, optionsFor(csr, old))
}

// ValidateCertificateSigningRequestStatusUpdate validates an update through
// the status subresource: signers may set the certificate once.
func ValidateCertificateSigningRequestStatusUpdate(csr, old *certificatesv1.CertificateSigningRequest) field.ErrorList {
	opts := optionsFor(csr, old)
	opts.allowSettingCertificate = true
	return validateCSRUpdate(csr, old, opts)
}

// ValidateCertificateSigningRequestApprovalUpdate validates an update
// through the approval subresource: approvers may add Approved or Denied.
func ValidateCertificateSigningRequestApprovalUpdate(csr, old *certificatesv1.CertificateSigningRequest) field.ErrorList {
	opts := optionsFor(csr, old)
	opts.allowSettingApprovalConditions = true
	return validateCSRUpdate(csr, old, opts)
}

func noNameRule(string, bool) []string { return nil }

func validateCSR(csr *certificatesv1.CertificateSigningRequest, opts csrOptions) field.ErrorList {
	// Upstream places no rule on CSR names beyond the generic one.
	allErrs := core.ValidateObjectMeta(&csr.ObjectMeta, noNameRule, field.NewPath("metadata"))
	specPath := field.NewPath("spec")
	if err := checkRequest(csr.Spec.Request); err != nil {
		allErrs = append(allErrs, field.Invalid(specPath.Child("request"), csr.Spec.Request, fmt.Sprintf("%v", err)))
	}
	if len(csr.Spec.Usages) == 0 {
		allErrs = append(allErrs, field.Required(specPath.Child("usages"), ""))
	}
	seen := sets.New[certificatesv1.KeyUsage]()
	for i, u := range csr.Spec.Usages {
		if !opts.allowUnknownUsages && !allValidUsages.Has(u) {
			allErrs = append(allErrs, field.NotSupported(specPath.Child("usages").Index(i), u, sets.List(allValidUsages)))
		}
	}
	for i, u := range csr.Spec.Usages {
		if !opts.allowDuplicateUsages && seen.Has(u) {
			allErrs = append(allErrs, field.Duplicate(specPath.Child("usages").Index(i), u))
		}
		seen.Insert(u)
	}
	if !opts.allowLegacySignerName && csr.Spec.SignerName == legacyUnknownSignerName {
		allErrs = append(allErrs, field.Invalid(specPath.Child("signerName"), csr.Spec.SignerName, "the legacy signerName is not allowed via this API version"))
	} else {
		allErrs = append(allErrs, core.ValidateSignerName(specPath.Child("signerName"), csr.Spec.SignerName)...)
	}
	if e := csr.Spec.ExpirationSeconds; e != nil && *e < 600 {
		allErrs = append(allErrs, field.Invalid(specPath.Child("expirationSeconds"), *e, "may not specify a duration less than 600 seconds (10 minutes)"))
	}
	allErrs = append(allErrs, validateConditions(csr, opts)...)
	if !opts.allowArbitraryCertificate {
		if err := validateCertificate(csr.Status.Certificate); err != nil {
			allErrs = append(allErrs, field.Invalid(field.NewPath("status", "certificate"), "<certificate data>", err.Error()))
		}
	}
	return allErrs
}

func validateConditions(csr *certificatesv1.CertificateSigningRequest, opts csrOptions) field.ErrorList {
	var allErrs field.ErrorList
	seen := map[certificatesv1.RequestConditionType]bool{}
	approved, denied := false, false
	for i, c := range csr.Status.Conditions {
		p := conditionsPath.Index(i)
		if !opts.allowEmptyConditionType && c.Type == "" {
			allErrs = append(allErrs, field.Required(p.Child("type"), ""))
		}
		allowed := allStatuses
		if trueOnlyConditions.Has(c.Type) {
			allowed = []corev1.ConditionStatus{corev1.ConditionTrue}
		}
		if c.Status == "" {
			allErrs = append(allErrs, field.Required(p.Child("status"), ""))
		} else if !slices.Contains(allowed, c.Status) {
			allErrs = append(allErrs, field.NotSupported(p.Child("status"), c.Status, allowed))
		}
		if !opts.allowBothApprovedAndDenied {
			switch c.Type {
			case certificatesv1.CertificateApproved:
				approved = true
			case certificatesv1.CertificateDenied:
				denied = true
			}
			if (c.Type == certificatesv1.CertificateApproved && denied) || (c.Type == certificatesv1.CertificateDenied && approved) {
				allErrs = append(allErrs, field.Invalid(conditionsPath, c.Type, "Approved and Denied conditions are mutually exclusive"))
			}
		}
		if !opts.allowDuplicateConditionTypes {
			if seen[c.Type] {
				allErrs = append(allErrs, field.Duplicate(p.Child("type"), c.Type))
			}
			seen[c.Type] = true
		}
	}
	return allErrs
}

func validateCSRUpdate(csr, old *certificatesv1.CertificateSigningRequest, opts csrOptions) field.ErrorList {
	allErrs := validateCSR(csr, opts)
	for _, t := range []certificatesv1.RequestConditionType{certificatesv1.CertificateApproved, certificatesv1.CertificateDenied, certificatesv1.CertificateFailed} {
		if len(findConditions(csr, t)) < len(findConditions(old, t)) {
			allErrs = append(allErrs, field.Forbidden(conditionsPath, fmt.Sprintf("updates may not remove a condition of type %q", t)))
		}
	}
	if !opts.allowSettingApprovalConditions {
		for _, t := range []certificatesv1.RequestConditionType{certificatesv1.CertificateApproved, certificatesv1.CertificateDenied} {
			oldConds, newConds := findConditions(old, t), findConditions(csr, t)
			switch {
			case len(newConds) < len(oldConds):
				// Reported above.
			case len(newConds) > len(oldConds):
				allErrs = append(allErrs, field.Forbidden(conditionsPath, fmt.Sprintf("updates may not add a condition of type %q", t)))
			case !core.SemanticEqual(oldConds, newConds):
				allErrs = append(allErrs, field.Forbidden(conditionsPath, fmt.Sprintf("updates may not modify a condition of type %q\n%v", t, diff.Diff(oldConds, newConds))))
			}
		}
	}
	if !bytes.Equal(csr.Status.Certificate, old.Status.Certificate) {
		certPath := field.NewPath("status", "certificate")
		if !opts.allowSettingCertificate {
			allErrs = append(allErrs, field.Forbidden(certPath, "updates may not set certificate content"))
		} else if len(old.Status.Certificate) > 0 {
			allErrs = append(allErrs, field.Forbidden(certPath, "updates may not modify existing certificate content"))
		}
	}
	return append(allErrs, core.ValidateObjectMetaUpdate(&csr.ObjectMeta, &old.ObjectMeta, field.NewPath("metadata"))...)
}

func findConditions(csr *certificatesv1.CertificateSigningRequest, t certificatesv1.RequestConditionType) []certificatesv1.CertificateSigningRequestCondition {
	var out []certificatesv1.CertificateSigningRequestCondition
	for _, c := range csr.Status.Conditions {
		if c.Type == t {
			out = append(out, c)
		}
	}
	return out
}

// checkRequest requires a PEM CERTIFICATE REQUEST whose signature verifies.
func checkRequest(request []byte) error {
	block, _ := pem.Decode(request)
	if block == nil || block.Type != "CERTIFICATE REQUEST" {
		return errors.New("PEM block type must be CERTIFICATE REQUEST")
	}
	csr, err := x509.ParseCertificateRequest(block.Bytes)
	if err != nil {
		return err
	}
	return csr.CheckSignature()
}

// validateCertificate requires an issued certificate to be one or more PEM
// CERTIFICATE blocks without headers.
func validateCertificate(data []byte) error {
	if len(data) == 0 {
		return nil
	}
	blocks := 0
	for {
		block, rest := pem.Decode(data)
		if block == nil {
			break
		}
		if block.Type != "CERTIFICATE" {
			return fmt.Errorf("only CERTIFICATE PEM blocks are allowed, found %q", block.Type)
		}
		if len(block.Headers) != 0 {
			return fmt.Errorf("no PEM block headers are permitted")
		}
		blocks++
		certs, err := x509.ParseCertificates(block.Bytes)
		if err != nil {
			return err
		}
		if len(certs) == 0 {
			return fmt.Errorf("found CERTIFICATE PEM block containing 0 certificates")
		}
		data = rest
	}
	if blocks == 0 {
		return fmt.Errorf("must contain at least one CERTIFICATE PEM block")
	}
	return nil
}

package certificates

import (
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"strings"

	certificatesv1 "k8s.io/api/certificates/v1"
	apimachineryvalidation "k8s.io/apimachinery/pkg/api/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/kubeshim/kubeshim/apis/core"
)

// MaxTrustBundleSize is upstream's limit on spec.trustBundle: 1 MiB.
const MaxTrustBundleSize = 1 << 20

// ValidateClusterTrustBundle checks a new bundle: a signer's bundle is named
// "<signer name with / as :>:<DNS subdomain>", a bundle without a signer has
// no ":" in its name, and the trust bundle is one or more distinct PEM
// CERTIFICATE blocks of CA certificates.
func ValidateClusterTrustBundle(b *certificatesv1.ClusterTrustBundle) field.ErrorList {
	return validateClusterTrustBundle(b, true)
}

// ValidateClusterTrustBundleUpdate checks an update: the signer name is
// immutable, and an unchanged trust bundle is not parsed again (a newer
// X.509 parser must not make a stored bundle unwritable).
func ValidateClusterTrustBundleUpdate(b, old *certificatesv1.ClusterTrustBundle) field.ErrorList {
	allErrs := validateClusterTrustBundle(b, b.Spec.TrustBundle != old.Spec.TrustBundle)
	allErrs = append(allErrs, core.ValidateObjectMetaUpdate(&b.ObjectMeta, &old.ObjectMeta, field.NewPath("metadata"))...)
	return append(allErrs, core.ValidateImmutableField(b.Spec.SignerName, old.Spec.SignerName, field.NewPath("spec", "signerName"))...)
}

func validateClusterTrustBundle(b *certificatesv1.ClusterTrustBundle, parseBundle bool) field.ErrorList {
	allErrs := core.ValidateObjectMeta(&b.ObjectMeta, clusterTrustBundleName(b.Spec.SignerName), field.NewPath("metadata"))
	if b.Spec.SignerName != "" {
		allErrs = append(allErrs, core.ValidateSignerName(field.NewPath("spec", "signerName"), b.Spec.SignerName)...)
	}
	if parseBundle {
		allErrs = append(allErrs, validateTrustBundle(field.NewPath("spec", "trustBundle"), b.Spec.TrustBundle)...)
	}
	return allErrs
}

// clusterTrustBundleName is the name rule for a bundle of signerName
// (upstream's messages).
func clusterTrustBundleName(signerName string) apimachineryvalidation.ValidateNameFunc {
	return func(name string, prefix bool) []string {
		if signerName == "" {
			if strings.Contains(name, ":") {
				return []string{`ClusterTrustBundle without signer name must not have ":" in its name`}
			}
			return apimachineryvalidation.NameIsDNSSubdomain(name, prefix)
		}
		requiredPrefix := strings.ReplaceAll(signerName, "/", ":") + ":"
		if !strings.HasPrefix(name, requiredPrefix) {
			return []string{fmt.Sprintf("ClusterTrustBundle for signerName %s must be named with prefix %s", signerName, requiredPrefix)}
		}
		return apimachineryvalidation.NameIsDNSSubdomain(strings.TrimPrefix(name, requiredPrefix), prefix)
	}
}

// validateTrustBundle rejects blocks other than CERTIFICATE, PEM headers,
// certificates that do not parse or are not CAs, duplicates, and an empty
// bundle. The value is left out of the messages, as upstream does: it can
// be a megabyte.
func validateTrustBundle(p *field.Path, in string) field.ErrorList {
	if len(in) > MaxTrustBundleSize {
		return field.ErrorList{field.TooLong(p, "", MaxTrustBundleSize)}
	}
	const omitted = "<value omitted>"
	var allErrs field.ErrorList
	seen := map[string][]int{}
	var order []string
	rest := []byte(in)
	for i := 0; ; i++ {
		var b *pem.Block
		if b, rest = pem.Decode(rest); b == nil {
			break
		}
		if b.Type != "CERTIFICATE" {
			allErrs = append(allErrs, field.Invalid(p, omitted, fmt.Sprintf("entry %d has bad block type: %v", i, b.Type)))
			continue
		}
		if len(b.Headers) != 0 {
			allErrs = append(allErrs, field.Invalid(p, omitted, fmt.Sprintf("entry %d has PEM block headers", i)))
			continue
		}
		cert, err := x509.ParseCertificate(b.Bytes)
		if err != nil {
			allErrs = append(allErrs, field.Invalid(p, omitted, fmt.Sprintf("entry %d does not parse as X.509", i)))
			continue
		}
		if !cert.IsCA {
			allErrs = append(allErrs, field.Invalid(p, omitted, fmt.Sprintf("entry %d does not have the CA bit set", i)))
			continue
		}
		if !cert.BasicConstraintsValid {
			allErrs = append(allErrs, field.Invalid(p, omitted, fmt.Sprintf("entry %d has invalid basic constraints", i)))
			continue
		}
		key := string(b.Bytes)
		if _, ok := seen[key]; !ok {
			order = append(order, key)
		}
		seen[key] = append(seen[key], i)
	}
	// A malformed block says enough: no duplicate or empty-bundle errors
	// on top of it.
	if len(allErrs) != 0 {
		return allErrs
	}
	if len(seen) == 0 {
		return field.ErrorList{field.Invalid(p, omitted, "at least one trust anchor must be provided")}
	}
	for _, key := range order {
		if indices := seen[key]; len(indices) > 1 {
			allErrs = append(allErrs, field.Invalid(p, omitted, fmt.Sprintf("duplicate trust anchor (indices %v)", indices)))
		}
	}
	return allErrs
}

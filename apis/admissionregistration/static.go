package admissionregistration

import (
	"fmt"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"k8s.io/apiserver/pkg/features"
	utilfeature "k8s.io/apiserver/pkg/util/feature"
)

// staticSuffix ends the names reserved for admission configurations an API
// server loads from manifest files at start (ManifestBasedAdmissionControlConfig).
const staticSuffix = ".static.k8s.io"

// validateStaticSuffix refuses, on create and while the feature is on (the
// default since 1.37), a name only a manifest may use, as upstream's
// strategies do for the webhook configurations, the policies and their
// bindings. Objects already stored under such a name stay updatable.
func validateStaticSuffix(meta *metav1.ObjectMeta) field.ErrorList {
	if !strings.HasSuffix(meta.Name, staticSuffix) || !utilfeature.DefaultFeatureGate.Enabled(features.ManifestBasedAdmissionControlConfig) {
		return nil
	}
	return field.ErrorList{field.Invalid(field.NewPath("metadata", "name"), meta.Name,
		fmt.Sprintf("names ending with %q are reserved for static manifest-based configurations and cannot be managed via the API", staticSuffix))}
}

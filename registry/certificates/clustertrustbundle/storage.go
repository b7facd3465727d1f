package clustertrustbundle

import (
	certificatesv1 "k8s.io/api/certificates/v1"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/kubeshim/kubeshim/apis/certificates"
	"github.com/kubeshim/kubeshim/registry/resource"
)

// Definition is the clustertrustbundles resource. Like upstream's, it has
// no status and is selectable by spec.signerName.
func Definition() resource.Definition {
	return resource.Definition{
		Resource:               certificatesv1.Resource("clustertrustbundles"),
		RequireResourceVersion: true,
		Singular:               "clustertrustbundle",
		NamespaceScoped:        false,
		New:                    func() runtime.Object { return &certificatesv1.ClusterTrustBundle{} },
		NewList:                func() runtime.Object { return &certificatesv1.ClusterTrustBundleList{} },
		Fields:                 certificates.ClusterTrustBundleFields,
		Validate:               resource.Validate(certificates.ValidateClusterTrustBundle),
		ValidateUpdate:         resource.ValidateUpdate(certificates.ValidateClusterTrustBundleUpdate),
	}
}

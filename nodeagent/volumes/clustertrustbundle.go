package volumes

import (
	"context"
	"encoding/pem"
	"errors"
	"fmt"
	"slices"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
)

// clusterTrustBundle returns the trust anchors a projected volume's
// clusterTrustBundle source selects, as upstream's kubelet does: the bundle
// of that name, or every bundle of the signer that the label selector
// matches (a nil selector matches none, an empty one all). The anchors are
// deduplicated and written as one PEM file. An optional source that
// selects nothing is an empty file; a required one is an error, which keeps
// the pod from starting.
//
// Unlike upstream, whose order is random for each kubelet run, the anchors
// are sorted: a file that changes only when the anchors do.
func (m *Manager) clusterTrustBundle(ctx context.Context, src *corev1.ClusterTrustBundleProjection) ([]byte, error) {
	if m.client == nil {
		return nil, errors.New("no API client configured")
	}
	optional := isTrue(src.Optional)
	ctbs := m.client.CertificatesV1().ClusterTrustBundles()
	var bundles []string
	switch {
	case src.Name != nil:
		b, err := ctbs.Get(ctx, *src.Name, metav1.GetOptions{})
		if apierrors.IsNotFound(err) && optional {
			return []byte{}, nil
		}
		if err != nil {
			return nil, fmt.Errorf("while getting ClusterTrustBundle: %w", err)
		}
		bundles = append(bundles, b.Spec.TrustBundle)
	case src.SignerName != nil:
		if src.LabelSelector != nil {
			selector, err := metav1.LabelSelectorAsSelector(src.LabelSelector)
			if err != nil {
				return nil, fmt.Errorf("while parsing label selector: %w", err)
			}
			list, err := ctbs.List(ctx, metav1.ListOptions{
				FieldSelector: fields.OneTermEqualSelector("spec.signerName", *src.SignerName).String(),
				LabelSelector: selector.String(),
			})
			if err != nil {
				return nil, fmt.Errorf("while listing ClusterTrustBundles matching label selector %v: %w", src.LabelSelector, err)
			}
			for _, b := range list.Items {
				// The server selected by signer already; this keeps a
				// server (or fake) that ignores field selectors honest.
				if b.Spec.SignerName == *src.SignerName {
					bundles = append(bundles, b.Spec.TrustBundle)
				}
			}
		}
		if len(bundles) == 0 {
			if optional {
				return []byte{}, nil
			}
			return nil, errors.New("combination of signerName and labelSelector matched zero ClusterTrustBundles")
		}
	default:
		return nil, errors.New("ClusterTrustBundle projection requires either name or signerName to be set")
	}
	return normalizeTrustAnchors(bundles), nil
}

// normalizeTrustAnchors returns the distinct CERTIFICATE blocks of bundles,
// sorted, re-encoded without headers.
func normalizeTrustAnchors(bundles []string) []byte {
	var anchors []string
	for _, bundle := range bundles {
		rest := []byte(bundle)
		for {
			var b *pem.Block
			if b, rest = pem.Decode(rest); b == nil {
				break
			}
			anchors = append(anchors, string(b.Bytes))
		}
	}
	slices.Sort(anchors)
	anchors = slices.Compact(anchors)
	out := []byte{}
	for _, a := range anchors {
		out = append(out, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: []byte(a)})...)
	}
	return out
}

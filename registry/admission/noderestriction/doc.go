// Package noderestriction is the NodeRestriction admission plugin, as
// upstream's: a request from a node (user system:node:<name> in the group
// system:nodes) may only touch what belongs to that node. It may create
// mirror pods bound to itself that reference no other API object, delete
// and evict pods bound to itself and update their status; create and
// update its own Node object without changing its taints, owners or
// labels outside the set kubelets may set; request service account tokens
// only bound to a pod on itself (and, for an audience, one the pod uses or
// the node is authorized for); keep its own Lease, CSINode and
// ResourceSlices; update PersistentVolumeClaim status only in the fields
// upstream lets it; request pod certificates only for its own pods; and ask
// for kubelet certificates only in its own name.
//
// Requests from every other user pass untouched: the authorizer decides
// those. The checks here complement the node authorizer, which cannot see
// the object a create brings.
//
// The kube feature gates that steer upstream's plugin do not exist in
// kubeshim; the plugin behaves as upstream's does with their v1.37
// defaults (RecoverVolumeExpansionFailure, ServiceAccountNodeAudienceRestriction,
// PodCertificateRequest on; AllowInsecureKubeletCertificateSigningRequests
// and CSIVolumeHealth off).
package noderestriction

// Package volumeexpand is the expand controller, as upstream's
// persistentvolume-expander (pkg/controller/volume/expand): it watches bound
// PersistentVolumeClaims whose request has grown past their capacity and
// hands them to the volume's resizer.
//
// Upstream resizes volumes of its in-tree plugins itself; kubeshim has no
// in-tree plugins, so every volume is resized by an external resizer (the
// node agents' local-path resizer for kubeshim.io/local-path volumes, a CSI
// driver's external-resizer for the others), and this controller does
// what upstream's does for those: it records a Normal ExternalExpanding
// event, "waiting for an external controller to expand this PVC", once
// each time a claim asks for more, so that `kubectl describe pvc` says who
// the claim is waiting for.
package volumeexpand

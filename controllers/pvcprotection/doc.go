// Package pvcprotection keeps a PersistentVolumeClaim that a pod uses from
// being deleted under it, as upstream's PVC protection controller
// (pkg/controller/volume/pvcprotection) does.
//
// Every claim carries the kubernetes.io/pvc-protection finalizer (the
// StorageObjectInUseProtection admission plugin adds it on create, this
// controller on any claim that lacks it). A deleted claim keeps the
// finalizer while a scheduled pod that uses it exists: the node agent may
// still have it mounted. Before removing the finalizer the controller asks
// the API server, not only its informer, whether such a pod exists, so a
// pod created a moment ago is not missed.
//
// As upstream 1.37 with PersistentVolumeClaimUnusedSinceTime (beta, on by
// default), a bound claim also carries an Unused condition that says since
// when no pod that has not finished uses it.
package pvcprotection

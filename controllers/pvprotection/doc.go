// Package pvprotection keeps a bound PersistentVolume from being deleted,
// as upstream's PV protection controller (pkg/controller/volume/
// pvprotection) does: every volume carries the kubernetes.io/pv-protection
// finalizer (added on create by the StorageObjectInUseProtection admission
// plugin, and by this controller to any volume without it), and a deleted
// volume keeps it while its phase is Bound. Once its claim is gone and the
// persistent volume controller has released it, the finalizer goes and the
// volume with it.
package pvprotection

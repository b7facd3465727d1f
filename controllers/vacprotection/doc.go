// Package vacprotection keeps a VolumeAttributesClass that a
// PersistentVolume or claim uses from being deleted, as upstream's VAC
// protection controller (pkg/controller/volume/vacprotection) does: every
// class carries the kubernetes.io/vac-protection finalizer (added on create
// by the StorageObjectInUseProtection admission plugin, and by this
// controller to any class without it), and a deleted class keeps it while a
// volume's spec.volumeAttributesClassName, or a claim's spec, current or
// target class, names it.
package vacprotection

// Package storageobjectinuseprotection is upstream's
// StorageObjectInUseProtection admission plugin: every PersistentVolume,
// PersistentVolumeClaim and VolumeAttributesClass is created with its
// protection finalizer, so that none is deleted while in use before its
// protection controller has seen it.
package storageobjectinuseprotection

// Package defaultstorageclass is upstream's DefaultStorageClass admission
// plugin: a PersistentVolumeClaim created without a storage class (neither
// spec.storageClassName nor the beta annotation, not even "") gets the
// default StorageClass, the newest of those marked default. Without a
// default class the claim is left as it is; the persistent volume
// controller gives it the default later, if one appears.
package defaultstorageclass

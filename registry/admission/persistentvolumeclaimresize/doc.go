// Package persistentvolumeclaimresize is upstream's
// PersistentVolumeClaimResize admission plugin: a claim's storage request
// may grow only once it is bound, and only if its StorageClass allows
// volume expansion (kubeshim's local-path class does not).
package persistentvolumeclaimresize

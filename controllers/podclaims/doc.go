// Package podclaims indexes pods by the PersistentVolumeClaims their
// volumes use, persistentVolumeClaim and generic ephemeral volumes alike,
// as upstream's pod-pvc index: the persistent volume and PVC protection
// controllers ask which pods use a claim without listing a namespace.
package podclaims

// Package persistentvolumeclaim stores core/v1 PersistentVolumeClaims (persistentvolumeclaims).
package persistentvolumeclaim

// Package persistentvolume stores core/v1 PersistentVolumes (persistentvolumes).
package persistentvolume

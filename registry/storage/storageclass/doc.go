// Package storageclass stores storage/v1 StorageClasss (storageclasses).
package storageclass

// Package csistoragecapacity stores storage/v1 CSIStorageCapacities
// (csistoragecapacities): what a CSI driver reports it can still provision
// for a storage class in a topology segment, read by the scheduler.
package csistoragecapacity

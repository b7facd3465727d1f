// Package storage holds integration tests of persistent storage against the
// in-process API server and its controllers: the default StorageClass and
// the storage admission plugins, static binding by the persistent volume
// controller, WaitForFirstConsumer claims and external provisioning (a test
// plays the provisioner and the scheduler), reclaim policies, and the PVC
// and PV protection finalizers. No node agent or scheduler runs.
//
// PersistentVolumes are cluster-wide while tests share one server: each
// test gives its volumes and claims a storage class named after its
// namespace, so that no other test's claim can bind them.
package storage

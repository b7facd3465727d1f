// Package persistentvolume binds PersistentVolumeClaims to
// PersistentVolumes and runs the reclaim policy of released volumes, as
// upstream's persistent volume controller (pkg/controller/volume/
// persistentvolume) does.
//
// The binding is the two-way pointer pvc.spec.volumeName ↔
// pv.spec.claimRef, written volume first. A claim without a volume gets the
// smallest Available volume that matches it (capacity, access modes, class,
// selector, volume mode); a volume pre-bound by claimRef or a claim pre-bound
// by volumeName is honoured. Claims of WaitForFirstConsumer classes are not
// matched to volumes here: the scheduler picks a node and pre-binds a volume
// (pv.spec.claimRef) or asks for one there (the claim's
// volume.kubernetes.io/selected-node), and this controller finishes the
// binding.
//
// kubeshim has no in-tree volume plugins: provisioning is always external.
// For a claim that needs a volume from a class with a provisioner, the
// controller annotates the claim with volume.kubernetes.io/storage-provisioner
// and waits for that provisioner (the node agent's kubeshim.io/local-path, or
// any external provisioner) to create a PV whose claimRef points back.
// Released volumes follow their reclaim policy: Retain keeps them Released;
// Delete leaves a provisioned volume to its provisioner and marks any other
// Failed, as upstream does when no plugin can delete it; Recycle, which
// needs an in-tree recycler, marks the volume Failed.
//
// As upstream, the controller keeps its own cache of the volumes and claims
// it has written, so that it does not act again on an informer that is
// behind its own writes, and one worker per queue: binding is not reentrant.
package persistentvolume

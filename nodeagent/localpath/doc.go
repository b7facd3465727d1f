// Package localpath is kubeshim's built-in dynamic provisioner,
// kubeshim.io/local-path, as k3s ships rancher's local-path-provisioner:
// each node agent runs one, which provisions the claims the scheduler placed
// on its node as directories under the agent's data dir and deletes them
// when their volume is released.
//
// It speaks the external provisioner protocol: the scheduler annotates a
// WaitForFirstConsumer claim with volume.kubernetes.io/selected-node, the
// PV controller annotates it with volume.kubernetes.io/storage-provisioner;
// a claim with both (this provisioner, this node) and no volume gets
// <root>/pvc-<claim uid>_<namespace>_<name> (mode 0777, as k3s makes it) and
// a PersistentVolume pvc-<claim uid>: spec.local at that path, required
// node affinity kubernetes.io/hostname=<the node's hostname label>, the
// claim's request, access modes and volume mode, the class's reclaim policy
// and mount options, pv.kubernetes.io/provisioned-by: kubeshim.io/local-path,
// and a claimRef to the claim, which the PV controller completes. The
// claim gets the events external provisioners give it: Provisioning,
// ProvisioningSucceeded, ProvisioningFailed.
//
// A volume it provisioned on this node that is Released with reclaim
// policy Delete has its directory removed, then its object deleted.
//
// A claim of an Immediate class has no node chosen for it: on a
// one-node cluster the one agent provisions it; with more nodes nobody
// can tell where its pod will run, so the agent of the node first by name
// reports ProvisioningFailed, asking for WaitForFirstConsumer.
//
// It is also the resizer of its volumes (resize.go), as a CSI driver's
// external-resizer: a bound claim whose request grew past its capacity has
// its volume's capacity raised by the agent of the volume's node, then its
// own, with the external-resizer's status fields, conditions and events.
// A directory has no size to change, so the expansion needs no file system
// resize and completes while the pod runs.
//
// Provisioning is idempotent: the volume's name is the claim's UID, and an
// existing volume means done, so an agent restarted mid-way finishes the
// job. Sizes are not enforced: a directory holds what the disk does.
package localpath

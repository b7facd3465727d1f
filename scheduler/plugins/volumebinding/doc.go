// Package volumebinding is the VolumeBinding plugin: a pod goes only where
// its persistent volume claims can be satisfied, and its unbound claims are
// bound or provisioned for the chosen node before the pod is bound, as in
// kube-scheduler.
//
//   - PreFilter sorts the pod's claims (spec.volumes' persistentVolumeClaim
//     and generic ephemeral volumes): bound, unbound with a
//     WaitForFirstConsumer class (the scheduler's to bind), and unbound
//     otherwise, which the PV controller binds on its own: the pod waits
//     for those ("pod has unbound immediate PersistentVolumeClaims"). A
//     missing claim, a lost one or one being deleted rejects the pod.
//   - Filter: a bound claim's volume must accept the node by its node
//     affinity; an unbound claim needs an available static volume that
//     matches it (class, size, access modes, volume mode, selector) and
//     accepts the node, or a class with a provisioner whose
//     allowedTopologies admit the node.
//   - Reserve assumes the choice in the plugin's caches (a static volume
//     pre-bound to the claim, a claim annotated with the selected node), so
//     that the next pods see it taken; Unreserve forgets it.
//   - PreBind writes it: the static volume's spec.claimRef (the PV
//     controller completes the binding), the claim's
//     volume.kubernetes.io/selected-node annotation (the PV controller and
//     the claim's provisioner take it from there); then it waits, on the
//     informers, until every claim is bound or the bind timeout passes.
//
// Scoring by volume capacity is left out: kube-scheduler's is off by
// default. Storage capacity tracking (CSIStorageCapacity) and CSI
// migration are left out: kubeshim has no CSI drivers.
package volumebinding

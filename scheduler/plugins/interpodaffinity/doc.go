// Package interpodaffinity is the InterPodAffinity plugin, as in
// kube-scheduler: a pod with required pod affinity goes only where a pod its
// terms select runs in the same topology domain (or, the first of a group
// that selects itself, anywhere with the topology keys); one with required
// anti-affinity only where none does; and no pod goes where an existing
// pod's required anti-affinity selects it. Preferred terms of both pods,
// and the existing pods' required affinity (hardPodAffinityWeight 1), score
// the nodes.
//
// PreFilter and PreScore count, once per pass, the matching pods per
// topology pair over the whole snapshot, so that Filter and Score are map
// lookups per node. Preemption and nominated pods filter changed copies of
// a node: Filter corrects the counts for such a copy by the difference of
// its pods from the snapshot's node, where kube-scheduler's AddPod and
// RemovePod extensions update a cloned state.
package interpodaffinity

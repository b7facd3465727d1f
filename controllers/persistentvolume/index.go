package persistentvolume

import (
	"fmt"
	"slices"
	"sort"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/client-go/tools/cache"
	storagehelpers "k8s.io/component-helpers/storage/volume"
)

const accessModesIndex = "accessmodes"

// volumeIndex is the controller's volume cache, indexed by each volume's
// set of access modes so that a claim is matched against the volumes
// with the fewest extra modes first.
type volumeIndex struct {
	store cache.Indexer
}

func newVolumeIndex() volumeIndex {
	return volumeIndex{store: cache.NewIndexer(cache.MetaNamespaceKeyFunc, cache.Indexers{accessModesIndex: func(obj any) ([]string, error) {
		pv, ok := obj.(*corev1.PersistentVolume)
		if !ok {
			return nil, fmt.Errorf("not a persistent volume: %T", obj)
		}
		return []string{modesKey(pv.Spec.AccessModes)}, nil
	}})}
}

// modesKey is a canonical string for a set of access modes.
func modesKey(modes []corev1.PersistentVolumeAccessMode) string {
	s := make([]string, 0, len(modes))
	for _, m := range modes {
		if !slices.Contains(s, string(m)) {
			s = append(s, string(m))
		}
	}
	sort.Strings(s)
	return strings.Join(s, ",")
}

func modesFromKey(key string) []corev1.PersistentVolumeAccessMode {
	var modes []corev1.PersistentVolumeAccessMode
	for _, m := range strings.Split(key, ",") {
		if m != "" {
			modes = append(modes, corev1.PersistentVolumeAccessMode(m))
		}
	}
	return modes
}

// findBestMatch returns the volume the claim should bind to, or nil: one
// pre-bound to it, else the smallest Available one that satisfies it.
// Volume sets with the fewest access modes are searched first, to give the
// claim what is closest to what it asked for. With delayBinding only
// pre-bound volumes are returned: the scheduler chooses the others, as it
// knows the node.
func (x volumeIndex) findBestMatch(claim *corev1.PersistentVolumeClaim, delayBinding bool) (*corev1.PersistentVolume, error) {
	var candidates [][]corev1.PersistentVolumeAccessMode
	for _, key := range x.store.ListIndexFuncValues(accessModesIndex) {
		modes := modesFromKey(key)
		if containsAll(modes, claim.Spec.AccessModes) {
			candidates = append(candidates, modes)
		}
	}
	sort.SliceStable(candidates, func(i, j int) bool {
		if len(candidates[i]) != len(candidates[j]) {
			return len(candidates[i]) < len(candidates[j])
		}
		return modesKey(candidates[i]) < modesKey(candidates[j])
	})
	for _, modes := range candidates {
		objs, err := x.store.ByIndex(accessModesIndex, modesKey(modes))
		if err != nil {
			return nil, err
		}
		volumes := make([]*corev1.PersistentVolume, 0, len(objs))
		for _, obj := range objs {
			volumes = append(volumes, obj.(*corev1.PersistentVolume))
		}
		// Deterministic order among volumes of equal size.
		sort.Slice(volumes, func(i, j int) bool { return volumes[i].Name < volumes[j].Name })
		// VolumeAttributesClass is GA and locked on in 1.37.
		best, err := storagehelpers.FindMatchingVolume(claim, volumes, nil, nil, delayBinding, true)
		if err != nil {
			return nil, err
		}
		if best != nil {
			return best, nil
		}
	}
	return nil, nil
}

func containsAll(have, want []corev1.PersistentVolumeAccessMode) bool {
	for _, m := range want {
		if !slices.Contains(have, m) {
			return false
		}
	}
	return true
}

package statefulset

import (
	"bytes"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"sort"
	"strconv"

	appsv1 "k8s.io/api/apps/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/rand"
	"k8s.io/apimachinery/pkg/util/strategicpatch"
	"k8s.io/client-go/kubernetes/scheme"
	"k8s.io/utils/lru"

	"github.com/kubeshim/kubeshim/apis/apps"
)

// RevisionHashLabel is the label of a ControllerRevision that holds the
// hash of its data (upstream's history.ControllerRevisionHashLabel).
const RevisionHashLabel = "controller.kubernetes.io/hash"

// revisionCodec encodes sets as kubectl and upstream's controller do before
// cutting the template out of them: revision data must be byte for byte what
// kubectl rollout undo computes, or it sees a difference where there is none.
var revisionCodec = scheme.Codecs.LegacyCodec(appsv1.SchemeGroupVersion)

// revisionData is the strategic merge patch that restores set's pod
// template: {"spec":{"template":{...,"$patch":"replace"}}}, keys sorted.
func revisionData(set *appsv1.StatefulSet) ([]byte, error) {
	encoded, err := runtime.Encode(revisionCodec, set)
	if err != nil {
		return nil, fmt.Errorf("encode statefulset %s/%s: %w", set.Namespace, set.Name, err)
	}
	var raw map[string]any
	if err := json.Unmarshal(encoded, &raw); err != nil {
		return nil, fmt.Errorf("decode statefulset %s/%s: %w", set.Namespace, set.Name, err)
	}
	spec, _ := raw["spec"].(map[string]any)
	template, _ := spec["template"].(map[string]any)
	if template == nil {
		template = map[string]any{}
	}
	template["$patch"] = "replace"
	return json.Marshal(map[string]any{"spec": map[string]any{"template": template}})
}

// hashRevision is upstream's HashControllerRevision for raw data: fnv32
// (not 32a) over the data, then the probe (collision count) in decimal.
func hashRevision(data []byte, probe *int32) string {
	h := fnv.New32()
	h.Write(data)
	if probe != nil {
		h.Write([]byte(strconv.FormatInt(int64(*probe), 10)))
	}
	return rand.SafeEncodeString(fmt.Sprint(h.Sum32()))
}

// revisionName is "<prefix>-<hash>", the prefix cut to 223 bytes so that
// the name stays within 253.
func revisionName(prefix, hash string) string {
	if len(prefix) > 223 {
		prefix = prefix[:223]
	}
	return prefix + "-" + hash
}

// newRevision is the ControllerRevision of set's current template with
// the given number, controlled by set, labelled with the template's labels
// and the hash, annotated with set's annotations.
func newRevision(set *appsv1.StatefulSet, revision int64, collisionCount *int32) (*appsv1.ControllerRevision, error) {
	data, err := revisionData(set)
	if err != nil {
		return nil, err
	}
	hash := hashRevision(data, collisionCount)
	labels := copyMap(set.Spec.Template.Labels)
	labels[RevisionHashLabel] = hash
	return &appsv1.ControllerRevision{
		ObjectMeta: metav1.ObjectMeta{
			Name:            revisionName(set.Name, hash),
			Namespace:       set.Namespace,
			Labels:          labels,
			Annotations:     copyMap(set.Annotations),
			OwnerReferences: []metav1.OwnerReference{*metav1.NewControllerRef(set, controllerKind)},
		},
		Data:     runtime.RawExtension{Raw: data},
		Revision: revision,
	}, nil
}

// applyRevision returns a copy of set with the spec revision restores
// (only the template, for the revisions this controller writes).
func applyRevision(set *appsv1.StatefulSet, revision *appsv1.ControllerRevision) (*appsv1.StatefulSet, error) {
	clone := set.DeepCopy()
	original, err := runtime.Encode(revisionCodec, clone)
	if err != nil {
		return nil, fmt.Errorf("encode statefulset %s/%s: %w", set.Namespace, set.Name, err)
	}
	patched, err := strategicpatch.StrategicMergePatch(original, revision.Data.Raw, clone)
	if err != nil {
		return nil, fmt.Errorf("apply revision %s: %w", revision.Name, err)
	}
	restored := &appsv1.StatefulSet{}
	if err := json.Unmarshal(patched, restored); err != nil {
		return nil, fmt.Errorf("decode revision %s applied: %w", revision.Name, err)
	}
	clone.Spec = restored.Spec
	return clone, nil
}

// equalRevision compares revisions by their data's bytes, as upstream and
// kubectl do.
func equalRevision(a, b *appsv1.ControllerRevision) bool {
	if a == nil || b == nil {
		return a == b
	}
	return bytes.Equal(a.Data.Raw, b.Data.Raw)
}

// sortRevisions orders revisions by number, then creation time, then name.
func sortRevisions(revisions []*appsv1.ControllerRevision) {
	sort.SliceStable(revisions, func(i, j int) bool {
		a, b := revisions[i], revisions[j]
		if a.Revision != b.Revision {
			return a.Revision < b.Revision
		}
		if !a.CreationTimestamp.Equal(&b.CreationTimestamp) {
			return a.CreationTimestamp.Before(&b.CreationTimestamp)
		}
		return a.Name < b.Name
	})
}

// nextRevision is one more than the highest of sorted revisions, 1 for none.
func nextRevision(sorted []*appsv1.ControllerRevision) int64 {
	if len(sorted) == 0 {
		return 1
	}
	return sorted[len(sorted)-1].Revision + 1
}

// sameTemplateCache remembers which (set UID, generation) was found to
// reproduce which revision (by resourceVersion), so that the semantic
// comparison of sameAsRevision runs once per change, not once per sync.
// 10,000 entries take about a megabyte (upstream's size).
type sameTemplateKey struct {
	set             types.UID
	generation      int64
	resourceVersion string
}

func newSameTemplateCache() *lru.Cache { return lru.New(10_000) }

// sameAsRevision reports whether restoring latest to set, defaulted as the
// API server would store it, yields a revision equal to proposed. It keeps
// a revision written by another version of the encoding (upstream 1.33
// wrote "creationTimestamp":null into templates, 1.34 does not) from
// counting as a new template and rolling every pod (upstream's
// StatefulSetSemanticRevisionComparison, on by default).
func sameAsRevision(set *appsv1.StatefulSet, proposed, latest *appsv1.ControllerRevision, cache *lru.Cache) bool {
	key := sameTemplateKey{set: set.UID, generation: set.Generation, resourceVersion: latest.ResourceVersion}
	if _, ok := cache.Get(key); ok {
		return true
	}
	restored, err := applyRevision(set, latest)
	if err != nil {
		return false
	}
	apps.SetObjectDefaultsStatefulSet(restored)
	rebuilt, err := newRevision(restored, -1, nil)
	if err != nil || !equalRevision(proposed, rebuilt) {
		return false
	}
	cache.Add(key, struct{}{})
	return true
}

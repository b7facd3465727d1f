package deployment

import (
	"encoding/binary"
	"fmt"
	"hash/fnv"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/rand"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/utils/dump"
)

// PodTemplateHash is the pod-template-hash label value of a Deployment's
// ReplicaSet for template (the Deployment's, without the label) and the
// Deployment's status.collisionCount. It is computed exactly
// as upstream's controller.ComputeHash so that ReplicaSet names match a real
// cluster's for the same stored template: fnv32a over the spew dump of the
// template value (dump.ForHash, the printer upstream's DeepHashObject uses;
// a pointer would dump differently), then the collision count as eight
// little-endian bytes when set, and the decimal sum mapped onto
// rand.SafeEncodeString's alphabet.
func PodTemplateHash(template *corev1.PodTemplateSpec, collisionCount *int32) string {
	h := fnv.New32a()
	fmt.Fprint(h, dump.ForHash(*template))
	if collisionCount != nil {
		b := make([]byte, 8)
		binary.LittleEndian.PutUint32(b, uint32(*collisionCount))
		h.Write(b)
	}
	return rand.SafeEncodeString(fmt.Sprint(h.Sum32()))
}

// replicaSetName is "<deployment>-<hash>", the deployment's name cut short
// when the whole would not be a valid name (upstream 1.37's
// generateReplicaSetName).
func replicaSetName(deployment, hash string) string {
	if n := validation.DNS1123SubdomainMaxLength - 1 - len(hash); len(deployment) > n && n > 0 {
		deployment = deployment[:n]
	}
	return deployment + "-" + hash
}

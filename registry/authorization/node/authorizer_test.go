package node

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	resourcev1 "k8s.io/api/resource/v1"
	storagev1 "k8s.io/api/storage/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/selection"
	"k8s.io/apiserver/pkg/authentication/user"
	"k8s.io/apiserver/pkg/authorization/authorizer"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes/fake"
	"k8s.io/utils/ptr"

	"github.com/kubeshim/kubeshim/registry/rbac/bootstrappolicy"
)

func node(name string) user.Info {
	return &user.DefaultInfo{Name: NodeUserPrefix + name, Groups: []string{user.NodesGroup, user.AllAuthenticated}}
}

// newTestAuthorizer returns an authorizer whose caches hold: on node1, pod
// ns/web (secret volume "web-tls", env from configmap "web-config", claim
// "data" bound to PV "pv-data", an ephemeral volume "scratch", service
// account "web-sa", resource claim "gpu"); on node2, pod ns/other (secret
// "other-secret"); a VolumeAttachment and a ResourceSlice of node1.
func newTestAuthorizer(t *testing.T) *Authorizer {
	t.Helper()
	f := informers.NewSharedInformerFactory(fake.NewClientset(), 0)
	a, err := New(f, bootstrappolicy.NodeRules())
	if err != nil {
		t.Fatal(err)
	}
	web := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "web"},
		Spec: corev1.PodSpec{
			NodeName:           "node1",
			ServiceAccountName: "web-sa",
			Containers: []corev1.Container{{
				Name:    "c",
				EnvFrom: []corev1.EnvFromSource{{ConfigMapRef: &corev1.ConfigMapEnvSource{LocalObjectReference: corev1.LocalObjectReference{Name: "web-config"}}}},
			}},
			Volumes: []corev1.Volume{
				{Name: "tls", VolumeSource: corev1.VolumeSource{Secret: &corev1.SecretVolumeSource{SecretName: "web-tls"}}},
				{Name: "data", VolumeSource: corev1.VolumeSource{PersistentVolumeClaim: &corev1.PersistentVolumeClaimVolumeSource{ClaimName: "data"}}},
				{Name: "scratch", VolumeSource: corev1.VolumeSource{Ephemeral: &corev1.EphemeralVolumeSource{}}},
			},
		},
		Status: corev1.PodStatus{ResourceClaimStatuses: []corev1.PodResourceClaimStatus{{Name: "gpu", ResourceClaimName: ptr.To("web-gpu")}}},
	}
	other := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "other"},
		Spec: corev1.PodSpec{
			NodeName: "node2",
			Volumes:  []corev1.Volume{{Name: "s", VolumeSource: corev1.VolumeSource{Secret: &corev1.SecretVolumeSource{SecretName: "other-secret"}}}},
		},
	}
	pending := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "pending"},
		Spec:       corev1.PodSpec{ImagePullSecrets: []corev1.LocalObjectReference{{Name: "pull"}}},
	}
	for _, p := range []*corev1.Pod{web, other, pending} {
		if err := f.Core().V1().Pods().Informer().GetIndexer().Add(p); err != nil {
			t.Fatal(err)
		}
	}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(f.Core().V1().PersistentVolumeClaims().Informer().GetIndexer().Add(&corev1.PersistentVolumeClaim{
		ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "data"}, Spec: corev1.PersistentVolumeClaimSpec{VolumeName: "pv-data"}}))
	must(f.Core().V1().PersistentVolumes().Informer().GetIndexer().Add(&corev1.PersistentVolume{
		ObjectMeta: metav1.ObjectMeta{Name: "pv-data"},
		Spec: corev1.PersistentVolumeSpec{PersistentVolumeSource: corev1.PersistentVolumeSource{CSI: &corev1.CSIPersistentVolumeSource{
			Driver: "d", VolumeHandle: "h", NodePublishSecretRef: &corev1.SecretReference{Namespace: "vault", Name: "csi-creds"}}}}}))
	must(f.Core().V1().PersistentVolumes().Informer().GetIndexer().Add(&corev1.PersistentVolume{ObjectMeta: metav1.ObjectMeta{Name: "pv-unrelated"}}))
	must(f.Storage().V1().VolumeAttachments().Informer().GetIndexer().Add(&storagev1.VolumeAttachment{
		ObjectMeta: metav1.ObjectMeta{Name: "va1"}, Spec: storagev1.VolumeAttachmentSpec{NodeName: "node1"}}))
	must(f.Resource().V1().ResourceSlices().Informer().GetIndexer().Add(&resourcev1.ResourceSlice{
		ObjectMeta: metav1.ObjectMeta{Name: "slice1"}, Spec: resourcev1.ResourceSliceSpec{NodeName: ptr.To("node1")}}))
	return a
}

func TestAuthorize(t *testing.T) {
	a := newTestAuthorizer(t)
	nodeNameIs := func(v string) fields.Requirements {
		return fields.Requirements{{Field: "spec.nodeName", Operator: selection.Equals, Value: v}}
	}
	const noRelation = "no relationship found between node 'node1' and this object"
	tests := []struct {
		name       string
		attrs      authorizer.AttributesRecord
		want       authorizer.Decision
		wantReason string
	}{
		{
			name:  "not a node: no opinion",
			attrs: authorizer.AttributesRecord{User: &user.DefaultInfo{Name: "alice"}, Verb: "get", Resource: "secrets", Namespace: "ns", Name: "web-tls", ResourceRequest: true},
			want:  authorizer.DecisionNoOpinion,
		},
		{
			name:  "node name without the nodes group is no node",
			attrs: authorizer.AttributesRecord{User: &user.DefaultInfo{Name: "system:node:node1"}, Verb: "get", Resource: "secrets", Namespace: "ns", Name: "web-tls", ResourceRequest: true},
			want:  authorizer.DecisionNoOpinion,
		},
		{
			name:       "nodes group without a node name",
			attrs:      authorizer.AttributesRecord{User: &user.DefaultInfo{Name: "system:node:", Groups: []string{user.NodesGroup}}, Verb: "get", Resource: "services", Namespace: "ns", Name: "x", ResourceRequest: true},
			want:       authorizer.DecisionNoOpinion,
			wantReason: `unknown node for user "system:node:"`,
		},
		{
			name:  "secret of a pod on the node",
			attrs: authorizer.AttributesRecord{User: node("node1"), Verb: "get", Resource: "secrets", Namespace: "ns", Name: "web-tls", ResourceRequest: true},
			want:  authorizer.DecisionAllow,
		},
		{
			name:  "watch of one secret of a pod on the node",
			attrs: authorizer.AttributesRecord{User: node("node1"), Verb: "watch", Resource: "secrets", Namespace: "ns", Name: "web-tls", ResourceRequest: true},
			want:  authorizer.DecisionAllow,
		},
		{
			name:       "secret of a pod on another node",
			attrs:      authorizer.AttributesRecord{User: node("node1"), Verb: "get", Resource: "secrets", Namespace: "ns", Name: "other-secret", ResourceRequest: true},
			want:       authorizer.DecisionNoOpinion,
			wantReason: noRelation,
		},
		{
			name:       "same name in another namespace",
			attrs:      authorizer.AttributesRecord{User: node("node1"), Verb: "get", Resource: "secrets", Namespace: "elsewhere", Name: "web-tls", ResourceRequest: true},
			want:       authorizer.DecisionNoOpinion,
			wantReason: noRelation,
		},
		{
			name:       "image pull secret of an unscheduled pod",
			attrs:      authorizer.AttributesRecord{User: node("node1"), Verb: "get", Resource: "secrets", Namespace: "ns", Name: "pull", ResourceRequest: true},
			want:       authorizer.DecisionNoOpinion,
			wantReason: noRelation,
		},
		{
			name:       "list of every secret",
			attrs:      authorizer.AttributesRecord{User: node("node1"), Verb: "list", Resource: "secrets", Namespace: "ns", ResourceRequest: true},
			want:       authorizer.DecisionNoOpinion,
			wantReason: "No Object name found",
		},
		{
			name:       "writing a secret",
			attrs:      authorizer.AttributesRecord{User: node("node1"), Verb: "update", Resource: "secrets", Namespace: "ns", Name: "web-tls", ResourceRequest: true},
			want:       authorizer.DecisionNoOpinion,
			wantReason: "can only read resources of this type",
		},
		{
			name:  "secret a bound PV's CSI driver needs",
			attrs: authorizer.AttributesRecord{User: node("node1"), Verb: "get", Resource: "secrets", Namespace: "vault", Name: "csi-creds", ResourceRequest: true},
			want:  authorizer.DecisionAllow,
		},
		{
			name:  "configmap from envFrom",
			attrs: authorizer.AttributesRecord{User: node("node1"), Verb: "get", Resource: "configmaps", Namespace: "ns", Name: "web-config", ResourceRequest: true},
			want:  authorizer.DecisionAllow,
		},
		{
			name:       "configmap of another node",
			attrs:      authorizer.AttributesRecord{User: node("node2"), Verb: "get", Resource: "configmaps", Namespace: "ns", Name: "web-config", ResourceRequest: true},
			want:       authorizer.DecisionNoOpinion,
			wantReason: "no relationship found between node 'node2' and this object",
		},
		{
			name:  "claim of a pod",
			attrs: authorizer.AttributesRecord{User: node("node1"), Verb: "get", Resource: "persistentvolumeclaims", Namespace: "ns", Name: "data", ResourceRequest: true},
			want:  authorizer.DecisionAllow,
		},
		{
			name:  "ephemeral volume's claim",
			attrs: authorizer.AttributesRecord{User: node("node1"), Verb: "get", Resource: "persistentvolumeclaims", Namespace: "ns", Name: "web-scratch", ResourceRequest: true},
			want:  authorizer.DecisionAllow,
		},
		{
			name:  "claim status update",
			attrs: authorizer.AttributesRecord{User: node("node1"), Verb: "patch", Resource: "persistentvolumeclaims", Subresource: "status", Namespace: "ns", Name: "data", ResourceRequest: true},
			want:  authorizer.DecisionAllow,
		},
		{
			name:       "listing claims",
			attrs:      authorizer.AttributesRecord{User: node("node1"), Verb: "list", Resource: "persistentvolumeclaims", Namespace: "ns", ResourceRequest: true},
			want:       authorizer.DecisionNoOpinion,
			wantReason: "can only get individual resources of this type",
		},
		{
			name:  "PV bound to a pod's claim",
			attrs: authorizer.AttributesRecord{User: node("node1"), Verb: "get", Resource: "persistentvolumes", Name: "pv-data", ResourceRequest: true},
			want:  authorizer.DecisionAllow,
		},
		{
			name:       "unrelated PV",
			attrs:      authorizer.AttributesRecord{User: node("node1"), Verb: "get", Resource: "persistentvolumes", Name: "pv-unrelated", ResourceRequest: true},
			want:       authorizer.DecisionNoOpinion,
			wantReason: noRelation,
		},
		{
			name:  "resource claim",
			attrs: authorizer.AttributesRecord{User: node("node1"), Verb: "get", APIGroup: "resource.k8s.io", Resource: "resourceclaims", Namespace: "ns", Name: "web-gpu", ResourceRequest: true},
			want:  authorizer.DecisionAllow,
		},
		{
			name:  "token for a pod's service account",
			attrs: authorizer.AttributesRecord{User: node("node1"), Verb: "create", Resource: "serviceaccounts", Subresource: "token", Namespace: "ns", Name: "web-sa", ResourceRequest: true},
			want:  authorizer.DecisionAllow,
		},
		{
			name:       "token for another service account",
			attrs:      authorizer.AttributesRecord{User: node("node1"), Verb: "create", Resource: "serviceaccounts", Subresource: "token", Namespace: "ns", Name: "default", ResourceRequest: true},
			want:       authorizer.DecisionNoOpinion,
			wantReason: noRelation,
		},
		{
			name:       "updating a service account",
			attrs:      authorizer.AttributesRecord{User: node("node1"), Verb: "update", Resource: "serviceaccounts", Namespace: "ns", Name: "web-sa", ResourceRequest: true},
			want:       authorizer.DecisionNoOpinion,
			wantReason: "can only create tokens for individual service accounts",
		},
		{
			name:  "own lease",
			attrs: authorizer.AttributesRecord{User: node("node1"), Verb: "update", APIGroup: "coordination.k8s.io", Resource: "leases", Namespace: "kube-node-lease", Name: "node1", ResourceRequest: true},
			want:  authorizer.DecisionAllow,
		},
		{
			name:       "another node's lease",
			attrs:      authorizer.AttributesRecord{User: node("node1"), Verb: "update", APIGroup: "coordination.k8s.io", Resource: "leases", Namespace: "kube-node-lease", Name: "node2", ResourceRequest: true},
			want:       authorizer.DecisionNoOpinion,
			wantReason: "can only access node lease with the same name as the requesting node",
		},
		{
			name:       "a lease elsewhere",
			attrs:      authorizer.AttributesRecord{User: node("node1"), Verb: "get", APIGroup: "coordination.k8s.io", Resource: "leases", Namespace: "kube-system", Name: "node1", ResourceRequest: true},
			want:       authorizer.DecisionNoOpinion,
			wantReason: `can only access leases in the "kube-node-lease" system namespace`,
		},
		{
			name:  "own node",
			attrs: authorizer.AttributesRecord{User: node("node1"), Verb: "get", Resource: "nodes", Name: "node1", ResourceRequest: true},
			want:  authorizer.DecisionAllow,
		},
		{
			name:       "another node",
			attrs:      authorizer.AttributesRecord{User: node("node1"), Verb: "get", Resource: "nodes", Name: "node2", ResourceRequest: true},
			want:       authorizer.DecisionNoOpinion,
			wantReason: "node 'node1' cannot read 'node2', only its own Node object",
		},
		{
			name:       "every node",
			attrs:      authorizer.AttributesRecord{User: node("node1"), Verb: "list", Resource: "nodes", ResourceRequest: true},
			want:       authorizer.DecisionNoOpinion,
			wantReason: "node 'node1' cannot read all nodes, only its own Node object",
		},
		{
			name:  "node status (NodeRestriction checks which)",
			attrs: authorizer.AttributesRecord{User: node("node1"), Verb: "patch", Resource: "nodes", Subresource: "status", Name: "node2", ResourceRequest: true},
			want:  authorizer.DecisionAllow,
		},
		{
			name:  "pods of the node",
			attrs: authorizer.AttributesRecord{User: node("node1"), Verb: "watch", Resource: "pods", FieldSelectorRequirements: nodeNameIs("node1"), ResourceRequest: true},
			want:  authorizer.DecisionAllow,
		},
		{
			name:       "pods of another node",
			attrs:      authorizer.AttributesRecord{User: node("node1"), Verb: "list", Resource: "pods", FieldSelectorRequirements: nodeNameIs("node2"), ResourceRequest: true},
			want:       authorizer.DecisionNoOpinion,
			wantReason: "can only list/watch pods with spec.nodeName field selector",
		},
		{
			name:  "get of a pod on the node",
			attrs: authorizer.AttributesRecord{User: node("node1"), Verb: "get", Resource: "pods", Namespace: "ns", Name: "web", ResourceRequest: true},
			want:  authorizer.DecisionAllow,
		},
		{
			name:       "get of a pod on another node",
			attrs:      authorizer.AttributesRecord{User: node("node1"), Verb: "get", Resource: "pods", Namespace: "ns", Name: "other", ResourceRequest: true},
			want:       authorizer.DecisionNoOpinion,
			wantReason: noRelation,
		},
		{
			name:  "pod status (NodeRestriction checks which)",
			attrs: authorizer.AttributesRecord{User: node("node1"), Verb: "update", Resource: "pods", Subresource: "status", Namespace: "ns", Name: "other", ResourceRequest: true},
			want:  authorizer.DecisionAllow,
		},
		{
			name:  "pod exec is not a node's",
			attrs: authorizer.AttributesRecord{User: node("node1"), Verb: "create", Resource: "pods", Subresource: "exec", Namespace: "ns", Name: "web", ResourceRequest: true},
			want:  authorizer.DecisionNoOpinion,
		},
		{
			name:  "attachment to the node",
			attrs: authorizer.AttributesRecord{User: node("node1"), Verb: "get", APIGroup: "storage.k8s.io", Resource: "volumeattachments", Name: "va1", ResourceRequest: true},
			want:  authorizer.DecisionAllow,
		},
		{
			name:       "attachment to another node",
			attrs:      authorizer.AttributesRecord{User: node("node2"), Verb: "get", APIGroup: "storage.k8s.io", Resource: "volumeattachments", Name: "va1", ResourceRequest: true},
			want:       authorizer.DecisionNoOpinion,
			wantReason: "no relationship found between node 'node2' and this object",
		},
		{
			name: "the node's resource slices",
			attrs: authorizer.AttributesRecord{User: node("node1"), Verb: "list", APIGroup: "resource.k8s.io", Resource: "resourceslices", ResourceRequest: true,
				FieldSelectorRequirements: fields.Requirements{{Field: resourcev1.ResourceSliceSelectorNodeName, Operator: selection.Equals, Value: "node1"}}},
			want: authorizer.DecisionAllow,
		},
		{
			name:  "update of the node's slice",
			attrs: authorizer.AttributesRecord{User: node("node1"), Verb: "update", APIGroup: "resource.k8s.io", Resource: "resourceslices", Name: "slice1", ResourceRequest: true},
			want:  authorizer.DecisionAllow,
		},
		{
			name:       "every slice",
			attrs:      authorizer.AttributesRecord{User: node("node1"), Verb: "list", APIGroup: "resource.k8s.io", Resource: "resourceslices", ResourceRequest: true},
			want:       authorizer.DecisionNoOpinion,
			wantReason: "can only list/watch/deletecollection resourceslices with nodeName field selector",
		},
		{
			name:  "the node rules: reading services",
			attrs: authorizer.AttributesRecord{User: node("node1"), Verb: "list", Resource: "services", ResourceRequest: true},
			want:  authorizer.DecisionAllow,
		},
		{
			name:  "the node rules: events",
			attrs: authorizer.AttributesRecord{User: node("node1"), Verb: "create", Resource: "events", Namespace: "ns", ResourceRequest: true},
			want:  authorizer.DecisionAllow,
		},
		{
			name:  "outside the node rules: deployments",
			attrs: authorizer.AttributesRecord{User: node("node1"), Verb: "create", APIGroup: "apps", Resource: "deployments", Namespace: "ns", ResourceRequest: true},
			want:  authorizer.DecisionNoOpinion,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, reason, err := a.Authorize(context.Background(), tt.attrs)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(struct {
				Decision authorizer.Decision
				Reason   string
			}{tt.want, tt.wantReason}, struct {
				Decision authorizer.Decision
				Reason   string
			}{got, reason}); diff != "" {
				t.Errorf("Authorize (-want +got):\n%s", diff)
			}
		})
	}
}

func TestRulesFor(t *testing.T) {
	a := newTestAuthorizer(t)
	if _, _, incomplete, err := a.RulesFor(context.Background(), node("node1"), "ns"); !incomplete || err == nil {
		t.Errorf("RulesFor(node) = incomplete %v, err %v; want incomplete with an error", incomplete, err)
	}
	if _, _, incomplete, err := a.RulesFor(context.Background(), &user.DefaultInfo{Name: "alice"}, "ns"); incomplete || err != nil {
		t.Errorf("RulesFor(alice) = incomplete %v, err %v; want neither", incomplete, err)
	}
}

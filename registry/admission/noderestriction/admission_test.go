package noderestriction

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	authenticationv1 "k8s.io/api/authentication/v1"
	certificatesv1 "k8s.io/api/certificates/v1"
	coordinationv1 "k8s.io/api/coordination/v1"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	resourcev1 "k8s.io/api/resource/v1"
	storagev1 "k8s.io/api/storage/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/sets"
	"k8s.io/apiserver/pkg/admission"
	"k8s.io/apiserver/pkg/authentication/user"
	"k8s.io/apiserver/pkg/authorization/authorizer"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes/fake"
	"k8s.io/client-go/tools/cache"
	"k8s.io/utils/ptr"
)

const ns = "ns"

var (
	node      = nodeUser("mynode")
	otherNode = nodeUser("othernode")
	// alice is no node; the plugin leaves her requests to the authorizer.
	alice = &user.DefaultInfo{Name: "alice", Groups: []string{user.AllAuthenticated}}

	podsGVR   = corev1.SchemeGroupVersion.WithResource("pods")
	nodesGVR  = corev1.SchemeGroupVersion.WithResource("nodes")
	pvcsGVR   = corev1.SchemeGroupVersion.WithResource("persistentvolumeclaims")
	saGVR     = corev1.SchemeGroupVersion.WithResource("serviceaccounts")
	leaseGVR  = coordinationv1.SchemeGroupVersion.WithResource("leases")
	csiGVR    = storagev1.SchemeGroupVersion.WithResource("csinodes")
	sliceGVR  = resourcev1.SchemeGroupVersion.WithResource("resourceslices")
	csrGVR    = certificatesv1.SchemeGroupVersion.WithResource("certificatesigningrequests")
	pcrGVR    = certificatesv1.SchemeGroupVersion.WithResource("podcertificaterequests")
	configMap = corev1.VolumeSource{ConfigMap: &corev1.ConfigMapVolumeSource{LocalObjectReference: corev1.LocalObjectReference{Name: "cm"}}}
)

func nodeUser(name string) *user.DefaultInfo {
	return &user.DefaultInfo{Name: "system:node:" + name, Groups: []string{user.NodesGroup, user.AllAuthenticated}}
}

// request is an admission request in the few words a test case needs.
type request struct {
	user        user.Info
	op          admission.Operation
	gvr         schema.GroupVersionResource
	subresource string
	namespace   string
	name        string
	obj, old    runtime.Object
}

func (r request) attributes() admission.Attributes {
	return admission.NewAttributesRecord(r.obj, r.old, schema.GroupVersionKind{}, r.namespace, r.name, r.gvr,
		r.subresource, r.op, nil, false, r.user)
}

// outcome sums up Admit's answer: "" for allowed, "forbidden: " and the
// plugin's own message for Forbidden, "not found: " or "error: " and the
// whole error otherwise.
func outcome(err error) string {
	switch {
	case err == nil:
		return ""
	case apierrors.IsForbidden(err):
		_, msg, _ := strings.Cut(err.Error(), "forbidden: ")
		return "forbidden: " + msg
	case apierrors.IsNotFound(err):
		return "not found: " + err.Error()
	default:
		return "error: " + err.Error()
	}
}

// fakeAuthorizer allows what allowed says and denies the rest.
type fakeAuthorizer func(authorizer.Attributes) bool

func (f fakeAuthorizer) Authorize(_ context.Context, a authorizer.Attributes) (authorizer.Decision, string, error) {
	if f(a) {
		return authorizer.DecisionAllow, "", nil
	}
	return authorizer.DecisionNoOpinion, "", nil
}

// newPlugin returns an initialized plugin over informers holding objs.
// Its authorizer grants nodes the token audience "granted" and the signer
// example.com/granted, as RBAC rules would.
func newPlugin(t *testing.T, objs ...runtime.Object) *Plugin {
	t.Helper()
	factory := informers.NewSharedInformerFactory(fake.NewClientset(), 0)
	p := New()
	p.SetExternalKubeInformerFactory(factory)
	p.SetUnconditionalAuthorizer(fakeAuthorizer(func(a authorizer.Attributes) bool {
		switch a.GetVerb() {
		case "request-serviceaccounts-token-audience":
			return a.GetResource() == "granted"
		case "request-serviceaccounts-podcertificate-signer":
			return a.GetResource() == "example.com:granted"
		}
		return false
	}))
	if err := p.ValidateInitialization(); err != nil {
		t.Fatal(err)
	}
	for _, obj := range objs {
		var indexer cache.Indexer
		switch obj.(type) {
		case *corev1.Pod:
			indexer = factory.Core().V1().Pods().Informer().GetIndexer()
		case *corev1.Node:
			indexer = factory.Core().V1().Nodes().Informer().GetIndexer()
		case *corev1.ServiceAccount:
			indexer = factory.Core().V1().ServiceAccounts().Informer().GetIndexer()
		case *corev1.PersistentVolumeClaim:
			indexer = factory.Core().V1().PersistentVolumeClaims().Informer().GetIndexer()
		case *corev1.PersistentVolume:
			indexer = factory.Core().V1().PersistentVolumes().Informer().GetIndexer()
		case *storagev1.CSIDriver:
			indexer = factory.Storage().V1().CSIDrivers().Informer().GetIndexer()
		default:
			t.Fatalf("no informer for %T", obj)
		}
		if err := indexer.Add(obj); err != nil {
			t.Fatal(err)
		}
	}
	return p
}

// pod returns a pod of ns, running as service account "sa" on nodeName.
func pod(name, nodeName string, mods ...func(*corev1.Pod)) *corev1.Pod {
	p := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name, UID: types.UID(name + "-uid")},
		Spec:       corev1.PodSpec{NodeName: nodeName, ServiceAccountName: "sa"},
	}
	for _, m := range mods {
		m(p)
	}
	return p
}

// mirrorPod returns a mirror pod that mynode may create, changed by mods.
func mirrorPod(mods ...func(*corev1.Pod)) *corev1.Pod {
	p := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{
			Namespace:   ns,
			Name:        "static-mynode",
			Annotations: map[string]string{corev1.MirrorPodAnnotationKey: "hash"},
			OwnerReferences: []metav1.OwnerReference{{
				APIVersion: "v1", Kind: "Node", Name: "mynode", UID: "mynode-uid", Controller: ptr.To(true),
			}},
		},
		Spec: corev1.PodSpec{
			NodeName:   "mynode",
			Containers: []corev1.Container{{Name: "c", Image: "busybox"}},
			Volumes:    []corev1.Volume{{Name: "host", VolumeSource: corev1.VolumeSource{HostPath: &corev1.HostPathVolumeSource{Path: "/etc"}}}},
		},
	}
	for _, m := range mods {
		m(p)
	}
	return p
}

func withVolume(src corev1.VolumeSource) func(*corev1.Pod) {
	return func(p *corev1.Pod) {
		p.Spec.Volumes = append(p.Spec.Volumes, corev1.Volume{Name: "v", VolumeSource: src})
	}
}

func projected(sources ...corev1.VolumeProjection) corev1.VolumeSource {
	return corev1.VolumeSource{Projected: &corev1.ProjectedVolumeSource{Sources: sources}}
}

func nodeObj(name string, labels map[string]string, taints ...corev1.Taint) *corev1.Node {
	return &corev1.Node{
		ObjectMeta: metav1.ObjectMeta{Name: name, UID: types.UID(name + "-uid"), Labels: labels},
		Spec:       corev1.NodeSpec{Taints: taints},
	}
}

func tokenRequest(audiences []string, ref *authenticationv1.BoundObjectReference) *authenticationv1.TokenRequest {
	return &authenticationv1.TokenRequest{Spec: authenticationv1.TokenRequestSpec{Audiences: audiences, BoundObjectRef: ref}}
}

func podRef(name string, uid types.UID) *authenticationv1.BoundObjectReference {
	return &authenticationv1.BoundObjectReference{APIVersion: "v1", Kind: "Pod", Name: name, UID: uid}
}

func pcr(mods ...func(*certificatesv1.PodCertificateRequestSpec)) *certificatesv1.PodCertificateRequest {
	r := &certificatesv1.PodCertificateRequest{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "req"},
		Spec: certificatesv1.PodCertificateRequestSpec{
			SignerName: "example.com/signer", PodName: "certpod", PodUID: "certpod-uid",
			ServiceAccountName: "sa", ServiceAccountUID: "sa-uid", NodeName: "mynode", NodeUID: "mynode-uid",
		},
	}
	for _, m := range mods {
		m(&r.Spec)
	}
	return r
}

func lease(name string) *coordinationv1.Lease {
	return &coordinationv1.Lease{ObjectMeta: metav1.ObjectMeta{Namespace: corev1.NamespaceNodeLease, Name: name}}
}

func slice(nodeName *string) *resourcev1.ResourceSlice {
	return &resourcev1.ResourceSlice{
		ObjectMeta: metav1.ObjectMeta{Name: "slice"},
		Spec:       resourcev1.ResourceSliceSpec{NodeName: nodeName},
	}
}

func claim(mods ...func(*corev1.PersistentVolumeClaim)) *corev1.PersistentVolumeClaim {
	c := &corev1.PersistentVolumeClaim{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "data", ResourceVersion: "1"},
		Spec:       corev1.PersistentVolumeClaimSpec{VolumeName: "pv"},
		Status: corev1.PersistentVolumeClaimStatus{
			Phase:    corev1.ClaimBound,
			Capacity: corev1.ResourceList{corev1.ResourceStorage: resource.MustParse("1Gi")},
		},
	}
	for _, m := range mods {
		m(c)
	}
	return c
}

// csr returns a CertificateSigningRequest for signer with a request whose
// common name is cn.
func csr(t *testing.T, signer, cn string) *certificatesv1.CertificateSigningRequest {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.CreateCertificateRequest(rand.Reader, &x509.CertificateRequest{Subject: pkix.Name{CommonName: cn, Organization: []string{"system:nodes"}}}, key)
	if err != nil {
		t.Fatal(err)
	}
	return &certificatesv1.CertificateSigningRequest{Spec: certificatesv1.CertificateSigningRequestSpec{
		SignerName: signer,
		Request:    pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE REQUEST", Bytes: der}),
	}}
}

func TestAdmit(t *testing.T) {
	t.Parallel()
	tokenVolume := withVolume(projected(corev1.VolumeProjection{ServiceAccountToken: &corev1.ServiceAccountTokenProjection{Path: "token"}}))
	objects := []runtime.Object{
		nodeObj("mynode", nil),
		pod("mypod", "mynode", tokenVolume),
		pod("otherpod", "othernode"),
		pod("csipod", "mynode", withVolume(corev1.VolumeSource{PersistentVolumeClaim: &corev1.PersistentVolumeClaimVolumeSource{ClaimName: "data"}})),
		pod("inlinepod", "mynode", withVolume(corev1.VolumeSource{CSI: &corev1.CSIVolumeSource{Driver: "csi.example.com"}})),
		pod("certpod", "mynode", withVolume(projected(corev1.VolumeProjection{PodCertificate: &corev1.PodCertificateProjection{SignerName: "example.com/signer"}}))),
		pod("mirrorcertpod", "mynode", func(p *corev1.Pod) { p.Annotations = map[string]string{corev1.MirrorPodAnnotationKey: "x"} }),
		&corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "sa", UID: "sa-uid"}},
		claim(),
		&corev1.PersistentVolume{ObjectMeta: metav1.ObjectMeta{Name: "pv"}, Spec: corev1.PersistentVolumeSpec{
			PersistentVolumeSource: corev1.PersistentVolumeSource{CSI: &corev1.CSIPersistentVolumeSource{Driver: "csi.example.com", VolumeHandle: "h"}}}},
		&storagev1.CSIDriver{ObjectMeta: metav1.ObjectMeta{Name: "csi.example.com"}, Spec: storagev1.CSIDriverSpec{
			TokenRequests: []storagev1.TokenRequest{{Audience: "csi-audience"}}}},
	}
	noSchedule := corev1.Taint{Key: "example.com/dedicated", Effect: corev1.TaintEffectNoSchedule}
	create := func(u user.Info, gvr schema.GroupVersionResource, sub, namespace, name string, obj runtime.Object) request {
		return request{user: u, op: admission.Create, gvr: gvr, subresource: sub, namespace: namespace, name: name, obj: obj}
	}
	update := func(u user.Info, gvr schema.GroupVersionResource, sub, namespace, name string, obj, old runtime.Object) request {
		return request{user: u, op: admission.Update, gvr: gvr, subresource: sub, namespace: namespace, name: name, obj: obj, old: old}
	}
	del := func(u user.Info, gvr schema.GroupVersionResource, namespace, name string, old runtime.Object) request {
		return request{user: u, op: admission.Delete, gvr: gvr, namespace: namespace, name: name, old: old}
	}
	createPod := func(u user.Info, p *corev1.Pod) request { return create(u, podsGVR, "", ns, p.Name, p) }

	tests := []struct {
		name string
		req  request
		want string
		// prefix says want is only the start of the outcome.
		prefix bool
	}{
		// Who is a node.
		{name: "a user who is no node is untouched", req: createPod(alice, pod("web", ""))},
		{name: "the node user name without the group is no node",
			req: createPod(&user.DefaultInfo{Name: "system:node:mynode"}, pod("web", ""))},
		{name: "a node without a name", req: createPod(&user.DefaultInfo{Name: "system:node:", Groups: []string{user.NodesGroup}}, mirrorPod()),
			want: `forbidden: could not determine node from user "system:node:"`},
		{name: "a node's request for an unrelated resource", req: create(node, corev1.SchemeGroupVersion.WithResource("events"), "", ns, "e", &corev1.Event{})},

		// Mirror pods.
		{name: "mirror pod", req: createPod(node, mirrorPod())},
		{name: "a pod that is no mirror pod", req: createPod(node, pod("web", "mynode")),
			want: `forbidden: pod does not have "kubernetes.io/config.mirror" annotation, node "mynode" can only create mirror pods`},
		{name: "mirror pod of another node", req: createPod(otherNode, mirrorPod()),
			want: `forbidden: node "othernode" can only create pods with spec.nodeName set to itself`},
		{name: "mirror pod without owner", req: createPod(node, mirrorPod(func(p *corev1.Pod) { p.OwnerReferences = nil })),
			want: `forbidden: node "mynode" can only create pods with an owner reference set to itself`},
		{name: "mirror pod with two owners", req: createPod(node, mirrorPod(func(p *corev1.Pod) {
			p.OwnerReferences = append(p.OwnerReferences, p.OwnerReferences[0])
		})), want: `forbidden: node "mynode" can only create pods with a single owner reference set to itself`},
		{name: "mirror pod owned by another node", req: createPod(node, mirrorPod(func(p *corev1.Pod) { p.OwnerReferences[0].Name = "othernode" })),
			want: `forbidden: node "mynode" can only create pods with an owner reference set to itself`},
		{name: "mirror pod owned by a non-controller", req: createPod(node, mirrorPod(func(p *corev1.Pod) { p.OwnerReferences[0].Controller = nil })),
			want: `forbidden: node "mynode" can only create pods with a controller owner reference set to itself`},
		{name: "mirror pod blocking its owner's deletion", req: createPod(node, mirrorPod(func(p *corev1.Pod) {
			p.OwnerReferences[0].BlockOwnerDeletion = ptr.To(true)
		})), want: `forbidden: node "mynode" must not set blockOwnerDeletion on an owner reference`},
		{name: "mirror pod owned by an old incarnation of the node", req: createPod(node, mirrorPod(func(p *corev1.Pod) { p.OwnerReferences[0].UID = "old" })),
			want: `forbidden: node mynode UID mismatch: expected old got mynode-uid`},
		{name: "mirror pod of a node not yet seen", req: createPod(nodeUser("new"), mirrorPod(func(p *corev1.Pod) {
			p.Spec.NodeName, p.OwnerReferences[0].Name = "new", "new"
		})), want: `not found: node "new" not found`},
		{name: "mirror pod with a service account", req: createPod(node, mirrorPod(func(p *corev1.Pod) { p.Spec.ServiceAccountName = "sa" })),
			want: `forbidden: node "mynode" can not create pods that reference serviceaccounts`},
		{name: "mirror pod with a secret in its environment", req: createPod(node, mirrorPod(func(p *corev1.Pod) {
			p.Spec.Containers[0].Env = []corev1.EnvVar{{Name: "P", ValueFrom: &corev1.EnvVarSource{
				SecretKeyRef: &corev1.SecretKeySelector{LocalObjectReference: corev1.LocalObjectReference{Name: "s"}, Key: "k"}}}}
		})), want: `forbidden: node "mynode" can not create pods that reference secrets`},
		{name: "mirror pod with an ephemeral container's config map", req: createPod(node, mirrorPod(func(p *corev1.Pod) {
			p.Spec.EphemeralContainers = []corev1.EphemeralContainer{{EphemeralContainerCommon: corev1.EphemeralContainerCommon{
				Name: "debug", EnvFrom: []corev1.EnvFromSource{{ConfigMapRef: &corev1.ConfigMapEnvSource{LocalObjectReference: corev1.LocalObjectReference{Name: "cm"}}}}}}}
		})), want: `forbidden: node "mynode" can not create pods that reference configmaps`},
		{name: "mirror pod with a config map volume", req: createPod(node, mirrorPod(withVolume(configMap))),
			want: `forbidden: node "mynode" can not create pods that reference configmaps`},
		{name: "mirror pod with a claim", req: createPod(node, mirrorPod(withVolume(corev1.VolumeSource{
			PersistentVolumeClaim: &corev1.PersistentVolumeClaimVolumeSource{ClaimName: "data"}}))),
			want: `forbidden: node "mynode" can not create pods that reference persistentvolumeclaims`},
		{name: "mirror pod with a resource claim", req: createPod(node, mirrorPod(func(p *corev1.Pod) {
			p.Spec.ResourceClaims = []corev1.PodResourceClaim{{Name: "gpu", ResourceClaimName: ptr.To("gpu")}}
		})), want: `forbidden: node "mynode" can not create pods that reference resourceclaims`},
		{name: "mirror pod with a CSI volume", req: createPod(node, mirrorPod(withVolume(corev1.VolumeSource{CSI: &corev1.CSIVolumeSource{Driver: "d"}}))),
			want: `forbidden: node "mynode" can not create pods that reference csidrivers (via CSI volumes)`},
		{name: "mirror pod with a projected token", req: createPod(node, mirrorPod(tokenVolume)),
			want: `forbidden: node "mynode" can not create pods that reference serviceaccounts (via projected volumes)`},
		{name: "mirror pod with a projected downward API", req: createPod(node, mirrorPod(withVolume(projected(
			corev1.VolumeProjection{DownwardAPI: &corev1.DownwardAPIProjection{}}))))},
		{name: "mirror pod with a volume of no known type", req: createPod(node, mirrorPod(withVolume(corev1.VolumeSource{}))),
			want: `forbidden: error checking mirror pod for API references: unknown volume type for volume  "v"`},
		{name: "a node may not update pods", req: update(node, podsGVR, "", ns, "mypod", pod("mypod", "mynode"), pod("mypod", "mynode")),
			want: `forbidden: unexpected operation "UPDATE", node "mynode" can only create and delete mirror pods`},

		// Deleting, evicting and updating the status of pods.
		{name: "delete a pod on the node", req: del(node, podsGVR, ns, "mypod", nil)},
		{name: "delete a pod on another node", req: del(node, podsGVR, ns, "otherpod", nil),
			want: `forbidden: node "mynode" can only delete pods with spec.nodeName set to itself`},
		{name: "delete a pod not seen", req: del(node, podsGVR, ns, "gone", nil), want: `not found: pod "gone" not found`},
		{name: "pod status of the node's pod", req: update(node, podsGVR, "status", ns, "mypod",
			pod("mypod", "mynode", func(p *corev1.Pod) { p.Status.Phase = corev1.PodRunning }), pod("mypod", "mynode"))},
		{name: "pod status of another node's pod", req: update(node, podsGVR, "status", ns, "otherpod", pod("otherpod", "othernode"), pod("otherpod", "othernode")),
			want: `forbidden: node "mynode" can only update pod status for pods with spec.nodeName set to itself`},
		{name: "labels through pod status", req: update(node, podsGVR, "status", ns, "mypod",
			pod("mypod", "mynode", func(p *corev1.Pod) { p.Labels = map[string]string{"app": "x"} }), pod("mypod", "mynode")),
			want: `forbidden: node "mynode" cannot update labels through pod status`},
		{name: "resource claim statuses through pod status", req: update(node, podsGVR, "status", ns, "mypod",
			pod("mypod", "mynode", func(p *corev1.Pod) {
				p.Status.ResourceClaimStatuses = []corev1.PodResourceClaimStatus{{Name: "gpu", ResourceClaimName: ptr.To("gpu-1")}}
			}), pod("mypod", "mynode")),
			want: `forbidden: node "mynode" cannot update resource claim statues`},
		{name: "evict the node's pod by name", req: create(node, podsGVR, "eviction", ns, "mypod", &policyv1.Eviction{})},
		{name: "evict the node's pod by body", req: create(node, podsGVR, "eviction", ns, "",
			&policyv1.Eviction{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "mypod"}})},
		{name: "evict another node's pod", req: create(node, podsGVR, "eviction", ns, "",
			&policyv1.Eviction{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "otherpod"}}),
			want: `forbidden: node mynode can only evict pods with spec.nodeName set to itself`},
		{name: "evict no pod", req: create(node, podsGVR, "eviction", ns, "", &policyv1.Eviction{}),
			want: `forbidden: could not determine pod from request data`},
		{name: "another pod subresource", req: create(node, podsGVR, "binding", ns, "mypod", &corev1.Binding{}),
			want: `forbidden: unexpected pod subresource "binding", only 'status' and 'eviction' are allowed`},

		// Nodes.
		{name: "register with kubelet labels", req: create(node, nodesGVR, "", "", "mynode", nodeObj("mynode", map[string]string{
			corev1.LabelHostname: "mynode", corev1.LabelOSStable: "linux", "kubelet.kubernetes.io/x": "y",
			"node.kubernetes.io/exclude-from-external-load-balancers": "", "example.com/rack": "r1",
		}))},
		{name: "register another node", req: create(node, nodesGVR, "", "", "othernode", nodeObj("othernode", nil)),
			want: `forbidden: node "mynode" is not allowed to modify node "othernode"`},
		{name: "register with restricted labels", req: create(node, nodesGVR, "", "", "mynode", nodeObj("mynode", map[string]string{
			"node-role.kubernetes.io/control-plane": "", "a.node-restriction.kubernetes.io/b": "c", "node-restriction.kubernetes.io/d": "",
		})), want: `forbidden: node "mynode" is not allowed to set the following labels: a.node-restriction.kubernetes.io/b, node-restriction.kubernetes.io/d, node-role.kubernetes.io/control-plane`},
		{name: "register with a configSource", req: create(node, nodesGVR, "", "", "mynode", &corev1.Node{
			ObjectMeta: metav1.ObjectMeta{Name: "mynode"}, Spec: corev1.NodeSpec{ConfigSource: &corev1.NodeConfigSource{}}}),
			want: `forbidden: node "mynode" is not allowed to create pods with a non-nil configSource`},
		{name: "node status keeping taints", req: update(node, nodesGVR, "status", "", "mynode",
			nodeObj("mynode", nil, noSchedule), nodeObj("mynode", nil, noSchedule))},
		{name: "update another node", req: update(node, nodesGVR, "", "", "othernode", nodeObj("othernode", nil), nodeObj("othernode", nil)),
			want: `forbidden: node "mynode" is not allowed to modify node "othernode"`},
		{name: "remove a taint", req: update(node, nodesGVR, "", "", "mynode", nodeObj("mynode", nil), nodeObj("mynode", nil, noSchedule)),
			want: `forbidden: node "mynode" is not allowed to modify taints`},
		{name: "change owners", req: update(node, nodesGVR, "", "", "mynode",
			&corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: "mynode", OwnerReferences: []metav1.OwnerReference{{Name: "x"}}}}, nodeObj("mynode", nil)),
			want: `forbidden: node "mynode" is not allowed to modify ownerReferences`},
		{name: "set a new configSource", req: update(node, nodesGVR, "", "", "mynode", &corev1.Node{
			ObjectMeta: metav1.ObjectMeta{Name: "mynode"}, Spec: corev1.NodeSpec{ConfigSource: &corev1.NodeConfigSource{}}}, nodeObj("mynode", nil)),
			want: `forbidden: node "mynode" is not allowed to update configSource to a new non-nil configSource`},
		{name: "remove a restricted label", req: update(node, nodesGVR, "", "", "mynode",
			nodeObj("mynode", map[string]string{"example.com/rack": "r1"}),
			nodeObj("mynode", map[string]string{"example.com/rack": "r1", "node-role.kubernetes.io/worker": ""})),
			want: `forbidden: is not allowed to modify labels: node-role.kubernetes.io/worker`},
		{name: "keep a restricted label, change a kubelet one", req: update(node, nodesGVR, "", "", "mynode",
			nodeObj("mynode", map[string]string{"node-role.kubernetes.io/worker": "", corev1.LabelArchStable: "arm64"}),
			nodeObj("mynode", map[string]string{"node-role.kubernetes.io/worker": "", corev1.LabelArchStable: "amd64"}))},

		// Service account tokens.
		{name: "a user's unbound token", req: create(alice, saGVR, "token", ns, "sa", tokenRequest(nil, nil))},
		{name: "a node's unbound token", req: create(node, saGVR, "token", ns, "sa", tokenRequest(nil, nil)),
			want: `forbidden: node requested token not bound to a pod`},
		{name: "token bound to a secret", req: create(node, saGVR, "token", ns, "sa", tokenRequest(nil,
			&authenticationv1.BoundObjectReference{APIVersion: "v1", Kind: "Secret", Name: "s", UID: "s-uid"})),
			want: `forbidden: node requested token not bound to a pod`},
		{name: "token bound to a pod without uid", req: create(node, saGVR, "token", ns, "sa", tokenRequest(nil, podRef("mypod", ""))),
			want: `forbidden: node requested token with a pod binding without a uid`},
		{name: "token bound to the node's pod", req: create(node, saGVR, "token", ns, "sa", tokenRequest(nil, podRef("mypod", "mypod-uid")))},
		{name: "token bound to a pod not seen", req: create(node, saGVR, "token", ns, "sa", tokenRequest(nil, podRef("gone", "gone-uid"))),
			want: `not found: pod "gone" not found`},
		{name: "token bound to an older pod of the name", req: create(node, saGVR, "token", ns, "sa", tokenRequest(nil, podRef("mypod", "old"))),
			want: `forbidden: the UID in the bound object reference (old) does not match the UID in record. The object might have been deleted and then recreated`},
		{name: "token bound to another node's pod", req: create(node, saGVR, "token", ns, "sa", tokenRequest(nil, podRef("otherpod", "otherpod-uid"))),
			want: `forbidden: node requested token bound to a pod scheduled on a different node`},
		{name: "token for two audiences", req: create(node, saGVR, "token", ns, "sa", tokenRequest([]string{"a", "b"}, podRef("mypod", "mypod-uid"))),
			want: `forbidden: node may only request 0 or 1 audiences`},
		{name: "token for an audience the pod does not use", req: create(node, saGVR, "token", ns, "sa", tokenRequest([]string{"vault"}, podRef("mypod", "mypod-uid"))),
			want: `forbidden: system:node:mynode is not authorized to request tokens for audience "vault"`},
		{name: "token for an audience the node is granted", req: create(node, saGVR, "token", ns, "sa", tokenRequest([]string{"granted"}, podRef("mypod", "mypod-uid")))},
		{name: "token for the audience of a claim's CSI driver", req: create(node, saGVR, "token", ns, "sa",
			tokenRequest([]string{"csi-audience"}, podRef("csipod", "csipod-uid")))},
		{name: "token for the audience of an inline CSI driver", req: create(node, saGVR, "token", ns, "sa",
			tokenRequest([]string{"csi-audience"}, podRef("inlinepod", "inlinepod-uid")))},
		{name: "a node may update service accounts as far as it is authorized", req: update(node, saGVR, "", ns, "sa",
			&corev1.ServiceAccount{}, &corev1.ServiceAccount{})},

		// Leases.
		{name: "create the node's lease", req: create(node, leaseGVR, "", corev1.NamespaceNodeLease, "mynode", lease("mynode"))},
		{name: "create another node's lease", req: create(node, leaseGVR, "", corev1.NamespaceNodeLease, "othernode", lease("othernode")),
			want: `forbidden: can only access node lease with the same name as the requesting node`},
		{name: "renew another node's lease", req: update(node, leaseGVR, "", corev1.NamespaceNodeLease, "othernode", lease("othernode"), lease("othernode")),
			want: `forbidden: can only access node lease with the same name as the requesting node`},
		{name: "delete the node's lease", req: del(node, leaseGVR, corev1.NamespaceNodeLease, "mynode", nil)},
		{name: "a lease outside kube-node-lease", req: create(node, leaseGVR, "", ns, "mynode", lease("mynode")),
			want: `forbidden: can only access leases in the "kube-node-lease" system namespace`},

		// CSINodes.
		{name: "create the node's CSINode", req: create(node, csiGVR, "", "", "mynode", &storagev1.CSINode{ObjectMeta: metav1.ObjectMeta{Name: "mynode"}})},
		{name: "create another node's CSINode", req: create(node, csiGVR, "", "", "othernode", &storagev1.CSINode{ObjectMeta: metav1.ObjectMeta{Name: "othernode"}}),
			want: `forbidden: can only access CSINode with the same name as the requesting node`},
		{name: "update another node's CSINode", req: update(node, csiGVR, "", "", "othernode", &storagev1.CSINode{}, &storagev1.CSINode{}),
			want: `forbidden: can only access CSINode with the same name as the requesting node`},
		{name: "CSINode status", req: update(node, csiGVR, "status", "", "mynode", &storagev1.CSINode{}, &storagev1.CSINode{}),
			want: `forbidden: CSIVolumeHealth feature gate is disabled`},

		// ResourceSlices.
		{name: "create the node's slice", req: create(node, sliceGVR, "", "", "slice", slice(ptr.To("mynode")))},
		{name: "create another node's slice", req: create(node, sliceGVR, "", "", "slice", slice(ptr.To("othernode"))),
			want: `forbidden: can only create ResourceSlice with the same NodeName as the requesting node`},
		{name: "create a slice of no node", req: create(node, sliceGVR, "", "", "slice", slice(nil)),
			want: `forbidden: can only create ResourceSlice with the same NodeName as the requesting node`},
		{name: "delete another node's slice", req: del(node, sliceGVR, "", "slice", slice(ptr.To("othernode"))),
			want: `forbidden: can only delete ResourceSlice with the same NodeName as the requesting node`},
		{name: "update is left to the node authorizer", req: update(node, sliceGVR, "", "", "slice", slice(ptr.To("othernode")), slice(ptr.To("othernode")))},

		// PersistentVolumeClaims.
		{name: "claim spec", req: update(node, pvcsGVR, "", ns, "data", claim(), claim()), want: `forbidden: may only update PVC status`},
		{name: "claim capacity and conditions", req: update(node, pvcsGVR, "status", ns, "data", claim(func(c *corev1.PersistentVolumeClaim) {
			c.ResourceVersion = ""
			c.Status.Capacity[corev1.ResourceStorage] = resource.MustParse("2Gi")
			c.Status.Conditions = []corev1.PersistentVolumeClaimCondition{{Type: corev1.PersistentVolumeClaimFileSystemResizePending, Status: corev1.ConditionTrue}}
			c.Status.AllocatedResources = corev1.ResourceList{corev1.ResourceStorage: resource.MustParse("2Gi")}
		}), claim())},
		{name: "claim labels through status", req: update(node, pvcsGVR, "status", ns, "data", claim(func(c *corev1.PersistentVolumeClaim) {
			c.Labels = map[string]string{"a": "b"}
		}), claim()), prefix: true,
			want: `forbidden: node "mynode" is not allowed to update fields other than status.quantity and status.conditions: `},
		{name: "claim phase through status", req: update(node, pvcsGVR, "status", ns, "data", claim(func(c *corev1.PersistentVolumeClaim) {
			c.Status.Phase = corev1.ClaimLost
		}), claim()), prefix: true,
			want: `forbidden: node "mynode" is not allowed to update fields other than status.quantity and status.conditions: `},

		// PodCertificateRequests.
		{name: "pod certificate for a mounted signer", req: create(node, pcrGVR, "", ns, "req", pcr())},
		{name: "pod certificate for a granted signer", req: create(node, pcrGVR, "", ns, "req", pcr(func(s *certificatesv1.PodCertificateRequestSpec) {
			s.SignerName = "example.com/granted"
		}))},
		{name: "pod certificate for a signer neither mounted nor granted", req: create(node, pcrGVR, "", ns, "req", pcr(func(s *certificatesv1.PodCertificateRequestSpec) {
			s.SignerName = "example.com/other"
		})), want: `forbidden: pod "ns/certpod" does not mount a podCertificate projected volume for signer "example.com/other"`},
		{name: "pod certificate naming another node", req: create(otherNode, pcrGVR, "", ns, "req", pcr()),
			want: `forbidden: PodCertificateRequest.Spec.NodeName="mynode", which is not the requesting node "othernode"`},
		{name: "pod certificate naming an old node UID", req: create(node, pcrGVR, "", ns, "req", pcr(func(s *certificatesv1.PodCertificateRequestSpec) {
			s.NodeUID = "old"
		})), want: `error: PodCertificateRequest for pod "ns/certpod" names node UID "old", inconsistent with the running node ("mynode-uid")`},
		{name: "pod certificate for a pod not seen", req: create(node, pcrGVR, "", ns, "req", pcr(func(s *certificatesv1.PodCertificateRequestSpec) {
			s.PodName = "gone"
		})), want: `not found: while retrieving pod "ns/gone" named in the PodCertificateRequest: pod "gone" not found`},
		{name: "pod certificate for another node's pod", req: create(node, pcrGVR, "", ns, "req", pcr(func(s *certificatesv1.PodCertificateRequestSpec) {
			s.PodName, s.PodUID = "otherpod", "otherpod-uid"
		})), want: `forbidden: pod "ns/otherpod" is not running on node "mynode" named in the PodCertificateRequest`},
		{name: "pod certificate for a mirror pod", req: create(node, pcrGVR, "", ns, "req", pcr(func(s *certificatesv1.PodCertificateRequestSpec) {
			s.PodName, s.PodUID = "mirrorcertpod", "mirrorcertpod-uid"
		})), want: `forbidden: pod "ns/mirrorcertpod" is a mirror pod`},
		{name: "pod certificate for another service account", req: create(node, pcrGVR, "", ns, "req", pcr(func(s *certificatesv1.PodCertificateRequestSpec) {
			s.ServiceAccountName = "admin"
		})), want: `forbidden: PodCertificateRequest for pod "ns/certpod" contains serviceAccountName ("admin") that differs from running pod ("sa")`},
		{name: "pod certificate update", req: update(node, pcrGVR, "", ns, "req", pcr(), pcr()),
			want: `forbidden: unexpected operation UPDATE`},

		// CertificateSigningRequests.
		{name: "client certificate in the node's name", req: create(node, csrGVR, "", "", "csr",
			csr(t, certificatesv1.KubeAPIServerClientKubeletSignerName, "system:node:mynode"))},
		{name: "serving certificate in another node's name", req: create(node, csrGVR, "", "", "csr",
			csr(t, certificatesv1.KubeletServingSignerName, "system:node:othernode")),
			want: `forbidden: can only create a node CSR with CN=system:node:mynode`},
		{name: "another signer's certificate", req: create(node, csrGVR, "", "", "csr", csr(t, "example.com/signer", "anything"))},
		{name: "a request that is no CSR", req: create(node, csrGVR, "", "", "csr", &certificatesv1.CertificateSigningRequest{
			Spec: certificatesv1.CertificateSigningRequestSpec{SignerName: certificatesv1.KubeletServingSignerName, Request: []byte("junk")}}),
			want: `forbidden: unable to parse csr: PEM block type must be CERTIFICATE REQUEST`},
	}
	p := newPlugin(t, objects...)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := outcome(p.Admit(context.Background(), tc.req.attributes(), nil))
			if tc.prefix && strings.HasPrefix(got, tc.want) {
				got = tc.want
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("Admit (-want +got):\n%s", diff)
			}
		})
	}
}

func TestModifiedAndForbiddenLabels(t *testing.T) {
	tests := []struct {
		name          string
		labels, old   map[string]string
		wantModified  []string
		wantForbidden []string
	}{
		{name: "nothing changes", labels: map[string]string{"a": "b"}, old: map[string]string{"a": "b"}},
		{name: "added, changed and removed",
			labels:       map[string]string{"added": "", "changed": "2", corev1.LabelTopologyZone: "z"},
			old:          map[string]string{"changed": "1", "removed": "", corev1.LabelTopologyZone: "z"},
			wantModified: []string{"added", "changed", "removed"}},
		{name: "kubelet labels and namespaces",
			labels: map[string]string{
				corev1.LabelInstanceTypeStable: "m", "beta.kubernetes.io/os": "linux",
				"sub.kubelet.kubernetes.io/x": "", "node.kubernetes.io/y": "", "example.com/z": "",
			},
			wantModified: []string{"beta.kubernetes.io/os", "example.com/z", corev1.LabelInstanceTypeStable, "node.kubernetes.io/y", "sub.kubelet.kubernetes.io/x"}},
		{name: "kubernetes namespaces kubelets do not own",
			labels:        map[string]string{"k8s.io/a": "", "x.k8s.io/b": "", "kubernetes.io/c": "", "notkubernetes.io/d": ""},
			wantModified:  []string{"k8s.io/a", "kubernetes.io/c", "notkubernetes.io/d", "x.k8s.io/b"},
			wantForbidden: []string{"k8s.io/a", "kubernetes.io/c", "x.k8s.io/b"}},
		{name: "node-restriction labels, also below kubelet namespaces",
			labels:        map[string]string{"node-restriction.kubernetes.io/a": "", "x.node-restriction.kubernetes.io/b": ""},
			wantModified:  []string{"node-restriction.kubernetes.io/a", "x.node-restriction.kubernetes.io/b"},
			wantForbidden: []string{"node-restriction.kubernetes.io/a", "x.node-restriction.kubernetes.io/b"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			modified := modifiedLabels(tc.labels, tc.old)
			if diff := cmp.Diff(tc.wantModified, sets.List(modified), cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("modifiedLabels (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tc.wantForbidden, forbiddenLabels(modified), cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("forbiddenLabels (-want +got):\n%s", diff)
			}
		})
	}
}

func TestValidateInitialization(t *testing.T) {
	factory := informers.NewSharedInformerFactory(fake.NewClientset(), 0)
	tests := []struct {
		name    string
		setup   func(*Plugin)
		wantErr bool
	}{
		{name: "nothing set", setup: func(*Plugin) {}, wantErr: true},
		{name: "informers without authorizer", setup: func(p *Plugin) { p.SetExternalKubeInformerFactory(factory) }, wantErr: true},
		{name: "informers and authorizer", setup: func(p *Plugin) {
			p.SetExternalKubeInformerFactory(factory)
			p.SetUnconditionalAuthorizer(fakeAuthorizer(func(authorizer.Attributes) bool { return false }))
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := New()
			tc.setup(p)
			if diff := cmp.Diff(tc.wantErr, p.ValidateInitialization() != nil); diff != "" {
				t.Errorf("ValidateInitialization error (-want +got):\n%s", diff)
			}
		})
	}
}

func TestRegister(t *testing.T) {
	plugins := admission.NewPlugins()
	Register(plugins)
	if diff := cmp.Diff([]string{PluginName}, plugins.Registered()); diff != "" {
		t.Errorf("registered plugins (-want +got):\n%s", diff)
	}
	// Without initializers the plugin has no informers and must say so.
	if _, err := plugins.InitPlugin(PluginName, nil, admission.PluginInitializers{}); err == nil || !strings.Contains(err.Error(), PluginName) {
		t.Errorf("InitPlugin without initializers: got error %v, want one naming %s", err, PluginName)
	}
}

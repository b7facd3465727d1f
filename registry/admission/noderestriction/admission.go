package noderestriction

import (
	"context"
	"fmt"
	"io"
	"strings"

	authenticationv1 "k8s.io/api/authentication/v1"
	certificatesv1 "k8s.io/api/certificates/v1"
	coordinationv1 "k8s.io/api/coordination/v1"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	resourcev1 "k8s.io/api/resource/v1"
	storagev1 "k8s.io/api/storage/v1"
	apiequality "k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/diff"
	utilerrors "k8s.io/apimachinery/pkg/util/errors"
	"k8s.io/apimachinery/pkg/util/sets"
	"k8s.io/apiserver/pkg/admission"
	"k8s.io/apiserver/pkg/admission/initializer"
	"k8s.io/apiserver/pkg/authorization/authorizer"
	"k8s.io/client-go/informers"
	corelisters "k8s.io/client-go/listers/core/v1"
	storagelisters "k8s.io/client-go/listers/storage/v1"
	"k8s.io/component-helpers/storage/ephemeral"
	kubeletapis "k8s.io/kubelet/pkg/apis"

	apicertificates "github.com/kubeshim/kubeshim/apis/certificates"
	nodeauthorizer "github.com/kubeshim/kubeshim/registry/authorization/node"
)

// PluginName is upstream's.
const PluginName = "NodeRestriction"

// Register adds the plugin to plugins.
func Register(plugins *admission.Plugins) {
	plugins.Register(PluginName, func(io.Reader) (admission.Interface, error) { return New(), nil })
}

// Plugin limits what nodes may do to the objects of their own node.
type Plugin struct {
	*admission.Handler
	pods            corelisters.PodLister
	nodes           corelisters.NodeLister
	serviceAccounts corelisters.ServiceAccountLister
	claims          corelisters.PersistentVolumeClaimLister
	volumes         corelisters.PersistentVolumeLister
	csiDrivers      storagelisters.CSIDriverLister
	authz           authorizer.UnconditionalAuthorizer
}

// Upstream's plugin is a mutating one (it never mutates); it is kept in
// the same phase so that its place in the plugin order means the same.
var (
	_ admission.MutationInterface                  = &Plugin{}
	_ initializer.WantsExternalKubeInformerFactory = &Plugin{}
	_ initializer.WantsUnconditionalAuthorizer     = &Plugin{}
	_ admission.InitializationValidator            = &Plugin{}
)

// New returns the plugin; the admission initializers give it its
// informers and authorizer.
func New() *Plugin {
	return &Plugin{Handler: admission.NewHandler(admission.Create, admission.Update, admission.Delete)}
}

// SetExternalKubeInformerFactory implements initializer.WantsExternalKubeInformerFactory.
func (p *Plugin) SetExternalKubeInformerFactory(f informers.SharedInformerFactory) {
	p.pods = f.Core().V1().Pods().Lister()
	p.nodes = f.Core().V1().Nodes().Lister()
	p.serviceAccounts = f.Core().V1().ServiceAccounts().Lister()
	// The audience check of token requests follows pod → claim → volume →
	// CSI driver.
	p.claims = f.Core().V1().PersistentVolumeClaims().Lister()
	p.volumes = f.Core().V1().PersistentVolumes().Lister()
	p.csiDrivers = f.Storage().V1().CSIDrivers().Lister()
}

// SetUnconditionalAuthorizer implements initializer.WantsUnconditionalAuthorizer.
func (p *Plugin) SetUnconditionalAuthorizer(a authorizer.UnconditionalAuthorizer) { p.authz = a }

// ValidateInitialization implements admission.InitializationValidator.
func (p *Plugin) ValidateInitialization() error {
	if p.pods == nil || p.nodes == nil || p.serviceAccounts == nil || p.claims == nil || p.volumes == nil || p.csiDrivers == nil {
		return fmt.Errorf("%s admission needs informers", PluginName)
	}
	if p.authz == nil {
		return fmt.Errorf("%s requires an authorizer", PluginName)
	}
	return nil
}

var (
	podResource                   = corev1.Resource("pods")
	nodeResource                  = corev1.Resource("nodes")
	pvcResource                   = corev1.Resource("persistentvolumeclaims")
	serviceAccountResource        = corev1.Resource("serviceaccounts")
	leaseResource                 = coordinationv1.Resource("leases")
	csiNodeResource               = storagev1.Resource("csinodes")
	resourceSliceResource         = resourcev1.Resource("resourceslices")
	csrResource                   = certificatesv1.Resource("certificatesigningrequests")
	podCertificateRequestResource = certificatesv1.Resource("podcertificaterequests")
)

// Admit refuses a node's request that reaches beyond its own node.
func (p *Plugin) Admit(ctx context.Context, a admission.Attributes, _ admission.ObjectInterfaces) error {
	nodeName, isNode := nodeauthorizer.Identity(a.GetUserInfo())
	if !isNode {
		return nil
	}
	if nodeName == "" {
		return admission.NewForbidden(a, fmt.Errorf("could not determine node from user %q", a.GetUserInfo().GetName()))
	}

	switch a.GetResource().GroupResource() {
	case podResource:
		switch a.GetSubresource() {
		case "":
			return p.admitPod(nodeName, a)
		case "status":
			return admitPodStatus(nodeName, a)
		case "eviction":
			return p.admitPodEviction(nodeName, a)
		default:
			return admission.NewForbidden(a, fmt.Errorf("unexpected pod subresource %q, only 'status' and 'eviction' are allowed", a.GetSubresource()))
		}
	case nodeResource:
		return admitNode(nodeName, a)
	case pvcResource:
		if a.GetSubresource() != "status" {
			return admission.NewForbidden(a, fmt.Errorf("may only update PVC status"))
		}
		return admitPVCStatus(nodeName, a)
	case serviceAccountResource:
		return p.admitServiceAccount(ctx, nodeName, a)
	case podCertificateRequestResource:
		return p.admitPodCertificateRequest(ctx, nodeName, a)
	case leaseResource:
		return admitLease(nodeName, a)
	case csiNodeResource:
		return admitCSINode(nodeName, a)
	case resourceSliceResource:
		return admitResourceSlice(nodeName, a)
	case csrResource:
		// Upstream skips this check only with the deprecated
		// AllowInsecureKubeletCertificateSigningRequests gate, off by default.
		return admitCSR(nodeName, a)
	}
	return nil
}

// admitPod lets a node create mirror pods of its own and delete pods bound
// to it.
func (p *Plugin) admitPod(nodeName string, a admission.Attributes) error {
	switch a.GetOperation() {
	case admission.Create:
		return p.admitMirrorPod(nodeName, a)
	case admission.Delete:
		pod, err := p.pods.Pods(a.GetNamespace()).Get(a.GetName())
		if apierrors.IsNotFound(err) {
			return err
		}
		if err != nil {
			return admission.NewForbidden(a, err)
		}
		if pod.Spec.NodeName != nodeName {
			return admission.NewForbidden(a, fmt.Errorf("node %q can only delete pods with spec.nodeName set to itself", nodeName))
		}
		return nil
	default:
		return admission.NewForbidden(a, fmt.Errorf("unexpected operation %q, node %q can only create and delete mirror pods", a.GetOperation(), nodeName))
	}
}

// admitMirrorPod lets a node create a mirror pod bound to itself, owned by
// its Node object and referencing no other API object: a static pod's
// manifest lives on the node, so a node that could name secrets or config
// maps in one could read them.
func (p *Plugin) admitMirrorPod(nodeName string, a admission.Attributes) error {
	pod, ok := a.GetObject().(*corev1.Pod)
	if !ok {
		return admission.NewForbidden(a, fmt.Errorf("unexpected type %T", a.GetObject()))
	}
	if _, mirror := pod.Annotations[corev1.MirrorPodAnnotationKey]; !mirror {
		return admission.NewForbidden(a, fmt.Errorf("pod does not have %q annotation, node %q can only create mirror pods", corev1.MirrorPodAnnotationKey, nodeName))
	}
	if pod.Spec.NodeName != nodeName {
		return admission.NewForbidden(a, fmt.Errorf("node %q can only create pods with spec.nodeName set to itself", nodeName))
	}
	switch len(pod.OwnerReferences) {
	case 0:
		return admission.NewForbidden(a, fmt.Errorf("node %q can only create pods with an owner reference set to itself", nodeName))
	case 1:
	default:
		return admission.NewForbidden(a, fmt.Errorf("node %q can only create pods with a single owner reference set to itself", nodeName))
	}
	owner := pod.OwnerReferences[0]
	if owner.APIVersion != corev1.SchemeGroupVersion.String() || owner.Kind != "Node" || owner.Name != nodeName {
		return admission.NewForbidden(a, fmt.Errorf("node %q can only create pods with an owner reference set to itself", nodeName))
	}
	if owner.Controller == nil || !*owner.Controller {
		return admission.NewForbidden(a, fmt.Errorf("node %q can only create pods with a controller owner reference set to itself", nodeName))
	}
	if owner.BlockOwnerDeletion != nil && *owner.BlockOwnerDeletion {
		return admission.NewForbidden(a, fmt.Errorf("node %q must not set blockOwnerDeletion on an owner reference", nodeName))
	}
	// The owner must be this incarnation of the Node, so that the garbage
	// collector removes the mirror pod with it.
	node, err := p.nodes.Get(nodeName)
	if apierrors.IsNotFound(err) {
		return err
	}
	if err != nil {
		return admission.NewForbidden(a, fmt.Errorf("error looking up node %s to verify uid: %v", nodeName, err))
	}
	if owner.UID != node.UID {
		return admission.NewForbidden(a, fmt.Errorf("node %s UID mismatch: expected %s got %s", nodeName, owner.UID, node.UID))
	}

	refers, resource, err := apiObjectReference(pod)
	if err != nil {
		return admission.NewForbidden(a, fmt.Errorf("error checking mirror pod for API references: %w", err))
	}
	if refers {
		return admission.NewForbidden(a, fmt.Errorf("node %q can not create pods that reference %s", nodeName, resource))
	}
	return nil
}

// apiObjectReference tells whether pod names another API object, and
// which kind, in upstream's words. Volume types unknown to it count as
// references, so that a new volume type is refused until it is judged.
func apiObjectReference(pod *corev1.Pod) (bool, string, error) {
	if pod.Spec.ServiceAccountName != "" {
		return true, "serviceaccounts", nil
	}
	if referencesSecret(pod) {
		return true, "secrets", nil
	}
	if referencesConfigMap(pod) {
		return true, "configmaps", nil
	}
	if len(pod.Spec.ResourceClaims) > 0 {
		return true, "resourceclaims", nil
	}
	for _, v := range pod.Spec.Volumes {
		switch {
		case v.AWSElasticBlockStore != nil, v.AzureDisk != nil, v.CephFS != nil, v.Cinder != nil,
			v.DownwardAPI != nil, v.EmptyDir != nil, v.FC != nil, v.FlexVolume != nil, v.Flocker != nil,
			v.GCEPersistentDisk != nil, v.GitRepo != nil, v.HostPath != nil, v.Image != nil, v.ISCSI != nil,
			v.NFS != nil, v.PhotonPersistentDisk != nil, v.PortworxVolume != nil, v.Quobyte != nil, v.RBD != nil,
			v.ScaleIO != nil, v.StorageOS != nil, v.VsphereVolume != nil:
			// Their secret references, if any, were found above.
		case v.ConfigMap != nil:
			return true, "configmaps (via configmap volumes)", nil
		case v.Secret != nil:
			return true, "secrets (via secret volumes)", nil
		case v.CSI != nil:
			return true, "csidrivers (via CSI volumes)", nil
		case v.Glusterfs != nil:
			return true, "endpoints (via glusterFS volumes)", nil
		case v.PersistentVolumeClaim != nil:
			return true, "persistentvolumeclaims", nil
		case v.Ephemeral != nil:
			return true, "persistentvolumeclaims (via ephemeral volumes)", nil
		case v.AzureFile != nil:
			return true, "secrets (via azureFile volumes)", nil
		case v.Projected != nil:
			for _, s := range v.Projected.Sources {
				switch {
				case s.ConfigMap != nil:
					return true, "configmaps (via projected volumes)", nil
				case s.Secret != nil:
					return true, "secrets (via projected volumes)", nil
				case s.ServiceAccountToken != nil:
					return true, "serviceaccounts (via projected volumes)", nil
				case s.ClusterTrustBundle != nil:
					return true, "clustertrustbundles", nil
				case s.PodCertificate != nil:
					return true, "podcertificates", nil
				case s.DownwardAPI != nil:
				default:
					return true, "", fmt.Errorf("unknown source for projected volume %q", v.Name)
				}
			}
		default:
			return true, "", fmt.Errorf("unknown volume type for volume  %q", v.Name)
		}
	}
	return false, "", nil
}

// referencesSecret tells whether pod names a secret by a non-empty name
// anywhere upstream's VisitPodSecretNames looks.
func referencesSecret(pod *corev1.Pod) bool {
	found := false
	nodeauthorizer.VisitPodSecretNames(pod, func(name string) bool {
		found = found || name != ""
		return !found
	})
	return found
}

// referencesConfigMap tells whether pod names a config map by a non-empty
// name anywhere upstream's VisitPodConfigmapNames looks.
func referencesConfigMap(pod *corev1.Pod) bool {
	found := false
	nodeauthorizer.VisitPodConfigMapNames(pod, func(name string) bool {
		found = found || name != ""
		return !found
	})
	return found
}

// admitPodStatus lets a node update the status of pods bound to it, but not
// their labels (which the status subresource would otherwise carry) nor
// the resource claim statuses the scheduler and DRA controllers own.
func admitPodStatus(nodeName string, a admission.Attributes) error {
	if a.GetOperation() != admission.Update {
		return admission.NewForbidden(a, fmt.Errorf("unexpected operation %q", a.GetOperation()))
	}
	old, ok := a.GetOldObject().(*corev1.Pod)
	if !ok {
		return admission.NewForbidden(a, fmt.Errorf("unexpected type %T", a.GetOldObject()))
	}
	if old.Spec.NodeName != nodeName {
		return admission.NewForbidden(a, fmt.Errorf("node %q can only update pod status for pods with spec.nodeName set to itself", nodeName))
	}
	pod, ok := a.GetObject().(*corev1.Pod)
	if !ok {
		return admission.NewForbidden(a, fmt.Errorf("unexpected type %T", a.GetObject()))
	}
	if !labels.Equals(old.Labels, pod.Labels) {
		return admission.NewForbidden(a, fmt.Errorf("node %q cannot update labels through pod status", nodeName))
	}
	// Semantic equality is upstream's field-by-field comparison: it treats
	// nil and empty lists alike and compares quantities by value.
	if !apiequality.Semantic.DeepEqual(old.Status.ResourceClaimStatuses, pod.Status.ResourceClaimStatuses) {
		return admission.NewForbidden(a, fmt.Errorf("node %q cannot update resource claim statues", nodeName))
	}
	if !apiequality.Semantic.DeepEqual(old.Status.ExtendedResourceClaimStatus, pod.Status.ExtendedResourceClaimStatus) {
		return admission.NewForbidden(a, fmt.Errorf("node %q cannot update extended resource claim status", nodeName))
	}
	if !apiequality.Semantic.DeepEqual(old.Status.NodeAllocatableResourceClaimStatuses, pod.Status.NodeAllocatableResourceClaimStatuses) {
		return admission.NewForbidden(a, fmt.Errorf("node %q cannot update node allocatable resource claim statuses", nodeName))
	}
	return nil
}

// admitPodEviction lets a node evict pods bound to it. The pod is the one
// the URL names, or for a create of evictions at the collection, the one
// the body names.
func (p *Plugin) admitPodEviction(nodeName string, a admission.Attributes) error {
	if a.GetOperation() != admission.Create {
		return admission.NewForbidden(a, fmt.Errorf("unexpected operation %s", a.GetOperation()))
	}
	eviction, ok := a.GetObject().(*policyv1.Eviction)
	if !ok {
		return admission.NewForbidden(a, fmt.Errorf("unexpected type %T", a.GetObject()))
	}
	podName := a.GetName()
	if podName == "" {
		if eviction.Name == "" {
			return admission.NewForbidden(a, fmt.Errorf("could not determine pod from request data"))
		}
		podName = eviction.Name
	}
	pod, err := p.pods.Pods(a.GetNamespace()).Get(podName)
	if apierrors.IsNotFound(err) {
		return err
	}
	if err != nil {
		return admission.NewForbidden(a, err)
	}
	if pod.Spec.NodeName != nodeName {
		return admission.NewForbidden(a, fmt.Errorf("node %s can only evict pods with spec.nodeName set to itself", nodeName))
	}
	return nil
}

// admitPVCStatus lets a node change only a claim's capacity, conditions
// and allocated resources (the last as upstream does with
// RecoverVolumeExpansionFailure, GA and locked on): it reports volume
// expansion, nothing else.
func admitPVCStatus(nodeName string, a admission.Attributes) error {
	if a.GetOperation() != admission.Update {
		return admission.NewForbidden(a, fmt.Errorf("unexpected operation %q", a.GetOperation()))
	}
	old, ok := a.GetOldObject().(*corev1.PersistentVolumeClaim)
	if !ok {
		return admission.NewForbidden(a, fmt.Errorf("unexpected type %T", a.GetOldObject()))
	}
	claim, ok := a.GetObject().(*corev1.PersistentVolumeClaim)
	if !ok {
		return admission.NewForbidden(a, fmt.Errorf("unexpected type %T", a.GetObject()))
	}
	old, claim = old.DeepCopy(), claim.DeepCopy()
	for _, c := range []*corev1.PersistentVolumeClaim{old, claim} {
		// An unconditional update brings no resourceVersion; managed
		// fields change with every write.
		c.ResourceVersion = ""
		c.ManagedFields = nil
		c.Status.Capacity = nil
		c.Status.Conditions = nil
		c.Status.AllocatedResourceStatuses = nil
		c.Status.AllocatedResources = nil
	}
	if !apiequality.Semantic.DeepEqual(old, claim) {
		return admission.NewForbidden(a, fmt.Errorf("node %q is not allowed to update fields other than status.quantity and status.conditions: %v", nodeName, diff.Diff(old, claim)))
	}
	return nil
}

// admitNode lets a node create and update only its own Node, and keeps it
// from widening what it may see or run: no configSource, no taint or owner
// changes, no labels outside the set kubelets may set.
func admitNode(nodeName string, a admission.Attributes) error {
	if a.GetName() != nodeName {
		return admission.NewForbidden(a, fmt.Errorf("node %q is not allowed to modify node %q", nodeName, a.GetName()))
	}
	switch a.GetOperation() {
	case admission.Create:
		node, ok := a.GetObject().(*corev1.Node)
		if !ok {
			return admission.NewForbidden(a, fmt.Errorf("unexpected type %T", a.GetObject()))
		}
		// The message's "pods" is upstream's.
		if node.Spec.ConfigSource != nil {
			return admission.NewForbidden(a, fmt.Errorf("node %q is not allowed to create pods with a non-nil configSource", nodeName))
		}
		if forbidden := forbiddenLabels(modifiedLabels(node.Labels, nil)); len(forbidden) > 0 {
			return admission.NewForbidden(a, fmt.Errorf("node %q is not allowed to set the following labels: %s", nodeName, strings.Join(forbidden, ", ")))
		}
	case admission.Update:
		node, ok := a.GetObject().(*corev1.Node)
		if !ok {
			return admission.NewForbidden(a, fmt.Errorf("unexpected type %T", a.GetObject()))
		}
		old, ok := a.GetOldObject().(*corev1.Node)
		if !ok {
			return admission.NewForbidden(a, fmt.Errorf("unexpected type %T", a.GetObject()))
		}
		// A nil configSource passes: old kubelets drop the field on status
		// updates.
		if node.Spec.ConfigSource != nil && !apiequality.Semantic.DeepEqual(node.Spec.ConfigSource, old.Spec.ConfigSource) {
			return admission.NewForbidden(a, fmt.Errorf("node %q is not allowed to update configSource to a new non-nil configSource", nodeName))
		}
		if !apiequality.Semantic.DeepEqual(node.Spec.Taints, old.Spec.Taints) {
			return admission.NewForbidden(a, fmt.Errorf("node %q is not allowed to modify taints", nodeName))
		}
		if !apiequality.Semantic.DeepEqual(node.OwnerReferences, old.OwnerReferences) {
			return admission.NewForbidden(a, fmt.Errorf("node %q is not allowed to modify ownerReferences", nodeName))
		}
		if forbidden := forbiddenLabels(modifiedLabels(node.Labels, old.Labels)); len(forbidden) > 0 {
			return admission.NewForbidden(a, fmt.Errorf("is not allowed to modify labels: %s", strings.Join(forbidden, ", ")))
		}
	}
	return nil
}

// modifiedLabels returns the keys whose values differ between a and b,
// including keys only one of them has.
func modifiedLabels(a, b map[string]string) sets.Set[string] {
	modified := sets.New[string]()
	for k, v := range a {
		if w, ok := b[k]; !ok || v != w {
			modified.Insert(k)
		}
	}
	for k, v := range b {
		if w, ok := a[k]; !ok || v != w {
			modified.Insert(k)
		}
	}
	return modified
}

// forbiddenLabels returns, sorted, the keys of modified a node may not
// add, change or remove: those under node-restriction.kubernetes.io,
// which exist so that workloads can trust them, and other kubernetes.io
// and k8s.io keys kubelets do not set themselves.
func forbiddenLabels(modified sets.Set[string]) []string {
	forbidden := sets.New[string]()
	for key := range modified {
		ns := labelNamespace(key)
		if ns == corev1.LabelNamespaceNodeRestriction || strings.HasSuffix(ns, "."+corev1.LabelNamespaceNodeRestriction) {
			forbidden.Insert(key)
		}
		if isKubernetesLabel(ns) && !kubeletapis.IsKubeletLabel(key) {
			forbidden.Insert(key)
		}
	}
	return sets.List(forbidden)
}

// isKubernetesLabel tells whether a label namespace is Kubernetes' own.
func isKubernetesLabel(ns string) bool {
	return ns == "kubernetes.io" || strings.HasSuffix(ns, ".kubernetes.io") ||
		ns == "k8s.io" || strings.HasSuffix(ns, ".k8s.io")
}

// labelNamespace returns the prefix of a label key, "" if it has none.
func labelNamespace(key string) string {
	ns, _, found := strings.Cut(key, "/")
	if !found {
		return ""
	}
	return ns
}

// admitServiceAccount lets a node request only tokens bound to a pod on
// itself; the token registry checks that the pod runs as the account.
func (p *Plugin) admitServiceAccount(ctx context.Context, nodeName string, a admission.Attributes) error {
	if a.GetOperation() != admission.Create || a.GetSubresource() != "token" {
		return nil
	}
	req, ok := a.GetObject().(*authenticationv1.TokenRequest)
	if !ok {
		return admission.NewForbidden(a, fmt.Errorf("unexpected type %T", a.GetObject()))
	}
	// Requiring the pod binding also keeps a node from binding a token to
	// a Node: the token registry infers the node from the pod.
	ref := req.Spec.BoundObjectRef
	if ref == nil || ref.APIVersion != "v1" || ref.Kind != "Pod" || ref.Name == "" {
		return admission.NewForbidden(a, fmt.Errorf("node requested token not bound to a pod"))
	}
	if ref.UID == "" {
		return admission.NewForbidden(a, fmt.Errorf("node requested token with a pod binding without a uid"))
	}
	pod, err := p.pods.Pods(a.GetNamespace()).Get(ref.Name)
	if apierrors.IsNotFound(err) {
		return err
	}
	if err != nil {
		return admission.NewForbidden(a, err)
	}
	if ref.UID != pod.UID {
		return admission.NewForbidden(a, fmt.Errorf("the UID in the bound object reference (%s) does not match the UID in record. The object might have been deleted and then recreated", ref.UID))
	}
	if pod.Spec.NodeName != nodeName {
		return admission.NewForbidden(a, fmt.Errorf("node requested token bound to a pod scheduled on a different node"))
	}
	if err := p.checkAudience(ctx, req, pod, a); err != nil {
		return admission.NewForbidden(a, err)
	}
	return nil
}

// checkAudience is upstream's ServiceAccountNodeAudienceRestriction (beta,
// on by default): a node may request a token for an audience only if the
// pod uses it (a projected token, or a CSI driver of one of its volumes
// asks for it) or the node is authorized to request it.
func (p *Plugin) checkAudience(ctx context.Context, req *authenticationv1.TokenRequest, pod *corev1.Pod, a admission.Attributes) error {
	var audience string
	switch len(req.Spec.Audiences) {
	case 0:
	case 1:
		audience = req.Spec.Audiences[0]
	default:
		return fmt.Errorf("node may only request 0 or 1 audiences")
	}
	used, err := p.podUsesAudience(pod, audience)
	if err != nil {
		return fmt.Errorf("error validating audience %q: %w", audience, err)
	}
	if used {
		return nil
	}
	// The operation is on the service account, so the name is its name.
	attrs := authorizerAttributes(a, "request-serviceaccounts-token-audience", audience, a.GetName())
	decision, _, err := p.authz.Authorize(ctx, attrs)
	// An authorizer may allow and still report an evaluation error; the
	// decision wins, as in the authorization filter.
	if decision == authorizer.DecisionAllow {
		return nil
	}
	if err != nil {
		return fmt.Errorf("error authorizing %s to request tokens for audience %q: %w", a.GetUserInfo().GetName(), audience, err)
	}
	return fmt.Errorf("%s is not authorized to request tokens for audience %q", a.GetUserInfo().GetName(), audience)
}

// podUsesAudience tells whether one of pod's volumes asks for tokens of
// audience: a projected service account token, or a CSI driver (inline,
// through a claim or through an ephemeral claim) whose tokenRequests name
// it. Lookup errors count only if no volume uses the audience.
//
// Upstream also follows in-tree volumes migrated to CSI; kubeshim has none
// of the in-tree plugins, so only volumes that are CSI already count.
func (p *Plugin) podUsesAudience(pod *corev1.Pod, audience string) (bool, error) {
	var errs []error
	for i := range pod.Spec.Volumes {
		v := &pod.Spec.Volumes[i]
		if v.Projected != nil {
			for _, src := range v.Projected.Sources {
				if src.ServiceAccountToken != nil && src.ServiceAccountToken.Audience == audience {
					return true, nil
				}
			}
		}
		var driver string
		var err error
		switch {
		case v.Ephemeral != nil && v.Ephemeral.VolumeClaimTemplate != nil:
			driver, err = p.claimCSIDriver(pod.Namespace, ephemeral.VolumeClaimName(pod, v))
		case v.PersistentVolumeClaim != nil:
			driver, err = p.claimCSIDriver(pod.Namespace, v.PersistentVolumeClaim.ClaimName)
		case v.CSI != nil:
			driver = v.CSI.Driver
		}
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if driver == "" {
			continue
		}
		asks, err := p.driverAsksAudience(driver, audience)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if asks {
			return true, nil
		}
	}
	return false, utilerrors.NewAggregate(errs)
}

// claimCSIDriver returns the CSI driver of the volume bound to a claim, ""
// if the volume is not a CSI one.
func (p *Plugin) claimCSIDriver(namespace, name string) (string, error) {
	claim, err := p.claims.PersistentVolumeClaims(namespace).Get(name)
	if err != nil {
		return "", err
	}
	pv, err := p.volumes.Get(claim.Spec.VolumeName)
	if err != nil {
		return "", err
	}
	if pv.Spec.CSI == nil {
		return "", nil
	}
	return pv.Spec.CSI.Driver, nil
}

// driverAsksAudience tells whether a CSI driver requests tokens for audience.
func (p *Plugin) driverAsksAudience(name, audience string) (bool, error) {
	driver, err := p.csiDrivers.Get(name)
	if err != nil {
		return false, err
	}
	for _, r := range driver.Spec.TokenRequests {
		if r.Audience == audience {
			return true, nil
		}
	}
	return false, nil
}

// authorizerAttributes asks whether the requesting node may use verb on a
// made-up resource: RBAC rules grant nodes audiences and signers that way.
func authorizerAttributes(a admission.Attributes, verb, resource, name string) authorizer.AttributesRecord {
	return authorizer.AttributesRecord{
		User:            a.GetUserInfo(),
		Verb:            verb,
		APIGroup:        a.GetResource().Group,
		APIVersion:      a.GetResource().Version,
		Resource:        resource,
		Namespace:       a.GetNamespace(),
		Name:            name,
		ResourceRequest: true,
	}
}

// admitPodCertificateRequest lets a node request a certificate only for a
// real, non-mirror pod on itself, as the pod's service account, from a
// signer the pod mounts a podCertificate volume of (or that the node is
// authorized for). Mismatched UIDs may be informer lag, so they are plain
// errors the node retries, not Forbidden.
func (p *Plugin) admitPodCertificateRequest(ctx context.Context, nodeName string, a admission.Attributes) error {
	if a.GetOperation() != admission.Create {
		return admission.NewForbidden(a, fmt.Errorf("unexpected operation %v", a.GetOperation()))
	}
	if a.GetSubresource() != "" {
		return admission.NewForbidden(a, fmt.Errorf("unexpected subresource %v", a.GetSubresource()))
	}
	req, ok := a.GetObject().(*certificatesv1.PodCertificateRequest)
	if !ok {
		return admission.NewForbidden(a, fmt.Errorf("unexpected type %T", a.GetObject()))
	}
	ns := a.GetNamespace()
	podKey := ns + "/" + req.Spec.PodName

	if string(req.Spec.NodeName) != nodeName {
		return admission.NewForbidden(a, fmt.Errorf("PodCertificateRequest.Spec.NodeName=%q, which is not the requesting node %q", req.Spec.NodeName, nodeName))
	}
	node, err := p.nodes.Get(nodeName)
	if apierrors.IsNotFound(err) {
		return fmt.Errorf("while retrieving node %q named in the PodCertificateRequest: %w", req.Spec.NodeName, err)
	}
	if err != nil {
		return admission.NewForbidden(a, fmt.Errorf("while retrieving node %q named in the PodCertificateRequest: %w", req.Spec.NodeName, err))
	}
	if node.UID != req.Spec.NodeUID {
		return fmt.Errorf("PodCertificateRequest for pod %q names node UID %q, inconsistent with the running node (%q)", podKey, req.Spec.NodeUID, node.UID)
	}

	pod, err := p.pods.Pods(ns).Get(req.Spec.PodName)
	if apierrors.IsNotFound(err) {
		return fmt.Errorf("while retrieving pod %q named in the PodCertificateRequest: %w", podKey, err)
	}
	if err != nil {
		return admission.NewForbidden(a, fmt.Errorf("while retrieving pod %q named in the PodCertificateRequest: %w", podKey, err))
	}
	if req.Spec.PodUID != pod.UID {
		return fmt.Errorf("PodCertificateRequest for pod %q contains pod UID (%q) which differs from running pod %q", podKey, req.Spec.PodUID, string(pod.UID))
	}
	if pod.Spec.NodeName != string(req.Spec.NodeName) {
		return admission.NewForbidden(a, fmt.Errorf("pod %q is not running on node %q named in the PodCertificateRequest", podKey, req.Spec.NodeName))
	}
	if _, mirror := pod.Annotations[corev1.MirrorPodAnnotationKey]; mirror {
		return admission.NewForbidden(a, fmt.Errorf("pod %q is a mirror pod", podKey))
	}
	// The pod UIDs match, so a different account is no informer lag.
	if req.Spec.ServiceAccountName != pod.Spec.ServiceAccountName {
		return admission.NewForbidden(a, fmt.Errorf("PodCertificateRequest for pod %q contains serviceAccountName (%q) that differs from running pod (%q)", podKey, req.Spec.ServiceAccountName, pod.Spec.ServiceAccountName))
	}
	sa, err := p.serviceAccounts.ServiceAccounts(ns).Get(req.Spec.ServiceAccountName)
	if apierrors.IsNotFound(err) {
		return fmt.Errorf("while retrieving service account %q named in the PodCertificateRequest: %w", ns+"/"+req.Spec.ServiceAccountName, err)
	}
	if err != nil {
		return admission.NewForbidden(a, fmt.Errorf("while retrieving service account %q named in the PodCertificateRequest: %w", ns+"/"+req.Spec.ServiceAccountName, err))
	}
	if req.Spec.ServiceAccountUID != sa.UID {
		return fmt.Errorf("PodCertificateRequest for pod %q names service account UID %q, which differs from the running service account (%q)", podKey, req.Spec.ServiceAccountUID, sa.UID)
	}
	if err := p.checkSigner(ctx, pod, req, a); err != nil {
		return admission.NewForbidden(a, err)
	}
	return nil
}

// checkSigner tells whether the node has a reason to ask req's signer for
// a certificate of pod: the pod mounts a podCertificate volume of the
// signer, or the node is authorized for it.
func (p *Plugin) checkSigner(ctx context.Context, pod *corev1.Pod, req *certificatesv1.PodCertificateRequest, a admission.Attributes) error {
	for _, v := range pod.Spec.Volumes {
		if v.Projected == nil {
			continue
		}
		for _, src := range v.Projected.Sources {
			if src.PodCertificate != nil && src.PodCertificate.SignerName == req.Spec.SignerName {
				return nil
			}
		}
	}
	// RBAC resource names cannot hold slashes; signer names are munged as
	// for ClusterTrustBundle names.
	signer := strings.ReplaceAll(req.Spec.SignerName, "/", ":")
	attrs := authorizerAttributes(a, "request-serviceaccounts-podcertificate-signer", signer, req.Spec.ServiceAccountName)
	decision, _, err := p.authz.Authorize(ctx, attrs)
	if decision == authorizer.DecisionAllow {
		return nil
	}
	if err != nil {
		return fmt.Errorf("error authorizing %s to request podcertificaterequests for signer %q: %w", a.GetUserInfo().GetName(), req.Spec.SignerName, err)
	}
	return fmt.Errorf("pod %q does not mount a podCertificate projected volume for signer %q", a.GetNamespace()+"/"+req.Spec.PodName, req.Spec.SignerName)
}

// admitLease lets a node touch only its own heartbeat Lease.
func admitLease(nodeName string, a admission.Attributes) error {
	if a.GetNamespace() != corev1.NamespaceNodeLease {
		return admission.NewForbidden(a, fmt.Errorf("can only access leases in the %q system namespace", corev1.NamespaceNodeLease))
	}
	name := a.GetName()
	if a.GetOperation() == admission.Create {
		// The name of a create is the object's.
		lease, ok := a.GetObject().(*coordinationv1.Lease)
		if !ok {
			return admission.NewForbidden(a, fmt.Errorf("unexpected type %T", a.GetObject()))
		}
		name = lease.Name
	}
	if name != nodeName {
		return admission.NewForbidden(a, fmt.Errorf("can only access node lease with the same name as the requesting node"))
	}
	return nil
}

// admitCSINode lets a node touch only its own CSINode. Its status
// subresource belongs to upstream's CSIVolumeHealth (alpha, off), which
// kubeshim does not have.
func admitCSINode(nodeName string, a admission.Attributes) error {
	name := a.GetName()
	if a.GetOperation() == admission.Create {
		accessor, err := meta.Accessor(a.GetObject())
		if err != nil {
			return admission.NewForbidden(a, fmt.Errorf("unable to access the object name"))
		}
		name = accessor.GetName()
	}
	if name != nodeName {
		return admission.NewForbidden(a, fmt.Errorf("can only access CSINode with the same name as the requesting node"))
	}
	if a.GetSubresource() == "status" {
		return admission.NewForbidden(a, fmt.Errorf("CSIVolumeHealth feature gate is disabled"))
	}
	return nil
}

// admitResourceSlice lets a node create and delete only slices of its own.
// The node authorizer checks the other verbs; it cannot see the object of
// a create nor each object of a delete-collection.
func admitResourceSlice(nodeName string, a admission.Attributes) error {
	var obj any
	var verb string
	switch a.GetOperation() {
	case admission.Create:
		obj, verb = a.GetObject(), "create"
	case admission.Delete:
		obj, verb = a.GetOldObject(), "delete"
	default:
		return nil
	}
	slice, ok := obj.(*resourcev1.ResourceSlice)
	if !ok {
		return admission.NewForbidden(a, fmt.Errorf("unexpected type %T", obj))
	}
	if slice.Spec.NodeName == nil || *slice.Spec.NodeName != nodeName {
		return admission.NewForbidden(a, fmt.Errorf("can only %s ResourceSlice with the same NodeName as the requesting node", verb))
	}
	return nil
}

// admitCSR lets a node ask the kubelet signers only for certificates in
// its own name; the signer checks the rest of the request.
func admitCSR(nodeName string, a admission.Attributes) error {
	if a.GetOperation() != admission.Create {
		return nil
	}
	csr, ok := a.GetObject().(*certificatesv1.CertificateSigningRequest)
	if !ok {
		return admission.NewForbidden(a, fmt.Errorf("unexpected type %T", a.GetObject()))
	}
	if csr.Spec.SignerName != certificatesv1.KubeletServingSignerName && csr.Spec.SignerName != certificatesv1.KubeAPIServerClientKubeletSignerName {
		return nil
	}
	req, err := apicertificates.ParseCSR(csr.Spec.Request)
	if err != nil {
		return admission.NewForbidden(a, fmt.Errorf("unable to parse csr: %w", err))
	}
	if req.Subject.CommonName != nodeauthorizer.NodeUserPrefix+nodeName {
		return admission.NewForbidden(a, fmt.Errorf("can only create a node CSR with CN=system:node:%s", nodeName))
	}
	return nil
}

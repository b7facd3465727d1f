package node

import (
	"context"
	"errors"
	"fmt"
	"strings"

	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	resourcev1 "k8s.io/api/resource/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/selection"
	"k8s.io/apiserver/pkg/authentication/user"
	"k8s.io/apiserver/pkg/authorization/authorizer"
	"k8s.io/client-go/informers"
	certlisters "k8s.io/client-go/listers/certificates/v1"
	corelisters "k8s.io/client-go/listers/core/v1"
	resourcelisters "k8s.io/client-go/listers/resource/v1"
	storagelisters "k8s.io/client-go/listers/storage/v1"
	"k8s.io/client-go/tools/cache"
	"k8s.io/klog/v2"

	rbacauthorizer "github.com/kubeshim/kubeshim/registry/authorization/rbac"
)

// NodeUserPrefix starts every node's user name: system:node:<node name>.
const NodeUserPrefix = "system:node:"

// Identity returns the node a user is, as upstream's node identifier
// decides: a node is in the group system:nodes and named
// system:node:<name>. isNode is false for every other user; name is empty
// for a member of system:nodes whose name says no node.
func Identity(u user.Info) (name string, isNode bool) {
	if u == nil || !strings.HasPrefix(u.GetName(), NodeUserPrefix) {
		return "", false
	}
	for _, g := range u.GetGroups() {
		if g == user.NodesGroup {
			return strings.TrimPrefix(u.GetName(), NodeUserPrefix), true
		}
	}
	return "", false
}

// byNode indexes pods by spec.nodeName; the name is the authorizer's own,
// so that it cannot clash with another user's index on the shared
// informer.
const byNode = "kubeshim.io/node-authorizer-spec.nodeName"

// Authorizer is the Node authorizer.
type Authorizer struct {
	pods            cache.Indexer
	claims          corelisters.PersistentVolumeClaimLister
	volumes         corelisters.PersistentVolumeLister
	attachments     storagelisters.VolumeAttachmentLister
	slices          resourcelisters.ResourceSliceLister
	certificateReqs certlisters.PodCertificateRequestLister
	rules           []rbacv1.PolicyRule
}

var (
	_ authorizer.Authorizer   = &Authorizer{}
	_ authorizer.RuleResolver = &Authorizer{}
)

// New returns the authorizer on the informers of f, which it registers
// (and indexes): call it before f starts. rules are what a node may do
// with the kinds the authorizer does not subdivide (bootstrappolicy.NodeRules).
func New(f informers.SharedInformerFactory, rules []rbacv1.PolicyRule) (*Authorizer, error) {
	pods := f.Core().V1().Pods().Informer()
	if err := pods.AddIndexers(cache.Indexers{byNode: func(obj any) ([]string, error) {
		if p, ok := obj.(*corev1.Pod); ok && p.Spec.NodeName != "" {
			return []string{p.Spec.NodeName}, nil
		}
		return nil, nil
	}}); err != nil {
		return nil, fmt.Errorf("node authorizer: index pods by node: %w", err)
	}
	return &Authorizer{
		pods:            pods.GetIndexer(),
		claims:          f.Core().V1().PersistentVolumeClaims().Lister(),
		volumes:         f.Core().V1().PersistentVolumes().Lister(),
		attachments:     f.Storage().V1().VolumeAttachments().Lister(),
		slices:          f.Resource().V1().ResourceSlices().Lister(),
		certificateReqs: f.Certificates().V1().PodCertificateRequests().Lister(),
		rules:           rules,
	}, nil
}

var (
	secrets         = schema.GroupResource{Resource: "secrets"}
	configMaps      = schema.GroupResource{Resource: "configmaps"}
	claims          = schema.GroupResource{Resource: "persistentvolumeclaims"}
	volumes         = schema.GroupResource{Resource: "persistentvolumes"}
	serviceAccounts = schema.GroupResource{Resource: "serviceaccounts"}
	nodes           = schema.GroupResource{Resource: "nodes"}
	pods            = schema.GroupResource{Resource: "pods"}
	resourceClaims  = schema.GroupResource{Group: "resource.k8s.io", Resource: "resourceclaims"}
	resourceSlices  = schema.GroupResource{Group: "resource.k8s.io", Resource: "resourceslices"}
	attachments     = schema.GroupResource{Group: "storage.k8s.io", Resource: "volumeattachments"}
	leases          = schema.GroupResource{Group: "coordination.k8s.io", Resource: "leases"}
	csiNodes        = schema.GroupResource{Group: "storage.k8s.io", Resource: "csinodes"}
	certificateReqs = schema.GroupResource{Group: "certificates.k8s.io", Resource: "podcertificaterequests"}
)

// Authorize implements authorizer.Authorizer. It has no opinion on
// anyone but nodes, and never denies: what it does not allow, RBAC (next
// in --authorization-mode) may.
func (a *Authorizer) Authorize(ctx context.Context, attrs authorizer.Attributes) (authorizer.Decision, string, error) {
	nodeName, isNode := Identity(attrs.GetUser())
	if !isNode {
		return authorizer.DecisionNoOpinion, "", nil
	}
	if nodeName == "" {
		return a.deny(ctx, attrs, fmt.Sprintf("unknown node for user %q", attrs.GetUser().GetName()))
	}
	if attrs.IsResourceRequest() {
		d, reason := a.authorizeResource(nodeName, attrs)
		switch d {
		case allow:
			return authorizer.DecisionAllow, "", nil
		case deny:
			return a.deny(ctx, attrs, reason)
		}
	}
	if rbacauthorizer.RulesAllow(attrs, a.rules...) {
		return authorizer.DecisionAllow, "", nil
	}
	return authorizer.DecisionNoOpinion, "", nil
}

// ConditionsAwareAuthorize: the Node authorizer's decisions carry no
// conditions.
func (a *Authorizer) ConditionsAwareAuthorize(ctx context.Context, attrs authorizer.Attributes) authorizer.ConditionsAwareDecision {
	return authorizer.ConditionsAwareDecisionFromParts(a.Authorize(ctx, attrs))
}

// EvaluateConditions is never needed: no decision here is conditional.
func (a *Authorizer) EvaluateConditions(context.Context, authorizer.ConditionsAwareDecision, authorizer.ConditionsData) (authorizer.Decision, string, error) {
	return authorizer.DecisionDeny, "", authorizer.ErrorConditionEvaluationNotSupported
}

func (a *Authorizer) deny(ctx context.Context, attrs authorizer.Attributes, reason string) (authorizer.Decision, string, error) {
	klog.FromContext(ctx).V(2).Info("Node authorizer has no opinion", "user", attrs.GetUser().GetName(), "verb", attrs.GetVerb(),
		"resource", attrs.GetResource(), "subresource", attrs.GetSubresource(), "namespace", attrs.GetNamespace(), "name", attrs.GetName(), "reason", reason)
	return authorizer.DecisionNoOpinion, reason, nil
}

// RulesFor implements authorizer.RuleResolver as upstream's: a node's
// rules depend on its pods, so they are not listed.
func (a *Authorizer) RulesFor(_ context.Context, u user.Info, _ string) ([]authorizer.ResourceRuleInfo, []authorizer.NonResourceRuleInfo, bool, error) {
	if _, isNode := Identity(u); isNode {
		return nil, nil, true, errors.New("node authorizer does not support user rule resolution")
	}
	return nil, nil, false, nil
}

// verdict is what authorizeResource decided: the node rules decide on
// rules (a kind the authorizer does not subdivide).
type verdict int

const (
	rules verdict = iota
	allow
	deny
)

func (a *Authorizer) authorizeResource(nodeName string, attrs authorizer.Attributes) (verdict, string) {
	verb, sub, name := attrs.GetVerb(), attrs.GetSubresource(), attrs.GetName()
	switch (schema.GroupResource{Group: attrs.GetAPIGroup(), Resource: attrs.GetResource()}) {
	case secrets:
		return a.readNamespaced(nodeName, attrs, a.podsReferTo(refSecret))
	case configMaps:
		return a.readNamespaced(nodeName, attrs, a.podsReferTo(refConfigMap))
	case claims:
		if sub == "status" {
			if verb != "update" && verb != "patch" {
				return deny, "can only get/update/patch this type"
			}
			return a.related(nodeName, attrs, a.podsReferTo(refClaim))
		}
		return a.get(nodeName, attrs, a.podsReferTo(refClaim))
	case volumes:
		return a.get(nodeName, attrs, a.volumeRelated)
	case resourceClaims:
		return a.get(nodeName, attrs, a.podsReferTo(refResourceClaim))
	case attachments:
		return a.get(nodeName, attrs, a.attachmentRelated)
	case serviceAccounts:
		if verb == "get" && sub == "" {
			return a.readNamespaced(nodeName, attrs, a.podsReferTo(refServiceAccount))
		}
		if verb != "create" || name == "" {
			return deny, "can only create tokens for individual service accounts"
		}
		if sub != "token" {
			return deny, "can only create token subresource of serviceaccount"
		}
		return a.related(nodeName, attrs, a.podsReferTo(refServiceAccount))
	case leases:
		switch verb {
		case "get", "create", "update", "patch", "delete":
		default:
			return deny, "can only get, create, update, patch, or delete a node lease"
		}
		if attrs.GetNamespace() != corev1.NamespaceNodeLease {
			return deny, fmt.Sprintf("can only access leases in the %q system namespace", corev1.NamespaceNodeLease)
		}
		// A create names no object here: NodeRestriction checks its name.
		if verb != "create" && name != nodeName {
			return deny, "can only access node lease with the same name as the requesting node"
		}
		return allow, ""
	case csiNodes:
		if sub != "" {
			return deny, "cannot authorize CSINode subresources"
		}
		switch verb {
		case "get", "create", "update", "patch", "delete":
		default:
			return deny, "can only get, create, update, patch, or delete a CSINode"
		}
		if verb != "create" && name != nodeName {
			return deny, "can only access CSINode with the same name as the requesting node"
		}
		return allow, ""
	case resourceSlices:
		return a.authorizeResourceSlice(nodeName, attrs)
	case nodes:
		return authorizeNode(nodeName, attrs)
	case pods:
		return a.authorizePod(nodeName, attrs)
	case certificateReqs:
		if sub != "" {
			return deny, "nodes may not access the status subresource of PodCertificateRequests"
		}
		switch verb {
		case "create":
			return allow, "" // NodeRestriction checks the pod and node.
		case "get":
			return a.related(nodeName, attrs, a.certificateRequestRelated)
		case "list", "watch":
			if fieldSelects(attrs, "spec.nodeName", nodeName) {
				return allow, ""
			}
			return deny, "can only list/watch podcertificaterequests with nodeName field selector"
		}
		return deny, fmt.Sprintf("nodes may not %s podcertificaterequests", verb)
	}
	return rules, ""
}

// relation reports whether the named object is related to the node.
type relation func(nodeName, namespace, name string) (bool, error)

// readNamespaced allows get, list and watch of one object (list and watch
// name it with a metadata.name field selector) related to the node.
func (a *Authorizer) readNamespaced(nodeName string, attrs authorizer.Attributes, rel relation) (verdict, string) {
	switch attrs.GetVerb() {
	case "get", "list", "watch":
	default:
		return deny, "can only read resources of this type"
	}
	if attrs.GetSubresource() != "" {
		return deny, "cannot read subresource"
	}
	if attrs.GetNamespace() == "" {
		return deny, "can only read namespaced object of this type"
	}
	return a.related(nodeName, attrs, rel)
}

// get allows a get of one object related to the node.
func (a *Authorizer) get(nodeName string, attrs authorizer.Attributes, rel relation) (verdict, string) {
	if attrs.GetVerb() != "get" {
		return deny, "can only get individual resources of this type"
	}
	if attrs.GetSubresource() != "" {
		return deny, "cannot get subresource"
	}
	return a.related(nodeName, attrs, rel)
}

func (a *Authorizer) related(nodeName string, attrs authorizer.Attributes, rel relation) (verdict, string) {
	if attrs.GetName() == "" {
		return deny, "No Object name found"
	}
	ok, err := rel(nodeName, attrs.GetNamespace(), attrs.GetName())
	if err != nil || !ok {
		return deny, fmt.Sprintf("no relationship found between node '%s' and this object", nodeName)
	}
	return allow, ""
}

func authorizeNode(nodeName string, attrs authorizer.Attributes) (verdict, string) {
	switch attrs.GetSubresource() {
	case "":
		switch attrs.GetVerb() {
		case "create", "update", "patch":
			return allow, "" // NodeRestriction keeps a node to its own.
		case "get", "list", "watch":
			// By name, not by relation: a node reads its Node before it
			// has created it.
			switch attrs.GetName() {
			case nodeName:
				return allow, ""
			case "":
				return deny, fmt.Sprintf("node '%s' cannot read all nodes, only its own Node object", nodeName)
			default:
				return deny, fmt.Sprintf("node '%s' cannot read '%s', only its own Node object", nodeName, attrs.GetName())
			}
		}
	case "status":
		if v := attrs.GetVerb(); v == "update" || v == "patch" {
			return allow, ""
		}
	}
	return deny, ""
}

func (a *Authorizer) authorizePod(nodeName string, attrs authorizer.Attributes) (verdict, string) {
	verb := attrs.GetVerb()
	switch attrs.GetSubresource() {
	case "":
		switch verb {
		case "get":
			return a.get(nodeName, attrs, a.podOnNode)
		case "list", "watch":
			if fieldSelects(attrs, "spec.nodeName", nodeName) {
				return allow, ""
			}
			if attrs.GetName() != "" {
				return a.related(nodeName, attrs, a.podOnNode)
			}
			return deny, "can only list/watch pods with spec.nodeName field selector"
		case "create", "delete":
			return allow, "" // NodeRestriction: mirror pods, and pods bound to the node.
		}
	case "status":
		if verb == "update" || verb == "patch" {
			return allow, "" // NodeRestriction: pods bound to the node.
		}
	case "eviction":
		if verb == "create" {
			return allow, "" // NodeRestriction: pods bound to the node.
		}
	}
	return deny, ""
}

func (a *Authorizer) authorizeResourceSlice(nodeName string, attrs authorizer.Attributes) (verdict, string) {
	if attrs.GetSubresource() != "" {
		return deny, "cannot authorize ResourceSlice subresources"
	}
	switch attrs.GetVerb() {
	case "create":
		return allow, "" // NodeRestriction checks spec.nodeName.
	case "get", "update", "patch", "delete":
		return a.related(nodeName, attrs, a.sliceRelated)
	case "watch", "list", "deletecollection":
		if fieldSelects(attrs, resourcev1.ResourceSliceSelectorNodeName, nodeName) {
			return allow, ""
		}
		return deny, "can only list/watch/deletecollection resourceslices with nodeName field selector"
	}
	return deny, "only the following verbs are allowed for a ResourceSlice: get, watch, list, create, update, patch, delete, deletecollection"
}

// fieldSelects reports whether the request's field selector requires
// field == value.
func fieldSelects(attrs authorizer.Attributes, field, value string) bool {
	reqs, _ := attrs.GetFieldSelector()
	for _, r := range reqs {
		if r.Field == field && (r.Operator == selection.Equals || r.Operator == selection.DoubleEquals) && r.Value == value {
			return true
		}
	}
	return false
}

// podsOn returns the pods bound to the node, from the index.
func (a *Authorizer) podsOn(nodeName string) ([]*corev1.Pod, error) {
	objs, err := a.pods.ByIndex(byNode, nodeName)
	if err != nil {
		return nil, err
	}
	out := make([]*corev1.Pod, 0, len(objs))
	for _, o := range objs {
		if p, ok := o.(*corev1.Pod); ok {
			out = append(out, p)
		}
	}
	return out, nil
}

func (a *Authorizer) podOnNode(nodeName, namespace, name string) (bool, error) {
	obj, exists, err := a.pods.GetByKey(namespace + "/" + name)
	if err != nil || !exists {
		return false, err
	}
	p, ok := obj.(*corev1.Pod)
	return ok && p.Spec.NodeName == nodeName, nil
}

// podsReferTo returns the relation "a pod on the node refers to it" for
// one kind of reference.
func (a *Authorizer) podsReferTo(kind refKind) relation {
	return func(nodeName, namespace, name string) (bool, error) {
		pods, err := a.podsOn(nodeName)
		if err != nil {
			return false, err
		}
		for _, p := range pods {
			if p.Namespace == namespace && podRefers(p, kind, name) {
				return true, nil
			}
		}
		// A Secret may also be a volume's: a PersistentVolume that one of
		// the node's claims is bound to names it for the node to mount.
		if kind == refSecret {
			return a.volumeSecretRelated(pods, namespace, name)
		}
		return false, nil
	}
}

// boundVolumes returns the PersistentVolumes the pods' claims are bound to.
func (a *Authorizer) boundVolumes(pods []*corev1.Pod) []*corev1.PersistentVolume {
	var out []*corev1.PersistentVolume
	for _, p := range pods {
		for _, claim := range claimNames(p) {
			c, err := a.claims.PersistentVolumeClaims(p.Namespace).Get(claim)
			if err != nil || c.Spec.VolumeName == "" {
				continue
			}
			if v, err := a.volumes.Get(c.Spec.VolumeName); err == nil {
				out = append(out, v)
			}
		}
	}
	return out
}

func (a *Authorizer) volumeRelated(nodeName, _, name string) (bool, error) {
	pods, err := a.podsOn(nodeName)
	if err != nil {
		return false, err
	}
	for _, p := range pods {
		for _, claim := range claimNames(p) {
			c, err := a.claims.PersistentVolumeClaims(p.Namespace).Get(claim)
			if err == nil && c.Spec.VolumeName == name {
				return true, nil
			}
		}
	}
	return false, nil
}

func (a *Authorizer) volumeSecretRelated(pods []*corev1.Pod, namespace, name string) (bool, error) {
	for _, v := range a.boundVolumes(pods) {
		for _, ref := range volumeSecrets(v) {
			if ref.Namespace == namespace && ref.Name == name {
				return true, nil
			}
		}
	}
	return false, nil
}

func (a *Authorizer) attachmentRelated(nodeName, _, name string) (bool, error) {
	va, err := a.attachments.Get(name)
	if apierrors.IsNotFound(err) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	return va.Spec.NodeName == nodeName, nil
}

func (a *Authorizer) sliceRelated(nodeName, _, name string) (bool, error) {
	s, err := a.slices.Get(name)
	if apierrors.IsNotFound(err) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	return s.Spec.NodeName != nil && *s.Spec.NodeName == nodeName, nil
}

func (a *Authorizer) certificateRequestRelated(nodeName, namespace, name string) (bool, error) {
	r, err := a.certificateReqs.PodCertificateRequests(namespace).Get(name)
	if apierrors.IsNotFound(err) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	return string(r.Spec.NodeName) == nodeName, nil
}

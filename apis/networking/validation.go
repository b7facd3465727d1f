package networking

import (
	"fmt"
	"strings"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	"k8s.io/apimachinery/pkg/api/validate/content"
	apimachineryvalidation "k8s.io/apimachinery/pkg/api/validation"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
	netutils "k8s.io/utils/net"

	"github.com/kubeshim/kubeshim/apis/core"
)

// Validation of the networking.k8s.io/v1 kinds, with upstream's paths and
// messages. Values that earlier releases accepted (invalid TLS secret
// names, wildcard-host rules, CIDRs) are tolerated on update when the old
// object already had them.

const (
	annotationIngressClass       = "kubernetes.io/ingress.class"
	maxLenIngressClassController = 250
)

var (
	metaPath             = field.NewPath("metadata")
	specPath             = field.NewPath("spec")
	invalidPathSequences = []string{"//", "/./", "/../", "%2f", "%2F"}
	invalidPathSuffixes  = []string{"/..", "/."}
)

// Ingress.

// ValidateIngress validates an ingress on create.
func ValidateIngress(ing *networkingv1.Ingress) field.ErrorList {
	allErrs := validateIngress(ing, ingressOptions{})
	if v, ok := ing.Annotations[annotationIngressClass]; ok && ing.Spec.IngressClassName != nil && v != *ing.Spec.IngressClassName {
		// Upstream's path: "annotations" then the key as a child.
		allErrs = append(allErrs, field.Invalid(field.NewPath("annotations").Child(annotationIngressClass), v, "must match `ingressClassName` when both are specified"))
	}
	return allErrs
}

// ValidateIngressUpdate validates an update of an ingress.
func ValidateIngressUpdate(ing, old *networkingv1.Ingress) field.ErrorList {
	allErrs := core.ValidateObjectMetaUpdate(&ing.ObjectMeta, &old.ObjectMeta, metaPath)
	opts := ingressOptions{allowInvalidSecretName: hasInvalidSecretName(old), allowInvalidWildcardHostRule: hasInvalidWildcardHostRule(old)}
	return append(allErrs, validateIngress(ing, opts)...)
}

// ValidateIngressStatusUpdate validates an update of an ingress's status.
func ValidateIngressStatusUpdate(ing, old *networkingv1.Ingress) field.ErrorList {
	allErrs := core.ValidateObjectMetaUpdate(&ing.ObjectMeta, &old.ObjectMeta, metaPath)
	var oldIPs []string
	for _, i := range old.Status.LoadBalancer.Ingress {
		if i.IP != "" {
			oldIPs = append(oldIPs, i.IP)
		}
	}
	p := field.NewPath("status", "loadBalancer", "ingress")
	for i, lb := range ing.Status.LoadBalancer.Ingress {
		ip := p.Index(i)
		if lb.IP != "" {
			allErrs = append(allErrs, core.IsValidIPForLegacyField(ip.Child("ip"), lb.IP, oldIPs)...)
		}
		if lb.Hostname != "" {
			allErrs = append(allErrs, core.ValidateDNS1123Subdomain(lb.Hostname, ip.Child("hostname"))...)
			if netutils.ParseIPSloppy(lb.Hostname) != nil {
				allErrs = append(allErrs, field.Invalid(ip.Child("hostname"), lb.Hostname, "must be a DNS name, not an IP address"))
			}
		}
	}
	return allErrs
}

type ingressOptions struct {
	allowInvalidSecretName       bool
	allowInvalidWildcardHostRule bool
}

func validateIngress(ing *networkingv1.Ingress, opts ingressOptions) field.ErrorList {
	allErrs := core.ValidateObjectMeta(&ing.ObjectMeta, apimachineryvalidation.NameIsDNSSubdomain, metaPath)
	spec, p := &ing.Spec, specPath
	if len(spec.Rules) == 0 && spec.DefaultBackend == nil {
		allErrs = append(allErrs, field.Invalid(p, spec.Rules, "either `defaultBackend` or `rules` must be specified"))
	}
	if spec.DefaultBackend != nil {
		allErrs = append(allErrs, validateIngressBackend(spec.DefaultBackend, p.Child("defaultBackend"))...)
	}
	for i, rule := range spec.Rules {
		rp := p.Child("rules").Index(i)
		wildcard := false
		if rule.Host != "" {
			if netutils.ParseIPSloppy(rule.Host) != nil {
				allErrs = append(allErrs, field.Invalid(rp.Child("host"), rule.Host, "must be a DNS name, not an IP address"))
			}
			if strings.Contains(rule.Host, "*") {
				wildcard = true
				for _, msg := range validation.IsWildcardDNS1123Subdomain(rule.Host) {
					allErrs = append(allErrs, field.Invalid(rp.Child("host"), rule.Host, msg))
				}
			} else {
				allErrs = append(allErrs, core.ValidateDNS1123Subdomain(rule.Host, rp.Child("host"))...)
			}
		}
		if !wildcard || !opts.allowInvalidWildcardHostRule {
			allErrs = append(allErrs, validateIngressRuleValue(&rule.IngressRuleValue, rp)...)
		}
	}
	for i, tls := range spec.TLS {
		tp := p.Child("tls").Index(i)
		for j, host := range tls.Hosts {
			if strings.Contains(host, "*") {
				for _, msg := range validation.IsWildcardDNS1123Subdomain(host) {
					allErrs = append(allErrs, field.Invalid(tp.Child("hosts").Index(j), host, msg))
				}
				continue
			}
			allErrs = append(allErrs, core.ValidateDNS1123Subdomain(host, tp.Child("hosts").Index(j))...)
		}
		if !opts.allowInvalidSecretName && tls.SecretName != "" {
			allErrs = append(allErrs, core.ValidateNameFunc(apimachineryvalidation.NameIsDNSSubdomain, tls.SecretName, tp.Child("secretName"))...)
		}
	}
	if spec.IngressClassName != nil {
		allErrs = append(allErrs, core.ValidateNameFunc(apimachineryvalidation.NameIsDNSSubdomain, *spec.IngressClassName, p.Child("ingressClassName"))...)
	}
	return allErrs
}

func validateIngressRuleValue(rule *networkingv1.IngressRuleValue, p *field.Path) field.ErrorList {
	if rule.HTTP == nil {
		return nil
	}
	hp := p.Child("http")
	var allErrs field.ErrorList
	if len(rule.HTTP.Paths) == 0 {
		allErrs = append(allErrs, field.Required(hp.Child("paths"), ""))
	}
	for i := range rule.HTTP.Paths {
		allErrs = append(allErrs, validateHTTPIngressPath(&rule.HTTP.Paths[i], hp.Child("paths").Index(i))...)
	}
	return allErrs
}

func validateHTTPIngressPath(path *networkingv1.HTTPIngressPath, p *field.Path) field.ErrorList {
	if path.PathType == nil {
		return field.ErrorList{field.Required(p.Child("pathType"), "pathType must be specified")}
	}
	var allErrs field.ErrorList
	pp := p.Child("path")
	switch *path.PathType {
	case networkingv1.PathTypeExact, networkingv1.PathTypePrefix:
		if !strings.HasPrefix(path.Path, "/") {
			allErrs = append(allErrs, field.Invalid(pp, path.Path, "must be an absolute path"))
		}
		// Proxies normalize these differently, so matching would be ambiguous.
		for _, seq := range invalidPathSequences {
			if strings.Contains(path.Path, seq) {
				allErrs = append(allErrs, field.Invalid(pp, path.Path, fmt.Sprintf("must not contain '%s'", seq)))
			}
		}
		for _, suffix := range invalidPathSuffixes {
			if strings.HasSuffix(path.Path, suffix) {
				allErrs = append(allErrs, field.Invalid(pp, path.Path, fmt.Sprintf("cannot end with '%s'", suffix)))
			}
		}
	case networkingv1.PathTypeImplementationSpecific:
		if path.Path != "" && !strings.HasPrefix(path.Path, "/") {
			allErrs = append(allErrs, field.Invalid(pp, path.Path, "must be an absolute path"))
		}
	default:
		allErrs = append(allErrs, field.NotSupported(p.Child("pathType"), *path.PathType,
			[]networkingv1.PathType{networkingv1.PathTypeExact, networkingv1.PathTypeImplementationSpecific, networkingv1.PathTypePrefix}))
	}
	return append(allErrs, validateIngressBackend(&path.Backend, p.Child("backend"))...)
}

func validateIngressBackend(b *networkingv1.IngressBackend, p *field.Path) field.ErrorList {
	switch {
	case b.Resource != nil && b.Service != nil:
		return field.ErrorList{field.Invalid(p, "", "cannot set both resource and service backends")}
	case b.Resource != nil:
		return validateTypedLocalObjectReference(b.Resource, p.Child("resource"))
	case b.Service == nil:
		return field.ErrorList{field.Invalid(p, "", "resource or service backend is required")}
	}
	var allErrs field.ErrorList
	svc := b.Service
	if svc.Name == "" {
		allErrs = append(allErrs, field.Required(p.Child("service", "name"), ""))
	} else {
		// Service names are DNS labels (RelaxedServiceNameValidation is GA).
		allErrs = append(allErrs, core.ValidateNameFunc(apimachineryvalidation.NameIsDNSLabel, svc.Name, p.Child("service", "name"))...)
	}
	hasName, hasNumber := svc.Port.Name != "", svc.Port.Number != 0
	switch {
	case hasName && hasNumber:
		allErrs = append(allErrs, field.Invalid(p, "", "cannot set both port name & port number"))
	case hasName:
		for _, msg := range validation.IsValidPortName(svc.Port.Name) {
			allErrs = append(allErrs, field.Invalid(p.Child("service", "port", "name"), svc.Port.Name, msg))
		}
	case hasNumber:
		for _, msg := range validation.IsValidPortNum(int(svc.Port.Number)) {
			allErrs = append(allErrs, field.Invalid(p.Child("service", "port", "number"), svc.Port.Number, msg))
		}
	default:
		allErrs = append(allErrs, field.Required(p, "port name or number is required"))
	}
	return allErrs
}

// validateReference checks a kind and name used as URL path segments and an
// optional API group.
func validateReference(apiGroup *string, kind, name string, p *field.Path) field.ErrorList {
	var allErrs field.ErrorList
	if apiGroup != nil {
		allErrs = append(allErrs, core.ValidateDNS1123Subdomain(*apiGroup, p.Child("apiGroup"))...)
	}
	for _, f := range []struct{ name, value string }{{"kind", kind}, {"name", name}} {
		if f.value == "" {
			allErrs = append(allErrs, field.Required(p.Child(f.name), ""))
			continue
		}
		for _, msg := range content.IsPathSegmentName(f.value) {
			allErrs = append(allErrs, field.Invalid(p.Child(f.name), f.value, msg))
		}
	}
	return allErrs
}

func validateTypedLocalObjectReference(ref *corev1.TypedLocalObjectReference, p *field.Path) field.ErrorList {
	return validateReference(ref.APIGroup, ref.Kind, ref.Name, p)
}

func hasInvalidSecretName(ing *networkingv1.Ingress) bool {
	for _, tls := range ing.Spec.TLS {
		if tls.SecretName != "" && len(apimachineryvalidation.NameIsDNSSubdomain(tls.SecretName, false)) > 0 {
			return true
		}
	}
	return false
}

func hasInvalidWildcardHostRule(ing *networkingv1.Ingress) bool {
	for _, rule := range ing.Spec.Rules {
		if strings.Contains(rule.Host, "*") && len(validateIngressRuleValue(&rule.IngressRuleValue, nil)) > 0 {
			return true
		}
	}
	return false
}

// IngressClass.

// ValidateIngressClass validates an ingress class on create.
func ValidateIngressClass(ic *networkingv1.IngressClass) field.ErrorList {
	allErrs := core.ValidateObjectMeta(&ic.ObjectMeta, apimachineryvalidation.NameIsDNSSubdomain, metaPath)
	cp := specPath.Child("controller")
	if len(ic.Spec.Controller) > maxLenIngressClassController {
		allErrs = append(allErrs, field.TooLong(cp, "", maxLenIngressClassController))
	}
	allErrs = append(allErrs, validation.IsDomainPrefixedPath(cp, ic.Spec.Controller)...)
	if params := ic.Spec.Parameters; params != nil {
		pp := specPath.Child("parameters")
		allErrs = append(allErrs, validateReference(params.APIGroup, params.Kind, params.Name, pp)...)
		switch {
		case params.Scope == nil:
			allErrs = append(allErrs, field.Required(pp.Child("scope"), ""))
		case *params.Scope == networkingv1.IngressClassParametersReferenceScopeNamespace:
			if params.Namespace == nil {
				allErrs = append(allErrs, field.Required(pp.Child("namespace"), "`parameters.scope` is set to 'Namespace'"))
			} else {
				allErrs = append(allErrs, core.ValidateNameFunc(apimachineryvalidation.ValidateNamespaceName, *params.Namespace, pp.Child("namespace"))...)
			}
		case *params.Scope == networkingv1.IngressClassParametersReferenceScopeCluster:
			if params.Namespace != nil {
				allErrs = append(allErrs, field.Forbidden(pp.Child("namespace"), "`parameters.scope` is set to 'Cluster'"))
			}
		default:
			allErrs = append(allErrs, field.NotSupported(pp.Child("scope"), *params.Scope,
				[]string{networkingv1.IngressClassParametersReferenceScopeCluster, networkingv1.IngressClassParametersReferenceScopeNamespace}))
		}
	}
	return allErrs
}

// ValidateIngressClassUpdate validates an update of an ingress class: its
// controller is fixed.
func ValidateIngressClassUpdate(ic, old *networkingv1.IngressClass) field.ErrorList {
	allErrs := core.ValidateObjectMetaUpdate(&ic.ObjectMeta, &old.ObjectMeta, metaPath)
	allErrs = append(allErrs, core.ValidateImmutableField(ic.Spec.Controller, old.Spec.Controller, specPath.Child("controller"))...)
	return append(allErrs, ValidateIngressClass(ic)...)
}

// NetworkPolicy.

// ValidateNetworkPolicy validates a network policy on create.
func ValidateNetworkPolicy(np *networkingv1.NetworkPolicy) field.ErrorList {
	allErrs := core.ValidateObjectMeta(&np.ObjectMeta, apimachineryvalidation.NameIsDNSSubdomain, metaPath)
	return append(allErrs, validateNetworkPolicySpec(&np.Spec, nil)...)
}

// ValidateNetworkPolicyUpdate validates an update of a network policy;
// CIDRs the old policy had are accepted even if the stricter parsing
// rejects them now.
func ValidateNetworkPolicyUpdate(np, old *networkingv1.NetworkPolicy) field.ErrorList {
	var oldCIDRs []string
	collect := func(peers []networkingv1.NetworkPolicyPeer) {
		for _, peer := range peers {
			if peer.IPBlock != nil {
				oldCIDRs = append(oldCIDRs, peer.IPBlock.CIDR)
				oldCIDRs = append(oldCIDRs, peer.IPBlock.Except...)
			}
		}
	}
	for _, r := range old.Spec.Ingress {
		collect(r.From)
	}
	for _, r := range old.Spec.Egress {
		collect(r.To)
	}
	allErrs := core.ValidateObjectMetaUpdate(&np.ObjectMeta, &old.ObjectMeta, metaPath)
	allErrs = append(allErrs, core.ValidateObjectMeta(&np.ObjectMeta, apimachineryvalidation.NameIsDNSSubdomain, metaPath)...)
	return append(allErrs, validateNetworkPolicySpec(&np.Spec, oldCIDRs)...)
}

func validateNetworkPolicySpec(spec *networkingv1.NetworkPolicySpec, oldCIDRs []string) field.ErrorList {
	p := specPath
	allErrs := core.ValidateLabelSelector(&spec.PodSelector, p.Child("podSelector"))
	rules := func(kind, peersName string, i int, ports []networkingv1.NetworkPolicyPort, peers []networkingv1.NetworkPolicyPeer) {
		rp := p.Child(kind).Index(i)
		for j := range ports {
			allErrs = append(allErrs, validateNetworkPolicyPort(&ports[j], rp.Child("ports").Index(j))...)
		}
		for j := range peers {
			allErrs = append(allErrs, validateNetworkPolicyPeer(&peers[j], oldCIDRs, rp.Child(peersName).Index(j))...)
		}
	}
	for i, r := range spec.Ingress {
		rules("ingress", "from", i, r.Ports, r.From)
	}
	for i, r := range spec.Egress {
		rules("egress", "to", i, r.Ports, r.To)
	}
	tp := p.Child("policyTypes")
	if len(spec.PolicyTypes) > 2 {
		return append(allErrs, field.Invalid(tp, &spec.PolicyTypes, "may not specify more than two policyTypes"))
	}
	for i, t := range spec.PolicyTypes {
		if t != networkingv1.PolicyTypeIngress && t != networkingv1.PolicyTypeEgress {
			allErrs = append(allErrs, field.NotSupported(tp.Index(i), t, []networkingv1.PolicyType{networkingv1.PolicyTypeIngress, networkingv1.PolicyTypeEgress}))
		}
	}
	return allErrs
}

func validateNetworkPolicyPort(port *networkingv1.NetworkPolicyPort, p *field.Path) field.ErrorList {
	var allErrs field.ErrorList
	if proto := port.Protocol; proto != nil && *proto != corev1.ProtocolTCP && *proto != corev1.ProtocolUDP && *proto != corev1.ProtocolSCTP {
		allErrs = append(allErrs, field.NotSupported(p.Child("protocol"), *proto, []corev1.Protocol{corev1.ProtocolTCP, corev1.ProtocolUDP, corev1.ProtocolSCTP}))
	}
	switch {
	case port.Port == nil:
		if port.EndPort != nil {
			allErrs = append(allErrs, field.Invalid(p.Child("endPort"), *port.EndPort, "may not be specified when `port` is not specified"))
		}
	case port.Port.Type == intstr.Int:
		for _, msg := range validation.IsValidPortNum(int(port.Port.IntVal)) {
			allErrs = append(allErrs, field.Invalid(p.Child("port"), port.Port.IntVal, msg))
		}
		if port.EndPort != nil {
			if *port.EndPort < port.Port.IntVal {
				allErrs = append(allErrs, field.Invalid(p.Child("endPort"), *port.EndPort, "must be greater than or equal to `port`"))
			}
			for _, msg := range validation.IsValidPortNum(int(*port.EndPort)) {
				allErrs = append(allErrs, field.Invalid(p.Child("endPort"), *port.EndPort, msg))
			}
		}
	default:
		if port.EndPort != nil {
			allErrs = append(allErrs, field.Invalid(p.Child("endPort"), *port.EndPort, "may not be specified when `port` is non-numeric"))
		}
		for _, msg := range validation.IsValidPortName(port.Port.StrVal) {
			allErrs = append(allErrs, field.Invalid(p.Child("port"), port.Port.StrVal, msg))
		}
	}
	return allErrs
}

func validateNetworkPolicyPeer(peer *networkingv1.NetworkPolicyPeer, oldCIDRs []string, p *field.Path) field.ErrorList {
	var allErrs field.ErrorList
	n := 0
	if peer.PodSelector != nil {
		n++
		allErrs = append(allErrs, core.ValidateLabelSelector(peer.PodSelector, p.Child("podSelector"))...)
	}
	if peer.NamespaceSelector != nil {
		n++
		allErrs = append(allErrs, core.ValidateLabelSelector(peer.NamespaceSelector, p.Child("namespaceSelector"))...)
	}
	if ipb := peer.IPBlock; ipb != nil {
		n++
		allErrs = append(allErrs, validateIPBlock(ipb, oldCIDRs, p.Child("ipBlock"))...)
	}
	switch {
	case n == 0:
		allErrs = append(allErrs, field.Required(p, "must specify a peer"))
	case n > 1 && peer.IPBlock != nil:
		allErrs = append(allErrs, field.Forbidden(p, "may not specify both ipBlock and another peer"))
	}
	return allErrs
}

func validateIPBlock(ipb *networkingv1.IPBlock, oldCIDRs []string, p *field.Path) field.ErrorList {
	if ipb.CIDR == "" {
		return field.ErrorList{field.Required(p.Child("cidr"), "")}
	}
	allErrs := core.IsValidCIDRForLegacyField(p.Child("cidr"), ipb.CIDR, oldCIDRs)
	_, cidr, err := netutils.ParseCIDRSloppy(ipb.CIDR)
	if err != nil {
		return allErrs
	}
	for i, except := range ipb.Except {
		ep := p.Child("except").Index(i)
		allErrs = append(allErrs, core.IsValidCIDRForLegacyField(ep, except, oldCIDRs)...)
		_, exceptNet, err := netutils.ParseCIDRSloppy(except)
		if err != nil {
			continue
		}
		cidrLen, _ := cidr.Mask.Size()
		exceptLen, _ := exceptNet.Mask.Size()
		if !cidr.Contains(exceptNet.IP) || cidrLen >= exceptLen {
			allErrs = append(allErrs, field.Invalid(ep, except, "must be a strict subset of `cidr`"))
		}
	}
	return allErrs
}

// ServiceCIDR.

// ValidateServiceCIDR validates a service CIDR on create.
func ValidateServiceCIDR(sc *networkingv1.ServiceCIDR) field.ErrorList {
	allErrs := core.ValidateObjectMeta(&sc.ObjectMeta, apimachineryvalidation.NameIsDNSSubdomain, metaPath)
	return append(allErrs, validateServiceCIDRs(sc.Spec.CIDRs, specPath.Child("cidrs"))...)
}

// validateServiceCIDRs checks one or two CIDRs, at most one per family: a
// service range is single- or dual-stack.
func validateServiceCIDRs(cidrs []string, p *field.Path) field.ErrorList {
	switch {
	case len(cidrs) == 0:
		return field.ErrorList{field.Required(p, "at least one CIDR required")}
	case len(cidrs) > 2:
		// Upstream reports the whole spec as the value.
		return field.ErrorList{field.Invalid(p, networkingv1.ServiceCIDRSpec{CIDRs: cidrs}, "may only hold up to 2 values")}
	}
	var allErrs field.ErrorList
	for i, cidr := range cidrs {
		allErrs = append(allErrs, validation.IsValidCIDR(p.Index(i), cidr)...)
	}
	if len(cidrs) == 2 {
		f0, f1 := netutils.IPFamilyOfCIDRString(cidrs[0]), netutils.IPFamilyOfCIDRString(cidrs[1])
		if f0 == f1 && f0 != netutils.IPFamilyUnknown {
			allErrs = append(allErrs, field.Invalid(p, cidrs, "may specify no more than one IP for each IP family, i.e 192.168.0.0/24 and 2001:db8::/64"))
		}
	}
	return allErrs
}

// ValidateServiceCIDRUpdate validates an update of a service CIDR: its
// CIDRs are fixed, except that a single-stack range may gain a CIDR of the
// other family (upstream's way to convert a cluster to dual-stack).
func ValidateServiceCIDRUpdate(sc, old *networkingv1.ServiceCIDR) field.ErrorList {
	allErrs := core.ValidateObjectMetaUpdate(&sc.ObjectMeta, &old.ObjectMeta, metaPath)
	p := specPath.Child("cidrs")
	switch {
	case len(old.Spec.CIDRs) == len(sc.Spec.CIDRs):
		for i, cidr := range old.Spec.CIDRs {
			if cidr != sc.Spec.CIDRs[i] {
				allErrs = append(allErrs, field.Invalid(p.Index(i), sc.Spec.CIDRs[i], apimachineryvalidation.FieldImmutableErrorMsg))
			}
		}
	case len(old.Spec.CIDRs) == 1 && len(sc.Spec.CIDRs) == 2:
		if sc.Spec.CIDRs[0] != old.Spec.CIDRs[0] {
			allErrs = append(allErrs, field.Invalid(p.Index(0), sc.Spec.CIDRs[0], apimachineryvalidation.FieldImmutableErrorMsg))
		}
		allErrs = append(allErrs, validateServiceCIDRs(sc.Spec.CIDRs, p)...)
	default:
		allErrs = append(allErrs, field.Invalid(p, sc.Spec.CIDRs, apimachineryvalidation.FieldImmutableErrorMsg))
	}
	return allErrs
}

// ValidateServiceCIDRStatusUpdate validates an update of a service CIDR's
// status: upstream checks only metadata.
func ValidateServiceCIDRStatusUpdate(sc, old *networkingv1.ServiceCIDR) field.ErrorList {
	return core.ValidateObjectMetaUpdate(&sc.ObjectMeta, &old.ObjectMeta, metaPath)
}

// IPAddress.

// ValidateIPAddress validates an IP address on create: its name is the
// address in canonical form and it names the object that holds it.
func ValidateIPAddress(ip *networkingv1.IPAddress) field.ErrorList {
	allErrs := core.ValidateObjectMeta(&ip.ObjectMeta, validateIPAddressName, metaPath)
	return append(allErrs, validateParentReference(ip.Spec.ParentRef, specPath.Child("parentRef"))...)
}

// validateIPAddressName takes IsValidIP's details only: ValidateObjectMeta
// wraps them in its own metadata.name error. Generated names cannot be IPs.
func validateIPAddressName(name string, _ bool) []string {
	var msgs []string
	for _, e := range validation.IsValidIP(&field.Path{}, name) {
		msgs = append(msgs, e.Detail)
	}
	return msgs
}

func validateParentReference(ref *networkingv1.ParentReference, p *field.Path) field.ErrorList {
	if ref == nil {
		return field.ErrorList{field.Required(p, "")}
	}
	var allErrs field.ErrorList
	// The core group (services) is "", so a group is checked only if set.
	if ref.Group != "" {
		for _, msg := range validation.IsDNS1123Subdomain(ref.Group) {
			allErrs = append(allErrs, field.Invalid(p.Child("group"), ref.Group, msg))
		}
	}
	segment := func(name, value string, required bool) {
		if value == "" {
			if required {
				allErrs = append(allErrs, field.Required(p.Child(name), ""))
			}
			return
		}
		for _, msg := range content.IsPathSegmentName(value) {
			allErrs = append(allErrs, field.Invalid(p.Child(name), value, msg))
		}
	}
	segment("resource", ref.Resource, true)
	segment("name", ref.Name, true)
	segment("namespace", ref.Namespace, false)
	return allErrs
}

// ValidateIPAddressUpdate validates an update of an IP address: its parent
// is fixed.
func ValidateIPAddressUpdate(ip, old *networkingv1.IPAddress) field.ErrorList {
	allErrs := core.ValidateObjectMetaUpdate(&ip.ObjectMeta, &old.ObjectMeta, metaPath)
	return append(allErrs, core.ValidateImmutableField(ip.Spec.ParentRef, old.Spec.ParentRef, specPath.Child("parentRef"))...)
}

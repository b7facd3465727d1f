package printers

import (
	"cmp"
	"fmt"
	"strings"

	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/utils/ptr"
)

var ingresses = printer[*networkingv1.Ingress]{
	header: []metav1.TableColumnDefinition{
		nameColumn,
		text("Class", "The name of the IngressClass resource that should be used for additional configuration"),
		text("Hosts", "Hosts that incoming requests are matched against before the ingress rule"),
		text("Address", "Address is a list containing ingress points for the load-balancer"),
		text("Ports", "Ports of TLS configurations that open"),
		ageColumn,
	},
	cells: func(c clock, ing *networkingv1.Ingress) []any {
		var lb []string
		for _, in := range ing.Status.LoadBalancer.Ingress {
			lb = append(lb, cmp.Or(in.IP, in.Hostname))
		}
		ports := "80"
		if len(ing.Spec.TLS) != 0 {
			ports = "80, 443"
		}
		return []any{ing.Name, ptr.Deref(ing.Spec.IngressClassName, "<none>"), ingressHosts(ing.Spec.Rules),
			loadBalancerAddresses(lb), ports, c.since(ing.CreationTimestamp)}
	},
}

// ingressHosts lists the first three hosts the rules name; "*" when none
// does. Like upstream, "+ N more" counts the rules beyond three, with or
// without hosts of their own.
func ingressHosts(rules []networkingv1.IngressRule) string {
	const shown = 3
	var hosts []string
	for _, r := range rules {
		if len(hosts) == shown {
			return fmt.Sprintf("%s + %d more...", strings.Join(hosts, ","), len(rules)-shown)
		}
		if r.Host != "" {
			hosts = append(hosts, r.Host)
		}
	}
	if len(hosts) == 0 {
		return "*"
	}
	return strings.Join(hosts, ",")
}

var ingressClasses = printer[*networkingv1.IngressClass]{
	header: []metav1.TableColumnDefinition{
		nameColumn,
		text("Controller", "Controller that is responsible for handling this class"),
		text("Parameters", "A reference to a resource with additional parameters"),
		ageColumn,
	},
	cells: func(c clock, ic *networkingv1.IngressClass) []any {
		name := ic.Name
		if ic.Annotations[networkingv1.AnnotationIsDefaultIngressClass] == "true" {
			name += " (default)"
		}
		params := "<none>"
		if p := ic.Spec.Parameters; p != nil {
			params = p.Kind
			if p.APIGroup != nil {
				params += "." + *p.APIGroup
			}
			params += "/" + p.Name
		}
		return []any{name, ic.Spec.Controller, params, c.since(ic.CreationTimestamp)}
	},
}

var networkPolicies = printer[*networkingv1.NetworkPolicy]{
	header: []metav1.TableColumnDefinition{
		nameColumn,
		text("Pod-Selector", networkingv1.NetworkPolicySpec{}.SwaggerDoc()["podSelector"]),
		ageColumn,
	},
	cells: func(c clock, np *networkingv1.NetworkPolicy) []any {
		return []any{np.Name, metav1.FormatLabelSelector(&np.Spec.PodSelector), c.since(np.CreationTimestamp)}
	},
}

var serviceCIDRs = printer[*networkingv1.ServiceCIDR]{
	header: []metav1.TableColumnDefinition{
		nameColumn,
		text("CIDRs", networkingv1.ServiceCIDRSpec{}.SwaggerDoc()["cidrs"]),
		ageColumn,
	},
	cells: func(c clock, sc *networkingv1.ServiceCIDR) []any {
		return []any{sc.Name, strings.Join(sc.Spec.CIDRs, ","), c.since(sc.CreationTimestamp)}
	},
}

// ipAddresses prints the parent as resource.group/namespace/name, lower
// case. Upstream declares only Name and ParentRef but sends the age as a
// third cell, which kubectl drops; here Age is a declared column, so
// every cell has one.
var ipAddresses = printer[*networkingv1.IPAddress]{
	header: []metav1.TableColumnDefinition{
		nameColumn,
		text("ParentRef", networkingv1.IPAddressSpec{}.SwaggerDoc()["parentRef"]),
		ageColumn,
	},
	cells: func(c clock, ip *networkingv1.IPAddress) []any {
		parent := "<none>"
		if ref := ip.Spec.ParentRef; ref != nil {
			parent = strings.ToLower(schema.GroupResource{Group: ref.Group, Resource: ref.Resource}.String())
			if ref.Namespace != "" {
				parent += "/" + ref.Namespace
			}
			parent += "/" + ref.Name
		}
		return []any{ip.Name, parent, c.since(ip.CreationTimestamp)}
	},
}

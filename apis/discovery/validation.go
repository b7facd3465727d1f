package discovery

import (
	"slices"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	apiequality "k8s.io/apimachinery/pkg/api/equality"
	apimachineryvalidation "k8s.io/apimachinery/pkg/api/validation"
	metav1validation "k8s.io/apimachinery/pkg/apis/meta/v1/validation"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
	netutils "k8s.io/utils/net"

	"github.com/kubeshim/kubeshim/apis/core"
)

// Validation of discovery.k8s.io/v1 EndpointSlices, with upstream's paths
// and messages.

const (
	maxTopologyLabels = 16
	maxAddresses      = 100
	maxPorts          = 20000
	maxEndpoints      = 1000
	maxZoneHints      = 8
	maxNodeHints      = 8
)

var (
	supportedAddressTypes = []discoveryv1.AddressType{discoveryv1.AddressTypeFQDN, discoveryv1.AddressTypeIPv4, discoveryv1.AddressTypeIPv6}
	supportedProtocols    = []corev1.Protocol{corev1.ProtocolSCTP, corev1.ProtocolTCP, corev1.ProtocolUDP}
)

// ValidateEndpointSlice validates an endpoint slice on create.
func ValidateEndpointSlice(es *discoveryv1.EndpointSlice) field.ErrorList {
	return validateEndpointSlice(es, nil)
}

// ValidateEndpointSliceUpdate validates an update of an endpoint slice: the
// address type is fixed, and endpoints that did not change are not
// re-validated (older releases accepted data the current rules reject).
func ValidateEndpointSliceUpdate(es, old *discoveryv1.EndpointSlice) field.ErrorList {
	allErrs := core.ValidateObjectMetaUpdate(&es.ObjectMeta, &old.ObjectMeta, field.NewPath("metadata"))
	allErrs = append(allErrs, validateEndpointSlice(es, old)...)
	return append(allErrs, core.ValidateImmutableField(es.AddressType, old.AddressType, field.NewPath("addressType"))...)
}

func validateEndpointSlice(es, old *discoveryv1.EndpointSlice) field.ErrorList {
	allErrs := core.ValidateObjectMeta(&es.ObjectMeta, apimachineryvalidation.NameIsDNSSubdomain, field.NewPath("metadata"))
	typePath := field.NewPath("addressType")
	if es.AddressType == "" {
		allErrs = append(allErrs, field.Required(typePath, ""))
	} else if !slices.Contains(supportedAddressTypes, es.AddressType) {
		allErrs = append(allErrs, field.NotSupported(typePath, es.AddressType, supportedAddressTypes))
	}
	allErrs = append(allErrs, validatePorts(es.Ports, field.NewPath("ports"))...)
	if errs := validateEndpoints(es.Endpoints, es.AddressType, field.NewPath("endpoints")); len(errs) != 0 &&
		(old == nil || !apiequality.Semantic.DeepEqual(old.Endpoints, es.Endpoints)) {
		allErrs = append(allErrs, errs...)
	}
	return allErrs
}

func validateEndpoints(endpoints []discoveryv1.Endpoint, addrType discoveryv1.AddressType, p *field.Path) field.ErrorList {
	if len(endpoints) > maxEndpoints {
		return field.ErrorList{field.TooMany(p, len(endpoints), maxEndpoints)}
	}
	var allErrs field.ErrorList
	for i, ep := range endpoints {
		ip := p.Index(i)
		ap := ip.Child("addresses")
		if len(ep.Addresses) == 0 {
			allErrs = append(allErrs, field.Required(ap, "must contain at least 1 address"))
		} else if len(ep.Addresses) > maxAddresses {
			allErrs = append(allErrs, field.TooMany(ap, len(ep.Addresses), maxAddresses))
		}
		for j, addr := range ep.Addresses {
			switch addrType {
			case discoveryv1.AddressTypeIPv4:
				if errs := core.IsValidIPForLegacyField(ap.Index(j), addr, nil); len(errs) > 0 {
					allErrs = append(allErrs, errs...)
					continue
				}
				if !netutils.IsIPv4String(addr) {
					allErrs = append(allErrs, field.Invalid(ap, addr, "must be an IPv4 address"))
				}
				allErrs = append(allErrs, core.ValidateEndpointIP(addr, ap.Index(j))...)
			case discoveryv1.AddressTypeIPv6:
				if errs := validation.IsValidIP(ap.Index(j), addr); len(errs) > 0 {
					allErrs = append(allErrs, errs...)
					continue
				}
				if !netutils.IsIPv6String(addr) {
					allErrs = append(allErrs, field.Invalid(ap, addr, "must be an IPv6 address"))
				}
				allErrs = append(allErrs, core.ValidateEndpointIP(addr, ap.Index(j))...)
			case discoveryv1.AddressTypeFQDN:
				allErrs = append(allErrs, validation.IsFullyQualifiedDomainName(ap.Index(j), addr)...)
			}
		}
		if ep.NodeName != nil {
			allErrs = append(allErrs, core.ValidateNameFunc(apimachineryvalidation.NameIsDNSSubdomain, *ep.NodeName, ip.Child("nodeName"))...)
		}
		tp := ip.Child("deprecatedTopology")
		if len(ep.DeprecatedTopology) > maxTopologyLabels {
			allErrs = append(allErrs, field.TooMany(tp, len(ep.DeprecatedTopology), maxTopologyLabels))
		}
		allErrs = append(allErrs, metav1validation.ValidateLabels(ep.DeprecatedTopology, tp)...)
		if ep.Hostname != nil {
			allErrs = append(allErrs, core.ValidateDNS1123Label(*ep.Hostname, ip.Child("hostname"))...)
		}
		if ep.Hints != nil {
			allErrs = append(allErrs, validateHints(ep.Hints, ip.Child("hints"))...)
		}
	}
	return allErrs
}

func validatePorts(ports []discoveryv1.EndpointPort, p *field.Path) field.ErrorList {
	if len(ports) > maxPorts {
		return field.ErrorList{field.TooMany(p, len(ports), maxPorts)}
	}
	var allErrs field.ErrorList
	var names []string
	for i, port := range ports {
		ip := p.Index(i)
		// Defaulting sets an unset name to "".
		name := ""
		if port.Name != nil {
			name = *port.Name
		}
		if name != "" {
			allErrs = append(allErrs, core.ValidateDNS1123Label(name, ip.Child("name"))...)
		}
		if slices.Contains(names, name) {
			allErrs = append(allErrs, field.Duplicate(ip.Child("name"), name))
		} else {
			names = append(names, name)
		}
		if port.Protocol == nil {
			allErrs = append(allErrs, field.Required(ip.Child("protocol"), ""))
		} else if !slices.Contains(supportedProtocols, *port.Protocol) {
			allErrs = append(allErrs, field.NotSupported(ip.Child("protocol"), *port.Protocol, supportedProtocols))
		}
		if port.AppProtocol != nil {
			allErrs = append(allErrs, core.ValidateQualifiedName(*port.AppProtocol, ip.Child("appProtocol"))...)
		}
	}
	return allErrs
}

func validateHints(hints *discoveryv1.EndpointHints, p *field.Path) field.ErrorList {
	zp := p.Child("forZones")
	if len(hints.ForZones) > maxZoneHints {
		return field.ErrorList{field.TooMany(zp, len(hints.ForZones), maxZoneHints)}
	}
	var allErrs field.ErrorList
	var zones []string
	for i, z := range hints.ForZones {
		np := zp.Index(i).Child("name")
		if slices.Contains(zones, z.Name) {
			allErrs = append(allErrs, field.Duplicate(np, z.Name))
		} else {
			zones = append(zones, z.Name)
		}
		for _, msg := range validation.IsValidLabelValue(z.Name) {
			allErrs = append(allErrs, field.Invalid(np, z.Name, msg))
		}
	}
	np := p.Child("forNodes")
	if len(hints.ForNodes) > maxNodeHints {
		return append(allErrs, field.TooMany(np, len(hints.ForNodes), maxNodeHints))
	}
	var nodes []string
	for i, n := range hints.ForNodes {
		nnp := np.Index(i).Child("name")
		if slices.Contains(nodes, n.Name) {
			allErrs = append(allErrs, field.Duplicate(nnp, n.Name))
		} else {
			nodes = append(nodes, n.Name)
		}
		allErrs = append(allErrs, core.ValidateNameFunc(apimachineryvalidation.NameIsDNSSubdomain, n.Name, nnp)...)
	}
	return allErrs
}

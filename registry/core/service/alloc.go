package service

import (
	"context"
	"errors"
	"fmt"
	"slices"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/validation/field"
	genericregistry "k8s.io/apiserver/pkg/registry/generic/registry"
	"k8s.io/apiserver/pkg/util/dryrun"
	"k8s.io/klog/v2"
	netutils "k8s.io/utils/net"
	"k8s.io/utils/ptr"

	"github.com/kubeshim/kubeshim/registry/core/service/ipallocator"
	"github.com/kubeshim/kubeshim/registry/core/service/portallocator"
)

var serviceKind = schema.GroupKind{Kind: "Service"}

// allocators give services their cluster IPs and node ports, as upstream's
// service storage does for a single-stack cluster: one service CIDR, whose
// family is every service's.
type allocators struct {
	ips    *ipallocator.Range
	ports  *portallocator.Range
	family corev1.IPFamily
}

func newAllocators(ips *ipallocator.Range, ports *portallocator.Range) *allocators {
	family := corev1.IPv4Protocol
	if netutils.IsIPv6CIDR(ips.CIDR()) {
		family = corev1.IPv6Protocol
	}
	return &allocators{ips: ips, ports: ports, family: family}
}

// beginCreate is the store's BeginCreate: it fills in the IP family fields
// and takes the service's cluster IP and node ports before the strategy
// validates it.
func (a *allocators) beginCreate(ctx context.Context, obj runtime.Object, options *metav1.CreateOptions) (genericregistry.FinishFunc, error) {
	if p := pendingFrom(ctx); p != nil {
		p.retry()
	}
	svc := obj.(*corev1.Service)
	normalizeClusterIPs(svc, nil)
	if err := a.initIPFamilyFields(svc, nil); err != nil {
		return nil, err
	}
	o := a.newOp(dryrun.IsDryRun(options.DryRun))
	if err := a.allocate(o, svc); err != nil {
		o.revert()
		return nil, err
	}
	return o.finish, nil
}

func (a *allocators) allocate(o *op, svc *corev1.Service) error {
	if err := a.allocateClusterIPs(o, svc); err != nil {
		return err
	}
	if hasNodePorts(svc) {
		if err := allocateNodePorts(o, svc); err != nil {
			return err
		}
	}
	if needsHealthCheck(svc) {
		return allocateHealthCheckNodePort(o, svc)
	}
	return nil
}

// beginUpdate is the store's BeginUpdate: it takes what the new version
// needs and its predecessor did not hold, and gives back, once the update is
// written, what the new version no longer holds.
func (a *allocators) beginUpdate(ctx context.Context, obj, oldObj runtime.Object, options *metav1.UpdateOptions) (genericregistry.FinishFunc, error) {
	if p := pendingFrom(ctx); p != nil {
		p.retry()
	}
	svc, old := obj.(*corev1.Service), oldObj.(*corev1.Service)
	keepAllocatedValues(svc, old)
	normalizeClusterIPs(svc, old)
	if err := a.initIPFamilyFields(svc, old); err != nil {
		return nil, err
	}
	o := a.newOp(dryrun.IsDryRun(options.DryRun))
	if err := a.update(o, svc, old); err != nil {
		o.revert()
		return nil, err
	}
	return o.finish, nil
}

func (a *allocators) update(o *op, svc, old *corev1.Service) error {
	switch {
	case !needsClusterIP(old) && needsClusterIP(svc):
		if err := a.allocateClusterIPs(o, svc); err != nil {
			return err
		}
	case needsClusterIP(old) && !needsClusterIP(svc) && !isHeadless(old):
		releaseClusterIPs(o, old)
	}
	// A changed cluster IP takes nothing: validation rejects it.

	if hasNodePorts(old) && !hasNodePorts(svc) {
		for _, port := range nodePorts(old) {
			o.releasePortLater(port)
		}
	}
	if hasNodePorts(svc) {
		if err := updateNodePorts(o, svc, old); err != nil {
			return err
		}
	}
	switch {
	case !needsHealthCheck(old) && needsHealthCheck(svc):
		return allocateHealthCheckNodePort(o, svc)
	case needsHealthCheck(old) && !needsHealthCheck(svc):
		o.releasePortLater(int(old.Spec.HealthCheckNodePort))
	}
	return nil
}

// afterDelete is the store's AfterDelete: a deleted service gives back
// everything it held.
func (a *allocators) afterDelete(obj runtime.Object, options *metav1.DeleteOptions) {
	if dryrun.IsDryRun(options.DryRun) {
		return
	}
	o := a.newOp(false)
	a.release(o, obj.(*corev1.Service))
	o.commit()
}

func (a *allocators) release(o *op, svc *corev1.Service) {
	if needsClusterIP(svc) && !isHeadless(svc) {
		releaseClusterIPs(o, svc)
	}
	for _, port := range nodePorts(svc) {
		o.releasePortLater(port)
	}
	if needsHealthCheck(svc) && svc.Spec.HealthCheckNodePort != 0 {
		o.releasePortLater(int(svc.Spec.HealthCheckNodePort))
	}
}

func releaseClusterIPs(o *op, svc *corev1.Service) {
	for _, s := range svc.Spec.ClusterIPs {
		if ip := netutils.ParseIPSloppy(s); ip != nil {
			o.releaseIPLater(ip)
		}
	}
}

// initIPFamilyFields sets ipFamilyPolicy and ipFamilies as upstream does on
// a single-stack cluster, and rejects families the cluster does not serve.
// Even a dry run gets them. old is nil on create.
func (a *allocators) initIPFamilyFields(svc, old *corev1.Service) error {
	spec := &svc.Spec
	if !needsClusterIP(svc) {
		return nil
	}
	headlessSelectorless := spec.ClusterIP == corev1.ClusterIPNone && len(spec.Selector) == 0
	if spec.IPFamilyPolicy == nil {
		switch {
		case old != nil && old.Spec.IPFamilyPolicy != nil:
			spec.IPFamilyPolicy = ptr.To(*old.Spec.IPFamilyPolicy)
		case headlessSelectorless:
			// Its endpoints may be of either family.
			spec.IPFamilyPolicy = ptr.To(corev1.IPFamilyPolicyRequireDualStack)
		default:
			spec.IPFamilyPolicy = ptr.To(corev1.IPFamilyPolicySingleStack)
		}
	}
	// Malformed fields are validation's to report, with its messages; there
	// is nothing sensible to allocate for them.
	if !clusterIPFieldsWellFormed(svc) {
		return nil
	}
	policy := *spec.IPFamilyPolicy
	policyPath := field.NewPath("spec", "ipFamilyPolicy")
	var errs field.ErrorList
	if old != nil {
		if policy == corev1.IPFamilyPolicySingleStack {
			// Going single-stack releases the secondary IP and family.
			if slices.Equal(old.Spec.ClusterIPs, spec.ClusterIPs) && len(spec.ClusterIPs) > 1 {
				spec.ClusterIPs = spec.ClusterIPs[:1]
			}
			if slices.Equal(old.Spec.IPFamilies, spec.IPFamilies) && len(spec.IPFamilies) > 1 {
				spec.IPFamilies = spec.IPFamilies[:1]
			}
		} else {
			if len(spec.ClusterIPs) > 0 && len(spec.ClusterIPs) < len(old.Spec.ClusterIPs) {
				errs = append(errs, field.Invalid(policyPath, spec.IPFamilyPolicy, "must be 'SingleStack' to release the secondary cluster IP"))
			}
			if len(spec.IPFamilies) > 0 && len(spec.IPFamilies) < len(old.Spec.IPFamilies) {
				errs = append(errs, field.Invalid(policyPath, spec.IPFamilyPolicy, "must be 'SingleStack' to release the secondary IP family"))
			}
		}
	}
	if policy == corev1.IPFamilyPolicySingleStack {
		if len(spec.ClusterIPs) == 2 {
			errs = append(errs, field.Invalid(policyPath, spec.IPFamilyPolicy, "must be 'RequireDualStack' or 'PreferDualStack' when multiple cluster IPs are specified"))
		}
		if len(spec.IPFamilies) == 2 {
			errs = append(errs, field.Invalid(policyPath, spec.IPFamilyPolicy, "must be 'RequireDualStack' or 'PreferDualStack' when multiple IP families are specified"))
		}
	}
	// Requested IPs name their families.
	for i, ip := range spec.ClusterIPs {
		if ip == corev1.ClusterIPNone {
			break
		}
		if i < len(spec.IPFamilies) {
			continue
		}
		if family := familyOf(ip); family != a.family {
			errs = append(errs, field.Invalid(field.NewPath("spec", "clusterIPs").Index(i), spec.ClusterIPs, fmt.Sprintf("%s is not configured on this cluster", family)))
		} else {
			spec.IPFamilies = append(spec.IPFamilies, family)
		}
	}
	if len(errs) > 0 {
		return apierrors.NewInvalid(serviceKind, svc.Name, errs)
	}

	if headlessSelectorless {
		// Headless and selectorless may name both families even here.
		if len(spec.IPFamilies) == 0 {
			spec.IPFamilies = []corev1.IPFamily{a.family}
		}
		if len(spec.IPFamilies) == 1 && policy != corev1.IPFamilyPolicySingleStack {
			spec.IPFamilies = append(spec.IPFamilies, otherFamily(spec.IPFamilies[0]))
		}
		return nil
	}
	if policy == corev1.IPFamilyPolicyRequireDualStack {
		errs = append(errs, field.Invalid(policyPath, spec.IPFamilyPolicy, "this cluster is not configured for dual-stack services"))
	}
	for i, family := range spec.IPFamilies {
		if family != a.family {
			errs = append(errs, field.Invalid(field.NewPath("spec", "ipFamilies").Index(i), family, "not configured on this cluster"))
		}
	}
	if len(errs) > 0 {
		return apierrors.NewInvalid(serviceKind, svc.Name, errs)
	}
	if len(spec.IPFamilies) == 0 {
		spec.IPFamilies = []corev1.IPFamily{a.family}
	}
	return nil
}

// clusterIPFieldsWellFormed reports whether clusterIP, clusterIPs and
// ipFamilies pass the checks upstream makes before allocating: in step, one
// or two parseable IPs ("None" alone), of different families, matching
// ipFamilies where given, and families and policy of known values.
func clusterIPFieldsWellFormed(svc *corev1.Service) bool {
	spec := &svc.Spec
	if spec.ClusterIP != "" && (len(spec.ClusterIPs) == 0 || spec.ClusterIPs[0] != spec.ClusterIP) ||
		spec.ClusterIP == "" && len(spec.ClusterIPs) != 0 || len(spec.ClusterIPs) > 2 {
		return false
	}
	switch ptr.Deref(spec.IPFamilyPolicy, corev1.IPFamilyPolicySingleStack) {
	case corev1.IPFamilyPolicySingleStack, corev1.IPFamilyPolicyPreferDualStack, corev1.IPFamilyPolicyRequireDualStack:
	default:
		return false
	}
	for i, f := range spec.IPFamilies {
		if f != corev1.IPv4Protocol && f != corev1.IPv6Protocol || slices.Contains(spec.IPFamilies[:i], f) {
			return false
		}
	}
	if isHeadless(svc) {
		return len(spec.ClusterIPs) == 1
	}
	for i, s := range spec.ClusterIPs {
		if netutils.ParseIPSloppy(s) == nil {
			return false
		}
		if i < len(spec.IPFamilies) && spec.IPFamilies[i] != familyOf(s) {
			return false
		}
	}
	return len(spec.ClusterIPs) < 2 || familyOf(spec.ClusterIPs[0]) != familyOf(spec.ClusterIPs[1])
}

// allocateClusterIPs takes the requested cluster IP, or the next free one.
// ExternalName and headless services have none.
func (a *allocators) allocateClusterIPs(o *op, svc *corev1.Service) error {
	spec := &svc.Spec
	if !needsClusterIP(svc) || isHeadless(svc) || !clusterIPFieldsWellFormed(svc) {
		return nil
	}
	ipsPath := field.NewPath("spec", "clusterIPs")
	if len(spec.ClusterIPs) == 0 {
		ip, err := o.allocateNextIP()
		if err != nil {
			if errors.Is(err, ipallocator.ErrFull) {
				return apierrors.NewInternalError(fmt.Errorf("failed to allocate a serviceIP for Service %q: %w", svc.Name, err))
			}
			return apierrors.NewInvalid(serviceKind, svc.Name, field.ErrorList{field.Invalid(ipsPath, spec.ClusterIPs, fmt.Sprintf("failed to allocate IP: %v", err))})
		}
		spec.ClusterIP = ip.String()
		spec.ClusterIPs = []string{spec.ClusterIP}
		return nil
	}
	requested := spec.ClusterIPs[0]
	if err := o.allocateIP(netutils.ParseIPSloppy(requested)); err != nil {
		return apierrors.NewInvalid(serviceKind, svc.Name, field.ErrorList{field.Invalid(ipsPath, spec.ClusterIPs, fmt.Sprintf("failed to allocate IP %v: %v", requested, err))})
	}
	return nil
}

// allocateNodePorts gives a new service's ports their node ports: the
// requested ones, and for the others the node port of an earlier port with
// the same number (a TCP and a UDP port share one) or the next free one.
func allocateNodePorts(o *op, svc *corev1.Service) error {
	byPort := map[int32]int32{}
	for i := range svc.Spec.Ports {
		sp := &svc.Spec.Ports[i]
		if sp.NodePort == 0 && !allocatesNodePorts(svc) {
			continue
		}
		path := field.NewPath("spec", "ports").Index(i).Child("nodePort")
		shared, ok := byPort[sp.Port]
		switch {
		case !ok:
			requested := requestedNodePort(sp.Port, svc.Spec.Ports[i:])
			if requested != 0 {
				if err := o.allocatePort(int(requested)); err != nil {
					return apierrors.NewInvalid(serviceKind, svc.Name, field.ErrorList{field.Invalid(path, requested, err.Error())})
				}
				sp.NodePort = requested
			} else {
				port, err := o.allocateNextPort()
				if err != nil {
					return apierrors.NewInternalError(fmt.Errorf("failed to allocate a nodePort: %w", err))
				}
				sp.NodePort = int32(port)
			}
			byPort[sp.Port] = sp.NodePort
		case sp.NodePort == 0:
			sp.NodePort = shared
		case sp.NodePort != shared:
			if err := o.allocatePort(int(sp.NodePort)); err != nil {
				return apierrors.NewInvalid(serviceKind, svc.Name, field.ErrorList{field.Invalid(path, sp.NodePort, err.Error())})
			}
		}
	}
	return nil
}

// requestedNodePort is the node port the first of ports with number port
// asks for, if any.
func requestedNodePort(port int32, ports []corev1.ServicePort) int32 {
	for _, p := range ports {
		if p.Port == port && p.NodePort != 0 {
			return p.NodePort
		}
	}
	return 0
}

// updateNodePorts takes the node ports the new version asks for or needs
// and its predecessor did not hold, and gives back the ones it dropped.
func updateNodePorts(o *op, svc, old *corev1.Service) error {
	held := nodePorts(old)
	type protoPort struct {
		protocol corev1.Protocol
		port     int32
	}
	var seen []protoPort
	var taken []int32
	for i := range svc.Spec.Ports {
		sp := &svc.Spec.Ports[i]
		if sp.NodePort == 0 && !allocatesNodePorts(svc) {
			continue
		}
		if sp.NodePort != 0 {
			if !slices.Contains(held, int(sp.NodePort)) && !slices.Contains(taken, sp.NodePort) {
				if err := o.allocatePort(int(sp.NodePort)); err != nil {
					path := field.NewPath("spec", "ports").Index(i).Child("nodePort")
					return apierrors.NewInvalid(serviceKind, svc.Name, field.ErrorList{field.Invalid(path, sp.NodePort, err.Error())})
				}
				taken = append(taken, sp.NodePort)
			}
		} else {
			port, err := o.allocateNextPort()
			if err != nil {
				return apierrors.NewInternalError(fmt.Errorf("failed to allocate a nodePort: %w", err))
			}
			sp.NodePort = int32(port)
		}
		pp := protoPort{sp.Protocol, sp.NodePort}
		if slices.Contains(seen, pp) {
			// Upstream's message, a 500 as there.
			return fmt.Errorf("duplicate nodePort: %v", struct {
				Protocol corev1.Protocol
				NodePort int32
			}{pp.protocol, pp.port})
		}
		seen = append(seen, pp)
	}
	kept := nodePorts(svc)
	for _, port := range held {
		if !slices.Contains(kept, port) {
			o.releasePortLater(port)
		}
	}
	return nil
}

// allocateHealthCheckNodePort takes the requested health check node port,
// or the next free one. Upstream answers a failure with a 500, and so do we.
func allocateHealthCheckNodePort(o *op, svc *corev1.Service) error {
	if port := svc.Spec.HealthCheckNodePort; port != 0 {
		if err := o.allocatePort(int(port)); err != nil {
			return apierrors.NewInternalError(fmt.Errorf("failed to allocate requested HealthCheck NodePort %v: %v", port, err))
		}
		return nil
	}
	port, err := o.allocateNextPort()
	if err != nil {
		return apierrors.NewInternalError(fmt.Errorf("failed to allocate a HealthCheck NodePort %v: %v", port, err))
	}
	svc.Spec.HealthCheckNodePort = int32(port)
	return nil
}

func familyOf(ip string) corev1.IPFamily {
	switch {
	case netutils.IsIPv4String(ip):
		return corev1.IPv4Protocol
	case netutils.IsIPv6String(ip):
		return corev1.IPv6Protocol
	}
	return corev1.IPFamilyUnknown
}

func otherFamily(f corev1.IPFamily) corev1.IPFamily {
	if f == corev1.IPv4Protocol {
		return corev1.IPv6Protocol
	}
	return corev1.IPv4Protocol
}

// restore takes what a stored service holds, when the server starts. What
// cannot be taken (out of the configured ranges, or held twice) is logged
// and left: the service keeps it, the allocators do not know it.
func (a *allocators) restore(logger klog.Logger, svc *corev1.Service) {
	if needsClusterIP(svc) && !isHeadless(svc) {
		for _, s := range svc.Spec.ClusterIPs {
			ip := netutils.ParseIPSloppy(s)
			if ip == nil || familyOf(s) != a.family {
				continue
			}
			if err := a.ips.Allocate(ip); err != nil {
				logger.Info("Stored service's cluster IP not restored", "service", klog.KObj(svc), "clusterIP", s, "err", err)
			}
		}
	}
	ports := nodePorts(svc)
	if needsHealthCheck(svc) && svc.Spec.HealthCheckNodePort != 0 && !slices.Contains(ports, int(svc.Spec.HealthCheckNodePort)) {
		ports = append(ports, int(svc.Spec.HealthCheckNodePort))
	}
	for _, port := range ports {
		if err := a.ports.Allocate(port); err != nil {
			logger.Info("Stored service's node port not restored", "service", klog.KObj(svc), "nodePort", port, "err", err)
		}
	}
}

package service

import (
	"context"
	"fmt"
	"net"
	"time"

	corev1 "k8s.io/api/core/v1"
	metainternalversion "k8s.io/apimachinery/pkg/apis/meta/internalversion"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	utilnet "k8s.io/apimachinery/pkg/util/net"
	"k8s.io/apimachinery/pkg/util/wait"
	genericapirequest "k8s.io/apiserver/pkg/endpoints/request"
	"k8s.io/apiserver/pkg/registry/generic"
	"k8s.io/apiserver/pkg/registry/rest"
	"k8s.io/klog/v2"
	netutils "k8s.io/utils/net"

	"github.com/kubeshim/kubeshim/registry/core/service/ipallocator"
	"github.com/kubeshim/kubeshim/registry/core/service/portallocator"
	"github.com/kubeshim/kubeshim/registry/resource"
)

// Indexes in the service CIDR of the addresses upstream's components ask
// for: the kubernetes service's and cluster DNS's (10.96.0.1 and
// 10.96.0.10 of 10.96.0.0/12). Dynamic allocation never hands them out.
const (
	kubernetesIPIndex = 1
	dnsIPIndex        = 10
)

// restoreTimeout bounds how long NewStorage waits for etcd to list the
// stored services.
const restoreTimeout = time.Minute

// NewStorage builds the services resource and its status subresource with
// cluster IPs allocated from serviceCIDR and node ports from nodePorts.
//
// The allocators are in memory: NewStorage takes what every stored service
// holds before the server serves, and from then on this server must be the
// only one writing services (several replicas would need a shared allocator,
// see docs/differences.md).
func NewStorage(optsGetter generic.RESTOptionsGetter, serviceCIDR *net.IPNet, nodePorts utilnet.PortRange) (map[string]rest.Storage, error) {
	var reserved []net.IP
	for _, i := range []int{kubernetesIPIndex, dnsIPIndex} {
		if ip, err := netutils.GetIndexedIP(serviceCIDR, i); err == nil {
			reserved = append(reserved, ip)
		}
	}
	ips, err := ipallocator.New(serviceCIDR, reserved...)
	if err != nil {
		return nil, err
	}
	ports, err := portallocator.New(nodePorts)
	if err != nil {
		return nil, err
	}
	a := newAllocators(ips, ports)

	def := Definition()
	def.BeginCreate = a.beginCreate
	def.BeginUpdate = a.beginUpdate
	def.AfterDelete = a.afterDelete
	s, err := resource.New(def, corev1.SchemeGroupVersion.String(), optsGetter)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), restoreTimeout)
	defer cancel()
	if err := restore(ctx, s.Store, a); err != nil {
		s.Store.Destroy()
		return nil, err
	}
	m := s.Map()
	m["services"] = &REST{REST: s.Store}
	return m, nil
}

// restore lists every stored service, retrying while etcd does not answer,
// and takes what each holds.
func restore(ctx context.Context, store *resource.REST, a *allocators) error {
	logger := klog.FromContext(ctx)
	var services []corev1.Service
	err := wait.PollUntilContextCancel(ctx, time.Second, true, func(ctx context.Context) (bool, error) {
		var err error
		services, err = listAll(ctx, store)
		if err != nil {
			logger.Info("Listing services to restore their cluster IPs and node ports", "err", err)
			return false, nil
		}
		return true, nil
	})
	if err != nil {
		return fmt.Errorf("list services to restore cluster IPs and node ports: %w", err)
	}
	for i := range services {
		a.restore(logger, &services[i])
	}
	logger.Info("Restored service allocations", "services", len(services), "clusterIPs", a.ips.Used(), "nodePorts", a.ports.Used())
	return nil
}

// listAll lists the services of every namespace, a page at a time. Paged
// lists of a watch cache that is still starting go to etcd.
func listAll(ctx context.Context, store *resource.REST) ([]corev1.Service, error) {
	ctx = genericapirequest.WithNamespace(ctx, metav1.NamespaceAll)
	var out []corev1.Service
	opts := &metainternalversion.ListOptions{Limit: 500}
	for {
		obj, err := store.List(ctx, opts)
		if err != nil {
			return nil, err
		}
		list := obj.(*corev1.ServiceList)
		out = append(out, list.Items...)
		if list.Continue == "" {
			return out, nil
		}
		opts.Continue = list.Continue
	}
}

// REST is the services resource. Its updates give back what an update
// releases only once the update is written.
type REST struct {
	*resource.REST
}

// Update updates a service. The store runs BeginUpdate's finish function
// before it writes, and runs the whole attempt again on a conflict; the
// allocations of the attempt that is finally written are committed here,
// once the write is known to have happened, and every other attempt's are
// reverted.
func (r *REST) Update(ctx context.Context, name string, objInfo rest.UpdatedObjectInfo, createValidation rest.ValidateObjectFunc, updateValidation rest.ValidateObjectUpdateFunc, forceAllowCreate bool, options *metav1.UpdateOptions) (runtime.Object, bool, error) {
	ctx, p := withPending(ctx)
	obj, created, err := r.REST.Update(ctx, name, objInfo, createValidation, updateValidation, forceAllowCreate, options)
	p.settle(err == nil)
	return obj, created, err
}

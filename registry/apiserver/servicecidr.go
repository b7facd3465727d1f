package apiserver

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"time"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	apimeta "k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/wait"
	genericapiserver "k8s.io/apiserver/pkg/server"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	corelisters "k8s.io/client-go/listers/core/v1"
	networkinglisters "k8s.io/client-go/listers/networking/v1"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/util/workqueue"
	"k8s.io/klog/v2"
)

const (
	// defaultServiceCIDRName is upstream's name for the ServiceCIDR that
	// mirrors --service-cluster-ip-range.
	defaultServiceCIDRName = "kubernetes"
	// ipAllocatorManager is the managed-by label value of the IPAddresses
	// of service cluster IPs, upstream's allocator's.
	ipAllocatorManager = "ipallocator.k8s.io"
)

// installServiceCIDRs keeps the default ServiceCIDR and the IPAddresses of
// service cluster IPs. The informers are registered here, before the server
// starts its shared informer factory.
func installServiceCIDRs(s *genericapiserver.GenericAPIServer, c *Config) error {
	ips := newIPAddressMirror(c.Generic.SharedInformerFactory)
	return s.AddPostStartHook("kubeshim-service-cidrs", func(hc genericapiserver.PostStartHookContext) error {
		client, err := kubernetes.NewForConfig(hc.LoopbackClientConfig)
		if err != nil {
			return fmt.Errorf("service CIDR client: %w", err)
		}
		ips.client = client
		c.Generic.SharedInformerFactory.Start(hc.Done())
		go ips.run(hc)

		d := &defaultServiceCIDR{client: client, cidrs: []string{c.ServiceIPRange.String()}}
		// The first sync is part of start-up, so that a ready server has
		// its Ready default ServiceCIDR; later ones recreate it if deleted.
		err = wait.PollUntilContextCancel(hc, 100*time.Millisecond, true, func(ctx context.Context) (bool, error) {
			if err := d.sync(ctx); err != nil {
				klog.FromContext(ctx).V(2).Info("Default ServiceCIDR not reconciled yet", "err", err)
				return false, nil
			}
			return true, nil
		})
		if err != nil {
			return err
		}
		go wait.UntilWithContext(hc, func(ctx context.Context) {
			if err := d.sync(ctx); err != nil {
				klog.FromContext(ctx).Error(err, "Reconcile the default ServiceCIDR")
			}
		}, 10*time.Second)
		return nil
	})
}

// defaultServiceCIDR keeps the ServiceCIDR "kubernetes" as upstream's
// default-servicecidr controller does: created with the server's range,
// then marked Ready once, when it has no Ready condition and its CIDRs
// match. A default ServiceCIDR whose CIDRs differ is left alone.
type defaultServiceCIDR struct {
	client kubernetes.Interface
	cidrs  []string
}

func (d *defaultServiceCIDR) sync(ctx context.Context) error {
	api := d.client.NetworkingV1().ServiceCIDRs()
	sc, err := api.Get(ctx, defaultServiceCIDRName, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		want := &networkingv1.ServiceCIDR{
			ObjectMeta: metav1.ObjectMeta{Name: defaultServiceCIDRName},
			Spec:       networkingv1.ServiceCIDRSpec{CIDRs: d.cidrs},
		}
		sc, err = api.Create(ctx, want, metav1.CreateOptions{})
		if apierrors.IsAlreadyExists(err) {
			sc, err = api.Get(ctx, defaultServiceCIDRName, metav1.GetOptions{})
		}
	}
	if err != nil {
		return fmt.Errorf("default ServiceCIDR: %w", err)
	}
	if sc.DeletionTimestamp != nil || !slices.Equal(sc.Spec.CIDRs, d.cidrs) {
		return nil
	}
	if c := apimeta.FindStatusCondition(sc.Status.Conditions, networkingv1.ServiceCIDRConditionReady); c != nil && c.Status != metav1.ConditionUnknown {
		// True needs nothing; False was set by someone else, and
		// overwriting it would fight them.
		return nil
	}
	// Upstream sets no reason.
	apimeta.SetStatusCondition(&sc.Status.Conditions, metav1.Condition{
		Type:    networkingv1.ServiceCIDRConditionReady,
		Status:  metav1.ConditionTrue,
		Message: "Kubernetes default Service CIDR is ready",
	})
	if _, err := api.UpdateStatus(ctx, sc, metav1.UpdateOptions{}); err != nil {
		return fmt.Errorf("default ServiceCIDR status: %w", err)
	}
	return nil
}

// ipAddressMirror keeps an IPAddress for every service cluster IP, as
// upstream's allocator does, and deletes the ones it manages whose service
// no longer holds the address.
//
// Why a mirror and not writes in the services REST path: here the
// allocator (registry/core/service/ipallocator) is in memory and is the
// record of what is taken; IPAddresses are only how API clients see it.
// Writing them from BeginCreate/AfterDelete would have to follow the
// allocator's rollback on failed writes, dry runs and type changes, and
// would still need a repair pass after restarts or lost writes. A
// level-triggered loop over the services and IPAddresses caches does all
// of that in one place, with no change to the services storage. The cost:
// an IPAddress appears shortly after its service, not before, and an
// IPAddress a user creates reserves nothing (docs/differences.md).
type ipAddressMirror struct {
	client    kubernetes.Interface
	services  corelisters.ServiceLister
	addresses networkinglisters.IPAddressLister
	synced    []cache.InformerSynced
	queue     workqueue.TypedRateLimitingInterface[string]
}

// mirrorKey is the queue's only key: every event leads to one pass over
// all services, which is cheap at the scale one server serves and cannot
// miss an address that moved between services.
const mirrorKey = "all"

func newIPAddressMirror(factory informers.SharedInformerFactory) *ipAddressMirror {
	m := &ipAddressMirror{
		services:  factory.Core().V1().Services().Lister(),
		addresses: factory.Networking().V1().IPAddresses().Lister(),
		queue: workqueue.NewTypedRateLimitingQueueWithConfig(workqueue.DefaultTypedControllerRateLimiter[string](),
			workqueue.TypedRateLimitingQueueConfig[string]{Name: "ipaddresses"}),
	}
	handler := cache.ResourceEventHandlerFuncs{
		AddFunc:    func(any) { m.queue.Add(mirrorKey) },
		UpdateFunc: func(any, any) { m.queue.Add(mirrorKey) },
		DeleteFunc: func(any) { m.queue.Add(mirrorKey) },
	}
	for _, inf := range []cache.SharedIndexInformer{
		factory.Core().V1().Services().Informer(),
		factory.Networking().V1().IPAddresses().Informer(),
	} {
		// AddEventHandler fails only on a stopped informer; these have
		// not started.
		_, _ = inf.AddEventHandler(handler)
		m.synced = append(m.synced, inf.HasSynced)
	}
	return m
}

func (m *ipAddressMirror) run(ctx context.Context) {
	defer m.queue.ShutDown()
	go func() {
		<-ctx.Done()
		m.queue.ShutDown()
	}()
	if !cache.WaitForCacheSync(ctx.Done(), m.synced...) {
		return
	}
	for {
		key, quit := m.queue.Get()
		if quit {
			return
		}
		if err := m.sync(ctx); err != nil {
			klog.FromContext(ctx).V(2).Info("IPAddresses not reconciled yet", "err", err)
			m.queue.AddRateLimited(key)
		} else {
			m.queue.Forget(key)
		}
		m.queue.Done(key)
	}
}

// sync creates the missing IPAddresses of service cluster IPs and deletes
// the managed ones nothing holds. An address held by an IPAddress that the
// allocator does not manage is left alone: it is someone else's.
func (m *ipAddressMirror) sync(ctx context.Context) error {
	services, err := m.services.List(labels.Everything())
	if err != nil {
		return err
	}
	want := map[string]*networkingv1.IPAddress{}
	for _, svc := range services {
		for _, ip := range serviceClusterIPs(svc) {
			want[ip.String()] = ipAddressFor(svc, ip)
		}
	}
	existing, err := m.addresses.List(labels.Everything())
	if err != nil {
		return err
	}
	api := m.client.NetworkingV1().IPAddresses()
	var errs []error
	have := map[string]bool{}
	for _, ip := range existing {
		have[ip.Name] = true
		if ip.Labels[networkingv1.LabelManagedBy] != ipAllocatorManager {
			continue
		}
		if w, ok := want[ip.Name]; ok && sameParent(w.Spec.ParentRef, ip.Spec.ParentRef) {
			continue
		}
		// A parent is immutable: an address that moved to another
		// service is deleted here and created again on the next pass.
		err := api.Delete(ctx, ip.Name, metav1.DeleteOptions{Preconditions: &metav1.Preconditions{UID: &ip.UID}})
		if err != nil && !apierrors.IsNotFound(err) && !apierrors.IsConflict(err) {
			errs = append(errs, fmt.Errorf("delete IPAddress %s: %w", ip.Name, err))
		}
	}
	for name, ip := range want {
		if have[name] {
			continue
		}
		if _, err := api.Create(ctx, ip, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
			errs = append(errs, fmt.Errorf("create IPAddress %s: %w", name, err))
		}
	}
	return errors.Join(errs...)
}

// serviceClusterIPs are the addresses a service holds, in canonical form
// (an IPAddress's name must be).
func serviceClusterIPs(svc *corev1.Service) []netip.Addr {
	ips := svc.Spec.ClusterIPs
	if len(ips) == 0 && svc.Spec.ClusterIP != "" {
		ips = []string{svc.Spec.ClusterIP}
	}
	var out []netip.Addr
	for _, s := range ips {
		// "None" (headless) and "" (ExternalName) hold nothing.
		if ip, err := netip.ParseAddr(s); err == nil {
			out = append(out, ip.Unmap())
		}
	}
	return out
}

func ipAddressFor(svc *corev1.Service, ip netip.Addr) *networkingv1.IPAddress {
	family := corev1.IPv4Protocol
	if ip.Is6() {
		family = corev1.IPv6Protocol
	}
	return &networkingv1.IPAddress{
		ObjectMeta: metav1.ObjectMeta{
			Name: ip.String(),
			Labels: map[string]string{
				networkingv1.LabelIPAddressFamily: string(family),
				networkingv1.LabelManagedBy:       ipAllocatorManager,
			},
		},
		Spec: networkingv1.IPAddressSpec{ParentRef: &networkingv1.ParentReference{
			Group: "", Resource: "services", Namespace: svc.Namespace, Name: svc.Name,
		}},
	}
}

func sameParent(a, b *networkingv1.ParentReference) bool {
	return a != nil && b != nil && *a == *b
}

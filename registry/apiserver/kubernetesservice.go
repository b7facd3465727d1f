package apiserver

import (
	"context"
	"fmt"
	"net"
	"reflect"
	"time"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/kubernetes"
	"k8s.io/klog/v2"
	"k8s.io/utils/ptr"
)

// kubernetesService keeps the default/kubernetes service at the service
// range's first address, and its Endpoints and EndpointSlice pointing at
// this server, as kube-apiserver's endpoint reconciler does. In-cluster
// clients (https://kubernetes.default.svc) reach the API through it.
type kubernetesService struct {
	client    kubernetes.Interface
	clusterIP net.IP
	address   net.IP
	port      int32
}

const kubernetesName = "kubernetes"

// run reconciles every interval until ctx is done.
func (k *kubernetesService) run(ctx context.Context, interval time.Duration) {
	wait.UntilWithContext(ctx, func(ctx context.Context) {
		if err := k.sync(ctx); err != nil {
			klog.FromContext(ctx).Error(err, "Reconcile the kubernetes service")
		}
	}, interval)
}

func (k *kubernetesService) sync(ctx context.Context) error {
	if err := k.syncService(ctx); err != nil {
		return err
	}
	if k.address.IsLoopback() || k.address.IsUnspecified() {
		// Endpoints may not name loopback addresses: a server without a
		// routable address has a service without endpoints.
		return nil
	}
	if err := k.syncEndpoints(ctx); err != nil {
		return err
	}
	return k.syncEndpointSlice(ctx)
}

func (k *kubernetesService) syncService(ctx context.Context) error {
	services := k.client.CoreV1().Services(metav1.NamespaceDefault)
	want := &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{
			Name:   kubernetesName,
			Labels: map[string]string{"provider": "kubernetes", "component": "apiserver"},
		},
		Spec: corev1.ServiceSpec{
			Type:            corev1.ServiceTypeClusterIP,
			ClusterIP:       k.clusterIP.String(),
			SessionAffinity: corev1.ServiceAffinityNone,
			Ports: []corev1.ServicePort{{
				Name: "https", Protocol: corev1.ProtocolTCP, Port: 443, TargetPort: intstr.FromInt32(k.port),
			}},
		},
	}
	svc, err := services.Get(ctx, kubernetesName, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		_, err = services.Create(ctx, want, metav1.CreateOptions{})
		if err != nil && !apierrors.IsAlreadyExists(err) {
			return fmt.Errorf("create service: %w", err)
		}
		return nil
	}
	if err != nil {
		return err
	}
	// Keep what clients may change (annotations, extra labels); put back
	// the ports and labels the service is defined by.
	if reflect.DeepEqual(svc.Spec.Ports, want.Spec.Ports) && svc.Labels["provider"] == "kubernetes" && svc.Labels["component"] == "apiserver" {
		return nil
	}
	svc = svc.DeepCopy()
	svc.Spec.Ports = want.Spec.Ports
	if svc.Labels == nil {
		svc.Labels = map[string]string{}
	}
	for k, v := range want.Labels {
		svc.Labels[k] = v
	}
	_, err = services.Update(ctx, svc, metav1.UpdateOptions{})
	return err
}

func (k *kubernetesService) syncEndpoints(ctx context.Context) error {
	endpoints := k.client.CoreV1().Endpoints(metav1.NamespaceDefault) //nolint:staticcheck // upstream still writes Endpoints
	subsets := []corev1.EndpointSubset{{
		Addresses: []corev1.EndpointAddress{{IP: k.address.String()}},
		Ports:     []corev1.EndpointPort{{Name: "https", Port: k.port, Protocol: corev1.ProtocolTCP}},
	}}
	ep, err := endpoints.Get(ctx, kubernetesName, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		_, err = endpoints.Create(ctx, &corev1.Endpoints{ //nolint:staticcheck
			ObjectMeta: metav1.ObjectMeta{Name: kubernetesName, Labels: map[string]string{discoveryv1.LabelSkipMirror: "true"}},
			Subsets:    subsets,
		}, metav1.CreateOptions{})
		if err != nil && !apierrors.IsAlreadyExists(err) {
			return fmt.Errorf("create endpoints: %w", err)
		}
		return nil
	}
	if err != nil {
		return err
	}
	if reflect.DeepEqual(ep.Subsets, subsets) {
		return nil
	}
	ep = ep.DeepCopy()
	ep.Subsets = subsets
	_, err = endpoints.Update(ctx, ep, metav1.UpdateOptions{})
	return err
}

func (k *kubernetesService) syncEndpointSlice(ctx context.Context) error {
	slices := k.client.DiscoveryV1().EndpointSlices(metav1.NamespaceDefault)
	want := &discoveryv1.EndpointSlice{
		ObjectMeta: metav1.ObjectMeta{
			Name:   kubernetesName,
			Labels: map[string]string{discoveryv1.LabelServiceName: kubernetesName},
		},
		AddressType: discoveryv1.AddressTypeIPv4,
		Endpoints: []discoveryv1.Endpoint{{
			Addresses:  []string{k.address.String()},
			Conditions: discoveryv1.EndpointConditions{Ready: ptr.To(true)},
		}},
		Ports: []discoveryv1.EndpointPort{{Name: ptr.To("https"), Port: ptr.To(k.port), Protocol: ptr.To(corev1.ProtocolTCP)}},
	}
	if k.address.To4() == nil {
		want.AddressType = discoveryv1.AddressTypeIPv6
	}
	slice, err := slices.Get(ctx, kubernetesName, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		_, err = slices.Create(ctx, want, metav1.CreateOptions{})
		if err != nil && !apierrors.IsAlreadyExists(err) {
			return fmt.Errorf("create endpointslice: %w", err)
		}
		return nil
	}
	if err != nil {
		return err
	}
	if reflect.DeepEqual(slice.Endpoints, want.Endpoints) && reflect.DeepEqual(slice.Ports, want.Ports) && slice.AddressType == want.AddressType {
		return nil
	}
	slice = slice.DeepCopy()
	slice.Endpoints, slice.Ports, slice.AddressType = want.Endpoints, want.Ports, want.AddressType
	_, err = slices.Update(ctx, slice, metav1.UpdateOptions{})
	return err
}

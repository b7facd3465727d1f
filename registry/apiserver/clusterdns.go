package apiserver

import (
	"context"
	"fmt"
	"net"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/client-go/kubernetes"
	netutils "k8s.io/utils/net"
)

const (
	// clusterDNSName is the service pods' resolv.conf points at, under
	// the name kubeadm and k3s give it.
	clusterDNSName = "kube-dns"
	// NodeLocalAnnotation marks a service the node agents serve themselves
	// at its cluster IP on every node; the proxy writes no rules for it.
	NodeLocalAnnotation = "proxy.kubeshim.io/node-local"
)

// clusterDNSIP is the tenth address of the service range (10.96.0.10 by
// default), as kubeadm picks it.
func clusterDNSIP(cidr *net.IPNet) (net.IP, error) {
	ip, err := netutils.GetIndexedIP(cidr, 10)
	if err != nil {
		return nil, fmt.Errorf("cluster DNS IP of %s: %w", cidr, err)
	}
	return ip, nil
}

// clusterDNSService is kube-system/kube-dns. It has no selector and no
// endpoints: every node agent answers DNS at the cluster IP itself, so a
// query never leaves the node it is made on.
func clusterDNSService(ip net.IP) *corev1.Service {
	return &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{
			Name:      clusterDNSName,
			Namespace: metav1.NamespaceSystem,
			Labels: map[string]string{
				"k8s-app":                       "kube-dns",
				"kubernetes.io/cluster-service": "true",
				"kubernetes.io/name":            "kubeshim-dns",
			},
			Annotations: map[string]string{NodeLocalAnnotation: "true"},
		},
		Spec: corev1.ServiceSpec{
			Type:       corev1.ServiceTypeClusterIP,
			ClusterIP:  ip.String(),
			ClusterIPs: []string{ip.String()},
			Ports: []corev1.ServicePort{
				{Name: "dns", Protocol: corev1.ProtocolUDP, Port: 53, TargetPort: intstr.FromInt32(53)},
				{Name: "dns-tcp", Protocol: corev1.ProtocolTCP, Port: 53, TargetPort: intstr.FromInt32(53)},
			},
		},
	}
}

// ensureClusterDNSService creates the service once. One that exists is
// left alone: an administrator may have changed it.
func ensureClusterDNSService(ctx context.Context, client kubernetes.Interface, cidr *net.IPNet) error {
	ip, err := clusterDNSIP(cidr)
	if err != nil {
		return err
	}
	// Look first: after a restart the service exists, and a create would
	// fail on its cluster IP being taken before it fails on the name.
	services := client.CoreV1().Services(metav1.NamespaceSystem)
	if _, err := services.Get(ctx, clusterDNSName, metav1.GetOptions{}); err == nil {
		return nil
	} else if !apierrors.IsNotFound(err) {
		return fmt.Errorf("get %s/%s: %w", metav1.NamespaceSystem, clusterDNSName, err)
	}
	_, err = services.Create(ctx, clusterDNSService(ip), metav1.CreateOptions{})
	if err != nil && !apierrors.IsAlreadyExists(err) {
		return fmt.Errorf("create %s/%s: %w", metav1.NamespaceSystem, clusterDNSName, err)
	}
	return nil
}

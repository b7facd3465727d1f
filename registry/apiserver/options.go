package apiserver

import (
	"fmt"
	"net"
	"net/url"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/spf13/pflag"
	corev1 "k8s.io/api/core/v1"
	utilnet "k8s.io/apimachinery/pkg/util/net"
	genericoptions "k8s.io/apiserver/pkg/server/options"
	netutils "k8s.io/utils/net"

	"github.com/kubeshim/kubeshim/registry/kubelet"
	"github.com/kubeshim/kubeshim/registry/metrics"
)

// Options are the flags of `kubeshim server`.
type Options struct {
	// DataDir holds etcd's data (unless EtcdServers is set), the PKI and
	// admin.kubeconfig.
	DataDir string
	// EtcdServers are the URLs of an external etcd; empty means embedded.
	EtcdServers []string
	// EtcdPrefix is the key prefix of every object in etcd.
	EtcdPrefix string
	// Disable lists roles left out of this process: scheduler, controllers.
	Disable []string
	// NodeMonitorGracePeriod is how long the in-process node lifecycle
	// controller lets a node go without a heartbeat before marking it
	// Unknown (kube-controller-manager's --node-monitor-grace-period); 0
	// means its default, 50s.
	NodeMonitorGracePeriod time.Duration
	// ClusterCIDR is what the in-process node IPAM controller cuts the
	// nodes' /24 pod CIDRs from (kube-controller-manager's --cluster-cidr);
	// empty means 10.244.0.0/16, room for 256 nodes.
	ClusterCIDR string
	// DefaultStorageClass creates the local-path StorageClass at start-up
	// when it does not exist.
	DefaultStorageClass bool
	// ServiceClusterIPRange is the CIDR service IPs are allocated from.
	ServiceClusterIPRange string
	// ServiceNodePortRange is the port range node ports are allocated from.
	ServiceNodePortRange utilnet.PortRange
	// AdvertiseAddress is the address the kubernetes service's endpoints
	// name; empty means the host's default interface address.
	AdvertiseAddress net.IP

	// ServiceAccountIssuers are the accepted "iss" of service account
	// tokens; the first is the one new tokens carry.
	ServiceAccountIssuers []string
	// APIAudiences are the audiences a token must be for to authenticate
	// to the API; empty means the service account issuers.
	APIAudiences []string
	// ServiceAccountMaxTokenExpiration caps the lifetime of requested
	// tokens; zero means no cap.
	ServiceAccountMaxTokenExpiration time.Duration
	// ServiceAccountExtendTokenExpiration extends the kubelet's projected
	// tokens to a year, warning after their requested lifetime.
	ServiceAccountExtendTokenExpiration bool
	// EnableBootstrapTokenAuth authenticates bootstrap tokens: the Secrets
	// of type bootstrap.kubernetes.io/token in kube-system. Off by default,
	// as kube-apiserver; `kubeshim up` turns it on, as kubeadm does.
	EnableBootstrapTokenAuth bool

	// KubeletCertificateAuthority verifies the kubelets' serving
	// certificates; empty means they are not verified, as kube-apiserver.
	KubeletCertificateAuthority string
	// KubeletPreferredAddressTypes pick the node address the API server
	// connects to kubelets at, in order.
	KubeletPreferredAddressTypes []string

	// MetricResolution is how often the resource metrics API scrapes the
	// kubelets (metrics-server's --metric-resolution).
	MetricResolution time.Duration

	// AuthorizationModes are the authorizers, in order (AlwaysAllow, Node,
	// RBAC); members of system:masters are always allowed before them.
	// The default is kubeadm's Node,RBAC: nodes reach only what their
	// pods need.
	AuthorizationModes []string

	// EncryptionProviderConfig is an EncryptionConfiguration file: the
	// resources it names (Secrets, typically) are encrypted in etcd with
	// its providers (aescbc, aesgcm, secretbox, ...). Empty stores every
	// object as it is.
	EncryptionProviderConfig string
	// EncryptionProviderConfigAutomaticReload reloads that file when it
	// changes, as kube-apiserver's flag of that name.
	EncryptionProviderConfigAutomaticReload bool
	// Audit logs requests by an audit policy (--audit-policy-file) to a
	// file (--audit-log-path) or a webhook, with kube-apiserver's flags.
	Audit *genericoptions.AuditOptions

	SecureServing *genericoptions.SecureServingOptionsWithLoopback
}

// NewOptions returns the defaults.
func NewOptions() *Options {
	o := &Options{
		DataDir:               "/var/lib/kubeshim",
		EtcdPrefix:            "/registry",
		DefaultStorageClass:   true,
		ServiceClusterIPRange: "10.96.0.0/12",
		ServiceNodePortRange:  utilnet.PortRange{Base: 30000, Size: 2768},
		// kubeadm's issuer: kube-apiserver has no default.
		ServiceAccountIssuers:               []string{"https://kubernetes.default.svc.cluster.local"},
		ServiceAccountExtendTokenExpiration: true,
		KubeletPreferredAddressTypes:        addressTypes(kubelet.DefaultPreferredAddressTypes),
		AuthorizationModes:                  []string{ModeNode, ModeRBAC},
		MetricResolution:                    metrics.DefaultResolution,
		Audit:                               genericoptions.NewAuditOptions(),
		SecureServing:                       genericoptions.NewSecureServingOptions().WithLoopback(),
	}
	o.SecureServing.BindPort = 6443
	return o
}

// AddFlags adds the options to fs.
func (o *Options) AddFlags(fs *pflag.FlagSet) {
	fs.StringVar(&o.DataDir, "data-dir", o.DataDir, "Directory for etcd data (when embedded), certificates and admin.kubeconfig.")
	fs.StringSliceVar(&o.EtcdServers, "etcd-servers", o.EtcdServers, "URLs of an external etcd cluster; empty runs an embedded etcd under <data-dir>/etcd.")
	fs.StringVar(&o.EtcdPrefix, "etcd-prefix", o.EtcdPrefix, "Prefix of every key in etcd.")
	fs.StringSliceVar(&o.Disable, "disable", o.Disable, "Roles to leave out of this process: scheduler, controllers.")
	fs.StringVar(&o.ClusterCIDR, "cluster-cidr", o.ClusterCIDR, "CIDR the in-process controllers allocate the nodes' /24 pod CIDRs from (default 10.244.0.0/16: 256 nodes).")
	fs.DurationVar(&o.NodeMonitorGracePeriod, "node-monitor-grace-period", o.NodeMonitorGracePeriod, "How long a node may go without renewing its lease before the in-process controllers mark it Unknown; 0 is the default (50s).")
	fs.BoolVar(&o.DefaultStorageClass, "default-storage-class", o.DefaultStorageClass, "Create the default StorageClass local-path (provisioner "+LocalPathProvisioner+", WaitForFirstConsumer) at start-up if it does not exist; an existing one is left as it is.")
	fs.StringVar(&o.ServiceClusterIPRange, "service-cluster-ip-range", o.ServiceClusterIPRange, "CIDR from which service cluster IPs are allocated.")
	fs.Var(&o.ServiceNodePortRange, "service-node-port-range", "Port range reserved for services with NodePort visibility, e.g. '30000-32767'.")
	fs.IPVar(&o.AdvertiseAddress, "advertise-address", o.AdvertiseAddress, "Address the kubernetes service's endpoints name; defaults to the host's default interface address.")
	fs.StringArrayVar(&o.ServiceAccountIssuers, "service-account-issuer", o.ServiceAccountIssuers, "Identifier of the service account token issuer, the \"iss\" of issued tokens; an https URL to serve OpenID discovery. Repeat to accept tokens of earlier issuers too: the first issues.")
	fs.StringSliceVar(&o.APIAudiences, "api-audiences", o.APIAudiences, "Audiences a token must be for to authenticate to the API; defaults to the service account issuers.")
	fs.DurationVar(&o.ServiceAccountMaxTokenExpiration, "service-account-max-token-expiration", o.ServiceAccountMaxTokenExpiration, "Longest lifetime of a requested service account token; longer requests are shortened. Zero means no limit.")
	fs.BoolVar(&o.ServiceAccountExtendTokenExpiration, "service-account-extend-token-expiration", o.ServiceAccountExtendTokenExpiration, "Extend the kubelet's projected service account tokens to a year, auditing their use after the requested lifetime.")
	fs.BoolVar(&o.EnableBootstrapTokenAuth, "enable-bootstrap-token-auth", o.EnableBootstrapTokenAuth, "Authenticate bootstrap tokens: bearer tokens <id>.<secret> stored as Secrets of type bootstrap.kubernetes.io/token in kube-system, as joining nodes present before they have certificates.")
	fs.StringVar(&o.KubeletCertificateAuthority, "kubelet-certificate-authority", o.KubeletCertificateAuthority, "Path to a cert file for the certificate authority of kubelets' serving certificates; unset, they are not verified.")
	fs.StringSliceVar(&o.KubeletPreferredAddressTypes, "kubelet-preferred-address-types", o.KubeletPreferredAddressTypes, "List of the preferred NodeAddressTypes to use for kubelet connections.")
	fs.DurationVar(&o.MetricResolution, "metric-resolution", o.MetricResolution, "How often the resource metrics API (metrics.k8s.io) scrapes every kubelet's /metrics/resource; CPU usage is the rate over the last two scrapes.")
	fs.StringSliceVar(&o.AuthorizationModes, "authorization-mode", o.AuthorizationModes, "Ordered list of plug-ins to do authorization on secure port. Allowed values: "+strings.Join(authorizationModes, ", ")+". Members of system:masters are always allowed.")
	fs.StringVar(&o.EncryptionProviderConfig, "encryption-provider-config", o.EncryptionProviderConfig, "The file containing configuration for encryption providers to be used for storing secrets in etcd.")
	fs.BoolVar(&o.EncryptionProviderConfigAutomaticReload, "encryption-provider-config-automatic-reload", o.EncryptionProviderConfigAutomaticReload, "Determines if the file set by --encryption-provider-config should be automatically reloaded if the disk contents change.")
	o.Audit.AddFlags(fs)
	fs.IPVar(&o.SecureServing.BindAddress, "bind-address", o.SecureServing.BindAddress, "Address to serve HTTPS on.")
	fs.IntVar(&o.SecureServing.BindPort, "secure-port", o.SecureServing.BindPort, "Port to serve HTTPS on.")
}

// Validate reports every invalid option.
func (o *Options) Validate() []error {
	var errs []error
	if o.DataDir == "" {
		errs = append(errs, fmt.Errorf("--data-dir must not be empty"))
	}
	if o.ClusterCIDR != "" {
		if _, _, err := netutils.ParseCIDRSloppy(o.ClusterCIDR); err != nil {
			errs = append(errs, fmt.Errorf("--cluster-cidr: %w", err))
		}
	}
	if o.NodeMonitorGracePeriod < 0 {
		errs = append(errs, fmt.Errorf("--node-monitor-grace-period must not be negative"))
	}
	if o.MetricResolution <= 0 {
		errs = append(errs, fmt.Errorf("--metric-resolution must be positive"))
	}
	for _, role := range o.Disable {
		switch role {
		case RoleScheduler, RoleControllers:
		default:
			errs = append(errs, fmt.Errorf("--disable: unknown role %q (known: %s, %s)", role, RoleScheduler, RoleControllers))
		}
	}
	if _, _, err := netutils.ParseCIDRSloppy(o.ServiceClusterIPRange); err != nil {
		errs = append(errs, fmt.Errorf("--service-cluster-ip-range: %w", err))
	}
	if o.ServiceNodePortRange.Size <= 0 {
		errs = append(errs, fmt.Errorf("--service-node-port-range must not be empty"))
	}
	for _, s := range o.EtcdServers {
		if !strings.HasPrefix(s, "http://") && !strings.HasPrefix(s, "https://") {
			errs = append(errs, fmt.Errorf("--etcd-servers: %q is not an http(s) URL", s))
		}
	}
	errs = append(errs, o.validateServiceAccounts()...)
	errs = append(errs, o.validateAuthorization()...)
	for _, t := range o.KubeletPreferredAddressTypes {
		if !slices.Contains(addressTypes(allAddressTypes), t) {
			errs = append(errs, fmt.Errorf("--kubelet-preferred-address-types: unknown address type %q (known: %s)", t, strings.Join(addressTypes(allAddressTypes), ", ")))
		}
	}
	if o.EncryptionProviderConfigAutomaticReload && o.EncryptionProviderConfig == "" {
		errs = append(errs, fmt.Errorf("--encryption-provider-config-automatic-reload must be set with --encryption-provider-config"))
	}
	errs = append(errs, o.Audit.Validate()...)
	errs = append(errs, o.SecureServing.Validate()...)
	return errs
}

// validateServiceAccounts checks the service account token flags as
// kube-apiserver does.
func (o *Options) validateServiceAccounts() []error {
	var errs []error
	if len(o.ServiceAccountIssuers) == 0 {
		errs = append(errs, fmt.Errorf("--service-account-issuer must be given"))
	}
	seen := map[string]bool{}
	for _, iss := range o.ServiceAccountIssuers {
		switch {
		case iss == "":
			errs = append(errs, fmt.Errorf("--service-account-issuer must not be empty"))
		case seen[iss]:
			errs = append(errs, fmt.Errorf("--service-account-issuer %q is given twice", iss))
		case strings.Contains(iss, ":"):
			if _, err := url.Parse(iss); err != nil {
				errs = append(errs, fmt.Errorf("--service-account-issuer %q contains a ':' but is not a valid URL: %w", iss, err))
			}
		}
		seen[iss] = true
	}
	if m := o.ServiceAccountMaxTokenExpiration; m != 0 && (m < time.Hour || m > (1<<32)*time.Second) {
		errs = append(errs, fmt.Errorf("--service-account-max-token-expiration must be between 1 hour and 2^32 seconds"))
	}
	return errs
}

// Roles a server process can leave out.
const (
	RoleScheduler   = "scheduler"
	RoleControllers = "controllers"
)

// Enabled reports whether role runs in this process.
func (o *Options) Enabled(role string) bool {
	for _, r := range o.Disable {
		if r == role {
			return false
		}
	}
	return true
}

var allAddressTypes = []corev1.NodeAddressType{
	corev1.NodeHostName, corev1.NodeInternalIP, corev1.NodeExternalIP, corev1.NodeInternalDNS, corev1.NodeExternalDNS,
}

func addressTypes(types []corev1.NodeAddressType) []string {
	out := make([]string, len(types))
	for i, t := range types {
		out[i] = string(t)
	}
	return out
}

// kubeletConfig is how the server connects to kubelets.
func (o *Options) kubeletConfig(certFile, keyFile string) kubelet.Config {
	c := kubelet.Config{CertFile: certFile, KeyFile: keyFile, CAFile: o.KubeletCertificateAuthority}
	for _, t := range o.KubeletPreferredAddressTypes {
		c.PreferredAddressTypes = append(c.PreferredAddressTypes, corev1.NodeAddressType(t))
	}
	return c
}

func (o *Options) pkiDir() string { return filepath.Join(o.DataDir, "pki") }

// KubeconfigPath is where the server writes the admin kubeconfig.
func (o *Options) KubeconfigPath() string { return filepath.Join(o.DataDir, "admin.kubeconfig") }

package controllers

import (
	"crypto"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"os"
	"time"

	"github.com/spf13/pflag"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/uuid"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	"k8s.io/client-go/tools/leaderelection/resourcelock"
	"k8s.io/client-go/util/keyutil"
	componentbaseconfig "k8s.io/component-base/config"
	"k8s.io/component-base/config/options"

	"github.com/kubeshim/kubeshim/controllers/csrsigning"
	"github.com/kubeshim/kubeshim/controllers/horizontalpodautoscaler"
	"github.com/kubeshim/kubeshim/controllers/nodeipam"
	"github.com/kubeshim/kubeshim/registry/serviceaccount/token"
)

// Options are the flags of `kubeshim controllers`, under
// kube-controller-manager's names, and the leader election of the
// controllers `kubeshim server` runs in-process.
type Options struct {
	// Kubeconfig locates the API server; empty means in-cluster (or the
	// rest.Config given to Config).
	Kubeconfig string
	// RootCAFile is the CA bundle published as kube-root-ca.crt in every
	// namespace; empty means the kubeconfig's CA.
	RootCAFile string
	// LeaderElection is component-base's, with kube-controller-manager's
	// defaults: a Lease kube-system/kube-controller-manager, 15s/10s/2s.
	LeaderElection componentbaseconfig.LeaderElectionConfiguration
	// KubeAPIQPS and KubeAPIBurst rate-limit the controllers' requests.
	KubeAPIQPS   float32
	KubeAPIBurst int32
	// ConcurrentSyncs is the number of workers per controller.
	ConcurrentSyncs int
	// ClusterCIDR is what node IPAM cuts the nodes' pod CIDRs from.
	ClusterCIDR string
	// NodeMonitorGracePeriod is how long a node may go without renewing
	// its lease before it is marked Unknown.
	NodeMonitorGracePeriod time.Duration
	// HPA holds the horizontal pod autoscaler's sync period, windows and
	// tolerance (--horizontal-pod-autoscaler-*).
	HPA horizontalpodautoscaler.Options
	// UseServiceAccountCredentials runs each controller as its own service
	// account (kube-controller-manager's flag; kubeadm turns it on, and so
	// does the server for the controllers it runs).
	UseServiceAccountCredentials bool
	// ServiceAccountPrivateKeyFile signs secret-based service account
	// tokens (the tokens controller); the API server's
	// <data-dir>/pki/sa.key. Empty: the tokens controller does not run.
	ServiceAccountPrivateKeyFile string
	// ClusterSigningCertFile and ClusterSigningKeyFile are the CA that
	// signs approved API server client certificate requests (the
	// server's <data-dir>/pki/ca.crt and ca.key); ClusterSigningDuration
	// caps their lifetime.
	ClusterSigningCertFile, ClusterSigningKeyFile string
	ClusterSigningDuration                        time.Duration
}

// NewOptions returns the defaults.
func NewOptions() *Options {
	return &Options{
		LeaderElection: componentbaseconfig.LeaderElectionConfiguration{
			LeaderElect:       true,
			LeaseDuration:     metav1.Duration{Duration: 15 * time.Second},
			RenewDeadline:     metav1.Duration{Duration: 10 * time.Second},
			RetryPeriod:       metav1.Duration{Duration: 2 * time.Second},
			ResourceLock:      resourcelock.LeasesResourceLock,
			ResourceName:      "kube-controller-manager",
			ResourceNamespace: metav1.NamespaceSystem,
		},
		// kube-controller-manager's defaults (20/30) throttle a burst of
		// pod creations far below what the API server takes.
		ClusterSigningDuration: csrsigning.DefaultDuration,
		KubeAPIQPS:             200,
		KubeAPIBurst:           400,
		ConcurrentSyncs:        2,
		ClusterCIDR:            nodeipam.DefaultClusterCIDR,
		HPA: horizontalpodautoscaler.Options{
			SyncPeriod:              horizontalpodautoscaler.DefaultSyncPeriod,
			DownscaleStabilization:  horizontalpodautoscaler.DefaultDownscaleStabilization,
			Tolerance:               horizontalpodautoscaler.DefaultTolerance,
			CPUInitializationPeriod: horizontalpodautoscaler.DefaultCPUInitializationPeriod,
			InitialReadinessDelay:   horizontalpodautoscaler.DefaultInitialReadinessDelay,
		},
	}
}

// AddFlags adds the options to fs.
func (o *Options) AddFlags(fs *pflag.FlagSet) {
	fs.StringVar(&o.Kubeconfig, "kubeconfig", o.Kubeconfig, "Path to a kubeconfig file for the API server; empty means in-cluster configuration.")
	fs.StringVar(&o.RootCAFile, "root-ca-file", o.RootCAFile, "CA bundle published as the kube-root-ca.crt config map in every namespace; empty means the kubeconfig's certificate authority.")
	fs.Float32Var(&o.KubeAPIQPS, "kube-api-qps", o.KubeAPIQPS, "Queries per second to the API server.")
	fs.Int32Var(&o.KubeAPIBurst, "kube-api-burst", o.KubeAPIBurst, "Burst of queries to the API server.")
	fs.IntVar(&o.ConcurrentSyncs, "concurrent-syncs", o.ConcurrentSyncs, "Workers per controller.")
	fs.StringVar(&o.ClusterCIDR, "cluster-cidr", o.ClusterCIDR, "CIDR the nodes' pod CIDRs are allocated from.")
	fs.DurationVar(&o.NodeMonitorGracePeriod, "node-monitor-grace-period", o.NodeMonitorGracePeriod, "How long a node may go without renewing its lease before it is marked Unknown; 0 is the default (50s).")
	fs.DurationVar(&o.HPA.SyncPeriod, "horizontal-pod-autoscaler-sync-period", o.HPA.SyncPeriod, "How often the horizontal pod autoscaler reconciles each HPA.")
	fs.DurationVar(&o.HPA.DownscaleStabilization, "horizontal-pod-autoscaler-downscale-stabilization", o.HPA.DownscaleStabilization, "How far back the horizontal pod autoscaler looks at its recommendations before scaling down.")
	fs.Float64Var(&o.HPA.Tolerance, "horizontal-pod-autoscaler-tolerance", o.HPA.Tolerance, "How far from 1 the ratio of a metric to its target must be for the horizontal pod autoscaler to scale.")
	fs.DurationVar(&o.HPA.CPUInitializationPeriod, "horizontal-pod-autoscaler-cpu-initialization-period", o.HPA.CPUInitializationPeriod, "How long after a pod starts the horizontal pod autoscaler distrusts its CPU samples.")
	fs.DurationVar(&o.HPA.InitialReadinessDelay, "horizontal-pod-autoscaler-initial-readiness-delay", o.HPA.InitialReadinessDelay, "How long after a pod starts a readiness change counts as its initial readiness for the horizontal pod autoscaler.")
	fs.BoolVar(&o.UseServiceAccountCredentials, "use-service-account-credentials", o.UseServiceAccountCredentials, "If true, use individual service account credentials for each controller.")
	fs.StringVar(&o.ServiceAccountPrivateKeyFile, "service-account-private-key-file", o.ServiceAccountPrivateKeyFile, "PEM private key that signs service account tokens (the server's <data-dir>/pki/sa.key); empty leaves token Secrets unfilled.")
	fs.StringVar(&o.ClusterSigningCertFile, "cluster-signing-cert-file", o.ClusterSigningCertFile, "PEM CA certificate that signs approved kubelet and API server client certificate requests; empty signs none.")
	fs.StringVar(&o.ClusterSigningKeyFile, "cluster-signing-key-file", o.ClusterSigningKeyFile, "PEM private key of --cluster-signing-cert-file.")
	fs.DurationVar(&o.ClusterSigningDuration, "cluster-signing-duration", o.ClusterSigningDuration, "The longest a signed certificate is valid for (a request's expirationSeconds may ask for less).")
	options.BindLeaderElectionFlags(&o.LeaderElection, fs)
}

// Validate reports every invalid option.
func (o *Options) Validate() []error {
	var errs []error
	if o.ConcurrentSyncs < 1 {
		errs = append(errs, fmt.Errorf("--concurrent-syncs must be at least 1, not %d", o.ConcurrentSyncs))
	}
	if o.NodeMonitorGracePeriod < 0 {
		errs = append(errs, fmt.Errorf("--node-monitor-grace-period must not be negative"))
	}
	if h := o.HPA; h.SyncPeriod <= 0 || h.DownscaleStabilization <= 0 || h.Tolerance <= 0 || h.CPUInitializationPeriod <= 0 || h.InitialReadinessDelay <= 0 {
		errs = append(errs, fmt.Errorf("--horizontal-pod-autoscaler-* periods and tolerance must be positive"))
	}
	if o.KubeAPIQPS <= 0 || o.KubeAPIBurst <= 0 {
		errs = append(errs, fmt.Errorf("--kube-api-qps and --kube-api-burst must be positive"))
	}
	if le := o.LeaderElection; le.LeaderElect {
		if le.ResourceLock != resourcelock.LeasesResourceLock {
			errs = append(errs, fmt.Errorf("--leader-elect-resource-lock: only %q is supported", resourcelock.LeasesResourceLock))
		}
		if le.RenewDeadline.Duration <= 0 || le.RetryPeriod.Duration <= 0 {
			errs = append(errs, fmt.Errorf("--leader-elect-renew-deadline and --leader-elect-retry-period must be positive"))
		}
		if le.LeaseDuration.Duration <= le.RenewDeadline.Duration {
			errs = append(errs, fmt.Errorf("--leader-elect-lease-duration must be greater than --leader-elect-renew-deadline"))
		}
		if le.ResourceName == "" || le.ResourceNamespace == "" {
			errs = append(errs, fmt.Errorf("--leader-elect-resource-name and --leader-elect-resource-namespace must not be empty"))
		}
	}
	return errs
}

// Config builds the controllers' configuration and, with --leader-elect,
// their leader election. restConfig reaches the API server; nil means the
// one --kubeconfig (or the in-cluster one) names. rootCA, if not empty, is
// the bundle to publish; else --root-ca-file's, else the kubeconfig's CA.
func (o *Options) Config(restConfig *rest.Config, rootCA []byte) (Config, *LeaderElection, error) {
	if errs := o.Validate(); len(errs) > 0 {
		return Config{}, nil, fmt.Errorf("invalid controller options: %v", errs)
	}
	if restConfig == nil {
		var err error
		restConfig, err = clientcmd.BuildConfigFromFlags("", o.Kubeconfig)
		if err != nil {
			return Config{}, nil, fmt.Errorf("load kubeconfig: %w", err)
		}
	}
	if len(rootCA) == 0 {
		var err error
		switch {
		case o.RootCAFile != "":
			rootCA, err = os.ReadFile(o.RootCAFile)
		case len(restConfig.CAData) > 0:
			rootCA = restConfig.CAData
		case restConfig.CAFile != "":
			rootCA, err = os.ReadFile(restConfig.CAFile)
		}
		if err != nil {
			return Config{}, nil, fmt.Errorf("root CA: %w", err)
		}
	}
	rc := rest.CopyConfig(restConfig)
	rc.QPS, rc.Burst = o.KubeAPIQPS, int(o.KubeAPIBurst)
	c := Config{Client: rc, RootCA: rootCA, Workers: o.ConcurrentSyncs}
	c.NodeLifecycle.GracePeriod = o.NodeMonitorGracePeriod
	c.HPA = o.HPA
	c.UseServiceAccountCredentials = o.UseServiceAccountCredentials
	c.SigningDuration = o.ClusterSigningDuration
	if o.ClusterSigningCertFile != "" || o.ClusterSigningKeyFile != "" {
		pair, err := tls.LoadX509KeyPair(o.ClusterSigningCertFile, o.ClusterSigningKeyFile)
		if err != nil {
			return Config{}, nil, fmt.Errorf("--cluster-signing-cert-file and --cluster-signing-key-file: %w", err)
		}
		cert, err := x509.ParseCertificate(pair.Certificate[0])
		if err != nil {
			return Config{}, nil, fmt.Errorf("--cluster-signing-cert-file: %w", err)
		}
		signer, ok := pair.PrivateKey.(crypto.Signer)
		if !ok {
			return Config{}, nil, fmt.Errorf("--cluster-signing-key-file: %T is not a signing key", pair.PrivateKey)
		}
		c.SigningCA = &csrsigning.CA{Cert: cert, Key: signer}
	}
	if o.ServiceAccountPrivateKeyFile != "" {
		key, err := keyutil.PrivateKeyFromFile(o.ServiceAccountPrivateKeyFile)
		if err != nil {
			return Config{}, nil, fmt.Errorf("--service-account-private-key-file: %w", err)
		}
		signer, ok := key.(crypto.Signer)
		if !ok {
			return Config{}, nil, fmt.Errorf("--service-account-private-key-file: %T is not a signing key", key)
		}
		if c.TokenGenerator, err = token.NewIssuer(token.LegacyIssuer, signer); err != nil {
			return Config{}, nil, fmt.Errorf("--service-account-private-key-file: %w", err)
		}
	}
	if o.ClusterCIDR != "" {
		c.NodeIPAM.ClusterCIDRs = []string{o.ClusterCIDR}
	}
	le := o.LeaderElection
	if !le.LeaderElect {
		return c, nil, nil
	}
	hostname, err := os.Hostname()
	if err != nil {
		return Config{}, nil, fmt.Errorf("leader election identity: %w", err)
	}
	// A request hung longer than half the renew deadline must not cost
	// the lease, as client-go's NewFromKubeconfig reasons.
	lec := rest.CopyConfig(restConfig)
	lec.Timeout = max(time.Second, le.RenewDeadline.Duration/2)
	leClient, err := kubernetes.NewForConfig(rest.AddUserAgent(lec, "kubeshim-controllers-leader-election"))
	if err != nil {
		return Config{}, nil, fmt.Errorf("leader election client: %w", err)
	}
	// The identity is unique per process, as kube-controller-manager's:
	// a restarted process waits for its predecessor's lease to expire
	// unless that one released it on the way out.
	identity := hostname + "_" + string(uuid.NewUUID())
	lock, err := resourcelock.New(le.ResourceLock, le.ResourceNamespace, le.ResourceName,
		leClient.CoreV1(), leClient.CoordinationV1(), resourcelock.ResourceLockConfig{Identity: identity})
	if err != nil {
		return Config{}, nil, fmt.Errorf("leader election lock: %w", err)
	}
	return c, &LeaderElection{
		Lock:          lock,
		LeaseDuration: le.LeaseDuration.Duration,
		RenewDeadline: le.RenewDeadline.Duration,
		RetryPeriod:   le.RetryPeriod.Duration,
	}, nil
}

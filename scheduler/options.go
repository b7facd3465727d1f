package scheduler

import (
	"fmt"
	"os"
	"time"

	"github.com/spf13/pflag"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/uuid"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	"k8s.io/client-go/tools/leaderelection/resourcelock"
	componentbaseconfig "k8s.io/component-base/config"
	"k8s.io/component-base/config/options"

	"github.com/kubeshim/kubeshim/scheduler/framework"
)

// Options are the flags of `kubeshim scheduler`, and the settings of the
// scheduler `kubeshim server` runs in-process.
type Options struct {
	// Kubeconfig locates the API server; empty means in-cluster (or the
	// rest.Config given to Config).
	Kubeconfig string
	// SchedulerName is the spec.schedulerName of the pods this scheduler
	// takes.
	SchedulerName string
	// LeaderElection is component-base's, with kube-scheduler's defaults:
	// a Lease kube-system/kube-scheduler, 15s/10s/2s.
	LeaderElection componentbaseconfig.LeaderElectionConfiguration
	// KubeAPIQPS and KubeAPIBurst rate-limit the scheduler's requests.
	KubeAPIQPS   float32
	KubeAPIBurst int32
	// PercentageOfNodesToScore is kube-scheduler's; 0 is adaptive.
	PercentageOfNodesToScore int32
}

// NewOptions returns the defaults.
func NewOptions() *Options {
	return &Options{
		SchedulerName: corev1.DefaultSchedulerName,
		LeaderElection: componentbaseconfig.LeaderElectionConfiguration{
			LeaderElect:       true,
			LeaseDuration:     metav1.Duration{Duration: 15 * time.Second},
			RenewDeadline:     metav1.Duration{Duration: 10 * time.Second},
			RetryPeriod:       metav1.Duration{Duration: 2 * time.Second},
			ResourceLock:      resourcelock.LeasesResourceLock,
			ResourceName:      "kube-scheduler",
			ResourceNamespace: metav1.NamespaceSystem,
		},
		// kube-scheduler's defaults are 50/100, which cap binding at about
		// 50 pods/s; kubeshim's binding and events go through separate
		// clients, each with this budget.
		KubeAPIQPS:   500,
		KubeAPIBurst: 1000,
	}
}

// AddFlags adds the options to fs, under kube-scheduler's flag names.
func (o *Options) AddFlags(fs *pflag.FlagSet) {
	fs.StringVar(&o.Kubeconfig, "kubeconfig", o.Kubeconfig, "Path to a kubeconfig file for the API server; empty means in-cluster configuration.")
	fs.StringVar(&o.SchedulerName, "scheduler-name", o.SchedulerName, "Schedule the pods whose spec.schedulerName is this; leave the others alone.")
	fs.Float32Var(&o.KubeAPIQPS, "kube-api-qps", o.KubeAPIQPS, "Queries per second to the API server, per client (scheduling, events, leader election).")
	fs.Int32Var(&o.KubeAPIBurst, "kube-api-burst", o.KubeAPIBurst, "Burst of queries to the API server, per client.")
	fs.Int32Var(&o.PercentageOfNodesToScore, "percentage-of-nodes-to-score", o.PercentageOfNodesToScore, "Stop filtering once this percentage of the nodes (at least 100) is feasible; 0 adapts to the cluster size as kube-scheduler does.")
	options.BindLeaderElectionFlags(&o.LeaderElection, fs)
}

// Validate reports every invalid option.
func (o *Options) Validate() []error {
	var errs []error
	if o.SchedulerName == "" {
		errs = append(errs, fmt.Errorf("--scheduler-name must not be empty"))
	}
	if p := o.PercentageOfNodesToScore; p < 0 || p > 100 {
		errs = append(errs, fmt.Errorf("--percentage-of-nodes-to-score must be between 0 and 100, not %d", p))
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

// Config builds the scheduler's configuration. restConfig reaches the API
// server; nil means the one --kubeconfig (or the in-cluster one) names.
func (o *Options) Config(restConfig *rest.Config) (*Config, error) {
	if errs := o.Validate(); len(errs) > 0 {
		return nil, fmt.Errorf("invalid scheduler options: %v", errs)
	}
	if restConfig == nil {
		var err error
		restConfig, err = clientcmd.BuildConfigFromFlags("", o.Kubeconfig)
		if err != nil {
			return nil, fmt.Errorf("load kubeconfig: %w", err)
		}
	}
	newClient := func(agent string, timeout time.Duration) (kubernetes.Interface, error) {
		rc := rest.CopyConfig(restConfig)
		rc.QPS, rc.Burst = o.KubeAPIQPS, int(o.KubeAPIBurst)
		// Protobuf, as kube-scheduler: smaller and faster to decode.
		rc.ContentType = "application/vnd.kubernetes.protobuf"
		rc.AcceptContentTypes = "application/vnd.kubernetes.protobuf,application/json"
		if timeout > 0 {
			rc.Timeout = timeout
		}
		return kubernetes.NewForConfig(rest.AddUserAgent(rc, agent))
	}
	client, err := newClient("kubeshim-scheduler", 0)
	if err != nil {
		return nil, fmt.Errorf("scheduler client: %w", err)
	}
	// Events have their own client, so that a burst of them does not
	// take the binding's rate budget.
	eventClient, err := newClient("kubeshim-scheduler-events", 0)
	if err != nil {
		return nil, fmt.Errorf("scheduler events client: %w", err)
	}
	c := &Config{
		Client:        client,
		EventClient:   eventClient,
		SchedulerName: o.SchedulerName,
		Profile: framework.Profile{
			SchedulerName:            o.SchedulerName,
			PercentageOfNodesToScore: o.PercentageOfNodesToScore,
		},
	}
	if le := o.LeaderElection; le.LeaderElect {
		hostname, err := os.Hostname()
		if err != nil {
			return nil, fmt.Errorf("leader election identity: %w", err)
		}
		// A request hung longer than half the renew deadline must not
		// cost the lease, as client-go's NewFromKubeconfig reasons.
		leClient, err := newClient("kubeshim-scheduler-leader-election", max(time.Second, le.RenewDeadline.Duration/2))
		if err != nil {
			return nil, fmt.Errorf("leader election client: %w", err)
		}
		identity := hostname + "_" + string(uuid.NewUUID())
		lock, err := resourcelock.New(le.ResourceLock, le.ResourceNamespace, le.ResourceName,
			leClient.CoreV1(), leClient.CoordinationV1(), resourcelock.ResourceLockConfig{Identity: identity})
		if err != nil {
			return nil, fmt.Errorf("leader election lock: %w", err)
		}
		c.LeaderElection = &LeaderElection{
			Lock:          lock,
			LeaseDuration: le.LeaseDuration.Duration,
			RenewDeadline: le.RenewDeadline.Duration,
			RetryPeriod:   le.RetryPeriod.Duration,
		}
	}
	return c, nil
}

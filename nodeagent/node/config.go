package node

import (
	"context"
	"fmt"
	"net"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/record"
	"k8s.io/component-base/version"
	"k8s.io/utils/clock"
)

// Upstream kubelet's defaults (KubeletConfiguration v1beta1).
const (
	DefaultMaxPods                  = 110
	DefaultStatusUpdateFrequency    = 10 * time.Second
	DefaultStatusReportFrequency    = 5 * time.Minute
	DefaultLeaseDuration            = 40 * time.Second
	DefaultRenewInterval            = 10 * time.Second // 0.25 of the lease duration, as upstream
	DefaultPressureTransitionPeriod = 5 * time.Minute  // evictionPressureTransitionPeriod
	// MaxImages is upstream's nodeStatusMaxImages: the status lists this
	// many of the largest images.
	MaxImages = 50
	// MaxNamesPerImage is upstream's MaxNamesPerImageInNodeStatus.
	MaxNamesPerImage = 5
)

// Config is what an Agent needs. Client and NodeName are required; every
// other zero field takes the default named beside it.
type Config struct {
	// Client is the agent's client: it needs create/get/update of its
	// Node and nodes/status, create/get/update of its Lease in
	// kube-node-lease, and create/patch of events.
	Client   kubernetes.Interface
	NodeName string
	// Addresses are reported as status.addresses. Default: DefaultAddresses(NodeName).
	// Its Hostname address, if any, is also the kubernetes.io/hostname label.
	Addresses []corev1.NodeAddress
	// KubeletPort is status.daemonEndpoints.kubeletEndpoint.Port.
	KubeletPort int32
	// RuntimeVersion is status.nodeInfo.containerRuntimeVersion,
	// "<type>://<version>" (e.g. "containerd://1.6.20").
	RuntimeVersion string
	// KubeletVersion is status.nodeInfo.kubeletVersion and the VERSION
	// column of `kubectl get nodes`. Default: the binary's
	// k8s.io/component-base/version GitVersion, which hack/lib.sh sets to
	// v1.37.2+kubeshim.<describe>.
	KubeletVersion string
	// DataDir is the agent's state directory: its filesystem is the node's
	// ephemeral-storage capacity and upstream's nodefs. Required.
	DataDir string
	// ImageFSDir is where the runtime keeps images (containerd's root):
	// upstream's imagefs signals. Empty: no imagefs signals.
	ImageFSDir string
	// PodCIDR, when set, is spec.podCIDR of a node this agent creates, or of
	// an existing node that has none.
	PodCIDR string
	// Labels are added to (and override) the default labels at registration.
	Labels map[string]string
	// Taints are the node's taints when this agent creates it (upstream's
	// --register-with-taints); an existing node's taints are left alone.
	Taints []corev1.Taint
	// Ready reports whether the runtime and the network are ready: nil
	// makes the node Ready, an error makes it NotReady with the error as the
	// message. A nil Ready is always ready.
	Ready func() error
	// Images lists the images on the node for status.images; nil reports
	// none. The status keeps the MaxImages largest.
	Images func(ctx context.Context) ([]corev1.ContainerImage, error)
	// Recorder records the node's events. Default: a recorder that writes
	// to Client with source {component: kubelet, host: NodeName}, as
	// upstream's, flushed and stopped when Run returns.
	Recorder record.EventRecorder
	// Host reads the machine. Default: NewHost("/").
	Host Host
	// Clock is the time source of every loop and timestamp. Default: the real clock.
	Clock clock.Clock
	// MaxPods is the pods capacity. Default: DefaultMaxPods.
	MaxPods int
	// Eviction holds the hard eviction thresholds the pressure conditions
	// use. The zero value means DefaultThresholds.
	Eviction Thresholds
	// StatusUpdateFrequency is how often the status is computed and
	// compared with the Node's. Default: DefaultStatusUpdateFrequency.
	StatusUpdateFrequency time.Duration
	// StatusReportFrequency is the longest time between two status writes
	// when nothing changed. Default: DefaultStatusReportFrequency.
	StatusReportFrequency time.Duration
	// LeaseDuration is the Lease's leaseDurationSeconds. Default: DefaultLeaseDuration.
	LeaseDuration time.Duration
	// RenewInterval is how often the Lease is renewed. Default: DefaultRenewInterval.
	RenewInterval time.Duration
	// PressureTransitionPeriod is how long a pressure condition stays True
	// after its signal last crossed the threshold.
	// Default: DefaultPressureTransitionPeriod.
	PressureTransitionPeriod time.Duration
}

// complete fills in the defaults and validates.
func (c *Config) complete() error {
	if c.Client == nil {
		return fmt.Errorf("node config: no client")
	}
	if c.NodeName == "" {
		return fmt.Errorf("node config: no node name")
	}
	if c.DataDir == "" {
		return fmt.Errorf("node config: no data dir")
	}
	if c.PodCIDR != "" {
		if _, _, err := net.ParseCIDR(c.PodCIDR); err != nil {
			return fmt.Errorf("node config: pod CIDR: %w", err)
		}
	}
	if len(c.Addresses) == 0 {
		addrs, err := DefaultAddresses(c.NodeName)
		if err != nil {
			return fmt.Errorf("node config: addresses: %w", err)
		}
		c.Addresses = addrs
	}
	if c.KubeletVersion == "" {
		c.KubeletVersion = version.Get().GitVersion
	}
	if c.Host == nil {
		c.Host = NewHost("/")
	}
	if c.Clock == nil {
		c.Clock = clock.RealClock{}
	}
	if c.MaxPods == 0 {
		c.MaxPods = DefaultMaxPods
	}
	if c.Eviction == (Thresholds{}) {
		c.Eviction = DefaultThresholds()
	}
	setDefault(&c.StatusUpdateFrequency, DefaultStatusUpdateFrequency)
	setDefault(&c.StatusReportFrequency, DefaultStatusReportFrequency)
	setDefault(&c.LeaseDuration, DefaultLeaseDuration)
	setDefault(&c.RenewInterval, DefaultRenewInterval)
	setDefault(&c.PressureTransitionPeriod, DefaultPressureTransitionPeriod)
	if c.LeaseDuration < time.Second {
		return fmt.Errorf("node config: lease duration %s is under a second", c.LeaseDuration)
	}
	return nil
}

func setDefault(d *time.Duration, def time.Duration) {
	if *d == 0 {
		*d = def
	}
}

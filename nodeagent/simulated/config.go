package simulated

import (
	"fmt"
	"hash/fnv"
	"net/netip"
	"time"

	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/client-go/kubernetes"
	"k8s.io/component-base/version"
	"k8s.io/utils/clock"
)

const (
	// LabelSimulated marks the nodes a simulated agent registered.
	LabelSimulated = "kubeshim.io/simulated"
	// RuntimeType is the scheme of the nodes' containerRuntimeVersion.
	RuntimeType = "simulated"

	// The kubelet's defaults (KubeletConfiguration v1beta1), as the real
	// agent's nodeagent/node uses them.
	DefaultMaxPods       = 110
	DefaultLeaseDuration = 40 * time.Second
	DefaultRenewInterval = 10 * time.Second
	// DefaultWorkers is how many requests the agent has in flight at most
	// for each of its loops (registration, leases, pods).
	DefaultWorkers = 32
	// DefaultKubeletPort is what the nodes report as their kubelet port:
	// the API server reaches no kubelet there, since the nodes' addresses
	// are loopback addresses nothing listens on for them.
	DefaultKubeletPort = 10250
	// MaxCount bounds Count: the nodes' addresses come from one /16 of
	// the loopback network.
	MaxCount = 65534
)

// Config is what an Agent needs. Client, Prefix and Count are required;
// every other zero field takes the default named beside it.
type Config struct {
	// Client is the agent's client. It needs create/get/update of Nodes and
	// nodes/status, create/get/update of Leases in kube-node-lease, list and
	// watch of pods and nodes, update of pods/status and delete of pods. Its
	// rate limit must allow Count/RenewInterval lease writes a second, plus
	// the pods' status writes.
	Client kubernetes.Interface
	// Prefix names the nodes: <Prefix>-0 … <Prefix>-<Count-1>.
	Prefix string
	// Count is the number of nodes, 1 to MaxCount.
	Count int
	// CPU, Memory, EphemeralStorage and MaxPods are every node's capacity
	// and allocatable. Defaults: 4, 16Gi, 100Gi, DefaultMaxPods.
	CPU              resource.Quantity
	Memory           resource.Quantity
	EphemeralStorage resource.Quantity
	MaxPods          int
	// KubeletVersion is status.nodeInfo.kubeletVersion. Default: this
	// binary's GitVersion.
	KubeletVersion string
	// LeaseDuration is the Leases' leaseDurationSeconds. Default: DefaultLeaseDuration.
	LeaseDuration time.Duration
	// RenewInterval is how often each Lease is renewed. Default: DefaultRenewInterval.
	RenewInterval time.Duration
	// Workers bounds the requests in flight per loop. Default: DefaultWorkers.
	Workers int
	// Clock times the leases and stamps the conditions. Default: the real clock.
	Clock clock.WithTicker
}

// complete fills in the defaults and validates.
func (c *Config) complete() error {
	if c.Client == nil {
		return fmt.Errorf("simulated nodes: no client")
	}
	if c.Count < 1 || c.Count > MaxCount {
		return fmt.Errorf("simulated nodes: count %d is not between 1 and %d", c.Count, MaxCount)
	}
	// The longest name is the one that must be a valid node name.
	if errs := validation.IsDNS1123Subdomain(nodeName(c.Prefix, c.Count-1)); c.Prefix == "" || len(errs) > 0 {
		return fmt.Errorf("simulated nodes: prefix %q does not make valid node names: %v", c.Prefix, errs)
	}
	setQuantity(&c.CPU, "4")
	setQuantity(&c.Memory, "16Gi")
	setQuantity(&c.EphemeralStorage, "100Gi")
	if c.MaxPods == 0 {
		c.MaxPods = DefaultMaxPods
	}
	if c.CPU.Sign() < 0 || c.Memory.Sign() < 0 || c.EphemeralStorage.Sign() < 0 || c.MaxPods < 0 {
		return fmt.Errorf("simulated nodes: negative capacity")
	}
	if c.KubeletVersion == "" {
		c.KubeletVersion = version.Get().GitVersion
	}
	if c.LeaseDuration == 0 {
		c.LeaseDuration = DefaultLeaseDuration
	}
	if c.RenewInterval == 0 {
		c.RenewInterval = DefaultRenewInterval
	}
	if c.LeaseDuration < time.Second || c.RenewInterval <= 0 {
		return fmt.Errorf("simulated nodes: lease duration %s or renew interval %s too short", c.LeaseDuration, c.RenewInterval)
	}
	if c.Workers <= 0 {
		c.Workers = DefaultWorkers
	}
	if c.Clock == nil {
		c.Clock = clock.RealClock{}
	}
	return nil
}

func setQuantity(q *resource.Quantity, def string) {
	if q.IsZero() && q.Format == "" {
		*q = resource.MustParse(def)
	}
}

func nodeName(prefix string, i int) string {
	return fmt.Sprintf("%s-%d", prefix, i)
}

// nodeAddress is node i's InternalIP: 127.<a>.<i/256>.<i%256+…>, where a
// (2 to 253) is a hash of the prefix, so that agents with different
// prefixes mostly get different addresses. Duplicates are harmless: nothing
// is ever sent to these addresses but what the loopback device answers.
func nodeAddress(prefix string, i int) netip.Addr {
	h := fnv.New32a()
	h.Write([]byte(prefix))
	a := byte(2 + h.Sum32()%252)
	n := i + 1 // skip .0.0
	return netip.AddrFrom4([4]byte{127, a, byte(n >> 8), byte(n)})
}

package nodeagent

import (
	"context"
	"fmt"

	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/kubeshim/kubeshim/nodeagent/simulated"
)

// simulatedConfig is the simulated nodes' configuration from the flags,
// on client (which may be nil to only check the flags).
func (o *Options) simulatedConfig(client kubernetes.Interface) (simulated.Config, error) {
	s := o.Simulated
	c := simulated.Config{Client: client, Prefix: s.Prefix, Count: o.Simulate, MaxPods: s.Pods}
	for _, q := range []struct {
		flag, value string
		into        *resource.Quantity
	}{
		{"--simulate-cpu", s.CPU, &c.CPU},
		{"--simulate-memory", s.Memory, &c.Memory},
		{"--simulate-ephemeral-storage", s.EphemeralStorage, &c.EphemeralStorage},
	} {
		v, err := resource.ParseQuantity(q.value)
		if err != nil || v.Sign() < 0 {
			return c, fmt.Errorf("%s=%q: not a quantity of at least 0", q.flag, q.value)
		}
		*q.into = v
	}
	if s.Pods < 1 {
		return c, fmt.Errorf("--simulate-pods must be at least 1")
	}
	if o.Simulate > simulated.MaxCount {
		return c, fmt.Errorf("--simulate: at most %d nodes", simulated.MaxCount)
	}
	if s.QPS <= 0 || s.Burst <= 0 {
		return c, fmt.Errorf("--simulate-kube-api-qps and --simulate-kube-api-burst must be positive")
	}
	return c, nil
}

// RunSimulated runs the simulated nodes that c.Simulate asks for until ctx
// ends. It touches nothing of the host: no containerd, network, proxy,
// DNS or kubelet API.
func RunSimulated(ctx context.Context, c *Config) error {
	rc := rest.CopyConfig(c.REST)
	rc.UserAgent = "kubeshim-agent/simulated-" + c.Simulated.Prefix
	rc.QPS, rc.Burst = c.Simulated.QPS, c.Simulated.Burst
	// Protobuf, as the kubelet: smaller and cheaper on both sides.
	rc.ContentType = "application/vnd.kubernetes.protobuf"
	rc.AcceptContentTypes = "application/vnd.kubernetes.protobuf,application/json"
	client, err := kubernetes.NewForConfig(rc)
	if err != nil {
		return err
	}
	sc, err := c.simulatedConfig(client)
	if err != nil {
		return err
	}
	agent, err := simulated.New(sc)
	if err != nil {
		return err
	}
	return agent.Run(ctx)
}

package nodeagent

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/kubernetes/scheme"
	typedcorev1 "k8s.io/client-go/kubernetes/typed/core/v1"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/record"
	"k8s.io/klog/v2"

	"github.com/kubeshim/kubeshim/nodeagent/envvars"
	"github.com/kubeshim/kubeshim/nodeagent/images"
	"github.com/kubeshim/kubeshim/nodeagent/localpath"
	"github.com/kubeshim/kubeshim/nodeagent/network"
	"github.com/kubeshim/kubeshim/nodeagent/node"
	"github.com/kubeshim/kubeshim/nodeagent/pods"
	"github.com/kubeshim/kubeshim/nodeagent/runtime"
	"github.com/kubeshim/kubeshim/nodeagent/server"
	"github.com/kubeshim/kubeshim/nodeagent/sysctl"
	"github.com/kubeshim/kubeshim/nodeagent/volumes"
	"github.com/kubeshim/kubeshim/proxy"
	"github.com/kubeshim/kubeshim/proxy/dns"
)

// Config is a completed agent configuration.
type Config struct {
	Options
	REST *rest.Config
}

// Agent is a running node agent.
type Agent struct {
	config  *Config
	client  kubernetes.Interface
	runtime *runtime.Runtime
	network *network.Network
	node    *node.Agent
	pods    *pods.Manager
	server  *server.Server
	dns     *dns.Server
	proxy   *proxy.Proxy
	// localPath provisions the node's kubeshim.io/local-path volumes.
	localPath *localpath.Provisioner
	stopRec   func()
}

// StorageDir, under the data dir, holds the local-path volumes.
const StorageDir = "storage"

func (c *Config) dir(parts ...string) string {
	return filepath.Join(append([]string{c.DataDir, "agent"}, parts...)...)
}

// New connects to containerd and prepares every part; Run starts them.
func New(ctx context.Context, c *Config) (*Agent, error) {
	rc := rest.CopyConfig(c.REST)
	rc.UserAgent = "kubeshim-agent/" + c.NodeName
	rc.QPS, rc.Burst = 50, 100
	client, err := kubernetes.NewForConfig(rc)
	if err != nil {
		return nil, err
	}
	rt, err := runtime.New(ctx, runtime.Config{
		Address:    c.ContainerdAddress,
		Namespace:  c.ContainerdNamespace,
		StateDir:   c.dir("runtime"),
		LogDir:     c.dir("logs"),
		PauseImage: images.PauseImage,
		// Pulls are refused before any lookup when disabled.
		DisablePulls: c.DisableImagePulls,
	})
	if err != nil {
		return nil, err
	}
	version, err := rt.Version(ctx)
	if err != nil {
		rt.Close()
		return nil, fmt.Errorf("containerd version: %w", err)
	}
	if _, err := images.EnsurePause(ctx, rt.Client(), c.ContainerdNamespace, c.PauseBinary); err != nil {
		rt.Close()
		return nil, fmt.Errorf("pause image: %w", err)
	}
	net, err := network.New(network.Config{
		PluginDirs:  c.CNIBinDirs,
		StateDir:    c.dir("cni"),
		ClusterCIDR: c.ClusterCIDR,
		ServiceCIDR: c.ServiceCIDR,
		// The cluster DNS answers at these on every node.
		LocalAddresses: c.ClusterDNS,
	})
	if err != nil {
		rt.Close()
		return nil, err
	}
	if err := net.EnsureHost(); err != nil {
		rt.Close()
		return nil, fmt.Errorf("host network: %w", err)
	}

	broadcaster := record.NewBroadcaster(record.WithContext(ctx))
	broadcaster.StartRecordingToSink(&typedcorev1.EventSinkImpl{Interface: client.CoreV1().Events("")})
	recorder := broadcaster.NewRecorder(scheme.Scheme, corev1.EventSource{Component: "kubelet", Host: c.NodeName})

	addrs, err := node.DefaultAddresses(c.NodeName)
	if err != nil {
		rt.Close()
		return nil, err
	}
	var hostIPs []string
	for _, a := range addrs {
		if a.Type == corev1.NodeInternalIP {
			hostIPs = append(hostIPs, a.Address)
		}
	}
	na, err := node.New(node.Config{
		Client:         client,
		NodeName:       c.NodeName,
		Addresses:      addrs,
		KubeletPort:    int32(c.KubeletPort),
		RuntimeVersion: "containerd://" + version,
		DataDir:        c.dir(),
		ImageFSDir:     "/var/lib/containerd",
		PodCIDR:        c.PodCIDR,
		Recorder:       recorder,
		Ready: func() error {
			if net.PodCIDR() == "" {
				return errors.New("container runtime network not ready: NetworkReady=false reason:NetworkPluginNotReady message:Network plugin returns error: no pod CIDR")
			}
			return nil
		},
		Images: func(ctx context.Context) ([]corev1.ContainerImage, error) {
			names, sizes, err := rt.Images(ctx)
			if err != nil {
				return nil, err
			}
			var out []corev1.ContainerImage
			for d, ns := range names {
				out = append(out, corev1.ContainerImage{Names: append(ns, strings.SplitN(ns[0], ":", 2)[0]+"@"+d), SizeBytes: sizes[d]})
			}
			return out, nil
		},
	})
	if err != nil {
		rt.Close()
		return nil, err
	}
	vols := volumes.New(volumes.Config{
		Client:   client,
		Getter:   envvars.NewClientGetter(client),
		RootDir:  c.dir("pods"),
		NodeName: c.NodeName,
	})
	sysctls, err := sysctl.NewAllowlist(c.AllowedUnsafeSysctls)
	if err != nil {
		return nil, fmt.Errorf("--allowed-unsafe-sysctls: %w", err)
	}
	pm := pods.New(pods.Config{
		Client:        client,
		NodeName:      c.NodeName,
		Runtime:       rt,
		Network:       net,
		Volumes:       vols,
		Recorder:      recorder,
		RootDir:       c.dir("pods"),
		LogDir:        c.dir("logs"),
		HostIPs:       hostIPs,
		ClusterDNS:    c.ClusterDNS,
		ClusterDomain: c.ClusterDomain,
		ResolvConf:    c.ResolvConf,
		Allocatable:   allocatableOf(client, c.NodeName),
		Sysctls:       sysctls,
	})
	var addrStrings []string
	for _, a := range addrs {
		addrStrings = append(addrStrings, a.Address)
	}
	caFile := c.REST.TLSClientConfig.CAFile
	if caFile == "" && len(c.REST.TLSClientConfig.CAData) > 0 {
		caFile = c.dir("client-ca.crt")
		if err := os.MkdirAll(filepath.Dir(caFile), 0o700); err != nil {
			return nil, err
		}
		if err := os.WriteFile(caFile, c.REST.TLSClientConfig.CAData, 0o644); err != nil {
			return nil, err
		}
	}
	srv, err := server.New(server.Config{
		Port:          c.KubeletPort,
		CertDir:       c.dir("pki"),
		NodeAddresses: addrStrings,
		ClientCAFile:  caFile,
		Client:        client,
		NodeName:      c.NodeName,
		Provider:      newProvider(c.NodeName, pm, rt),
	})
	if err != nil {
		rt.Close()
		return nil, err
	}
	dnsServer, err := newDNS(c, client)
	if err != nil {
		rt.Close()
		return nil, err
	}
	// The service proxy, in-process on the agent's client; node ports
	// answer on the node's InternalIPs until the Node object says more.
	po := c.Proxy
	po.NodeName, po.ClusterCIDR = c.NodeName, c.ClusterCIDR
	proxyConfig, err := po.ConfigWithClient(client, hostIPs)
	if err != nil {
		rt.Close()
		return nil, fmt.Errorf("service proxy: %w", err)
	}
	px, err := proxy.New(proxyConfig)
	if err != nil {
		rt.Close()
		return nil, fmt.Errorf("service proxy: %w", err)
	}
	// Volumes live beside the agent's state, not in it: <data-dir>/storage,
	// as k3s keeps them.
	lp, err := localpath.New(localpath.Config{Client: client, NodeName: c.NodeName, Root: filepath.Join(c.DataDir, StorageDir)})
	if err != nil {
		rt.Close()
		return nil, fmt.Errorf("local-path provisioner: %w", err)
	}
	return &Agent{config: c, client: client, runtime: rt, network: net, node: na, pods: pm, server: srv, dns: dnsServer, proxy: px, localPath: lp, stopRec: broadcaster.Shutdown}, nil
}

// Run runs the agent until ctx ends. Containers keep running afterwards:
// the next agent adopts them.
func (a *Agent) Run(ctx context.Context) error {
	logger := klog.FromContext(ctx)
	defer a.runtime.Close()
	defer a.stopRec()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	errc := make(chan error, 8)
	run := func(name string, f func(context.Context) error) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := f(ctx); err != nil && ctx.Err() == nil {
				errc <- fmt.Errorf("%s: %w", name, err)
				cancel()
			}
		}()
	}
	run("node", a.node.Run)
	run("kubelet API", a.server.Run)
	run("cluster DNS", a.dns.Run)
	run("service proxy", a.proxy.Run)
	run("local-path provisioner", a.localPath.Run)
	run("pods", func(ctx context.Context) error {
		cidr, err := a.node.WaitForPodCIDR(ctx)
		if err != nil {
			return err
		}
		if err := a.network.SetPodCIDR(cidr); err != nil {
			return err
		}
		logger.Info("Pod network ready", "podCIDR", cidr)
		return a.pods.Run(ctx)
	})
	wg.Wait()
	close(errc)
	var errs []error
	for err := range errc {
		errs = append(errs, err)
	}
	logger.Info("Agent stopped")
	return errors.Join(errs...)
}

// allocatableOf reads the node's allocatable resources (the downward API's
// default for unset limits), at most every 30 s.
func allocatableOf(client kubernetes.Interface, name string) func() corev1.ResourceList {
	var mu sync.Mutex
	var cached corev1.ResourceList
	var at time.Time
	return func() corev1.ResourceList {
		mu.Lock()
		defer mu.Unlock()
		if cached != nil && time.Since(at) < 30*time.Second {
			return cached
		}
		n, err := client.CoreV1().Nodes().Get(context.Background(), name, metav1.GetOptions{})
		if err == nil {
			cached, at = n.Status.Allocatable, time.Now()
		}
		return cached
	}
}

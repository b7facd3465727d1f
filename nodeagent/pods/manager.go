package pods

import (
	"context"
	"fmt"
	"net"
	"path/filepath"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/tools/record"
	"k8s.io/klog/v2"

	"github.com/kubeshim/kubeshim/controllers/queue"
	"github.com/kubeshim/kubeshim/nodeagent/envvars"
	"github.com/kubeshim/kubeshim/nodeagent/network"
	"github.com/kubeshim/kubeshim/nodeagent/runtime"
	"github.com/kubeshim/kubeshim/nodeagent/sysctl"
	"github.com/kubeshim/kubeshim/nodeagent/volumes"
)

// Config wires the pod manager to the node's pieces.
type Config struct {
	Client   kubernetes.Interface
	NodeName string
	Runtime  *runtime.Runtime
	Network  *network.Network
	Volumes  *volumes.Manager
	Recorder record.EventRecorder
	// RootDir holds per-pod files (hosts, resolv.conf, termination logs).
	RootDir string
	// LogDir holds container logs.
	LogDir string
	// HostIPs are the node's addresses, primary first.
	HostIPs []string
	// ClusterDNS and ClusterDomain make ClusterFirst resolv.conf files.
	ClusterDNS    []string
	ClusterDomain string
	// ResolvConf is the host's resolver file.
	ResolvConf string
	// HostsFile is the node's hosts file host-network pods see (default
	// /etc/hosts).
	HostsFile string
	// Allocatable is the node's allocatable resources.
	Allocatable func() corev1.ResourceList
	// Sysctls are the sysctls pods may set; a pod asking for another is
	// rejected. Nil means the safe sysctls alone (sysctl.Safe).
	Sysctls *sysctl.Allowlist
	// Resync is how often every pod is synced even without changes (volume
	// contents, probes' effects, status).
	Resync time.Duration
}

// Manager runs the node's pods.
type Manager struct {
	config   Config
	informer cache.SharedIndexInformer
	queue    *queue.Queue
	env      envvars.Getter

	mu    sync.Mutex
	state map[types.UID]*podState
}

// podState is what the manager remembers about a pod between syncs. All of
// it can be rebuilt from the runtime's labels and the pod, so an agent
// restart loses nothing that matters.
type podState struct {
	podIP     net.IP
	startTime time.Time
	// pullErrors are the last image pull failure per container, for the
	// ErrImagePull / ImagePullBackOff waiting reasons.
	pullErrors map[string]pullError
	// configErrors are CreateContainerConfigError messages per container.
	configErrors map[string]string
	// killing is set once termination started.
	killing bool
	// deadlineExceeded is set when activeDeadlineSeconds passed.
	deadlineExceeded bool
	// rejection is why the node refused to run the pod (the kubelet's
	// admission: reason and message), if it did.
	rejection *rejection
	probes    *probeSet
}

type rejection struct{ reason, message string }

type pullError struct {
	reason  string
	message string
	at      time.Time
	count   int
}

const uidIndex = "uid"

// New builds a manager; Run starts it.
func New(config Config) *Manager {
	if config.Resync == 0 {
		config.Resync = 10 * time.Second
	}
	if config.ResolvConf == "" {
		config.ResolvConf = "/etc/resolv.conf"
	}
	if config.Sysctls == nil {
		config.Sysctls = sysctl.Safe()
	}
	factory := informers.NewSharedInformerFactoryWithOptions(config.Client, 0,
		informers.WithTweakListOptions(func(o *metav1.ListOptions) {
			o.FieldSelector = fields.OneTermEqualSelector("spec.nodeName", config.NodeName).String()
		}))
	informer := factory.Core().V1().Pods().Informer()
	informer.AddIndexers(cache.Indexers{uidIndex: func(obj any) ([]string, error) {
		return []string{string(obj.(*corev1.Pod).UID)}, nil
	}})
	m := &Manager{
		config:   config,
		informer: informer,
		env:      envvars.NewClientGetter(config.Client),
		state:    map[types.UID]*podState{},
	}
	m.queue = queue.New("pods", m.sync)
	informer.AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    func(obj any) { m.enqueue(obj) },
		UpdateFunc: func(_, obj any) { m.enqueue(obj) },
		DeleteFunc: func(obj any) {
			if tomb, ok := obj.(cache.DeletedFinalStateUnknown); ok {
				obj = tomb.Obj
			}
			m.enqueue(obj)
		},
	})
	return m
}

func (m *Manager) enqueue(obj any) {
	if pod, ok := obj.(*corev1.Pod); ok {
		m.queue.Add(string(pod.UID))
	}
}

// Run starts the informer, adopts what a previous agent left running, and
// syncs pods until ctx ends. Containers keep running when it returns.
func (m *Manager) Run(ctx context.Context) error {
	logger := klog.FromContext(ctx)
	if err := m.config.Runtime.Adopt(ctx); err != nil {
		return fmt.Errorf("adopt containers: %w", err)
	}
	go m.config.Runtime.WatchEvents(ctx)
	go m.informer.Run(ctx.Done())
	if !cache.WaitForCacheSync(ctx.Done(), m.informer.HasSynced) {
		return ctx.Err()
	}
	// Pods the runtime runs but the API no longer has (deleted while the
	// agent was away) are synced too, which removes them.
	if infos, err := m.config.Runtime.List(ctx, nil); err == nil {
		seen := map[string]bool{}
		for _, info := range infos {
			uid := info.Labels[runtime.LabelPodUID]
			if uid != "" && !seen[uid] {
				seen[uid] = true
				m.queue.Add(uid)
			}
		}
	}
	go func() {
		for {
			select {
			case <-ctx.Done():
				return
			case id := <-m.config.Runtime.Exits():
				if info, err := m.config.Runtime.Inspect(ctx, id); err == nil {
					m.queue.Add(info.Labels[runtime.LabelPodUID])
				}
			}
		}
	}()
	logger.Info("Pod manager started", "node", m.config.NodeName)
	// Pod syncs mostly wait on containerd and the CNI plugins: many run at
	// once so a burst of pods starts in parallel.
	m.queue.Run(ctx, 16)
	return nil
}

// Pods returns the pods bound to this node.
func (m *Manager) Pods() []*corev1.Pod {
	var out []*corev1.Pod
	for _, obj := range m.informer.GetStore().List() {
		out = append(out, obj.(*corev1.Pod))
	}
	return out
}

// Pod returns a pod by namespace and name.
func (m *Manager) Pod(namespace, name string) (*corev1.Pod, bool) {
	obj, ok, _ := m.informer.GetStore().GetByKey(namespace + "/" + name)
	if !ok {
		return nil, false
	}
	return obj.(*corev1.Pod), true
}

func (m *Manager) podByUID(uid string) *corev1.Pod {
	objs, _ := m.informer.GetIndexer().ByIndex(uidIndex, uid)
	if len(objs) == 0 {
		return nil
	}
	return objs[0].(*corev1.Pod)
}

func (m *Manager) podState(uid types.UID) *podState {
	m.mu.Lock()
	defer m.mu.Unlock()
	s, ok := m.state[uid]
	if !ok {
		s = &podState{pullErrors: map[string]pullError{}, configErrors: map[string]string{}}
		m.state[uid] = s
	}
	return s
}

func (m *Manager) forget(uid types.UID) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if s, ok := m.state[uid]; ok && s.probes != nil {
		s.probes.stop()
	}
	delete(m.state, uid)
}

func (m *Manager) podDir(uid types.UID) string {
	return filepath.Join(m.config.RootDir, string(uid))
}

func (m *Manager) logDir(pod *corev1.Pod) string {
	return filepath.Join(m.config.LogDir, fmt.Sprintf("%s_%s_%s", pod.Namespace, pod.Name, pod.UID))
}

package volumes

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes"
	"k8s.io/klog/v2"
	"k8s.io/utils/clock"

	"github.com/kubeshim/kubeshim/nodeagent/envvars"
)

// Plugin directory names, as the kubelet names them (the plugin name with "/"
// escaped to "~").
const (
	PluginEmptyDir    = "kubernetes.io~empty-dir"
	PluginConfigMap   = "kubernetes.io~configmap"
	PluginSecret      = "kubernetes.io~secret"
	PluginDownwardAPI = "kubernetes.io~downward-api"
	PluginProjected   = "kubernetes.io~projected"
	pluginLocal       = "kubernetes.io~local-volume"
)

// PodInfo is what downwardAPI volumes need beyond the pod object.
type PodInfo = envvars.PodInfo

// Mount is a prepared volume: the host path the runtime bind-mounts into
// containers, and whether the volume must be mounted read-only whatever the
// volumeMount says (configMap, secret, downwardAPI and projected volumes, and
// read-only claims).
type Mount struct {
	HostPath string
	ReadOnly bool
}

// Config configures a Manager.
type Config struct {
	// Client reads persistent volume claims and volumes and requests service
	// account tokens.
	Client kubernetes.Interface
	// Getter reads config maps and secrets; nil reads them through Client.
	// The agent passes one backed by informers.
	Getter envvars.Getter
	// RootDir holds one directory per pod, named by its UID.
	RootDir string
	// NodeName is the node's name, for logs.
	NodeName string
	// Clock times token refreshes and names timestamped directories; nil
	// means the real clock.
	Clock clock.Clock
}

// Manager sets up and tears down pods' volumes. It is safe for concurrent use;
// calls for the same pod are serialized.
type Manager struct {
	client   kubernetes.Interface
	getter   envvars.Getter
	rootDir  string
	nodeName string
	clock    clock.Clock
	tokens   *tokenCache
	certs    *podCertificates

	mu   sync.Mutex
	pods map[types.UID]*sync.Mutex
}

// New returns a Manager.
func New(cfg Config) *Manager {
	c := cfg.Clock
	if c == nil {
		c = clock.RealClock{}
	}
	g := cfg.Getter
	if g == nil && cfg.Client != nil {
		g = envvars.NewClientGetter(cfg.Client)
	}
	root := cfg.RootDir
	if abs, err := filepath.Abs(root); err == nil {
		root = abs
	}
	// Mount points in /proc/self/mountinfo are real paths; compare with one.
	if real, err := filepath.EvalSymlinks(root); err == nil {
		root = real
	}
	return &Manager{
		client:   cfg.Client,
		getter:   g,
		rootDir:  root,
		nodeName: cfg.NodeName,
		clock:    c,
		tokens:   newTokenCache(cfg.Client, c),
		certs:    newPodCertificates(cfg.Client, c, cfg.NodeName),
		pods:     map[types.UID]*sync.Mutex{},
	}
}

// VolumeError is the error of one volume that Setup could not prepare. Setup
// returns them joined (errors.Join), one per failed volume; VolumeErrors
// takes them apart. Its text is the kubelet's FailedMount event message.
type VolumeError struct {
	Volume string
	Err    error
	// Unprocessed: the volume could not even be resolved to something to
	// mount (its claim is not bound, say). The kubelet fails on such a
	// volume before any mount, in its desired state of the world, and
	// reports it differently; see FailedMountMessages.
	Unprocessed bool
}

func (e *VolumeError) Error() string {
	return fmt.Sprintf("MountVolume.SetUp failed for volume %q : %v", e.Volume, e.Err)
}

func (e *VolumeError) Unwrap() error { return e.Err }

// FailedMountMessages are the kubelet's FailedMount event messages for an
// error returned by Setup: one "MountVolume.SetUp failed ..." per volume
// that failed to mount, and one "Unable to attach or mount volumes: ..."
// naming the volumes that could not be processed and why, as the kubelet
// words it when its volume manager gives up on the pod.
func FailedMountMessages(err error) []string {
	verrs := VolumeErrors(err)
	if len(verrs) == 0 {
		return []string{err.Error()}
	}
	var out, unmounted, unprocessed, reasons []string
	for _, ve := range verrs {
		unmounted = append(unmounted, ve.Volume)
		if ve.Unprocessed {
			unprocessed = append(unprocessed, ve.Volume)
			reasons = append(reasons, ve.Err.Error())
			continue
		}
		out = append(out, ve.Error())
	}
	if len(unprocessed) > 0 {
		sort.Strings(unmounted)
		sort.Strings(unprocessed)
		// Nothing kubeshim mounts needs attaching: none is unattached.
		out = append(out, fmt.Sprintf("Unable to attach or mount volumes: unmounted volumes=%v, unattached volumes=[], failed to process volumes=%v: %s",
			unmounted, unprocessed, strings.Join(reasons, "; ")))
	}
	return out
}

// VolumeErrors returns the per-volume errors in an error returned by Setup.
func VolumeErrors(err error) []*VolumeError {
	var out []*VolumeError
	var walk func(error)
	walk = func(err error) {
		if ve, ok := err.(*VolumeError); ok {
			out = append(out, ve)
			return
		}
		if j, ok := err.(interface{ Unwrap() []error }); ok {
			for _, e := range j.Unwrap() {
				walk(e)
			}
		}
	}
	walk(err)
	return out
}

// Setup prepares every volume of pod and returns them by volume name. It is
// idempotent: called again it leaves ready volumes as they are, rewrites
// configMap, secret, downwardAPI and projected contents that changed (an
// atomic swap), and refreshes service account tokens that are due. Volumes
// that fail are left out of the map and reported as *VolumeError in the
// joined error; the others are still returned.
func (m *Manager) Setup(ctx context.Context, pod *corev1.Pod, info PodInfo) (map[string]Mount, error) {
	unlock := m.lockPod(pod.UID)
	defer unlock()
	logger := klog.FromContext(ctx).WithValues("pod", klog.KObj(pod), "podUID", pod.UID)
	ctx = klog.NewContext(ctx, logger)

	if pod.UID == "" {
		return nil, errors.New("pod has no UID")
	}
	if err := os.MkdirAll(m.podDir(pod.UID), 0o750); err != nil {
		return nil, fmt.Errorf("create pod directory: %w", err)
	}
	mounts := make(map[string]Mount, len(pod.Spec.Volumes))
	var errs []error
	for i := range pod.Spec.Volumes {
		vol := &pod.Spec.Volumes[i]
		mnt, err := m.setupVolume(ctx, pod, vol, info)
		if err != nil {
			logger.Error(err, "Failed to set up volume", "volume", vol.Name)
			var pe *processError
			errs = append(errs, &VolumeError{Volume: vol.Name, Err: err, Unprocessed: errors.As(err, &pe)})
			continue
		}
		mounts[vol.Name] = mnt
	}
	return mounts, errors.Join(errs...)
}

func (m *Manager) setupVolume(ctx context.Context, pod *corev1.Pod, vol *corev1.Volume, info PodInfo) (Mount, error) {
	src := &vol.VolumeSource
	switch {
	case src.EmptyDir != nil:
		dir := m.volumeDir(pod.UID, PluginEmptyDir, vol.Name)
		medium := src.EmptyDir.Medium
		if err := m.setupEmptyDir(ctx, pod, PluginEmptyDir, vol.Name, medium, src.EmptyDir.SizeLimit, info); err != nil {
			return Mount{}, err
		}
		return Mount{HostPath: dir}, nil
	case src.ConfigMap != nil:
		return m.setupConfigMap(ctx, pod, vol.Name, src.ConfigMap, info)
	case src.Secret != nil:
		return m.setupSecret(ctx, pod, vol.Name, src.Secret, info)
	case src.DownwardAPI != nil:
		return m.setupDownwardAPI(ctx, pod, vol.Name, src.DownwardAPI, info)
	case src.Projected != nil:
		return m.setupProjected(ctx, pod, vol.Name, src.Projected, info)
	case src.HostPath != nil:
		if err := checkHostPath(src.HostPath.Path, src.HostPath.Type); err != nil {
			return Mount{}, err
		}
		return Mount{HostPath: src.HostPath.Path}, nil
	case src.PersistentVolumeClaim != nil:
		return m.setupClaim(ctx, pod, vol.Name, src.PersistentVolumeClaim.ClaimName, src.PersistentVolumeClaim.ReadOnly, false)
	case src.Ephemeral != nil:
		// A generic ephemeral volume is a claim the ephemeral volume controller
		// created for the pod, named <pod>-<volume>.
		return m.setupClaim(ctx, pod, vol.Name, pod.Name+"-"+vol.Name, false, true)
	}
	return Mount{}, fmt.Errorf("volume %q: %s volumes are not supported by kubeshim", vol.Name, sourceKind(src))
}

// Teardown unmounts and removes everything Setup made for the pod. It is
// idempotent: a pod with nothing left on disk is a success.
func (m *Manager) Teardown(ctx context.Context, podUID types.UID) error {
	if podUID == "" || filepath.Base(string(podUID)) != string(podUID) || podUID == ".." {
		return fmt.Errorf("invalid pod UID %q", podUID)
	}
	unlock := m.lockPod(podUID)
	defer func() {
		unlock()
		m.mu.Lock()
		delete(m.pods, podUID)
		m.mu.Unlock()
	}()
	logger := klog.FromContext(ctx).WithValues("podUID", podUID)
	m.tokens.forget(podUID)
	m.certs.forget(podUID)
	dir := m.podDir(podUID)
	if _, err := os.Lstat(dir); errors.Is(err, os.ErrNotExist) {
		return nil
	}
	mounts, err := mountsUnder(dir)
	if err != nil {
		return fmt.Errorf("tear down volumes of pod %s: %w", podUID, err)
	}
	// Deepest first, so a mount on top of another comes off before it.
	sort.Slice(mounts, func(i, j int) bool { return len(mounts[i]) > len(mounts[j]) })
	for _, mp := range mounts {
		logger.V(3).Info("Unmounting volume", "path", mp)
		if err := unmount(mp); err != nil {
			return fmt.Errorf("tear down volumes of pod %s: %w", podUID, err)
		}
	}
	// os.RemoveAll would descend into anything still mounted there and delete
	// what is not ours: refuse instead.
	if left, err := mountsUnder(dir); err != nil {
		return fmt.Errorf("tear down volumes of pod %s: %w", podUID, err)
	} else if len(left) > 0 {
		return fmt.Errorf("tear down volumes of pod %s: %s is still mounted", podUID, left[0])
	}
	if err := os.RemoveAll(dir); err != nil {
		return fmt.Errorf("tear down volumes of pod %s: %w", podUID, err)
	}
	logger.V(2).Info("Removed pod volumes")
	return nil
}

// PodUIDs lists the pods that have a directory under RootDir, so the agent can
// tear down those of pods that no longer exist (after a restart, say).
func (m *Manager) PodUIDs() ([]types.UID, error) {
	entries, err := os.ReadDir(m.rootDir)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("list pod directories: %w", err)
	}
	var out []types.UID
	for _, e := range entries {
		if e.IsDir() {
			out = append(out, types.UID(e.Name()))
		}
	}
	return out, nil
}

// CleanupOrphans tears down every pod directory whose UID keep rejects and
// returns the UIDs it removed, with the errors of those it could not.
func (m *Manager) CleanupOrphans(ctx context.Context, keep func(types.UID) bool) ([]types.UID, error) {
	uids, err := m.PodUIDs()
	if err != nil {
		return nil, err
	}
	var removed []types.UID
	var errs []error
	for _, uid := range uids {
		if keep(uid) {
			continue
		}
		if err := m.Teardown(ctx, uid); err != nil {
			errs = append(errs, err)
			continue
		}
		removed = append(removed, uid)
	}
	return removed, errors.Join(errs...)
}

func (m *Manager) lockPod(uid types.UID) func() {
	m.mu.Lock()
	l, ok := m.pods[uid]
	if !ok {
		l = &sync.Mutex{}
		m.pods[uid] = l
	}
	m.mu.Unlock()
	l.Lock()
	return l.Unlock
}

func (m *Manager) podDir(uid types.UID) string {
	return filepath.Join(m.rootDir, string(uid))
}

func (m *Manager) volumeDir(uid types.UID, plugin, name string) string {
	return filepath.Join(m.rootDir, string(uid), "volumes", plugin, name)
}

// metaDir holds a volume's bookkeeping (its ready marker), out of the
// containers' sight, as the kubelet's plugins/ directory does.
func (m *Manager) metaDir(uid types.UID, plugin, name string) string {
	return filepath.Join(m.rootDir, string(uid), "plugins", plugin, name)
}

func sourceKind(src *corev1.VolumeSource) string {
	switch {
	case src.GitRepo != nil:
		return "gitRepo"
	case src.NFS != nil:
		return "nfs"
	case src.ISCSI != nil:
		return "iscsi"
	case src.CSI != nil:
		return "csi"
	case src.Image != nil:
		return "image"
	case src.FC != nil:
		return "fc"
	case src.FlexVolume != nil:
		return "flexVolume"
	case src.RBD != nil:
		return "rbd"
	case src.CephFS != nil:
		return "cephfs"
	}
	return "this kind of"
}

package imagelocality

import (
	"context"
	"strings"
	"sync"

	corev1 "k8s.io/api/core/v1"

	"github.com/kubeshim/kubeshim/scheduler/framework"
)

const (
	// Name is the plugin's name in the registry.
	Name = "ImageLocality"

	mb int64 = 1024 * 1024
	// The bounds of the image score, kube-scheduler's: the range of most
	// compressed images in registries.
	minThreshold          int64 = 23 * mb
	maxContainerThreshold int64 = 1000 * mb

	preScoreStateKey framework.StateKey = "PreScore" + Name
)

// skip is shared: most pods have nothing for the plugin, and the
// framework copies a status before naming its plugin.
var skip = framework.NewStatus(framework.Skip)

// ImageLocality scores nodes by the pod's images they have.
type ImageLocality struct {
	mu  sync.Mutex
	idx index
}

var (
	_ framework.PreScorePlugin = &ImageLocality{}
	_ framework.ScorePlugin    = &ImageLocality{}
)

// New builds the plugin.
func New(framework.Handle) (framework.Plugin, error) {
	return &ImageLocality{idx: index{nodes: map[string]*nodeImages{}, holders: map[string]int{}}}, nil
}

// Name returns the plugin's name.
func (*ImageLocality) Name() string { return Name }

// index is the images of every node and how many nodes hold each name.
type index struct {
	nodes   map[string]*nodeImages
	holders map[string]int
	// snapshot and version are the snapshot last indexed and its
	// NodeObjectsVersion: while neither changes, no node object did.
	snapshot *framework.Snapshot
	version  int64
}

type nodeImages struct {
	node *corev1.Node // the object the sizes were read from
	// sizes by image name (each of an image's names).
	sizes map[string]int64
	seen  bool
}

func (x *index) remove(name string) {
	e := x.nodes[name]
	if e == nil {
		return
	}
	for image := range e.sizes {
		if x.holders[image]--; x.holders[image] <= 0 {
			delete(x.holders, image)
		}
	}
	delete(x.nodes, name)
}

func (x *index) set(node *corev1.Node) *nodeImages {
	x.remove(node.Name)
	e := &nodeImages{node: node, sizes: make(map[string]int64, len(node.Status.Images))}
	for _, img := range node.Status.Images {
		for _, n := range img.Names {
			e.sizes[n] = img.SizeBytes
		}
	}
	for image := range e.sizes {
		x.holders[image]++
	}
	x.nodes[node.Name] = e
	return e
}

// update brings the index in line with nodes, those of snap if there is
// one. Pods come and go with every pass, node objects seldom: a snapshot
// whose node objects are those last indexed costs nothing; otherwise each
// node's object is compared with the one indexed.
func (x *index) update(snap *framework.Snapshot, nodes []*framework.NodeInfo) {
	if snap != nil {
		if snap == x.snapshot && snap.NodeObjectsVersion() == x.version {
			return
		}
		x.snapshot, x.version = snap, snap.NodeObjectsVersion()
		nodes = snap.Nodes()
	}
	for _, e := range x.nodes {
		e.seen = false
	}
	for _, ni := range nodes {
		e := x.nodes[ni.Node().Name]
		if e == nil || e.node != ni.Node() {
			e = x.set(ni.Node())
		}
		e.seen = true
	}
	if len(x.nodes) == len(nodes) {
		return
	}
	for name, e := range x.nodes {
		if !e.seen {
			x.remove(name)
		}
	}
}

// image is one of the pod's images with the share of nodes holding it.
type image struct {
	name   string
	spread float64
}

type preScoreState struct {
	// images held somewhere, once per container that uses them.
	images []image
	// count is the number of the pod's image sources, held or not.
	count int
	nodes map[string]*nodeImages
}

// normalizedImageName adds the tag ":latest" to a name without one, as the
// container runtime reads it.
func normalizedImageName(name string) string {
	if strings.LastIndex(name, ":") <= strings.LastIndex(name, "/") {
		name += ":latest"
	}
	return name
}

// PreScore updates the index from every node of the snapshot and finds
// the share of nodes holding each of the pod's images. When no node holds
// any, every node would score 0: it returns Skip.
func (pl *ImageLocality) PreScore(_ context.Context, cs *framework.CycleState, pod *corev1.Pod, feasible []*framework.NodeInfo) *framework.Status {
	snap := cs.Snapshot()
	total := len(feasible)
	if snap != nil {
		total = snap.NumNodes()
	}
	pl.mu.Lock()
	defer pl.mu.Unlock()
	pl.idx.update(snap, feasible)
	var s *preScoreState
	count := 0
	add := func(name string) {
		count++
		name = normalizedImageName(name)
		holders := pl.idx.holders[name]
		if holders == 0 {
			return
		}
		if s == nil {
			s = &preScoreState{nodes: pl.idx.nodes}
		}
		s.images = append(s.images, image{name: name, spread: float64(holders) / float64(total)})
	}
	for i := range pod.Spec.InitContainers {
		add(pod.Spec.InitContainers[i].Image)
	}
	for i := range pod.Spec.Containers {
		add(pod.Spec.Containers[i].Image)
	}
	for i := range pod.Spec.Volumes {
		if v := pod.Spec.Volumes[i].Image; v != nil {
			add(v.Reference)
		}
	}
	if s == nil {
		return skip
	}
	s.count = count
	cs.Write(preScoreStateKey, s)
	return nil
}

// Score sums the node's sizes of the pod's images, scaled by their spread,
// and maps the sum from [23 MiB, 1000 MiB per image] onto [0, 100].
func (pl *ImageLocality) Score(_ context.Context, cs *framework.CycleState, _ *corev1.Pod, ni *framework.NodeInfo) (int64, *framework.Status) {
	v, err := cs.Read(preScoreStateKey)
	if err != nil {
		return 0, framework.AsStatus(err)
	}
	s := v.(*preScoreState)
	// The index is changed only by PreScore, which does not run during a
	// pass's Score calls.
	e := s.nodes[ni.Node().Name]
	if e == nil {
		return 0, nil
	}
	var sum int64
	for _, img := range s.images {
		if size, ok := e.sizes[img.name]; ok {
			sum += int64(float64(size) * img.spread)
		}
	}
	return calculatePriority(sum, s.count), nil
}

func calculatePriority(sum int64, count int) int64 {
	maxThreshold := maxContainerThreshold * int64(count)
	sum = min(max(sum, minThreshold), maxThreshold)
	return framework.MaxNodeScore * (sum - minThreshold) / (maxThreshold - minThreshold)
}

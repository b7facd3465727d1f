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
	// generation is the highest NodeInfo generation indexed: a node
	// with a higher one may have changed.
	generation int64
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

func (x *index) set(node *corev1.Node) {
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
}

// update brings the index in line with nodes. Only nodes with a
// generation above the last pass's can have changed (a new node object
// comes with one), so a pass costs one comparison per node.
func (x *index) update(nodes []*framework.NodeInfo) {
	last := x.generation
	for _, ni := range nodes {
		x.generation = max(x.generation, ni.Generation)
		if ni.Generation <= last {
			continue
		}
		if e := x.nodes[ni.Node().Name]; e == nil || e.node != ni.Node() {
			x.set(ni.Node())
		}
	}
	if len(x.nodes) == len(nodes) {
		return
	}
	// A node went away (or the nodes differ wholesale, as a test's
	// snapshot may): sweep those not in nodes.
	for _, e := range x.nodes {
		e.seen = false
	}
	for _, ni := range nodes {
		e := x.nodes[ni.Node().Name]
		if e == nil || e.node != ni.Node() {
			x.set(ni.Node())
			e = x.nodes[ni.Node().Name]
		}
		e.seen = true
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

// podImages are the pod's image names, normalized, one per init container,
// container and image volume.
func podImages(pod *corev1.Pod) []string {
	var names []string
	for _, c := range pod.Spec.InitContainers {
		names = append(names, normalizedImageName(c.Image))
	}
	for _, c := range pod.Spec.Containers {
		names = append(names, normalizedImageName(c.Image))
	}
	for _, v := range pod.Spec.Volumes {
		if v.Image != nil {
			names = append(names, normalizedImageName(v.Image.Reference))
		}
	}
	return names
}

// PreScore updates the index from every node of the snapshot and finds
// the share of nodes holding each of the pod's images. When no node holds
// any, every node would score 0: it returns Skip.
func (pl *ImageLocality) PreScore(_ context.Context, cs *framework.CycleState, pod *corev1.Pod, feasible []*framework.NodeInfo) *framework.Status {
	all := feasible
	if snap := cs.Snapshot(); snap != nil {
		all = snap.Nodes()
	}
	names := podImages(pod)
	pl.mu.Lock()
	defer pl.mu.Unlock()
	pl.idx.update(all)
	s := &preScoreState{count: len(names), nodes: pl.idx.nodes}
	for _, n := range names {
		if holders := pl.idx.holders[n]; holders > 0 {
			s.images = append(s.images, image{name: n, spread: float64(holders) / float64(len(all))})
		}
	}
	if len(s.images) == 0 {
		return framework.NewStatus(framework.Skip)
	}
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

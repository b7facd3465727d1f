package metrics

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/apiserver/pkg/registry/rest"
	"k8s.io/client-go/informers"
	corev1informers "k8s.io/client-go/informers/core/v1"
	corev1listers "k8s.io/client-go/listers/core/v1"
	"k8s.io/client-go/tools/cache"
	"k8s.io/klog/v2"
	"k8s.io/utils/clock"

	"github.com/kubeshim/kubeshim/registry/kubelet"
)

const (
	// DefaultResolution is how often the kubelets are scraped: metrics-server's
	// --metric-resolution as its manifests set it.
	DefaultResolution = 15 * time.Second

	// LabelSimulated marks the nodes of `kubeshim agent --simulate`
	// (nodeagent/simulated.LabelSimulated), which have no kubelet API behind their
	// addresses.
	LabelSimulated = "kubeshim.io/simulated"

	// maxResponseBytes bounds a kubelet's answer: a few hundred bytes per container.
	maxResponseBytes = 64 << 20
)

// Config is what a Scraper needs.
type Config struct {
	// Nodes are the nodes to scrape and serve metrics of. New registers the
	// informer with its factory; the caller starts it.
	Nodes corev1informers.NodeInformer
	// Pods are the pods to serve metrics of: a metadata-only informer, as
	// metrics-server's, since names and labels are all the API needs of them and a
	// cache of whole pods would double the server's memory for pods.
	Pods informers.GenericInformer
	// Kubelets is the server's kubelet client: how logs and exec reach a node.
	Kubelets kubelet.ConnectionInfoGetter
	// Resolution is the scrape period; zero means DefaultResolution. Each scrape
	// is bounded to 90% of it, as metrics-server bounds its own.
	Resolution time.Duration
	// Clock times the scrapes and stamps samples without a timestamp; nil means
	// the real clock.
	Clock clock.WithTicker
}

// Scraper scrapes the kubelets and serves what it got as the resource metrics API.
type Scraper struct {
	nodes      corev1listers.NodeLister
	pods       cache.GenericLister // of *metav1.PartialObjectMetadata
	synced     []cache.InformerSynced
	kubelets   kubelet.ConnectionInfoGetter
	resolution time.Duration
	clock      clock.WithTicker
	store      *store

	// failing holds the nodes whose last scrape failed, so that a node that stays
	// down is logged once rather than every resolution.
	mu      sync.Mutex
	failing map[string]bool
}

// New builds a Scraper. It registers the node and pod informers with their factory,
// which must be started (the API server starts its factory after New).
func New(c Config) (*Scraper, error) {
	switch {
	case c.Nodes == nil || c.Pods == nil:
		return nil, errors.New("metrics: node and pod informers are required")
	case c.Kubelets == nil:
		return nil, errors.New("metrics: a kubelet client is required")
	case c.Resolution < 0:
		return nil, fmt.Errorf("metrics: resolution %s is negative", c.Resolution)
	}
	if c.Resolution == 0 {
		c.Resolution = DefaultResolution
	}
	if c.Clock == nil {
		c.Clock = clock.RealClock{}
	}
	return &Scraper{
		nodes:      c.Nodes.Lister(),
		pods:       c.Pods.Lister(),
		synced:     []cache.InformerSynced{c.Nodes.Informer().HasSynced, c.Pods.Informer().HasSynced},
		kubelets:   c.Kubelets,
		resolution: c.Resolution,
		clock:      c.Clock,
		store:      newStore(c.Resolution),
		failing:    map[string]bool{},
	}, nil
}

// Storage returns the metrics.k8s.io/v1beta1 resources: NodeMetrics as "nodes" and
// PodMetrics as "pods".
func (s *Scraper) Storage() map[string]rest.Storage {
	return map[string]rest.Storage{
		"nodes": &nodeREST{s: s},
		"pods":  &podREST{s: s},
	}
}

// Run scrapes every resolution, the first time as soon as the informers have
// synced, until ctx is done. It returns once the scrape in flight has ended: a scrape
// is bounded by its timeout and by ctx.
func (s *Scraper) Run(ctx context.Context) {
	logger := klog.FromContext(ctx)
	if !cache.WaitForCacheSync(ctx.Done(), s.synced...) {
		return
	}
	logger.Info("Scraping kubelets for resource metrics", "resolution", s.resolution)
	// Not sliding: scrapes start a resolution apart, so that the windows are even.
	wait.BackoffUntilWithContext(ctx, s.scrape, wait.NewJitteredBackoffManager(s.resolution, 0, s.clock), false)
	logger.Info("Stopped scraping kubelets")
}

// scrape scrapes every node with a kubelet API in parallel and stores the batch.
func (s *Scraper) scrape(ctx context.Context) {
	nodes, err := s.nodes.List(labels.Everything())
	if err != nil {
		klog.FromContext(ctx).Error(err, "List nodes to scrape")
		return
	}
	ctx, cancel := context.WithTimeout(ctx, time.Duration(float64(s.resolution)*0.9))
	defer cancel()
	now := s.clock.Now()
	samples := make([]*sample, len(nodes))
	var wg sync.WaitGroup
	for i, node := range nodes {
		if !scrapable(node) {
			continue
		}
		wg.Go(func() {
			smp, err := s.scrapeNode(ctx, node.Name, now)
			s.report(ctx, node.Name, err)
			samples[i] = smp
		})
	}
	wg.Wait()
	s.forgetFailures(nodes)
	b := newBatch()
	for i, smp := range samples {
		if smp == nil {
			continue
		}
		if smp.node != nil {
			b.nodes[nodes[i].Name] = *smp.node
		}
		for ref, containers := range smp.pods {
			if _, dup := b.pods[ref]; dup {
				// A pod runs on one node; a second report is a stale kubelet's.
				klog.FromContext(ctx).V(2).Info("Pod reported by two nodes", "pod", klog.KRef(ref.Namespace, ref.Name), "node", nodes[i].Name)
				continue
			}
			b.pods[ref] = containers
		}
	}
	s.store.add(b)
}

// scrapable is whether a node has a kubelet API to scrape.
func scrapable(node *corev1.Node) bool {
	return node.Labels[LabelSimulated] != "true" && node.Status.DaemonEndpoints.KubeletEndpoint.Port != 0
}

// scrapeNode reads a node's /metrics/resource.
func (s *Scraper) scrapeNode(ctx context.Context, name string, now time.Time) (*sample, error) {
	info, err := s.kubelets.GetConnectionInfo(ctx, name)
	if err != nil {
		return nil, fmt.Errorf("kubelet address: %w", err)
	}
	url := info.Scheme + "://" + net.JoinHostPort(info.Hostname, info.Port) + "/metrics/resource"
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, err
	}
	// The text format is the one every kubelet serves; it carries the timestamps.
	req.Header.Set("Accept", "text/plain;version=0.0.4")
	resp, err := (&http.Client{Transport: info.Transport}).Do(req)
	if err != nil {
		return nil, fmt.Errorf("GET %s: %w", url, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		body, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
		return nil, fmt.Errorf("GET %s: %s: %s", url, resp.Status, body)
	}
	smp, err := decode(io.LimitReader(resp.Body, maxResponseBytes), now)
	if err != nil {
		return nil, fmt.Errorf("GET %s: %w", url, err)
	}
	return smp, nil
}

// report logs a node's scrape failing, and recovering, once each time it changes.
func (s *Scraper) report(ctx context.Context, node string, err error) {
	s.mu.Lock()
	was := s.failing[node]
	if err != nil {
		s.failing[node] = true
	} else {
		delete(s.failing, node)
	}
	s.mu.Unlock()
	logger := klog.FromContext(ctx)
	switch {
	case err != nil && !was:
		logger.Error(err, "Failed to scrape node", "node", klog.KRef("", node))
	case err != nil:
		logger.V(4).Info("Failed to scrape node again", "node", klog.KRef("", node), "err", err)
	case was:
		logger.Info("Scraped node again", "node", klog.KRef("", node))
	}
}

// forgetFailures drops the failures of nodes that are gone.
func (s *Scraper) forgetFailures(nodes []*corev1.Node) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.failing) == 0 {
		return
	}
	listed := make(map[string]bool, len(nodes))
	for _, n := range nodes {
		listed[n.Name] = true
	}
	for name := range s.failing {
		if !listed[name] {
			delete(s.failing, name)
		}
	}
}

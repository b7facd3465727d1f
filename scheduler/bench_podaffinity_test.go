package scheduler

import (
	"context"
	"fmt"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kubeshim/kubeshim/scheduler/framework"
	"github.com/kubeshim/kubeshim/scheduler/plugins"
)

// BenchmarkPodAffinity is BenchmarkSchedule with pods that make
// InterPodAffinity and PodTopologySpread work: each pod belongs to one of
// ten apps and spreads by zone (DoNotSchedule, maxSkew 1), or prefers not
// to share a node with its app, or requires not to share its node with
// its app. Their PreFilter and PreScore count over every pod in the
// cluster, so the cost per pod grows with the pods already placed.
//
//	go test -run '^$' -bench BenchmarkPodAffinity -benchtime 5000x ./scheduler/
func BenchmarkPodAffinity(b *testing.B) {
	variants := []struct {
		name string
		pod  func(p *corev1.Pod, app string)
	}{
		{"TopologySpreadZone", func(p *corev1.Pod, app string) {
			p.Spec.TopologySpreadConstraints = []corev1.TopologySpreadConstraint{{
				MaxSkew: 1, TopologyKey: corev1.LabelTopologyZone, WhenUnsatisfiable: corev1.DoNotSchedule,
				LabelSelector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": app}},
			}}
		}},
		{"PreferredAntiAffinityHostname", func(p *corev1.Pod, app string) {
			p.Spec.Affinity = &corev1.Affinity{PodAntiAffinity: &corev1.PodAntiAffinity{
				PreferredDuringSchedulingIgnoredDuringExecution: []corev1.WeightedPodAffinityTerm{{Weight: 10, PodAffinityTerm: corev1.PodAffinityTerm{
					LabelSelector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": app}}, TopologyKey: corev1.LabelHostname,
				}}},
			}}
		}},
		{"RequiredAntiAffinityHostname", func(p *corev1.Pod, app string) {
			p.Spec.Affinity = &corev1.Affinity{PodAntiAffinity: &corev1.PodAntiAffinity{
				RequiredDuringSchedulingIgnoredDuringExecution: []corev1.PodAffinityTerm{{
					LabelSelector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": app}}, TopologyKey: corev1.LabelHostname,
				}},
			}}
		}},
	}
	const nodes = 1000
	for _, v := range variants {
		b.Run(fmt.Sprintf("%s/%dNodes", v.name, nodes), func(b *testing.B) {
			ctx := context.Background()
			fw, err := framework.New(ctx, plugins.NewRegistry(), framework.Profile{Plugins: plugins.DefaultPlugins()}, nil)
			if err != nil {
				b.Fatal(err)
			}
			newCache := func() *clusterCache {
				c := newClusterCache()
				for i := 0; i < nodes; i++ {
					n := testNode(fmt.Sprintf("node-%05d", i), fmt.Sprintf("zone-%d", i%3))
					n.Labels[corev1.LabelHostname] = n.Name
					c.AddNode(n)
				}
				return c
			}
			c := newCache()
			snap := c.UpdateSnapshot(nil)
			// Ten apps of at most 1,000 pods each fit the required
			// anti-affinity on 1,000 nodes; start over before.
			const refill = 10_000
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if i > 0 && i%refill == 0 {
					b.StopTimer()
					c = newCache()
					snap = c.UpdateSnapshot(nil)
					b.StartTimer()
				}
				app := fmt.Sprintf("app-%d", i%10)
				pod := testPod(fmt.Sprintf("pod-%d", i), "", "100m")
				pod.Labels = map[string]string{"app": app}
				v.pod(pod, app)
				snap = c.UpdateSnapshot(snap)
				res, err := fw.Schedule(ctx, pod, snap)
				if err != nil {
					b.Fatalf("pod %d: %v", i, err)
				}
				assumed := *pod
				assumed.Spec.NodeName = res.Node
				if err := c.AssumePod(&assumed); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "pods/s")
		})
	}
}

package imagelocality

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kubeshim/kubeshim/scheduler/framework"
)

func node(name string, images ...corev1.ContainerImage) *corev1.Node {
	return &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: name}, Status: corev1.NodeStatus{Images: images}}
}

func img(size int64, names ...string) corev1.ContainerImage {
	return corev1.ContainerImage{Names: names, SizeBytes: size}
}

func pod(containers []string, mutate ...func(*corev1.Pod)) *corev1.Pod {
	p := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "p"}}
	for _, c := range containers {
		p.Spec.Containers = append(p.Spec.Containers, corev1.Container{Name: "c", Image: c})
	}
	for _, m := range mutate {
		m(p)
	}
	return p
}

// scoreAll runs PreScore and Score on every node; nil when PreScore skips.
func scoreAll(t *testing.T, pl *ImageLocality, p *corev1.Pod, snap *framework.Snapshot) map[string]int64 {
	t.Helper()
	ctx := context.Background()
	cs := framework.NewCycleState()
	cs.SetSnapshot(snap)
	if s := pl.PreScore(ctx, cs, p, snap.Nodes()); s.IsSkip() {
		return nil
	} else if !s.IsSuccess() {
		t.Fatalf("PreScore: %v", s)
	}
	got := map[string]int64{}
	for _, ni := range snap.Nodes() {
		v, s := pl.Score(ctx, cs, p, ni)
		if !s.IsSuccess() {
			t.Fatalf("Score: %v", s)
		}
		got[ni.Node().Name] = v
	}
	return got
}

func newPlugin(t *testing.T) *ImageLocality {
	t.Helper()
	pl, err := New(nil)
	if err != nil {
		t.Fatal(err)
	}
	return pl.(*ImageLocality)
}

func TestScore(t *testing.T) {
	// Three nodes: the 300 MiB image is on two of them (spread 2/3), the
	// others on one (1/3).
	nodes := []*corev1.Node{
		node("n1", img(40*mb, "gcr.io/40:latest", "gcr.io/40@sha256:aaa"), img(300*mb, "gcr.io/300:latest")),
		node("n2", img(300*mb, "gcr.io/300:latest"), img(2000*mb, "gcr.io/2000:latest")),
		node("n3"),
	}
	tests := []struct {
		name string
		pod  *corev1.Pod
		want map[string]int64
	}{
		{
			// n1: 40Mi/3 + 300Mi*2/3 = 213.3Mi of [23Mi, 2000Mi]: 9;
			// n2: 200Mi: 8; n3: nothing.
			name: "two images, one on both nodes",
			pod:  pod([]string{"gcr.io/40", "gcr.io/300"}),
			want: map[string]int64{"n1": 9, "n2": 8, "n3": 0},
		},
		{
			// n2: 2000Mi/3 = 666.7Mi of [23Mi, 1000Mi]: 65.
			name: "one large image on one node",
			pod:  pod([]string{"gcr.io/2000:latest"}),
			want: map[string]int64{"n1": 0, "n2": 65, "n3": 0},
		},
		{
			name: "a name by digest",
			pod:  pod([]string{"gcr.io/40@sha256:aaa"}),
			// 40Mi/3 = 13.3Mi is below the 23Mi floor.
			want: map[string]int64{"n1": 0, "n2": 0, "n3": 0},
		},
		{
			// Init containers and image volumes count as images too:
			// the maximum grows with them (3 images: 3000Mi).
			name: "init container and image volume",
			pod: pod([]string{"gcr.io/2000"}, func(p *corev1.Pod) {
				p.Spec.InitContainers = []corev1.Container{{Name: "i", Image: "gcr.io/300"}}
				p.Spec.Volumes = []corev1.Volume{{Name: "v", VolumeSource: corev1.VolumeSource{Image: &corev1.ImageVolumeSource{Reference: "gcr.io/40"}}}}
			}),
			// n1: 13.3Mi + 200Mi = 213.3Mi of [23Mi, 3000Mi]: 6;
			// n2: 200Mi + 666.7Mi of [23Mi, 3000Mi]: 28.
			want: map[string]int64{"n1": 6, "n2": 28, "n3": 0},
		},
		{
			name: "images no node has: skipped",
			pod:  pod([]string{"docker.io/library/nginx"}),
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			snap := framework.NewSnapshot(nodes, nil)
			if diff := cmp.Diff(tt.want, scoreAll(t, newPlugin(t), tt.pod, snap)); diff != "" {
				t.Errorf("scores (-want +got):\n%s", diff)
			}
		})
	}
}

func TestNormalizedImageName(t *testing.T) {
	for in, want := range map[string]string{
		"nginx":                         "nginx:latest",
		"nginx:1.25":                    "nginx:1.25",
		"localhost:5000/app":            "localhost:5000/app:latest",
		"localhost:5000/app:v1":         "localhost:5000/app:v1",
		"registry.k8s.io/pause:3.10":    "registry.k8s.io/pause:3.10",
		"docker.io/library/busybox@sha": "docker.io/library/busybox@sha:latest",
	} {
		if got := normalizedImageName(in); got != want {
			t.Errorf("normalizedImageName(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestIndexFollowsNodes: the plugin's index follows nodes that change
// their images, come and go, from pass to pass.
func TestIndexFollowsNodes(t *testing.T) {
	pl := newPlugin(t)
	big := img(1000*mb, "app:v1")
	p := pod([]string{"app:v1"})
	// Each pass's snapshot built from the cluster as it then is; the
	// cache would reuse unchanged nodes' infos, which the index skips.
	n1, n2 := node("n1", big), node("n2")
	snap := framework.NewSnapshot([]*corev1.Node{n1, n2}, nil)
	steps := []struct {
		name string
		snap *framework.Snapshot
		want map[string]int64
	}{
		// 1000Mi/2 = 500Mi of [23Mi, 1000Mi]: 48.
		{"one of two nodes has it", snap, map[string]int64{"n1": 48, "n2": 0}},
	}
	// n2 pulls the image: a new node object in a changed NodeInfo.
	n2b := node("n2", big)
	snap2 := framework.NewSnapshotFromNodeInfos([]*framework.NodeInfo{snap.Get("n1"), framework.NewNodeInfo(n2b)})
	steps = append(steps, struct {
		name string
		snap *framework.Snapshot
		want map[string]int64
	}{"both have it", snap2, map[string]int64{"n1": 100, "n2": 100}})
	// n1 goes away.
	snap3 := framework.NewSnapshotFromNodeInfos([]*framework.NodeInfo{snap2.Get("n2"), framework.NewNodeInfo(node("n3"))})
	steps = append(steps, struct {
		name string
		snap *framework.Snapshot
		want map[string]int64
	}{"n1 gone, n3 new", snap3, map[string]int64{"n2": 48, "n3": 0}})
	// The image removed everywhere.
	snap4 := framework.NewSnapshotFromNodeInfos([]*framework.NodeInfo{framework.NewNodeInfo(node("n2")), snap3.Get("n3")})
	steps = append(steps, struct {
		name string
		snap *framework.Snapshot
		want map[string]int64
	}{"image gone", snap4, nil})
	for _, s := range steps {
		if diff := cmp.Diff(s.want, scoreAll(t, pl, p, s.snap)); diff != "" {
			t.Errorf("%s: scores (-want +got):\n%s", s.name, diff)
		}
	}
	if diff := cmp.Diff(map[string]int{}, pl.idx.holders); diff != "" {
		t.Errorf("holders left in the index (-want +got):\n%s", diff)
	}
}

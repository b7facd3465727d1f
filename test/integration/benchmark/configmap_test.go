package benchmark

import (
	"context"
	"fmt"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/util/flowcontrol"

	"github.com/kubeshim/kubeshim/test/integration/framework"
)

// clients is the concurrency of the parallel benchmarks, as in hack/bench.sh.
const clients = 50

// client returns a client of the shared server without client-side rate
// limiting, and a new namespace.
func client(b *testing.B) (kubernetes.Interface, string) {
	config := framework.Shared(b)
	config.RateLimiter = flowcontrol.NewFakeAlwaysRateLimiter()
	c := kubernetes.NewForConfigOrDie(config)
	return c, framework.Namespace(b, c)
}

func configMap(name string) *corev1.ConfigMap {
	return &corev1.ConfigMap{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Data:       map[string]string{"value": strings.Repeat("x", 100)},
	}
}

// create makes n configmaps cm-0 … cm-<n-1> in ns.
func create(b *testing.B, c kubernetes.Interface, ns string, n int) {
	b.Helper()
	for i := range n {
		if _, err := c.CoreV1().ConfigMaps(ns).Create(context.Background(), configMap(fmt.Sprintf("cm-%d", i)), metav1.CreateOptions{}); err != nil {
			b.Fatal(err)
		}
	}
}

// parallel runs op b.N times over about `clients` goroutines (RunParallel
// starts parallelism × GOMAXPROCS), passing each call a distinct index.
func parallel(b *testing.B, op func(i int) error) {
	var next atomic.Int64
	b.SetParallelism(max(1, clients/runtime.GOMAXPROCS(0)))
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if err := op(int(next.Add(1) - 1)); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

func BenchmarkCreateConfigMap(b *testing.B) {
	c, ns := client(b)
	parallel(b, func(i int) error {
		_, err := c.CoreV1().ConfigMaps(ns).Create(context.Background(), configMap(fmt.Sprintf("cm-%d", i)), metav1.CreateOptions{})
		return err
	})
}

func BenchmarkGetConfigMap(b *testing.B) {
	const objects = 100
	c, ns := client(b)
	create(b, c, ns, objects)
	parallel(b, func(i int) error {
		_, err := c.CoreV1().ConfigMaps(ns).Get(context.Background(), fmt.Sprintf("cm-%d", i%objects), metav1.GetOptions{})
		return err
	})
}

// BenchmarkListConfigMaps lists a namespace of 1,000 configmaps in pages of
// 500; one operation is the whole list.
func BenchmarkListConfigMaps(b *testing.B) {
	const objects = 1000
	c, ns := client(b)
	create(b, c, ns, objects)
	parallel(b, func(int) error {
		n, cont := 0, ""
		for {
			list, err := c.CoreV1().ConfigMaps(ns).List(context.Background(), metav1.ListOptions{Limit: 500, Continue: cont})
			if err != nil {
				return err
			}
			n += len(list.Items)
			if cont = list.Continue; cont == "" {
				break
			}
		}
		if n < objects {
			return fmt.Errorf("listed %d configmaps, want at least %d", n, objects)
		}
		return nil
	})
}

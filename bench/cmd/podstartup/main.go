// Command podstartup measures pod startup latency on a running cluster:
// for each batch size it creates that many pods at once (image present,
// scheduled by the cluster's scheduler) and records, per pod, the time from
// its create call returning to the watch seeing it Running. It prints p50
// and p99 per batch as a markdown table.
//
//	podstartup --kubeconfig FILE --image IMAGE --batches 1,10,50
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"
)

func main() {
	kubeconfig := flag.String("kubeconfig", "", "kubeconfig of the cluster")
	image := flag.String("image", "registry.k8s.io/e2e-test-images/busybox:1.37.0-2", "image of the pods (must be present on the node)")
	batches := flag.String("batches", "1,10,50", "pods created at once, per batch")
	rounds := flag.Int("rounds", 3, "rounds of each batch size")
	flag.Parse()
	if err := run(*kubeconfig, *image, *batches, *rounds); err != nil {
		fmt.Fprintln(os.Stderr, "podstartup:", err)
		os.Exit(1)
	}
}

func run(kubeconfig, image, batches string, rounds int) error {
	rc, err := clientcmd.BuildConfigFromFlags("", kubeconfig)
	if err != nil {
		return err
	}
	rc.QPS, rc.Burst = 500, 500
	client, err := kubernetes.NewForConfig(rc)
	if err != nil {
		return err
	}
	ctx := context.Background()
	ns := fmt.Sprintf("podstartup-%d", time.Now().Unix())
	if _, err := client.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}, metav1.CreateOptions{}); err != nil {
		return err
	}
	defer client.CoreV1().Namespaces().Delete(context.Background(), ns, metav1.DeleteOptions{})
	// The namespace's default service account comes from a controller.
	for i := 0; i < 100; i++ {
		if _, err := client.CoreV1().ServiceAccounts(ns).Get(ctx, "default", metav1.GetOptions{}); err == nil {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	fmt.Println("| pods at once | rounds | p50 | p99 | max |")
	fmt.Println("|---|---|---|---|---|")
	for _, b := range strings.Split(batches, ",") {
		n, err := strconv.Atoi(b)
		if err != nil {
			return err
		}
		var all []time.Duration
		for r := 0; r < rounds; r++ {
			d, err := batch(ctx, client, ns, image, n, fmt.Sprintf("b%d-r%d", n, r))
			if err != nil {
				return err
			}
			all = append(all, d...)
		}
		sort.Slice(all, func(i, j int) bool { return all[i] < all[j] })
		fmt.Printf("| %d | %d | %s | %s | %s |\n", n, rounds, pct(all, 50), pct(all, 99), all[len(all)-1].Round(time.Millisecond))
	}
	return nil
}

func pct(d []time.Duration, p int) time.Duration {
	i := (len(d)*p + 99) / 100
	if i > 0 {
		i--
	}
	return d[i].Round(time.Millisecond)
}

// batch creates n pods at once and returns each one's create-to-Running time.
func batch(ctx context.Context, client kubernetes.Interface, ns, image string, n int, prefix string) ([]time.Duration, error) {
	w, err := client.CoreV1().Pods(ns).Watch(ctx, metav1.ListOptions{LabelSelector: "batch=" + prefix})
	if err != nil {
		return nil, err
	}
	defer w.Stop()
	zero := int64(0)
	var mu sync.Mutex
	created := map[string]time.Time{}
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			pod := &corev1.Pod{
				ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("%s-%d", prefix, i), Labels: map[string]string{"batch": prefix}},
				Spec: corev1.PodSpec{
					TerminationGracePeriodSeconds: &zero,
					Containers:                    []corev1.Container{{Name: "c", Image: image, Command: []string{"sleep", "3600"}}},
				},
			}
			start := time.Now()
			if _, err := client.CoreV1().Pods(ns).Create(ctx, pod, metav1.CreateOptions{}); err != nil {
				errs <- err
				return
			}
			mu.Lock()
			created[pod.Name] = start
			mu.Unlock()
		}(i)
	}
	running := map[string]time.Duration{}
	timeout := time.After(2 * time.Minute)
	for len(running) < n {
		select {
		case err := <-errs:
			return nil, err
		case <-timeout:
			return nil, fmt.Errorf("batch %s: %d of %d pods Running after 2m", prefix, len(running), n)
		case ev, ok := <-w.ResultChan():
			if !ok {
				return nil, fmt.Errorf("watch ended")
			}
			if ev.Type == watch.Error {
				return nil, fmt.Errorf("watch error: %v", ev.Object)
			}
			pod, ok := ev.Object.(*corev1.Pod)
			if !ok || pod.Status.Phase != corev1.PodRunning {
				continue
			}
			if _, done := running[pod.Name]; done {
				continue
			}
			now := time.Now()
			mu.Lock()
			start, ok := created[pod.Name]
			mu.Unlock()
			if !ok {
				// Running before its create call returned: count from now.
				start = now
			}
			running[pod.Name] = now.Sub(start)
		}
	}
	wg.Wait()
	var out []time.Duration
	for _, d := range running {
		out = append(out, d)
	}
	err = client.CoreV1().Pods(ns).DeleteCollection(ctx, metav1.DeleteOptions{GracePeriodSeconds: &zero}, metav1.ListOptions{LabelSelector: "batch=" + prefix})
	if err != nil {
		return nil, err
	}
	// Let the node remove them before the next batch.
	for i := 0; i < 600; i++ {
		l, err := client.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{LabelSelector: "batch=" + prefix})
		if err == nil && len(l.Items) == 0 {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	return out, nil
}

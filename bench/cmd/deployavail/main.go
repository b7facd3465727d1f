// Command deployavail measures how long a Deployment takes to be fully
// available on a running cluster: for each size it creates a Deployment of
// that many replicas (image present on the nodes) and records the time
// from its create call returning to status.availableReplicas reaching the
// size with the rollout complete, as `kubectl rollout status` judges it.
// The Deployment is deleted (foreground) between rounds. It prints the
// times per size as a markdown table.
//
//	deployavail --kubeconfig FILE --sizes 10,100 --rounds 2
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"sort"
	"strconv"
	"strings"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"
	"k8s.io/utils/ptr"
)

func main() {
	kubeconfig := flag.String("kubeconfig", "", "kubeconfig of the cluster")
	image := flag.String("image", "registry.k8s.io/e2e-test-images/busybox:1.37.0-2", "image of the pods (must be present on the nodes)")
	sizes := flag.String("sizes", "10,100", "replicas of the deployments, one size per row")
	rounds := flag.Int("rounds", 2, "rounds of each size")
	timeout := flag.Duration("timeout", 10*time.Minute, "longest wait for one deployment")
	flag.Parse()
	if err := run(*kubeconfig, *image, *sizes, *rounds, *timeout); err != nil {
		fmt.Fprintln(os.Stderr, "deployavail:", err)
		os.Exit(1)
	}
}

func run(kubeconfig, image, sizes string, rounds int, timeout time.Duration) error {
	rc, err := clientcmd.BuildConfigFromFlags("", kubeconfig)
	if err != nil {
		return err
	}
	rc.QPS, rc.Burst = 100, 200
	client, err := kubernetes.NewForConfig(rc)
	if err != nil {
		return err
	}
	ctx := context.Background()
	ns := fmt.Sprintf("deployavail-%d", time.Now().Unix())
	if _, err := client.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}, metav1.CreateOptions{}); err != nil {
		return err
	}
	defer client.CoreV1().Namespaces().Delete(context.Background(), ns, metav1.DeleteOptions{})
	fmt.Println("| replicas | rounds | fully available after (each round) |")
	fmt.Println("|---:|---:|---|")
	for _, s := range strings.Split(sizes, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || n < 1 {
			return fmt.Errorf("size %q: not a positive number", s)
		}
		var times []time.Duration
		for r := 0; r < rounds; r++ {
			d, err := once(ctx, client, ns, fmt.Sprintf("d%d-%d", n, r), image, int32(n), timeout)
			if err != nil {
				return err
			}
			times = append(times, d)
		}
		sort.Slice(times, func(i, j int) bool { return times[i] < times[j] })
		var cells []string
		for _, d := range times {
			cells = append(cells, d.Round(100*time.Millisecond).String())
		}
		fmt.Printf("| %d | %d | %s |\n", n, rounds, strings.Join(cells, ", "))
	}
	return nil
}

// once creates one deployment, waits until it is fully available and
// deleted again, and returns the time to available.
func once(ctx context.Context, client kubernetes.Interface, ns, name, image string, replicas int32, timeout time.Duration) (time.Duration, error) {
	labels := map[string]string{"app": name}
	d := &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec: appsv1.DeploymentSpec{
			Replicas: ptr.To(replicas),
			Selector: &metav1.LabelSelector{MatchLabels: labels},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: labels},
				Spec: corev1.PodSpec{
					TerminationGracePeriodSeconds: ptr.To[int64](0),
					Containers:                    []corev1.Container{{Name: "c", Image: image, Command: []string{"sleep", "3600"}}},
				},
			},
		},
	}
	deployments := client.AppsV1().Deployments(ns)
	if _, err := deployments.Create(ctx, d, metav1.CreateOptions{}); err != nil {
		return 0, err
	}
	start := time.Now()
	err := wait.PollUntilContextTimeout(ctx, 100*time.Millisecond, timeout, true, func(ctx context.Context) (bool, error) {
		cur, err := deployments.Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			return false, err
		}
		s := cur.Status
		// kubectl rollout status: observed, all updated, all available.
		return s.ObservedGeneration >= cur.Generation && s.UpdatedReplicas == replicas &&
			s.Replicas == replicas && s.AvailableReplicas == replicas, nil
	})
	took := time.Since(start)
	if err != nil {
		return 0, fmt.Errorf("deployment %s of %d not available after %s: %w", name, replicas, timeout, err)
	}
	fg := metav1.DeletePropagationForeground
	if err := deployments.Delete(ctx, name, metav1.DeleteOptions{PropagationPolicy: &fg}); err != nil {
		return 0, err
	}
	err = wait.PollUntilContextTimeout(ctx, 500*time.Millisecond, timeout, true, func(ctx context.Context) (bool, error) {
		pods, err := client.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{LabelSelector: "app=" + name})
		return err == nil && len(pods.Items) == 0, nil
	})
	if err != nil {
		return 0, fmt.Errorf("pods of %s not gone: %w", name, err)
	}
	return took, nil
}

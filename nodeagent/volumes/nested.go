package volumes

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	corev1 "k8s.io/api/core/v1"
)

// makeNestedMountpoints creates, inside volume name's directory, the
// directories where other volumes are mounted below it in some container
// (volume a at /etc/app and b at /etc/app/certs: a gets certs/). The runtime
// cannot create them itself in a read-only volume.
func makeNestedMountpoints(name, dir string, pod *corev1.Pod) error {
	for _, sub := range nestedMountpoints(name, pod) {
		if strings.HasPrefix(sub, "../") || sub == ".." {
			return fmt.Errorf("invalid container mount point %v", sub)
		}
		if err := os.MkdirAll(filepath.Join(dir, sub), 0o755); err != nil {
			return fmt.Errorf("unable to create nested volume mountpoints: %w", err)
		}
	}
	return nil
}

// nestedMountpoints returns, relative to each mount of volume name, the mount
// points directly beneath it (not those beneath another nested one).
func nestedMountpoints(name string, pod *corev1.Pod) []string {
	var out []string
	check := func(mounts []corev1.VolumeMount) {
		var all, mine []string
		for _, vm := range mounts {
			p := filepath.Clean(vm.MountPath)
			all = append(all, p)
			if vm.Name == name {
				mine = append(mine, p)
			}
		}
		sort.Strings(all)
		for _, my := range mine {
			prefix := my + "/"
			if my == "/" {
				prefix = "/"
			}
			var nested []string
			for _, p := range all {
				if !strings.HasPrefix(p, prefix) || p == my {
					continue
				}
				under := false
				for _, n := range nested {
					if strings.HasPrefix(p, n+"/") {
						under = true
						break
					}
				}
				if under {
					continue
				}
				nested = append(nested, p)
				out = append(out, p[len(prefix):])
			}
		}
	}
	for i := range pod.Spec.InitContainers {
		check(pod.Spec.InitContainers[i].VolumeMounts)
	}
	for i := range pod.Spec.Containers {
		check(pod.Spec.Containers[i].VolumeMounts)
	}
	for i := range pod.Spec.EphemeralContainers {
		check(pod.Spec.EphemeralContainers[i].VolumeMounts)
	}
	return out
}

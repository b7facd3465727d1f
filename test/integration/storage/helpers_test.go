package storage

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/kubernetes"
	"k8s.io/utils/ptr"

	"github.com/kubeshim/kubeshim/test/integration/framework"
)

func clients(t *testing.T) (kubernetes.Interface, string) {
	t.Helper()
	client := kubernetes.NewForConfigOrDie(framework.Shared(t))
	return client, framework.Namespace(t, client)
}

func eventually(t *testing.T, what string, cond func(ctx context.Context) (string, bool)) {
	t.Helper()
	var last string
	err := wait.PollUntilContextTimeout(context.Background(), 50*time.Millisecond, 30*time.Second, true, func(ctx context.Context) (bool, error) {
		var ok bool
		last, ok = cond(ctx)
		return ok, nil
	})
	if err != nil {
		t.Fatalf("%s: %v; last: %s", what, err, last)
	}
}

// hostPathVolume is a static volume of class in a test's own class.
func hostPathVolume(name, class, size string, modes ...corev1.PersistentVolumeAccessMode) *corev1.PersistentVolume {
	if len(modes) == 0 {
		modes = []corev1.PersistentVolumeAccessMode{corev1.ReadWriteOnce}
	}
	return &corev1.PersistentVolume{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec: corev1.PersistentVolumeSpec{
			Capacity:               corev1.ResourceList{corev1.ResourceStorage: resource.MustParse(size)},
			AccessModes:            modes,
			StorageClassName:       class,
			PersistentVolumeSource: corev1.PersistentVolumeSource{HostPath: &corev1.HostPathVolumeSource{Path: "/srv/" + name}},
		},
	}
}

func newClaim(name, class, size string, modes ...corev1.PersistentVolumeAccessMode) *corev1.PersistentVolumeClaim {
	if len(modes) == 0 {
		modes = []corev1.PersistentVolumeAccessMode{corev1.ReadWriteOnce}
	}
	return &corev1.PersistentVolumeClaim{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec: corev1.PersistentVolumeClaimSpec{
			AccessModes:      modes,
			StorageClassName: ptr.To(class),
			Resources:        corev1.VolumeResourceRequirements{Requests: corev1.ResourceList{corev1.ResourceStorage: resource.MustParse(size)}},
		},
	}
}

func createVolume(t *testing.T, client kubernetes.Interface, pv *corev1.PersistentVolume) *corev1.PersistentVolume {
	t.Helper()
	pv, err := client.CoreV1().PersistentVolumes().Create(context.Background(), pv, metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("create volume: %v", err)
	}
	t.Cleanup(func() { deleteVolume(client, pv.Name) })
	return pv
}

// deleteVolume removes a volume a test left, finalizers and all: volumes
// outlive the test's namespace.
func deleteVolume(client kubernetes.Interface, name string) {
	ctx := context.Background()
	_ = client.CoreV1().PersistentVolumes().Delete(ctx, name, metav1.DeleteOptions{})
	for i := 0; i < 20; i++ {
		pv, err := client.CoreV1().PersistentVolumes().Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			return
		}
		pv.Finalizers = nil
		if _, err := client.CoreV1().PersistentVolumes().Update(ctx, pv, metav1.UpdateOptions{}); err == nil {
			return
		}
	}
}

func createClaim(t *testing.T, client kubernetes.Interface, ns string, claim *corev1.PersistentVolumeClaim) *corev1.PersistentVolumeClaim {
	t.Helper()
	claim, err := client.CoreV1().PersistentVolumeClaims(ns).Create(context.Background(), claim, metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("create claim: %v", err)
	}
	return claim
}

// boundTo waits until claim and volume are bound to each other, and
// returns both.
func boundTo(t *testing.T, client kubernetes.Interface, ns, claim, volume string) (*corev1.PersistentVolumeClaim, *corev1.PersistentVolume) {
	t.Helper()
	var c *corev1.PersistentVolumeClaim
	var v *corev1.PersistentVolume
	eventually(t, fmt.Sprintf("claim %s bound to volume %s", claim, volume), func(ctx context.Context) (string, bool) {
		var err error
		if c, err = client.CoreV1().PersistentVolumeClaims(ns).Get(ctx, claim, metav1.GetOptions{}); err != nil {
			return err.Error(), false
		}
		if v, err = client.CoreV1().PersistentVolumes().Get(ctx, volume, metav1.GetOptions{}); err != nil {
			return err.Error(), false
		}
		ref := ""
		if v.Spec.ClaimRef != nil {
			ref = v.Spec.ClaimRef.Namespace + "/" + v.Spec.ClaimRef.Name + "/" + string(v.Spec.ClaimRef.UID)
		}
		return fmt.Sprintf("claim %s volumeName %q; volume %s claimRef %s", c.Status.Phase, c.Spec.VolumeName, v.Status.Phase, ref),
			c.Status.Phase == corev1.ClaimBound && c.Spec.VolumeName == volume &&
				v.Status.Phase == corev1.VolumeBound && ref == ns+"/"+claim+"/"+string(c.UID)
	})
	return c, v
}

func volumePhase(t *testing.T, client kubernetes.Interface, name string, phase corev1.PersistentVolumePhase) *corev1.PersistentVolume {
	t.Helper()
	var v *corev1.PersistentVolume
	eventually(t, fmt.Sprintf("volume %s %s", name, phase), func(ctx context.Context) (string, bool) {
		var err error
		if v, err = client.CoreV1().PersistentVolumes().Get(ctx, name, metav1.GetOptions{}); err != nil {
			return err.Error(), false
		}
		return fmt.Sprintf("phase %s message %q", v.Status.Phase, v.Status.Message), v.Status.Phase == phase
	})
	return v
}

// waitEvent waits for an event about the object with the reason, and
// returns its message.
func waitEvent(t *testing.T, client kubernetes.Interface, ns, name, reason string) string {
	t.Helper()
	var message string
	eventually(t, fmt.Sprintf("%s event on %s", reason, name), func(ctx context.Context) (string, bool) {
		list, err := client.CoreV1().Events(ns).List(ctx, metav1.ListOptions{FieldSelector: fields.OneTermEqualSelector("involvedObject.name", name).String()})
		if err != nil {
			return err.Error(), false
		}
		var seen []string
		for _, e := range list.Items {
			if e.Reason == reason {
				message = e.Message
				return "", true
			}
			seen = append(seen, e.Reason)
		}
		return "events: " + strings.Join(seen, ","), false
	})
	return message
}

// table returns the column names the server prints path with, as
// `kubectl get` asks for them, and the first row's cells. params are query
// parameters, name and value.
func table(t *testing.T, client kubernetes.Interface, path string, params ...string) ([]string, []any) {
	t.Helper()
	tbl := &metav1.Table{}
	req := client.CoreV1().RESTClient().Get().AbsPath(path)
	for i := 0; i+1 < len(params); i += 2 {
		req = req.Param(params[i], params[i+1])
	}
	err := req.SetHeader("Accept", "application/json;as=Table;v=v1;g=meta.k8s.io").
		Do(context.Background()).Into(tbl)
	if err != nil {
		t.Fatalf("get %s as a table: %v", path, err)
	}
	var names []string
	for _, c := range tbl.ColumnDefinitions {
		names = append(names, c.Name)
	}
	var cells []any
	if len(tbl.Rows) > 0 {
		cells = tbl.Rows[0].Cells
	}
	return names, cells
}

package apiserver

import (
	"context"
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
	storagev1 "k8s.io/api/storage/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	genericapiserver "k8s.io/apiserver/pkg/server"
	"k8s.io/client-go/kubernetes"
	"k8s.io/klog/v2"
	"k8s.io/utils/ptr"

	storageapi "github.com/kubeshim/kubeshim/apis/storage"
)

// The default StorageClass and the provisioner behind it, the node agent's
// (nodeagent/localpath): a directory on the node the first consumer is
// scheduled to, as k3s's local-path class.
const (
	LocalPathClass       = "local-path"
	LocalPathProvisioner = "kubeshim.io/local-path"
)

// localPathClass binds on first consumer, because the volume lives on one
// node and the pod must be placed first; it deletes the directory with the
// claim. Its claims may grow: the provisioner resizes its own volumes
// (unlike k3s's, whose class does not allow expansion).
func localPathClass() *storagev1.StorageClass {
	return &storagev1.StorageClass{
		ObjectMeta:           metav1.ObjectMeta{Name: LocalPathClass, Annotations: map[string]string{storageapi.IsDefaultClassAnnotation: "true"}},
		Provisioner:          LocalPathProvisioner,
		ReclaimPolicy:        ptr.To(corev1.PersistentVolumeReclaimDelete),
		VolumeBindingMode:    ptr.To(storagev1.VolumeBindingWaitForFirstConsumer),
		AllowVolumeExpansion: ptr.To(true),
	}
}

// installDefaultStorageClass creates the local-path class once the server
// serves, unless --default-storage-class=false. A class of that name that
// exists is never touched: a user may have changed or replaced it (made
// another class the default, say). Readiness waits for it.
func installDefaultStorageClass(s *genericapiserver.GenericAPIServer, c *Config) error {
	if !c.Options.DefaultStorageClass {
		return nil
	}
	return s.AddPostStartHook("kubeshim-default-storage-class", func(hc genericapiserver.PostStartHookContext) error {
		client, err := kubernetes.NewForConfig(hc.LoopbackClientConfig)
		if err != nil {
			return fmt.Errorf("bootstrap client: %w", err)
		}
		return wait.PollUntilContextCancel(hc, 100*time.Millisecond, true, func(ctx context.Context) (bool, error) {
			_, err := client.StorageV1().StorageClasses().Create(ctx, localPathClass(), metav1.CreateOptions{})
			if err != nil && !apierrors.IsAlreadyExists(err) {
				klog.FromContext(ctx).V(2).Info("Default storage class not created yet", "storageClass", LocalPathClass, "err", err)
				return false, nil
			}
			return true, nil
		})
	})
}

package volumes

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	utilerrors "k8s.io/apimachinery/pkg/util/errors"
	"k8s.io/klog/v2"

	"github.com/kubeshim/kubeshim/nodeagent/envvars"
)

// defaultFileMode is the API default of defaultMode, used when a pod reaches
// the agent without it.
const defaultFileMode int32 = 0o644

func (m *Manager) setupConfigMap(ctx context.Context, pod *corev1.Pod, name string, src *corev1.ConfigMapVolumeSource, info PodInfo) (Mount, error) {
	optional := isTrue(src.Optional)
	cm, err := m.configMap(ctx, pod.Namespace, src.Name, optional)
	if err != nil {
		return Mount{}, err
	}
	payload, err := configMapPayload(src.Items, cm, modeOr(src.DefaultMode), optional)
	if err != nil {
		return Mount{}, err
	}
	// configMap volumes stay on disk, as upstream (the tmpfs memory could not
	// be charged to the pod).
	return m.writeVolume(ctx, pod, PluginConfigMap, name, corev1.StorageMediumDefault, payload, info)
}

func (m *Manager) setupSecret(ctx context.Context, pod *corev1.Pod, name string, src *corev1.SecretVolumeSource, info PodInfo) (Mount, error) {
	optional := isTrue(src.Optional)
	s, err := m.secret(ctx, pod.Namespace, src.SecretName, optional)
	if err != nil {
		return Mount{}, err
	}
	payload, err := secretPayload(src.Items, s, modeOr(src.DefaultMode), optional)
	if err != nil {
		return Mount{}, err
	}
	return m.writeVolume(ctx, pod, PluginSecret, name, corev1.StorageMediumMemory, payload, info)
}

func (m *Manager) setupDownwardAPI(ctx context.Context, pod *corev1.Pod, name string, src *corev1.DownwardAPIVolumeSource, info PodInfo) (Mount, error) {
	payload, err := downwardAPIPayload(src.Items, pod, modeOr(src.DefaultMode), info)
	if err != nil {
		return Mount{}, err
	}
	return m.writeVolume(ctx, pod, PluginDownwardAPI, name, corev1.StorageMediumMemory, payload, info)
}

func (m *Manager) setupProjected(ctx context.Context, pod *corev1.Pod, name string, src *corev1.ProjectedVolumeSource, info PodInfo) (Mount, error) {
	defaultMode := modeOr(src.DefaultMode)
	payload := map[string]file{}
	var errs []error
	merge := func(p map[string]file, err error) {
		if err != nil {
			errs = append(errs, err)
			return
		}
		for k, v := range p {
			payload[k] = v
		}
	}
	// Tokens, trust bundles and pod certificates are not readable by others
	// when the pod has an fsGroup (upstream: also with a user); the
	// ownership change then adds group read.
	credentialMode := defaultMode
	if fsGroup(pod) != nil {
		credentialMode = 0o600
	}
	for i, s := range src.Sources {
		switch {
		case s.ConfigMap != nil:
			optional := isTrue(s.ConfigMap.Optional)
			cm, err := m.configMap(ctx, pod.Namespace, s.ConfigMap.Name, optional)
			if err != nil {
				errs = append(errs, err)
				continue
			}
			merge(configMapPayload(s.ConfigMap.Items, cm, defaultMode, optional))
		case s.Secret != nil:
			optional := isTrue(s.Secret.Optional)
			sec, err := m.secret(ctx, pod.Namespace, s.Secret.Name, optional)
			if err != nil {
				errs = append(errs, err)
				continue
			}
			merge(secretPayload(s.Secret.Items, sec, defaultMode, optional))
		case s.DownwardAPI != nil:
			merge(downwardAPIPayload(s.DownwardAPI.Items, pod, defaultMode, info))
		case s.ServiceAccountToken != nil:
			tp := s.ServiceAccountToken
			token, err := m.tokens.get(ctx, pod, tp.Audience, tp.ExpirationSeconds)
			if err != nil {
				errs = append(errs, err)
				continue
			}
			payload[tp.Path] = file{data: []byte(token), mode: credentialMode}
		case s.ClusterTrustBundle != nil:
			anchors, err := m.clusterTrustBundle(ctx, s.ClusterTrustBundle)
			if err != nil {
				errs = append(errs, err)
				continue
			}
			payload[s.ClusterTrustBundle.Path] = file{data: anchors, mode: credentialMode}
		case s.PodCertificate != nil:
			pc := s.PodCertificate
			key, chain, err := m.certs.get(ctx, pod, name, i, pc)
			if err != nil {
				errs = append(errs, err)
				continue
			}
			if pc.CredentialBundlePath != "" {
				payload[pc.CredentialBundlePath] = file{data: append(append([]byte{}, key...), chain...), mode: credentialMode}
			}
			if pc.KeyPath != "" {
				payload[pc.KeyPath] = file{data: key, mode: credentialMode}
			}
			if pc.CertificateChainPath != "" {
				payload[pc.CertificateChainPath] = file{data: chain, mode: credentialMode}
			}
		}
	}
	if err := utilerrors.NewAggregate(errs); err != nil {
		return Mount{}, err
	}
	return m.writeVolume(ctx, pod, PluginProjected, name, corev1.StorageMediumMemory, payload, info)
}

// writeVolume sets up the volume's directory (the wrapped emptyDir), the
// mount points of volumes nested in it, and writes payload atomically. The
// fsGroup change runs over the whole volume after each write, as upstream.
func (m *Manager) writeVolume(ctx context.Context, pod *corev1.Pod, plugin, name string, medium corev1.StorageMedium, payload map[string]file, info PodInfo) (Mount, error) {
	dir := m.volumeDir(pod.UID, plugin, name)
	if err := m.setupEmptyDir(ctx, pod, plugin, name, medium, nil, info); err != nil {
		return Mount{}, err
	}
	if err := makeNestedMountpoints(name, dir, pod); err != nil {
		return Mount{}, err
	}
	setPerms := func() error {
		return changeOwnership(ctx, dir, fsGroup(pod), true, nil)
	}
	wrote, err := atomicWrite(ctx, dir, payload, m.clock.Now(), setPerms)
	if err != nil {
		return Mount{}, fmt.Errorf("write volume contents: %w", err)
	}
	if wrote {
		klog.FromContext(ctx).V(3).Info("Updated volume contents", "volume", name, "plugin", plugin)
	}
	return Mount{HostPath: dir, ReadOnly: true}, nil
}

// configMap gets a config map; a missing optional one is an empty one.
func (m *Manager) configMap(ctx context.Context, namespace, name string, optional bool) (*corev1.ConfigMap, error) {
	if m.getter == nil {
		return nil, errors.New("no API client configured")
	}
	cm, err := m.getter.ConfigMap(ctx, namespace, name)
	if err != nil {
		if apierrors.IsNotFound(err) && optional {
			return &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: name}}, nil
		}
		return nil, err
	}
	return cm, nil
}

// secret gets a secret; a missing optional one is an empty one.
func (m *Manager) secret(ctx context.Context, namespace, name string, optional bool) (*corev1.Secret, error) {
	if m.getter == nil {
		return nil, errors.New("no API client configured")
	}
	s, err := m.getter.Secret(ctx, namespace, name)
	if err != nil {
		if apierrors.IsNotFound(err) && optional {
			return &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: name}}, nil
		}
		return nil, err
	}
	return s, nil
}

// configMapPayload maps a config map's data and binaryData to files: every key
// under its own name, or only the listed items at their paths. A listed key
// that is missing is an error unless the volume is optional.
func configMapPayload(items []corev1.KeyToPath, cm *corev1.ConfigMap, defaultMode int32, optional bool) (map[string]file, error) {
	payload := make(map[string]file, len(cm.Data)+len(cm.BinaryData))
	if len(items) == 0 {
		for k, v := range cm.Data {
			payload[k] = file{data: []byte(v), mode: defaultMode}
		}
		for k, v := range cm.BinaryData {
			payload[k] = file{data: v, mode: defaultMode}
		}
		return payload, nil
	}
	for _, item := range items {
		var data []byte
		if v, ok := cm.Data[item.Key]; ok {
			data = []byte(v)
		} else if v, ok := cm.BinaryData[item.Key]; ok {
			data = v
		} else {
			if optional {
				continue
			}
			return nil, fmt.Errorf("configmap references non-existent config key: %s", item.Key)
		}
		payload[item.Path] = file{data: data, mode: itemMode(item.Mode, defaultMode)}
	}
	return payload, nil
}

// secretPayload is configMapPayload for a secret.
func secretPayload(items []corev1.KeyToPath, s *corev1.Secret, defaultMode int32, optional bool) (map[string]file, error) {
	payload := make(map[string]file, len(s.Data))
	if len(items) == 0 {
		for k, v := range s.Data {
			payload[k] = file{data: v, mode: defaultMode}
		}
		return payload, nil
	}
	for _, item := range items {
		v, ok := s.Data[item.Key]
		if !ok {
			if optional {
				continue
			}
			return nil, fmt.Errorf("references non-existent secret key: %s", item.Key)
		}
		payload[item.Path] = file{data: v, mode: itemMode(item.Mode, defaultMode)}
	}
	return payload, nil
}

// downwardAPIPayload projects pod metadata and container resources into files.
// Every item is tried; their errors are reported together.
func downwardAPIPayload(items []corev1.DownwardAPIVolumeFile, pod *corev1.Pod, defaultMode int32, info PodInfo) (map[string]file, error) {
	payload := make(map[string]file, len(items))
	var errs []error
	for _, item := range items {
		f := file{mode: itemMode(item.Mode, defaultMode)}
		switch {
		case item.FieldRef != nil:
			v, err := envvars.ObjectFieldValue(pod, item.FieldRef.FieldPath)
			if err != nil {
				errs = append(errs, err)
			}
			f.data = []byte(v)
		case item.ResourceFieldRef != nil:
			v, err := envvars.ContainerResourceValue(item.ResourceFieldRef, pod, nil, info.NodeAllocatable)
			if err != nil {
				errs = append(errs, err)
			}
			f.data = []byte(v)
		}
		payload[filepath.Clean(item.Path)] = f
	}
	return payload, utilerrors.NewAggregate(errs)
}

func itemMode(mode *int32, defaultMode int32) int32 {
	if mode != nil {
		return *mode
	}
	return defaultMode
}

func modeOr(mode *int32) int32 {
	if mode != nil {
		return *mode
	}
	return defaultFileMode
}

func isTrue(b *bool) bool { return b != nil && *b }

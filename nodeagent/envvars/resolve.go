package envvars

import (
	"context"
	"fmt"
	"sort"
	"strings"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/util/validation"
)

// ReasonInvalidEnvironmentVariableNames is the event reason the kubelet used
// for envFrom keys it skipped.
const ReasonInvalidEnvironmentVariableNames = "InvalidEnvironmentVariableNames"

// Result is a container's resolved environment.
type Result struct {
	// Env holds every variable once, sorted by name.
	Env []corev1.EnvVar
	// Skipped lists envFrom keys that were left out because they cannot be
	// environment variable names; the agent reports each as a warning event.
	Skipped []SkippedKeys
}

// Strings returns Env as NAME=value strings, the form a process sees.
func (r Result) Strings() []string {
	out := make([]string, len(r.Env))
	for i, e := range r.Env {
		out[i] = e.Name + "=" + e.Value
	}
	return out
}

// SkippedKeys names the keys of one envFrom source that were skipped.
type SkippedKeys struct {
	// Kind is "configMap" or "secret".
	Kind      string
	Namespace string
	Name      string
	Keys      []string
}

// Message is the text of the event reporting the skipped keys (the kubelet's).
func (s SkippedKeys) Message() string {
	return fmt.Sprintf("Keys [%s] from the EnvFrom %s %s/%s were skipped since they are considered invalid environment variable names.",
		strings.Join(s.Keys, ", "), s.Kind, s.Namespace, s.Name)
}

// Resolve computes the environment of container c of pod as the kubelet does:
// envFrom sources first (later sources override earlier ones), then env in
// order, each value expanded against what is defined so far and the service
// variables, and last the service variables not otherwise defined. A missing
// optional config map, secret or key leaves its variables out; a missing
// required one is an error with the kubelet's text. An unset
// pod.spec.enableServiceLinks counts as true, its API default.
func Resolve(ctx context.Context, getter Getter, pod *corev1.Pod, c *corev1.Container, info PodInfo) (Result, error) {
	var result Result
	links := pod.Spec.EnableServiceLinks == nil || *pod.Spec.EnableServiceLinks
	svcEnv, err := serviceEnv(ctx, getter, pod.Namespace, links)
	if err != nil {
		return result, err
	}

	// Each object is read once per call, so every reference to it sees the same
	// version.
	configMaps := map[string]*corev1.ConfigMap{}
	secrets := map[string]*corev1.Secret{}
	configMap := func(name string) (*corev1.ConfigMap, error) {
		if cm, ok := configMaps[name]; ok {
			return cm, nil
		}
		cm, err := getter.ConfigMap(ctx, pod.Namespace, name)
		if err != nil {
			return nil, err
		}
		configMaps[name] = cm
		return cm, nil
	}
	secret := func(name string) (*corev1.Secret, error) {
		if s, ok := secrets[name]; ok {
			return s, nil
		}
		s, err := getter.Secret(ctx, pod.Namespace, name)
		if err != nil {
			return nil, err
		}
		secrets[name] = s
		return s, nil
	}

	env := map[string]string{}
	for _, from := range c.EnvFrom {
		var (
			data    map[string]string
			skipped = SkippedKeys{Namespace: pod.Namespace}
		)
		switch {
		case from.ConfigMapRef != nil:
			ref := from.ConfigMapRef
			cm, err := configMap(ref.Name)
			if err != nil {
				if apierrors.IsNotFound(err) && isTrue(ref.Optional) {
					continue
				}
				return result, err
			}
			data = cm.Data
			skipped.Kind, skipped.Name = "configMap", ref.Name
		case from.SecretRef != nil:
			ref := from.SecretRef
			s, err := secret(ref.Name)
			if err != nil {
				if apierrors.IsNotFound(err) && isTrue(ref.Optional) {
					continue
				}
				return result, err
			}
			data = make(map[string]string, len(s.Data))
			for k, v := range s.Data {
				data[k] = string(v)
			}
			skipped.Kind, skipped.Name = "secret", ref.Name
		default:
			continue
		}
		for k, v := range data {
			k = from.Prefix + k
			// The API's own validation makes every key with its prefix a valid
			// (relaxed) name; the check keeps a key with "=" from corrupting
			// NAME=value should an object ever get past it.
			if errs := validation.IsRelaxedEnvVarName(k); len(errs) != 0 {
				skipped.Keys = append(skipped.Keys, k)
				continue
			}
			env[k] = v
		}
		if len(skipped.Keys) > 0 {
			sort.Strings(skipped.Keys)
			result.Skipped = append(result.Skipped, skipped)
		}
	}

	mapping := mappingFor(env, svcEnv)
	for _, ev := range c.Env {
		value := ev.Value
		switch {
		case value != "":
			value = Expand(value, mapping)
		case ev.ValueFrom == nil:
		case ev.ValueFrom.FieldRef != nil:
			ref := ev.ValueFrom.FieldRef
			if value, err = PodFieldValue(pod, ref.APIVersion, ref.FieldPath, info); err != nil {
				return result, err
			}
		case ev.ValueFrom.ResourceFieldRef != nil:
			alloc := PodLevelAllocatable(pod, info.NodeAllocatable)
			if value, err = ContainerResourceValue(ev.ValueFrom.ResourceFieldRef, pod, c, alloc); err != nil {
				return result, err
			}
		case ev.ValueFrom.ConfigMapKeyRef != nil:
			ref := ev.ValueFrom.ConfigMapKeyRef
			cm, err := configMap(ref.Name)
			if err != nil {
				if apierrors.IsNotFound(err) && isTrue(ref.Optional) {
					continue
				}
				return result, err
			}
			v, ok := cm.Data[ref.Key]
			if !ok {
				if isTrue(ref.Optional) {
					continue
				}
				return result, fmt.Errorf("couldn't find key %v in ConfigMap %v/%v", ref.Key, pod.Namespace, ref.Name)
			}
			value = v
		case ev.ValueFrom.SecretKeyRef != nil:
			ref := ev.ValueFrom.SecretKeyRef
			s, err := secret(ref.Name)
			if err != nil {
				if apierrors.IsNotFound(err) && isTrue(ref.Optional) {
					continue
				}
				return result, err
			}
			v, ok := s.Data[ref.Key]
			if !ok {
				if isTrue(ref.Optional) {
					continue
				}
				return result, fmt.Errorf("couldn't find key %v in Secret %v/%v", ref.Key, pod.Namespace, ref.Name)
			}
			value = string(v)
		case ev.ValueFrom.FileKeyRef != nil:
			// The EnvFiles feature is alpha and off upstream too.
			return result, fmt.Errorf("env var %s: fileKeyRef is not supported", ev.Name)
		}
		env[ev.Name] = value
	}

	result.Env = make([]corev1.EnvVar, 0, len(env)+len(svcEnv))
	for k, v := range env {
		result.Env = append(result.Env, corev1.EnvVar{Name: k, Value: v})
	}
	for k, v := range svcEnv {
		if _, ok := env[k]; !ok {
			result.Env = append(result.Env, corev1.EnvVar{Name: k, Value: v})
		}
	}
	sort.Slice(result.Env, func(i, j int) bool { return result.Env[i].Name < result.Env[j].Name })
	return result, nil
}

func isTrue(b *bool) bool { return b != nil && *b }

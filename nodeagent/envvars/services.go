package envvars

import (
	"context"
	"fmt"
	"net"
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// masterService is the service every pod gets variables for, whatever its
// enableServiceLinks says: the API server's, in the default namespace.
const masterService = "kubernetes"

// serviceEnv returns the service variables a pod in namespace gets: the
// services of its own namespace when enableServiceLinks is true, and the
// kubernetes service of the default namespace always. A namespace's own service
// named kubernetes wins over the default one, as in the kubelet.
func serviceEnv(ctx context.Context, getter Getter, namespace string, enableServiceLinks bool) (map[string]string, error) {
	byName := map[string]*corev1.Service{}
	defaults, err := getter.Services(ctx, metav1.NamespaceDefault)
	if err != nil {
		return nil, fmt.Errorf("list services when setting up env vars: %w", err)
	}
	for _, svc := range defaults {
		if svc.Name == masterService && isServiceIPSet(svc) {
			byName[svc.Name] = svc
		}
	}
	if enableServiceLinks {
		own := defaults
		if namespace != metav1.NamespaceDefault {
			if own, err = getter.Services(ctx, namespace); err != nil {
				return nil, fmt.Errorf("list services when setting up env vars: %w", err)
			}
		}
		for _, svc := range own {
			if isServiceIPSet(svc) {
				byName[svc.Name] = svc
			}
		}
	}
	env := map[string]string{}
	for _, svc := range byName {
		for _, e := range FromService(svc) {
			env[e.Name] = e.Value
		}
	}
	return env, nil
}

func isServiceIPSet(svc *corev1.Service) bool {
	return svc.Spec.ClusterIP != "" && svc.Spec.ClusterIP != corev1.ClusterIPNone
}

// FromService returns the Docker-link style variables for one service:
// FOO_SERVICE_HOST, FOO_SERVICE_PORT, FOO_SERVICE_PORT_<NAME> for named ports,
// FOO_PORT, and FOO_PORT_<port>_<PROTO>{,_PROTO,_PORT,_ADDR} for each port.
// A headless service or one without ports gets none.
func FromService(svc *corev1.Service) []corev1.EnvVar {
	if !isServiceIPSet(svc) || len(svc.Spec.Ports) == 0 {
		return nil
	}
	prefix := envName(svc.Name)
	ip := svc.Spec.ClusterIP
	out := []corev1.EnvVar{
		{Name: prefix + "_SERVICE_HOST", Value: ip},
		{Name: prefix + "_SERVICE_PORT", Value: strconv.Itoa(int(svc.Spec.Ports[0].Port))},
	}
	for _, sp := range svc.Spec.Ports {
		if sp.Name != "" {
			out = append(out, corev1.EnvVar{Name: prefix + "_SERVICE_PORT_" + envName(sp.Name), Value: strconv.Itoa(int(sp.Port))})
		}
	}
	for i, sp := range svc.Spec.Ports {
		proto := string(corev1.ProtocolTCP)
		if sp.Protocol != "" {
			proto = string(sp.Protocol)
		}
		url := strings.ToLower(proto) + "://" + net.JoinHostPort(ip, strconv.Itoa(int(sp.Port)))
		if i == 0 {
			out = append(out, corev1.EnvVar{Name: prefix + "_PORT", Value: url})
		}
		portPrefix := fmt.Sprintf("%s_PORT_%d_%s", prefix, sp.Port, strings.ToUpper(proto))
		out = append(out,
			corev1.EnvVar{Name: portPrefix, Value: url},
			corev1.EnvVar{Name: portPrefix + "_PROTO", Value: strings.ToLower(proto)},
			corev1.EnvVar{Name: portPrefix + "_PORT", Value: strconv.Itoa(int(sp.Port))},
			corev1.EnvVar{Name: portPrefix + "_ADDR", Value: ip},
		)
	}
	return out
}

func envName(s string) string {
	return strings.ToUpper(strings.ReplaceAll(s, "-", "_"))
}

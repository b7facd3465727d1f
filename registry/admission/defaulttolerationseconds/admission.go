package defaulttolerationseconds

import (
	"context"
	"fmt"
	"io"

	"github.com/spf13/pflag"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apiserver/pkg/admission"
)

// PluginName is upstream's.
const PluginName = "DefaultTolerationSeconds"

// DefaultSeconds is upstream's default for both tolerations.
const DefaultSeconds int64 = 300

// Config holds the tolerations' seconds.
type Config struct {
	NotReadySeconds    int64
	UnreachableSeconds int64
}

// NewConfig returns upstream's defaults.
func NewConfig() Config {
	return Config{NotReadySeconds: DefaultSeconds, UnreachableSeconds: DefaultSeconds}
}

// AddFlags adds upstream's flags for c.
func (c *Config) AddFlags(fs *pflag.FlagSet) {
	fs.Int64Var(&c.NotReadySeconds, "default-not-ready-toleration-seconds", c.NotReadySeconds,
		"Indicates the tolerationSeconds of the toleration for notReady:NoExecute that is added by default to every pod that does not already have such a toleration.")
	fs.Int64Var(&c.UnreachableSeconds, "default-unreachable-toleration-seconds", c.UnreachableSeconds,
		"Indicates the tolerationSeconds of the toleration for unreachable:NoExecute that is added by default to every pod that does not already have such a toleration.")
}

// Register adds the plugin with the default seconds to plugins.
func Register(plugins *admission.Plugins) { RegisterWith(plugins, NewConfig()) }

// RegisterWith adds the plugin with c's seconds to plugins.
func RegisterWith(plugins *admission.Plugins, c Config) {
	plugins.Register(PluginName, func(io.Reader) (admission.Interface, error) { return New(c), nil })
}

// Plugin adds the default tolerations.
type Plugin struct {
	*admission.Handler
	notReady, unreachable corev1.Toleration
}

var _ admission.MutationInterface = &Plugin{}

// New returns the plugin with c's seconds.
func New(c Config) *Plugin {
	notReady, unreachable := c.NotReadySeconds, c.UnreachableSeconds
	return &Plugin{
		Handler: admission.NewHandler(admission.Create, admission.Update),
		notReady: corev1.Toleration{Key: corev1.TaintNodeNotReady, Operator: corev1.TolerationOpExists,
			Effect: corev1.TaintEffectNoExecute, TolerationSeconds: &notReady},
		unreachable: corev1.Toleration{Key: corev1.TaintNodeUnreachable, Operator: corev1.TolerationOpExists,
			Effect: corev1.TaintEffectNoExecute, TolerationSeconds: &unreachable},
	}
}

var podResource = corev1.Resource("pods")

// Admit adds the tolerations a pod lacks. On updates too, as upstream:
// validation refuses changes to tolerations other than additions, and a
// client replacing a pod need not repeat what admission gave it.
func (p *Plugin) Admit(_ context.Context, a admission.Attributes, _ admission.ObjectInterfaces) error {
	if a.GetResource().GroupResource() != podResource || a.GetSubresource() != "" {
		return nil
	}
	pod, ok := a.GetObject().(*corev1.Pod)
	if !ok {
		return apierrors.NewBadRequest(fmt.Sprintf("expected *v1.Pod but got %T", a.GetObject()))
	}
	var notReady, unreachable bool
	for _, t := range pod.Spec.Tolerations {
		if t.Effect != corev1.TaintEffectNoExecute && t.Effect != "" {
			continue
		}
		notReady = notReady || t.Key == corev1.TaintNodeNotReady || t.Key == ""
		unreachable = unreachable || t.Key == corev1.TaintNodeUnreachable || t.Key == ""
	}
	if !notReady {
		pod.Spec.Tolerations = append(pod.Spec.Tolerations, copyToleration(p.notReady))
	}
	if !unreachable {
		pod.Spec.Tolerations = append(pod.Spec.Tolerations, copyToleration(p.unreachable))
	}
	return nil
}

// copyToleration keeps pods from sharing the plugin's seconds pointer.
func copyToleration(t corev1.Toleration) corev1.Toleration {
	s := *t.TolerationSeconds
	t.TolerationSeconds = &s
	return t
}

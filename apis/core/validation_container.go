package core

import (
	"fmt"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	apimachineryvalidation "k8s.io/apimachinery/pkg/api/validation"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/apimachinery/pkg/util/sets"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// Containers of a pod spec.

// containerContext is what container validation needs from the pod spec.
type containerContext struct {
	volumes       map[string]corev1.VolumeSource
	podClaimNames sets.Set[string]
	gracePeriod   *int64
	os            *corev1.PodOS
	restartPolicy corev1.RestartPolicy
	hostUsers     bool
}

func (cc containerContext) validateContainers(containers []corev1.Container, fldPath *field.Path) field.ErrorList {
	if len(containers) == 0 {
		return field.ErrorList{field.Required(fldPath, "")}
	}
	var allErrs field.ErrorList
	names := sets.New[string]()
	for i := range containers {
		c := &containers[i]
		p := fldPath.Index(i)
		allErrs = append(allErrs, cc.validateContainerCommon(c, p)...)
		// Collisions with init container names are reported there.
		if names.Has(c.Name) {
			allErrs = append(allErrs, field.Duplicate(p.Child("name"), c.Name))
		} else {
			names.Insert(c.Name)
		}
		allErrs = append(allErrs, cc.validateLifecycleAndProbes(c, p)...)
		allErrs = append(allErrs, validateContainerRestartPolicy(c.RestartPolicy, c.RestartPolicyRules, p)...)
	}
	// Regular containers run together, so their host ports may not collide.
	return append(allErrs, checkHostPortConflicts(containers, fldPath)...)
}

func (cc containerContext) validateInitContainers(containers, regular []corev1.Container, fldPath *field.Path) field.ErrorList {
	var allErrs field.ErrorList
	names := sets.New[string]()
	for _, c := range regular {
		names.Insert(c.Name)
	}
	const notSidecar = "may not be set for init containers without restartPolicy=Always"
	for i := range containers {
		c := &containers[i]
		p := fldPath.Index(i)
		allErrs = append(allErrs, cc.validateContainerCommon(c, p)...)
		allErrs = append(allErrs, validateInitContainerRestartPolicy(c.RestartPolicy, c.RestartPolicyRules, p)...)
		sidecar := c.RestartPolicy != nil && *c.RestartPolicy == corev1.ContainerRestartPolicyAlways
		if names.Has(c.Name) {
			allErrs = append(allErrs, field.Duplicate(p.Child("name"), c.Name))
		} else if c.Name != "" {
			names.Insert(c.Name)
		}
		// Init containers run one by one: check each on its own.
		allErrs = append(allErrs, checkHostPortConflicts([]corev1.Container{*c}, fldPath)...)
		if sidecar {
			allErrs = append(allErrs, cc.validateLifecycleAndProbes(c, p)...)
		} else {
			if c.Lifecycle != nil {
				allErrs = append(allErrs, field.Forbidden(p.Child("lifecycle"), notSidecar))
			}
			if c.LivenessProbe != nil {
				allErrs = append(allErrs, field.Forbidden(p.Child("livenessProbe"), notSidecar))
			}
			if c.ReadinessProbe != nil {
				allErrs = append(allErrs, field.Forbidden(p.Child("readinessProbe"), notSidecar))
			}
			if c.StartupProbe != nil {
				allErrs = append(allErrs, field.Forbidden(p.Child("startupProbe"), notSidecar))
			}
			for j, rp := range c.ResizePolicy {
				if rp.RestartPolicy == corev1.RestartContainer {
					allErrs = append(allErrs, field.Invalid(p.Child("resizePolicy").Index(j).Child("restartPolicy"), rp.RestartPolicy,
						"must not be set to 'RestartContainer' for non-sidecar initContainers"))
				}
			}
		}
	}
	return allErrs
}

// validateContainerCommon applies to every kind of container: name, image,
// termination message policy, ports, env, mounts, pull policy, resources,
// resize policy and security context.
func (cc containerContext) validateContainerCommon(c *corev1.Container, p *field.Path) field.ErrorList {
	var allErrs field.ErrorList
	if c.Name == "" {
		allErrs = append(allErrs, field.Required(p.Child("name"), ""))
	} else {
		allErrs = append(allErrs, ValidateDNS1123Label(c.Name, p.Child("name"))...)
	}
	// Whitespace is only rejected on pods (see validateImageWhitespace).
	if c.Image == "" {
		allErrs = append(allErrs, field.Required(p.Child("image"), ""))
	}
	allErrs = append(allErrs, validateEnum(c.TerminationMessagePolicy, p.Child("terminationMessagePolicy"),
		corev1.TerminationMessageReadFile, corev1.TerminationMessageFallbackToLogsOnError)...)
	mounts := map[string]string{}
	for _, m := range c.VolumeMounts {
		mounts[m.Name] = m.MountPath
	}
	devices := map[string]string{}
	for _, d := range c.VolumeDevices {
		devices[d.Name] = d.DevicePath
	}
	allErrs = append(allErrs, validateContainerPorts(c.Ports, p.Child("ports"))...)
	allErrs = append(allErrs, validateEnv(c.Env, p.Child("env"))...)
	allErrs = append(allErrs, validateEnvFrom(c.EnvFrom, p.Child("envFrom"))...)
	allErrs = append(allErrs, cc.validateVolumeMounts(c, devices, p.Child("volumeMounts"))...)
	allErrs = append(allErrs, cc.validateVolumeDevices(c.VolumeDevices, mounts, p.Child("volumeDevices"))...)
	allErrs = append(allErrs, validateEnum(c.ImagePullPolicy, p.Child("imagePullPolicy"), corev1.PullAlways, corev1.PullIfNotPresent, corev1.PullNever)...)
	allErrs = append(allErrs, validateResourceRequirements(&c.Resources, validateContainerResourceName, cc.podClaimNames, p.Child("resources"))...)
	allErrs = append(allErrs, validateResizePolicy(c.ResizePolicy, p.Child("resizePolicy"), cc.restartPolicy)...)
	return append(allErrs, validateSecurityContext(c.SecurityContext, p.Child("securityContext"), cc.hostUsers)...)
}

func (cc containerContext) validateLifecycleAndProbes(c *corev1.Container, p *field.Path) field.ErrorList {
	var allErrs field.ErrorList
	if c.Lifecycle != nil {
		allErrs = append(allErrs, cc.validateLifecycle(c.Lifecycle, p.Child("lifecycle"))...)
	}
	if pr := c.LivenessProbe; pr != nil {
		allErrs = append(allErrs, cc.validateProbe(pr, p.Child("livenessProbe"))...)
		if pr.SuccessThreshold != 1 {
			allErrs = append(allErrs, field.Invalid(p.Child("livenessProbe", "successThreshold"), pr.SuccessThreshold, "must be 1"))
		}
	}
	if pr := c.ReadinessProbe; pr != nil {
		allErrs = append(allErrs, cc.validateProbe(pr, p.Child("readinessProbe"))...)
		if pr.TerminationGracePeriodSeconds != nil {
			allErrs = append(allErrs, field.Invalid(p.Child("readinessProbe", "terminationGracePeriodSeconds"), pr.TerminationGracePeriodSeconds, "must not be set for readinessProbes"))
		}
	}
	if pr := c.StartupProbe; pr != nil {
		allErrs = append(allErrs, cc.validateProbe(pr, p.Child("startupProbe"))...)
		if pr.SuccessThreshold != 1 {
			allErrs = append(allErrs, field.Invalid(p.Child("startupProbe", "successThreshold"), pr.SuccessThreshold, "must be 1"))
		}
	}
	return allErrs
}

func (cc containerContext) validateProbe(pr *corev1.Probe, p *field.Path) field.ErrorList {
	h := pr.ProbeHandler
	allErrs := cc.validateHandler(handler{exec: h.Exec, httpGet: h.HTTPGet, tcpSocket: h.TCPSocket, grpc: h.GRPC}, p)
	allErrs = append(allErrs, ValidateNonnegativeField(int64(pr.InitialDelaySeconds), p.Child("initialDelaySeconds"))...)
	allErrs = append(allErrs, ValidateNonnegativeField(int64(pr.TimeoutSeconds), p.Child("timeoutSeconds"))...)
	allErrs = append(allErrs, ValidateNonnegativeField(int64(pr.PeriodSeconds), p.Child("periodSeconds"))...)
	allErrs = append(allErrs, ValidateNonnegativeField(int64(pr.SuccessThreshold), p.Child("successThreshold"))...)
	allErrs = append(allErrs, ValidateNonnegativeField(int64(pr.FailureThreshold), p.Child("failureThreshold"))...)
	if g := pr.TerminationGracePeriodSeconds; g != nil && *g <= 0 {
		allErrs = append(allErrs, field.Invalid(p.Child("terminationGracePeriodSeconds"), *g, "must be greater than 0"))
	}
	return allErrs
}

// handler is the union of probe and lifecycle handlers.
type handler struct {
	exec      *corev1.ExecAction
	httpGet   *corev1.HTTPGetAction
	tcpSocket *corev1.TCPSocketAction
	grpc      *corev1.GRPCAction
	sleep     *corev1.SleepAction
}

// validateHandler requires exactly one action; later ones are reported as
// Forbidden and not validated, as upstream does.
func (cc containerContext) validateHandler(h handler, p *field.Path) field.ErrorList {
	var allErrs field.ErrorList
	n := 0
	one := func(set bool, name string, validate func(*field.Path) field.ErrorList) {
		if !set {
			return
		}
		if n > 0 {
			allErrs = append(allErrs, field.Forbidden(p.Child(name), "may not specify more than 1 handler type"))
			return
		}
		n++
		allErrs = append(allErrs, validate(p.Child(name))...)
	}
	one(h.exec != nil, "exec", func(p *field.Path) field.ErrorList {
		if len(h.exec.Command) == 0 {
			return field.ErrorList{field.Required(p.Child("command"), "")}
		}
		return nil
	})
	one(h.httpGet != nil, "httpGet", func(p *field.Path) field.ErrorList { return validateHTTPGetAction(h.httpGet, p) })
	one(h.tcpSocket != nil, "tcpSocket", func(p *field.Path) field.ErrorList {
		return ValidatePortNumOrName(h.tcpSocket.Port, p.Child("port"))
	})
	one(h.grpc != nil, "grpc", func(p *field.Path) field.ErrorList {
		errs := ValidatePortNumOrName(intstr.FromInt32(h.grpc.Port), p.Child("port"))
		if m := h.grpc.Mode; m != nil && *m != corev1.GRPCProbeModePlaintext && *m != corev1.GRPCProbeModeTLS {
			errs = append(errs, field.NotSupported(p.Child("mode"), *m, []corev1.GRPCProbeMode{corev1.GRPCProbeModePlaintext, corev1.GRPCProbeModeTLS}))
		}
		return errs
	})
	one(h.sleep != nil, "sleep", func(p *field.Path) field.ErrorList {
		// An invalid grace period is reported elsewhere.
		if g := cc.gracePeriod; g != nil && (h.sleep.Seconds < 0 || h.sleep.Seconds > *g) {
			return field.ErrorList{field.Invalid(p, h.sleep.Seconds, fmt.Sprintf("must be non-negative and less than terminationGracePeriodSeconds (%d)", *g))}
		}
		return nil
	})
	if n == 0 {
		allErrs = append(allErrs, field.Required(p, "must specify a handler type"))
	}
	return allErrs
}

func validateHTTPGetAction(h *corev1.HTTPGetAction, p *field.Path) field.ErrorList {
	var allErrs field.ErrorList
	if h.Path == "" {
		allErrs = append(allErrs, field.Required(p.Child("path"), ""))
	}
	allErrs = append(allErrs, ValidatePortNumOrName(h.Port, p.Child("port"))...)
	if h.Scheme != corev1.URISchemeHTTP && h.Scheme != corev1.URISchemeHTTPS {
		allErrs = append(allErrs, field.NotSupported(p.Child("scheme"), h.Scheme, []corev1.URIScheme{corev1.URISchemeHTTP, corev1.URISchemeHTTPS}))
	}
	for _, header := range h.HTTPHeaders {
		allErrs = append(allErrs, messages(p.Child("httpHeaders"), header.Name, validation.IsHTTPHeaderName(header.Name))...)
	}
	if proto := h.Protocol; proto != nil {
		switch {
		case *proto != corev1.HTTPProtocolHTTP1 && *proto != corev1.HTTPProtocolHTTP2:
			allErrs = append(allErrs, field.NotSupported(p.Child("protocol"), *proto, []corev1.HTTPProtocol{corev1.HTTPProtocolHTTP1, corev1.HTTPProtocolHTTP2}))
		case *proto == corev1.HTTPProtocolHTTP2 && h.Scheme != corev1.URISchemeHTTP:
			allErrs = append(allErrs, field.Invalid(p.Child("protocol"), *proto, "is only supported with HTTP (H2C)"))
		case *proto == corev1.HTTPProtocolHTTP2 && h.Host != "":
			allErrs = append(allErrs, field.Invalid(p.Child("host"), h.Host, "must be empty when `protocol` is \"HTTP2\""))
		}
	}
	return allErrs
}

var linuxStopSignals = sets.New(
	corev1.SIGABRT, corev1.SIGALRM, corev1.SIGBUS, corev1.SIGCHLD, corev1.SIGCLD, corev1.SIGCONT, corev1.SIGFPE, corev1.SIGHUP,
	corev1.SIGILL, corev1.SIGINT, corev1.SIGIO, corev1.SIGIOT, corev1.SIGKILL, corev1.SIGPIPE, corev1.SIGPOLL, corev1.SIGPROF,
	corev1.SIGPWR, corev1.SIGQUIT, corev1.SIGSEGV, corev1.SIGSTKFLT, corev1.SIGSTOP, corev1.SIGSYS, corev1.SIGTERM, corev1.SIGTRAP,
	corev1.SIGTSTP, corev1.SIGTTIN, corev1.SIGTTOU, corev1.SIGURG, corev1.SIGUSR1, corev1.SIGUSR2, corev1.SIGVTALRM, corev1.SIGWINCH,
	corev1.SIGXCPU, corev1.SIGXFSZ, corev1.SIGRTMIN, corev1.SIGRTMINPLUS1, corev1.SIGRTMINPLUS2, corev1.SIGRTMINPLUS3, corev1.SIGRTMINPLUS4,
	corev1.SIGRTMINPLUS5, corev1.SIGRTMINPLUS6, corev1.SIGRTMINPLUS7, corev1.SIGRTMINPLUS8, corev1.SIGRTMINPLUS9, corev1.SIGRTMINPLUS10,
	corev1.SIGRTMINPLUS11, corev1.SIGRTMINPLUS12, corev1.SIGRTMINPLUS13, corev1.SIGRTMINPLUS14, corev1.SIGRTMINPLUS15, corev1.SIGRTMAXMINUS14,
	corev1.SIGRTMAXMINUS13, corev1.SIGRTMAXMINUS12, corev1.SIGRTMAXMINUS11, corev1.SIGRTMAXMINUS10, corev1.SIGRTMAXMINUS9, corev1.SIGRTMAXMINUS8,
	corev1.SIGRTMAXMINUS7, corev1.SIGRTMAXMINUS6, corev1.SIGRTMAXMINUS5, corev1.SIGRTMAXMINUS4, corev1.SIGRTMAXMINUS3, corev1.SIGRTMAXMINUS2,
	corev1.SIGRTMAXMINUS1, corev1.SIGRTMAX)

var windowsStopSignals = sets.New(corev1.SIGKILL, corev1.SIGTERM)

func (cc containerContext) validateLifecycle(l *corev1.Lifecycle, p *field.Path) field.ErrorList {
	var allErrs field.ErrorList
	if h := l.PostStart; h != nil {
		allErrs = append(allErrs, cc.validateHandler(handler{exec: h.Exec, httpGet: h.HTTPGet, tcpSocket: h.TCPSocket, sleep: h.Sleep}, p.Child("postStart"))...)
	}
	if h := l.PreStop; h != nil {
		allErrs = append(allErrs, cc.validateHandler(handler{exec: h.Exec, httpGet: h.HTTPGet, tcpSocket: h.TCPSocket, sleep: h.Sleep}, p.Child("preStop"))...)
	}
	if s := l.StopSignal; s != nil {
		sp := p.Child("stopSignal")
		// The valid signals depend on the OS, so it must be known.
		switch {
		case cc.os == nil:
			allErrs = append(allErrs, field.Forbidden(sp, "may not be set for containers with empty `spec.os.name`"))
		case cc.os.Name == corev1.Windows && !windowsStopSignals.Has(*s):
			allErrs = append(allErrs, field.NotSupported(sp, *s, sets.List(windowsStopSignals)))
		case cc.os.Name == corev1.Linux && !linuxStopSignals.Has(*s):
			allErrs = append(allErrs, field.NotSupported(sp, *s, sets.List(linuxStopSignals)))
		}
	}
	return allErrs
}

func validateContainerPorts(ports []corev1.ContainerPort, fldPath *field.Path) field.ErrorList {
	var allErrs field.ErrorList
	names := sets.New[string]()
	for i, port := range ports {
		p := fldPath.Index(i)
		if port.Name != "" {
			if msgs := validation.IsValidPortName(port.Name); len(msgs) != 0 {
				allErrs = append(allErrs, messages(p.Child("name"), port.Name, msgs)...)
			} else if names.Has(port.Name) {
				allErrs = append(allErrs, field.Duplicate(p.Child("name"), port.Name))
			} else {
				names.Insert(port.Name)
			}
		}
		if port.ContainerPort == 0 {
			allErrs = append(allErrs, field.Required(p.Child("containerPort"), ""))
		} else {
			allErrs = append(allErrs, messages(p.Child("containerPort"), port.ContainerPort, validation.IsValidPortNum(int(port.ContainerPort)))...)
		}
		if port.HostPort != 0 {
			allErrs = append(allErrs, messages(p.Child("hostPort"), port.HostPort, validation.IsValidPortNum(int(port.HostPort)))...)
		}
		allErrs = append(allErrs, validateProtocol(port.Protocol, p.Child("protocol"))...)
	}
	return allErrs
}

func checkHostPortConflicts(containers []corev1.Container, fldPath *field.Path) field.ErrorList {
	var allErrs field.ErrorList
	seen := sets.New[string]()
	for i, c := range containers {
		for j, port := range c.Ports {
			if port.HostPort == 0 {
				continue
			}
			key := fmt.Sprintf("%s/%s/%d", port.Protocol, port.HostIP, port.HostPort)
			if seen.Has(key) {
				allErrs = append(allErrs, field.Duplicate(fldPath.Index(i).Child("ports").Index(j).Child("hostPort"), key))
			}
			seen.Insert(key)
		}
	}
	return allErrs
}

var validEnvDownwardAPIFieldPaths = sets.New("metadata.name", "metadata.namespace", "metadata.uid", "spec.nodeName",
	"spec.serviceAccountName", "status.hostIP", "status.hostIPs", "status.podIP", "status.podIPs")

var validVolumeDownwardAPIFieldPaths = sets.New("metadata.name", "metadata.namespace", "metadata.labels", "metadata.annotations", "metadata.uid")

var validContainerResourceFieldPaths = sets.New("limits.cpu", "limits.memory", "limits.ephemeral-storage",
	"requests.cpu", "requests.memory", "requests.ephemeral-storage")

// validateEnv uses the relaxed names of upstream's GA
// RelaxedEnvironmentVariableValidation: any printable ASCII but "=".
func validateEnv(vars []corev1.EnvVar, fldPath *field.Path) field.ErrorList {
	var allErrs field.ErrorList
	for i, ev := range vars {
		p := fldPath.Index(i)
		if ev.Name == "" {
			allErrs = append(allErrs, field.Required(p.Child("name"), ""))
		} else {
			allErrs = append(allErrs, messages(p.Child("name"), ev.Name, validation.IsRelaxedEnvVarName(ev.Name))...)
		}
		allErrs = append(allErrs, validateEnvVarValueFrom(ev, p.Child("valueFrom"))...)
	}
	return allErrs
}

func validateEnvVarValueFrom(ev corev1.EnvVar, p *field.Path) field.ErrorList {
	from := ev.ValueFrom
	if from == nil {
		return nil
	}
	var allErrs field.ErrorList
	n := 0
	if from.FieldRef != nil {
		n++
		allErrs = append(allErrs, validateObjectFieldSelector(from.FieldRef, validEnvDownwardAPIFieldPaths, p.Child("fieldRef"))...)
	}
	if from.ResourceFieldRef != nil {
		n++
		allErrs = append(allErrs, validateContainerResourceFieldSelector(from.ResourceFieldRef, p.Child("resourceFieldRef"), false)...)
	}
	if from.ConfigMapKeyRef != nil {
		n++
		allErrs = append(allErrs, validateKeySelector(from.ConfigMapKeyRef.Name, from.ConfigMapKeyRef.Key, p.Child("configMapKeyRef"))...)
	}
	if from.SecretKeyRef != nil {
		n++
		allErrs = append(allErrs, validateKeySelector(from.SecretKeyRef.Name, from.SecretKeyRef.Key, p.Child("secretKeyRef"))...)
	}
	if from.FileKeyRef != nil {
		n++
		allErrs = append(allErrs, validateFileKeySelector(from.FileKeyRef, p.Child("fileKeyRef"))...)
	}
	switch {
	case n == 0:
		allErrs = append(allErrs, field.Invalid(p, "", "must specify one of: `fieldRef`, `resourceFieldRef`, `configMapKeyRef`, `secretKeyRef` or `fileKeyRef`"))
	case ev.Value != "":
		allErrs = append(allErrs, field.Invalid(p, "", "may not be specified when `value` is not empty"))
	case n > 1:
		allErrs = append(allErrs, field.Invalid(p, "", "may not have more than one field specified at a time"))
	}
	return allErrs
}

// downwardAPIFieldLabels are the pod fields the downward API converts for
// v1; spec.host is the historical alias of spec.nodeName.
var downwardAPIFieldLabels = sets.New("metadata.annotations", "metadata.labels", "metadata.name", "metadata.namespace",
	"metadata.uid", "spec.nodeName", "spec.restartPolicy", "spec.serviceAccountName", "spec.schedulerName", "status.phase",
	"status.hostIP", "status.hostIPs", "status.podIP", "status.podIPs")

func validateObjectFieldSelector(fs *corev1.ObjectFieldSelector, valid sets.Set[string], p *field.Path) field.ErrorList {
	if fs.APIVersion == "" {
		return field.ErrorList{field.Required(p.Child("apiVersion"), "")}
	}
	if fs.FieldPath == "" {
		return field.ErrorList{field.Required(p.Child("fieldPath"), "")}
	}
	fieldPath := fs.FieldPath
	if fs.APIVersion != "v1" {
		return field.ErrorList{field.Invalid(p.Child("fieldPath"), fs.FieldPath, fmt.Sprintf("error converting fieldPath: unsupported pod version: %s", fs.APIVersion))}
	}
	path, subscript, subscripted := splitMaybeSubscriptedPath(fieldPath)
	if subscripted {
		switch path {
		case "metadata.annotations":
			return ValidateQualifiedName(strings.ToLower(subscript), p)
		case "metadata.labels":
			return ValidateQualifiedName(subscript, p)
		}
		return field.ErrorList{field.Invalid(p.Child("fieldPath"), fs.FieldPath, fmt.Sprintf("error converting fieldPath: field label does not support subscript: %s", fieldPath))}
	}
	if path == "spec.host" {
		path = "spec.nodeName"
	} else if !downwardAPIFieldLabels.Has(path) {
		return field.ErrorList{field.Invalid(p.Child("fieldPath"), fs.FieldPath, fmt.Sprintf("error converting fieldPath: field label not supported: %s", fieldPath))}
	}
	if !valid.Has(path) {
		return field.ErrorList{field.NotSupported(p.Child("fieldPath"), path, sets.List(valid))}
	}
	return nil
}

// splitMaybeSubscriptedPath splits "metadata.labels['key']" into the path
// and the key.
func splitMaybeSubscriptedPath(fieldPath string) (string, string, bool) {
	if !strings.HasSuffix(fieldPath, "']") {
		return fieldPath, "", false
	}
	path, subscript, ok := strings.Cut(strings.TrimSuffix(fieldPath, "']"), "['")
	if !ok || path == "" {
		return fieldPath, "", false
	}
	return path, subscript, true
}

var (
	cpuDivisors    = sets.New("1m", "1")
	memoryDivisors = sets.New("1", "1k", "1M", "1G", "1T", "1P", "1E", "1Ki", "1Mi", "1Gi", "1Ti", "1Pi", "1Ei")
)

func validateContainerResourceFieldSelector(fs *corev1.ResourceFieldSelector, p *field.Path, volume bool) field.ErrorList {
	var allErrs field.ErrorList
	switch {
	case volume && fs.ContainerName == "":
		allErrs = append(allErrs, field.Required(p.Child("containerName"), ""))
	case fs.Resource == "":
		allErrs = append(allErrs, field.Required(p.Child("resource"), ""))
	case !validContainerResourceFieldPaths.Has(fs.Resource) &&
		!strings.HasPrefix(fs.Resource, "requests.hugepages-") && !strings.HasPrefix(fs.Resource, "limits.hugepages-"):
		allErrs = append(allErrs, field.NotSupported(p.Child("resource"), fs.Resource, sets.List(validContainerResourceFieldPaths)))
	}
	if fs.Divisor.Cmp(resource.Quantity{}) == 0 {
		return allErrs
	}
	divisor, r := fs.Divisor.String(), fs.Resource
	const sizes = "1, 1k, 1M, 1G, 1T, 1P, 1E, 1Ki, 1Mi, 1Gi, 1Ti, 1Pi, 1Ei"
	invalid := func(msg string) { allErrs = append(allErrs, field.Invalid(p.Child("divisor"), r, msg)) }
	switch r {
	case "limits.cpu", "requests.cpu":
		if !cpuDivisors.Has(divisor) {
			invalid("only divisor's values 1m and 1 are supported with the cpu resource")
		}
	case "limits.memory", "requests.memory":
		if !memoryDivisors.Has(divisor) {
			invalid("only divisor's values " + sizes + " are supported with the memory resource")
		}
	case "limits.ephemeral-storage", "requests.ephemeral-storage":
		if !memoryDivisors.Has(divisor) {
			invalid("only divisor's values " + sizes + " are supported with the local ephemeral storage resource")
		}
	}
	if (strings.HasPrefix(r, "requests.hugepages-") || strings.HasPrefix(r, "limits.hugepages-")) && !memoryDivisors.Has(divisor) {
		invalid("only divisor's values " + sizes + " are supported with the hugepages resource")
	}
	return allErrs
}

// validateKeySelector validates a config map or secret key reference; both
// names are checked as secret names (DNS subdomains), as upstream does.
func validateKeySelector(name, key string, p *field.Path) field.ErrorList {
	allErrs := ValidateNameFunc(apimachineryvalidation.NameIsDNSSubdomain, name, p.Child("name"))
	if key == "" {
		return append(allErrs, field.Required(p.Child("key"), ""))
	}
	return append(allErrs, messages(p.Child("key"), key, validation.IsConfigMapKey(key))...)
}

func validateFileKeySelector(s *corev1.FileKeySelector, p *field.Path) field.ErrorList {
	var allErrs field.ErrorList
	if s.Key == "" {
		allErrs = append(allErrs, field.Required(p.Child("key"), ""))
	} else {
		allErrs = append(allErrs, messages(p.Child("key"), s.Key, validation.IsRelaxedEnvVarName(s.Key))...)
	}
	if s.VolumeName == "" {
		allErrs = append(allErrs, field.Required(p.Child("volumeName"), ""))
	} else {
		allErrs = append(allErrs, ValidateDNS1123Label(s.VolumeName, p.Child("volumeName"))...)
	}
	if s.Path == "" {
		allErrs = append(allErrs, field.Required(p.Child("path"), ""))
	} else {
		allErrs = append(allErrs, validatePathNoBacksteps(s.Path, p.Child("path"))...)
	}
	return allErrs
}

func validateEnvFrom(sources []corev1.EnvFromSource, fldPath *field.Path) field.ErrorList {
	var allErrs field.ErrorList
	for i, src := range sources {
		p := fldPath.Index(i)
		if src.Prefix != "" {
			allErrs = append(allErrs, messages(p.Child("prefix"), src.Prefix, validation.IsRelaxedEnvVarName(src.Prefix))...)
		}
		n := 0
		// The referenced names are prefixes of generated names upstream, so
		// a trailing dash is tolerated.
		refName := func(name string, rp *field.Path) {
			n++
			if name == "" {
				allErrs = append(allErrs, field.Required(rp.Child("name"), ""))
				return
			}
			for _, msg := range apimachineryvalidation.NameIsDNSSubdomain(name, true) {
				allErrs = append(allErrs, field.Invalid(rp.Child("name"), name, msg))
			}
		}
		if src.ConfigMapRef != nil {
			refName(src.ConfigMapRef.Name, p.Child("configMapRef"))
		}
		if src.SecretRef != nil {
			refName(src.SecretRef.Name, p.Child("secretRef"))
		}
		// Upstream reports these against the whole list.
		if n == 0 {
			allErrs = append(allErrs, field.Invalid(fldPath, "", "must specify one of: `configMapRef` or `secretRef`"))
		} else if n > 1 {
			allErrs = append(allErrs, field.Invalid(fldPath, "", "may not have more than one field specified at a time"))
		}
	}
	return allErrs
}

var supportedMountPropagations = []corev1.MountPropagationMode{corev1.MountPropagationBidirectional, corev1.MountPropagationHostToContainer, corev1.MountPropagationNone}

var supportedBindMountOptions = sets.New(string(corev1.BindMountOptionNoExec), string(corev1.BindMountOptionNoDev), string(corev1.BindMountOptionNoSUID))

func (cc containerContext) validateVolumeMounts(c *corev1.Container, devices map[string]string, fldPath *field.Path) field.ErrorList {
	var allErrs field.ErrorList
	mountPoints := sets.New[string]()
	devicePaths := sets.New[string]()
	for _, d := range devices {
		devicePaths.Insert(d)
	}
	for i, m := range c.VolumeMounts {
		p := fldPath.Index(i)
		if m.Name == "" {
			allErrs = append(allErrs, field.Required(p.Child("name"), ""))
		}
		if _, ok := cc.volumes[m.Name]; !ok {
			allErrs = append(allErrs, field.NotFound(p.Child("name"), m.Name))
		}
		if m.MountPath == "" {
			allErrs = append(allErrs, field.Required(p.Child("mountPath"), ""))
		}
		if mountPoints.Has(m.MountPath) {
			allErrs = append(allErrs, field.Invalid(p.Child("mountPath"), m.MountPath, "must be unique"))
		}
		mountPoints.Insert(m.MountPath)
		if _, ok := devices[m.Name]; ok {
			allErrs = append(allErrs, field.Invalid(p.Child("name"), m.Name, "must not already exist in volumeDevices"))
		}
		if devicePaths.Has(m.MountPath) {
			allErrs = append(allErrs, field.Invalid(p.Child("mountPath"), m.MountPath, "must not already exist as a path in volumeDevices"))
		}
		// Upstream reports subPath, propagation and read-only errors at the
		// list's path, without the index.
		if m.SubPath != "" {
			allErrs = append(allErrs, validateLocalDescendingPath(m.SubPath, fldPath.Child("subPath"))...)
		}
		if m.SubPathExpr != "" {
			if m.SubPath != "" {
				allErrs = append(allErrs, field.Invalid(p.Child("subPathExpr"), m.SubPathExpr, "subPathExpr and subPath are mutually exclusive"))
			}
			allErrs = append(allErrs, validateLocalDescendingPath(m.SubPathExpr, fldPath.Child("subPathExpr"))...)
		}
		if mp := m.MountPropagation; mp != nil {
			pp := fldPath.Child("mountPropagation")
			if *mp != corev1.MountPropagationBidirectional && *mp != corev1.MountPropagationHostToContainer && *mp != corev1.MountPropagationNone {
				allErrs = append(allErrs, field.NotSupported(pp, *mp, supportedMountPropagations))
			}
			privileged := c.SecurityContext != nil && c.SecurityContext.Privileged != nil && *c.SecurityContext.Privileged
			if *mp == corev1.MountPropagationBidirectional && !privileged {
				allErrs = append(allErrs, field.Forbidden(pp, "Bidirectional mount propagation is available only to privileged containers"))
			}
		}
		if rro := m.RecursiveReadOnly; rro != nil {
			rp := fldPath.Child("recursiveReadOnly")
			switch *rro {
			case corev1.RecursiveReadOnlyDisabled:
			case corev1.RecursiveReadOnlyEnabled, corev1.RecursiveReadOnlyIfPossible:
				if !m.ReadOnly {
					allErrs = append(allErrs, field.Forbidden(rp, "may only be specified when readOnly is true"))
				}
				if m.MountPropagation != nil && *m.MountPropagation != corev1.MountPropagationNone {
					allErrs = append(allErrs, field.Forbidden(rp, "may only be specified when mountPropagation is None or not specified"))
				}
			default:
				allErrs = append(allErrs, field.NotSupported(rp, *rro, []corev1.RecursiveReadOnlyMode{corev1.RecursiveReadOnlyDisabled, corev1.RecursiveReadOnlyEnabled, corev1.RecursiveReadOnlyIfPossible}))
			}
		}
		seen := sets.New[string]()
		for j, opt := range m.BindMountOptions {
			op := p.Child("bindMountOptions").Index(j)
			if !supportedBindMountOptions.Has(opt) {
				allErrs = append(allErrs, field.NotSupported(op, opt, sets.List(supportedBindMountOptions)))
			}
			if seen.Has(opt) {
				allErrs = append(allErrs, field.Duplicate(op, opt))
			}
			seen.Insert(opt)
		}
		if vs, ok := cc.volumes[m.Name]; ok && len(m.BindMountOptions) > 0 && vs.Image != nil {
			allErrs = append(allErrs, field.Invalid(p.Child("bindMountOptions"), m.BindMountOptions, "bindMountOptions may not be used with image volumes"))
		}
	}
	return allErrs
}

func (cc containerContext) validateVolumeDevices(devices []corev1.VolumeDevice, mounts map[string]string, fldPath *field.Path) field.ErrorList {
	var allErrs field.ErrorList
	paths, names := sets.New[string](), sets.New[string]()
	mountPaths := sets.New[string]()
	for _, mp := range mounts {
		mountPaths.Insert(mp)
	}
	for i, d := range devices {
		p := fldPath.Index(i)
		src, matched := cc.volumes[d.Name]
		if d.Name == "" {
			allErrs = append(allErrs, field.Required(p.Child("name"), ""))
		}
		if names.Has(d.Name) {
			allErrs = append(allErrs, field.Invalid(p.Child("name"), d.Name, "must be unique"))
		}
		// Block devices come from claims only.
		if matched && src.PersistentVolumeClaim == nil && src.Ephemeral == nil {
			allErrs = append(allErrs, field.Invalid(p.Child("name"), d.Name, "can only use volume source type of PersistentVolumeClaim or Ephemeral for block mode"))
		}
		if !matched {
			allErrs = append(allErrs, field.NotFound(p.Child("name"), d.Name))
		}
		if d.DevicePath == "" {
			allErrs = append(allErrs, field.Required(p.Child("devicePath"), ""))
		}
		if paths.Has(d.DevicePath) {
			allErrs = append(allErrs, field.Invalid(p.Child("devicePath"), d.DevicePath, "must be unique"))
		}
		if d.DevicePath != "" && len(validatePathNoBacksteps(d.DevicePath, p)) > 0 {
			allErrs = append(allErrs, field.Invalid(p.Child("devicePath"), d.DevicePath, "can not contain backsteps ('..')"))
		} else {
			paths.Insert(d.DevicePath)
		}
		if _, ok := mounts[d.Name]; ok {
			allErrs = append(allErrs, field.Invalid(p.Child("name"), d.Name, "must not already exist in volumeMounts"))
		}
		if mountPaths.Has(d.DevicePath) {
			allErrs = append(allErrs, field.Invalid(p.Child("devicePath"), d.DevicePath, "must not already exist as a path in volumeMounts"))
		}
		if d.Name != "" {
			names.Insert(d.Name)
		}
	}
	return allErrs
}

func validateResizePolicy(policies []corev1.ContainerResizePolicy, fldPath *field.Path, podRestartPolicy corev1.RestartPolicy) field.ErrorList {
	var allErrs field.ErrorList
	seen := sets.New[corev1.ResourceName]()
	for i, rp := range policies {
		if seen.Has(rp.ResourceName) {
			allErrs = append(allErrs, field.Duplicate(fldPath.Index(i), rp.ResourceName))
		}
		seen.Insert(rp.ResourceName)
		// Upstream reports these at the list's path.
		switch rp.ResourceName {
		case corev1.ResourceCPU, corev1.ResourceMemory:
		case "":
			allErrs = append(allErrs, field.Required(fldPath, ""))
		default:
			allErrs = append(allErrs, field.NotSupported(fldPath, rp.ResourceName, []corev1.ResourceName{corev1.ResourceCPU, corev1.ResourceMemory}))
		}
		switch rp.RestartPolicy {
		case corev1.NotRequired, corev1.RestartContainer:
		case "":
			allErrs = append(allErrs, field.Required(fldPath, ""))
		default:
			allErrs = append(allErrs, field.NotSupported(fldPath, rp.RestartPolicy, []corev1.ResourceResizeRestartPolicy{corev1.NotRequired, corev1.RestartContainer}))
		}
		if podRestartPolicy == corev1.RestartPolicyNever && rp.RestartPolicy != corev1.NotRequired {
			allErrs = append(allErrs, field.Invalid(fldPath, rp.RestartPolicy, "must be 'NotRequired' when pod `restartPolicy` is 'Never'"))
		}
	}
	return allErrs
}

var (
	supportedContainerRestartPolicies = []corev1.ContainerRestartPolicy{corev1.ContainerRestartPolicyAlways, corev1.ContainerRestartPolicyNever, corev1.ContainerRestartPolicyOnFailure}
	supportedRestartRuleActions       = []corev1.ContainerRestartRuleAction{corev1.ContainerRestartRuleActionRestart, corev1.ContainerRestartRuleActionRestartAllContainers}
	supportedRestartRuleOperators     = []corev1.ContainerRestartRuleOnExitCodesOperator{corev1.ContainerRestartRuleOnExitCodesOpIn, corev1.ContainerRestartRuleOnExitCodesOpNotIn}
)

// validateContainerRestartPolicy checks a container's restartPolicy and
// restartPolicyRules (upstream's ContainerRestartRules and
// RestartAllContainersOnContainerExits gates are on by default).
func validateContainerRestartPolicy(policy *corev1.ContainerRestartPolicy, rules []corev1.ContainerRestartRule, fldPath *field.Path) field.ErrorList {
	var allErrs field.ErrorList
	policyPath := fldPath.Child("restartPolicy")
	if policy == nil {
		if len(rules) == 0 {
			return nil
		}
		allErrs = append(allErrs, field.Required(policyPath, "must specify restartPolicy when restart rules are used"))
	} else if !slices.Contains(supportedContainerRestartPolicies, *policy) {
		allErrs = append(allErrs, field.NotSupported(policyPath, *policy, sortedStrings(supportedContainerRestartPolicies)))
	}
	rulesPath := fldPath.Child("restartPolicyRules")
	if len(rules) > 20 {
		allErrs = append(allErrs, field.TooMany(rulesPath, len(rules), 20))
	}
	for i, rule := range rules {
		p := rulesPath.Index(i)
		if !slices.Contains(supportedRestartRuleActions, rule.Action) {
			allErrs = append(allErrs, field.NotSupported(p.Child("action"), rule.Action, sortedStrings(supportedRestartRuleActions)))
		}
		if rule.ExitCodes == nil {
			allErrs = append(allErrs, field.Required(p.Child("exitCodes"), "must be specified"))
			continue
		}
		if !slices.Contains(supportedRestartRuleOperators, rule.ExitCodes.Operator) {
			allErrs = append(allErrs, field.NotSupported(p.Child("exitCodes", "operator"), rule.ExitCodes.Operator, sortedStrings(supportedRestartRuleOperators)))
		}
		if len(rule.ExitCodes.Values) > 255 {
			allErrs = append(allErrs, field.TooMany(p.Child("exitCodes", "values"), len(rule.ExitCodes.Values), 255))
		}
	}
	return allErrs
}

func validateInitContainerRestartPolicy(policy *corev1.ContainerRestartPolicy, rules []corev1.ContainerRestartRule, fldPath *field.Path) field.ErrorList {
	if policy == nil {
		if len(rules) > 0 {
			return field.ErrorList{field.Required(fldPath.Child("restartPolicy"), "must specify restartPolicy when restart rules are used")}
		}
		return nil
	}
	return validateContainerRestartPolicy(policy, rules, fldPath)
}

// sortedStrings returns list sorted, as upstream's sets.List(...) prints
// the supported values.
func sortedStrings[T ~string](list []T) []T {
	return sets.List(sets.New(list...))
}

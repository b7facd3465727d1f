package core

import (
	"net/url"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/conversion"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// This file is the query-parameter side of the pod and node subresources
// that reach a kubelet or a pod (log, exec, attach, portforward, proxy):
// upstream's generated url.Values conversions of pkg/apis/core/v1, field by
// field and with the same parsing, and the validation the API server does
// before it connects.

// addParameterConversions registers the url.Values conversions the
// server's ParameterCodec uses to decode connect and get options.
func addParameterConversions(s *runtime.Scheme) error {
	for _, c := range []struct {
		out any
		fn  conversion.ConversionFunc
	}{
		{&corev1.PodLogOptions{}, func(a, b any, _ conversion.Scope) error {
			return ConvertURLValuesToPodLogOptions(*a.(*url.Values), b.(*corev1.PodLogOptions))
		}},
		{&corev1.PodExecOptions{}, func(a, b any, _ conversion.Scope) error {
			return ConvertURLValuesToPodExecOptions(*a.(*url.Values), b.(*corev1.PodExecOptions))
		}},
		{&corev1.PodAttachOptions{}, func(a, b any, _ conversion.Scope) error {
			return ConvertURLValuesToPodAttachOptions(*a.(*url.Values), b.(*corev1.PodAttachOptions))
		}},
		{&corev1.PodPortForwardOptions{}, func(a, b any, _ conversion.Scope) error {
			return ConvertURLValuesToPodPortForwardOptions(*a.(*url.Values), b.(*corev1.PodPortForwardOptions))
		}},
		{&corev1.PodProxyOptions{}, func(a, b any, _ conversion.Scope) error {
			b.(*corev1.PodProxyOptions).Path = first(*a.(*url.Values), "path")
			return nil
		}},
		{&corev1.NodeProxyOptions{}, func(a, b any, _ conversion.Scope) error {
			b.(*corev1.NodeProxyOptions).Path = first(*a.(*url.Values), "path")
			return nil
		}},
		{&corev1.ServiceProxyOptions{}, func(a, b any, _ conversion.Scope) error {
			b.(*corev1.ServiceProxyOptions).Path = first(*a.(*url.Values), "path")
			return nil
		}},
	} {
		if err := s.AddGeneratedConversionFunc((*url.Values)(nil), c.out, c.fn); err != nil {
			return err
		}
	}
	return nil
}

// first is a parameter's first value, as runtime.Convert_Slice_string_To_string.
func first(values url.Values, key string) string {
	if v := values[key]; len(v) > 0 {
		return v[0]
	}
	return ""
}

// boolParam is runtime.Convert_Slice_string_To_bool: absent, "0" and
// "false" (any case) are false, anything else, even "", is true.
func boolParam(values url.Values, key string) bool {
	v := values[key]
	var out bool
	_ = runtime.Convert_Slice_string_To_bool(&v, &out, nil)
	return out
}

// int64Param is runtime.Convert_Slice_string_To_Pointer_int64: nil when
// absent.
func int64Param(values url.Values, key string) (*int64, error) {
	v, ok := values[key]
	if !ok || len(v) == 0 {
		return nil, nil
	}
	var out *int64
	err := runtime.Convert_Slice_string_To_Pointer_int64(&v, &out, nil)
	return out, err
}

// ConvertURLValuesToPodLogOptions decodes pods/log parameters.
func ConvertURLValuesToPodLogOptions(in url.Values, out *corev1.PodLogOptions) error {
	var err error
	out.Container = first(in, "container")
	out.Follow = boolParam(in, "follow")
	out.Previous = boolParam(in, "previous")
	if out.SinceSeconds, err = int64Param(in, "sinceSeconds"); err != nil {
		return err
	}
	out.SinceTime = nil
	if v := in["sinceTime"]; len(v) > 0 {
		if err := metav1.Convert_Slice_string_To_Pointer_v1_Time(&v, &out.SinceTime, nil); err != nil {
			return err
		}
	}
	out.Timestamps = boolParam(in, "timestamps")
	if out.TailLines, err = int64Param(in, "tailLines"); err != nil {
		return err
	}
	if out.LimitBytes, err = int64Param(in, "limitBytes"); err != nil {
		return err
	}
	out.InsecureSkipTLSVerifyBackend = boolParam(in, "insecureSkipTLSVerifyBackend")
	out.Stream = nil
	if v := in["stream"]; len(v) > 0 {
		s := v[0]
		out.Stream = &s
	}
	return nil
}

// ConvertURLValuesToPodExecOptions decodes pods/exec parameters: command
// repeats, one argument a value.
func ConvertURLValuesToPodExecOptions(in url.Values, out *corev1.PodExecOptions) error {
	out.Stdin = boolParam(in, "stdin")
	out.Stdout = boolParam(in, "stdout")
	out.Stderr = boolParam(in, "stderr")
	out.TTY = boolParam(in, "tty")
	out.Container = first(in, "container")
	out.Command = nil
	if v := in["command"]; len(v) > 0 {
		out.Command = append([]string(nil), v...)
	}
	return nil
}

// ConvertURLValuesToPodAttachOptions decodes pods/attach parameters.
func ConvertURLValuesToPodAttachOptions(in url.Values, out *corev1.PodAttachOptions) error {
	out.Stdin = boolParam(in, "stdin")
	out.Stdout = boolParam(in, "stdout")
	out.Stderr = boolParam(in, "stderr")
	out.TTY = boolParam(in, "tty")
	out.Container = first(in, "container")
	return nil
}

// ConvertURLValuesToPodPortForwardOptions decodes pods/portforward
// parameters: ports repeats or is comma-separated, each a 16-bit number.
func ConvertURLValuesToPodPortForwardOptions(in url.Values, out *corev1.PodPortForwardOptions) error {
	out.Ports = nil
	if v := in["ports"]; len(v) > 0 {
		return metav1.Convert_Slice_string_To_Slice_int32(&v, &out.Ports, nil)
	}
	return nil
}

// ValidatePodLogOptions is upstream's, with the PodLogsQuerySplitStreams
// gate off (its default): stream may not be given.
func ValidatePodLogOptions(opts *corev1.PodLogOptions) field.ErrorList {
	var errs field.ErrorList
	if opts.TailLines != nil && *opts.TailLines < 0 {
		errs = append(errs, field.Invalid(field.NewPath("tailLines"), *opts.TailLines, isNegativeErrorMsg))
	}
	if opts.LimitBytes != nil && *opts.LimitBytes < 1 {
		errs = append(errs, field.Invalid(field.NewPath("limitBytes"), *opts.LimitBytes, "must be greater than 0"))
	}
	switch {
	case opts.SinceSeconds != nil && opts.SinceTime != nil:
		errs = append(errs, field.Forbidden(field.NewPath(""), "at most one of `sinceTime` or `sinceSeconds` may be specified"))
	case opts.SinceSeconds != nil && *opts.SinceSeconds < 1:
		errs = append(errs, field.Invalid(field.NewPath("sinceSeconds"), *opts.SinceSeconds, "must be greater than 0"))
	}
	if opts.Stream != nil {
		errs = append(errs, field.Forbidden(field.NewPath("stream"), "may not be specified"))
	}
	return errs
}

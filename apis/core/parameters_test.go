package core_test

import (
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/utils/ptr"

	"github.com/kubeshim/kubeshim/apis/core"
	"github.com/kubeshim/kubeshim/apis/scheme"
)

// The conversions are tested through the server's own ParameterCodec, so a
// missing registration fails as well as a wrong field.
func TestDecodeParameters(t *testing.T) {
	since := metav1.NewTime(time.Date(2024, 5, 6, 7, 8, 9, 0, time.UTC))
	tests := []struct {
		name    string
		query   string
		into    runtime.Object
		want    runtime.Object
		wantErr string
	}{
		{
			name:  "log options, all fields",
			query: "container=c&follow=true&previous=1&sinceTime=2024-05-06T07:08:09Z&timestamps=yes&tailLines=10&limitBytes=2048&insecureSkipTLSVerifyBackend=true&stream=Stdout",
			into:  &corev1.PodLogOptions{},
			want: &corev1.PodLogOptions{Container: "c", Follow: true, Previous: true, SinceTime: &since, Timestamps: true,
				TailLines: ptr.To[int64](10), LimitBytes: ptr.To[int64](2048), InsecureSkipTLSVerifyBackend: true, Stream: ptr.To("Stdout")},
		},
		{
			name:  "log options, false spellings and sinceSeconds",
			query: "follow=false&previous=0&timestamps=FALSE&sinceSeconds=30",
			into:  &corev1.PodLogOptions{},
			want:  &corev1.PodLogOptions{SinceSeconds: ptr.To[int64](30)},
		},
		{
			name:  "an empty bool value is true, as upstream",
			query: "follow=",
			into:  &corev1.PodLogOptions{},
			want:  &corev1.PodLogOptions{Follow: true},
		},
		{
			name:    "log options, tailLines not a number",
			query:   "tailLines=ten",
			into:    &corev1.PodLogOptions{},
			wantErr: "invalid syntax",
		},
		{
			name:    "log options, bad sinceTime",
			query:   "sinceTime=yesterday",
			into:    &corev1.PodLogOptions{},
			wantErr: "cannot parse",
		},
		{
			name:  "exec options, command repeats in order",
			query: "command=sh&command=-c&command=echo+hi&stdin=true&stdout=true&stderr=true&tty=true&container=app",
			into:  &corev1.PodExecOptions{},
			want: &corev1.PodExecOptions{Stdin: true, Stdout: true, Stderr: true, TTY: true, Container: "app",
				Command: []string{"sh", "-c", "echo hi"}},
		},
		{
			name:  "exec options, kubectl's 1 spelling",
			query: "command=ls&stdout=1&stderr=1",
			into:  &corev1.PodExecOptions{},
			want:  &corev1.PodExecOptions{Stdout: true, Stderr: true, Command: []string{"ls"}},
		},
		{
			name:  "attach options",
			query: "stdin=true&stdout=true&tty=true&container=app",
			into:  &corev1.PodAttachOptions{},
			want:  &corev1.PodAttachOptions{Stdin: true, Stdout: true, TTY: true, Container: "app"},
		},
		{
			name:  "port-forward options, repeated and comma-separated",
			query: "ports=80,443&ports=8080",
			into:  &corev1.PodPortForwardOptions{},
			want:  &corev1.PodPortForwardOptions{Ports: []int32{80, 443, 8080}},
		},
		{
			name:    "port-forward options, port out of range",
			query:   "ports=70000",
			into:    &corev1.PodPortForwardOptions{},
			wantErr: "cannot convert to []int32",
		},
		{
			name:  "node proxy path",
			query: "path=/metrics/cadvisor",
			into:  &corev1.NodeProxyOptions{},
			want:  &corev1.NodeProxyOptions{Path: "/metrics/cadvisor"},
		},
		{
			name:  "pod proxy path",
			query: "path=/healthz",
			into:  &corev1.PodProxyOptions{},
			want:  &corev1.PodProxyOptions{Path: "/healthz"},
		},
		{
			name:  "service proxy path",
			query: "path=/",
			into:  &corev1.ServiceProxyOptions{},
			want:  &corev1.ServiceProxyOptions{Path: "/"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			values, err := url.ParseQuery(tt.query)
			if err != nil {
				t.Fatal(err)
			}
			err = scheme.ParameterCodec.DecodeParameters(values, corev1.SchemeGroupVersion, tt.into)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error = %v, want one containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("decode: %v", err)
			}
			if diff := cmp.Diff(tt.want, tt.into); diff != "" {
				t.Errorf("options (-want +got):\n%s", diff)
			}
		})
	}
}

// A reused options object must not keep fields the new query leaves out.
func TestDecodeParametersResetsAbsentFields(t *testing.T) {
	opts := &corev1.PodLogOptions{Container: "old", Follow: true, TailLines: ptr.To[int64](3), Stream: ptr.To("All")}
	if err := core.ConvertURLValuesToPodLogOptions(url.Values{"previous": {"true"}}, opts); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(&corev1.PodLogOptions{Previous: true}, opts); diff != "" {
		t.Errorf("options (-want +got):\n%s", diff)
	}
	exec := &corev1.PodExecOptions{Command: []string{"old"}, Stdin: true}
	if err := core.ConvertURLValuesToPodExecOptions(url.Values{"stdout": {"1"}}, exec); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(&corev1.PodExecOptions{Stdout: true}, exec); diff != "" {
		t.Errorf("options (-want +got):\n%s", diff)
	}
}

func TestValidatePodLogOptions(t *testing.T) {
	since := metav1.Now()
	tests := []struct {
		name string
		opts corev1.PodLogOptions
		want []string
	}{
		{name: "empty", opts: corev1.PodLogOptions{}},
		{name: "all valid", opts: corev1.PodLogOptions{TailLines: ptr.To[int64](0), LimitBytes: ptr.To[int64](1), SinceSeconds: ptr.To[int64](1)}},
		{name: "sinceTime alone", opts: corev1.PodLogOptions{SinceTime: &since}},
		{
			name: "negative tailLines",
			opts: corev1.PodLogOptions{TailLines: ptr.To[int64](-1)},
			want: []string{"tailLines: Invalid value: -1: must be greater than or equal to 0"},
		},
		{
			name: "zero limitBytes",
			opts: corev1.PodLogOptions{LimitBytes: ptr.To[int64](0)},
			want: []string{"limitBytes: Invalid value: 0: must be greater than 0"},
		},
		{
			name: "zero sinceSeconds",
			opts: corev1.PodLogOptions{SinceSeconds: ptr.To[int64](0)},
			want: []string{"sinceSeconds: Invalid value: 0: must be greater than 0"},
		},
		{
			name: "sinceSeconds and sinceTime",
			opts: corev1.PodLogOptions{SinceSeconds: ptr.To[int64](0), SinceTime: &since},
			want: []string{"[]: Forbidden: at most one of `sinceTime` or `sinceSeconds` may be specified"},
		},
		{
			name: "stream without the alpha gate",
			opts: corev1.PodLogOptions{Stream: ptr.To("All")},
			want: []string{"stream: Forbidden: may not be specified"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			for _, e := range core.ValidatePodLogOptions(&tt.opts) {
				got = append(got, e.Error())
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("errors (-want +got):\n%s", diff)
			}
		})
	}
}

package pod

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	genericrest "k8s.io/apiserver/pkg/registry/generic/rest"
	"k8s.io/utils/ptr"
)

func TestLogRESTGet(t *testing.T) {
	r := &LogREST{pods: testPods(), kubelets: kubelets}
	tests := []struct {
		name     string
		pod      string
		opts     corev1.PodLogOptions
		wantURL  string
		wantCode int32
	}{
		{name: "valid", pod: "single", opts: corev1.PodLogOptions{Follow: true}, wantURL: "https://10.0.0.1:10250/containerLogs/ns/single/app?follow=true"},
		{name: "unscheduled pod streams nothing", pod: "unscheduled"},
		{name: "negative tailLines is invalid", pod: "single", opts: corev1.PodLogOptions{TailLines: ptr.To[int64](-1)}, wantCode: 422},
		{name: "options are checked before the pod is read", pod: "ghost", opts: corev1.PodLogOptions{LimitBytes: ptr.To[int64](0)}, wantCode: 422},
		{name: "missing pod", pod: "ghost", wantCode: 404},
		{name: "unknown container", pod: "single", opts: corev1.PodLogOptions{Container: "x"}, wantCode: 400},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			obj, err := r.Get(context.Background(), tt.pod, &tt.opts)
			if tt.wantCode != 0 {
				status, ok := err.(apierrors.APIStatus)
				if !ok || status.Status().Code != tt.wantCode {
					t.Fatalf("error = %v, want a %d", err, tt.wantCode)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			s := obj.(*genericrest.LocationStreamer)
			got := ""
			if s.Location != nil {
				got = s.Location.String()
			}
			if diff := cmp.Diff(tt.wantURL, got); diff != "" {
				t.Errorf("location (-want +got):\n%s", diff)
			}
			if s.Flush != tt.opts.Follow || s.ContentType != "text/plain" {
				t.Errorf("flush = %v, content type = %q; want %v, text/plain", s.Flush, s.ContentType, tt.opts.Follow)
			}
		})
	}
}

package apiserver

import (
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestValidateAuthorization(t *testing.T) {
	tests := []struct {
		modes []string
		want  []string
	}{
		{modes: []string{"RBAC"}},
		{modes: []string{"AlwaysAllow"}},
		{modes: []string{"RBAC", "AlwaysAllow"}},
		{modes: nil, want: []string{"at least one authorization-mode must be passed"}},
		{modes: []string{"Node", "RBAC"}},
		{modes: []string{"Webhook", "RBAC"}, want: []string{`authorization-mode "Webhook" is not a valid mode (valid: AlwaysAllow, Node, RBAC)`}},
		{modes: []string{"rbac"}, want: []string{`authorization-mode "rbac" is not a valid mode (valid: AlwaysAllow, Node, RBAC)`}},
		{modes: []string{"RBAC", "RBAC"}, want: []string{`authorization-mode ["RBAC" "RBAC"] has mode specified more than once`}},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprint(tt.modes), func(t *testing.T) {
			o := NewOptions()
			o.AuthorizationModes = tt.modes
			var got []string
			for _, err := range o.validateAuthorization() {
				got = append(got, err.Error())
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("validateAuthorization (-want +got):\n%s", diff)
			}
		})
	}
}

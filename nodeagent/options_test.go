package nodeagent

import (
	"path/filepath"
	"strings"
	"testing"
)

// TestValidateUnsafeSysctls: the flag is checked before the agent starts
// (New builds the allowlist), with the flag's name in the error.
func TestValidateUnsafeSysctls(t *testing.T) {
	for _, tc := range []struct {
		name    string
		unsafe  []string
		wantErr string
	}{
		// The pause binary is missing: validation got past the sysctls.
		{name: "namespaced", unsafe: []string{"net.core.somaxconn", "kernel.msg*"}, wantErr: "pause binary: "},
		{name: "node's own", unsafe: []string{"vm.swappiness"},
			wantErr: `--allowed-unsafe-sysctls: the sysctls "vm.swappiness" are not known to be namespaced`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o := Options{Kubeconfig: "kubeconfig", AllowedUnsafeSysctls: tc.unsafe, PauseBinary: filepath.Join(t.TempDir(), "none")}
			if err := o.Validate(); err == nil || !strings.HasPrefix(err.Error(), tc.wantErr) {
				t.Errorf("Validate: err = %v, want it to start with %q", err, tc.wantErr)
			}
		})
	}
}

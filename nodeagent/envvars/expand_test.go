package envvars

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestExpand(t *testing.T) {
	vars := map[string]string{"VAR_A": "A", "VAR_B": "B", "EMPTY": "", "NESTED": "$(VAR_A)"}
	tests := []struct {
		name, in, want string
	}{
		{"no references", "plain", "plain"},
		{"whole", "$(VAR_A)", "A"},
		{"embedded", "x-$(VAR_A)-$(VAR_B)-y", "x-A-B-y"},
		{"adjacent", "$(VAR_A)$(VAR_B)", "AB"},
		{"empty value", "[$(EMPTY)]", "[]"},
		{"undefined stays literal", "$(UNDEFINED)", "$(UNDEFINED)"},
		{"escaped", "$$(VAR_A)", "$(VAR_A)"},
		{"double escape", "$$$$(VAR_A)", "$$(VAR_A)"},
		{"escape then reference", "$$$(VAR_A)", "$A"},
		{"lone dollar", "a$b", "a$b"},
		{"trailing dollar", "cost$", "cost$"},
		{"only dollar", "$", "$"},
		{"unterminated", "$(VAR_A", "$(VAR_A"},
		{"unterminated then reference", "$(x $(VAR_B", "$(x $(VAR_B"},
		{"unterminated before closed", "$($(VAR_A)", "$($(VAR_A)"},
		{"empty name", "$()", "$()"},
		{"not recursive", "$(NESTED)", "$(VAR_A)"},
		{"multibyte after dollar", "$é$(VAR_A)", "$éA"},
		{"braces are not references", "${VAR_A}", "${VAR_A}"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, Expand(tt.in, mappingFor(vars))); diff != "" {
				t.Errorf("Expand(%q) (-want +got):\n%s", tt.in, diff)
			}
		})
	}
}

func TestExpandCommand(t *testing.T) {
	env := []string{"A=1", "B=two=2", "A=3", "EMPTY="}
	tests := []struct {
		name string
		cmd  []string
		want []string
	}{
		{"nil", nil, nil},
		{"empty", []string{}, []string{}},
		{"later duplicate wins", []string{"echo", "$(A)"}, []string{"echo", "3"}},
		{"value with equals", []string{"$(B)"}, []string{"two=2"}},
		{"empty value", []string{"x$(EMPTY)y"}, []string{"xy"}},
		{"undefined", []string{"$(NOPE)", "$$(A)"}, []string{"$(NOPE)", "$(A)"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, ExpandCommand(tt.cmd, env)); diff != "" {
				t.Errorf("ExpandCommand (-want +got):\n%s", diff)
			}
		})
	}
}

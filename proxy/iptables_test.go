package proxy

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestListFirst(t *testing.T) {
	chains := func(n int) string {
		var b strings.Builder
		for i := range n {
			b.WriteString(":KUBESHIM-SEP-" + strings.Repeat("A", i%7) + " - [0:0]\n")
		}
		return b.String()
	}
	small := "*filter\n:KUBESHIM-SERVICES - [0:0]\nCOMMIT\n*nat\n" + chains(listFirstChains-2) + "-A KUBESHIM-SERVICES -j RETURN\nCOMMIT\n"
	large := "*filter\n:KUBESHIM-SERVICES - [0:0]\nCOMMIT\n*nat\n" + chains(listFirstChains) + "-A KUBESHIM-SERVICES -j RETURN\nCOMMIT\n"
	tests := []struct {
		name, payload, want string
	}{
		{"empty", "", ""},
		{"below the threshold: as it is", small, small},
		{
			"at the threshold: -S first in each table",
			large,
			"*filter\n-S\n:KUBESHIM-SERVICES - [0:0]\nCOMMIT\n*nat\n-S\n" + chains(listFirstChains) + "-A KUBESHIM-SERVICES -j RETURN\nCOMMIT\n",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, string(listFirst([]byte(tt.payload)))); diff != "" {
				t.Errorf("listFirst (-want +got):\n%s", diff)
			}
		})
	}
}

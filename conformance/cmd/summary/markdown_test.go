package main

import (
	"strings"
	"testing"
)

func TestExplain(t *testing.T) {
	reasons := []reason{{substring: "InPlace Resize", text: "not implemented"}, {substring: "Resize", text: "never reached"}}
	long := strings.Repeat("x", maxFailure+10)
	for _, tc := range []struct{ name, test, failure, want string }{
		{"the first matching reason", "[sig-node] Pod InPlace Resize Container works", "boom", "not implemented"},
		{"no reason: the failure's first line", "[sig-apps] Deployment works", "timed out\nmore", "not investigated yet; the failure: timed out"},
		{"a long first line is cut", "[sig-apps] Deployment works", long + "\nmore", "not investigated yet; the failure: " + long[:maxFailure] + "…"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := explain(tc.test, tc.failure, reasons); got != tc.want {
				t.Errorf("explain() = %q, want %q", got, tc.want)
			}
		})
	}
}

package job

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"k8s.io/klog/v2"
)

func TestIntervals(t *testing.T) {
	tests := []struct {
		name        string
		in          string
		completions int
		add         []int
		want        string
		total       int
	}{
		{name: "empty", in: "", completions: 5, want: "", total: 0},
		{name: "two adjacent indexes are written apart", in: "", completions: 5, add: []int{3, 4}, want: "3,4", total: 2},
		{name: "runs of three or more are ranges", in: "0,1", completions: 5, add: []int{2}, want: "0-2", total: 3},
		{name: "new indexes fill gaps", in: "0,2,4", completions: 5, add: []int{1, 3}, want: "0-4", total: 5},
		{name: "adjacent intervals in the input merge", in: "0-1,2-3,7", completions: 10, want: "0-3,7", total: 5},
		{name: "indexes beyond completions are dropped", in: "1,3-8", completions: 5, want: "1,3,4", total: 3},
		{name: "malformed parts are skipped", in: "x,2,3-y,4", completions: 5, want: "2,4", total: 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := parseIntervals(klog.Background(), tt.in, tt.completions).withIndexes(tt.add)
			if diff := cmp.Diff(tt.want, got.String()); diff != "" {
				t.Errorf("String() (-want +got):\n%s", diff)
			}
			if got.total() != tt.total {
				t.Errorf("total() = %d, want %d", got.total(), tt.total)
			}
		})
	}
}

func TestIntervalsHas(t *testing.T) {
	ivs := parseIntervals(klog.Background(), "1,3-5,9", 10)
	var got []int
	for i := range 11 {
		if ivs.has(i) {
			got = append(got, i)
		}
	}
	if diff := cmp.Diff([]int{1, 3, 4, 5, 9}, got); diff != "" {
		t.Errorf("has (-want +got):\n%s", diff)
	}
}

func TestPodGenerateName(t *testing.T) {
	long := "a-very-long-job-name-that-goes-on-and-on-beyond-what-a-name-allows"
	tests := []struct {
		job   string
		index int
		want  string
	}{
		{job: "pi", index: 3, want: "pi-3-"},
		{job: long, index: 12, want: long[:58-len("-12-")] + "-12-"},
	}
	for _, tt := range tests {
		if got := podGenerateName(tt.job, tt.index); got != tt.want {
			t.Errorf("podGenerateName(%q, %d) = %q, want %q", tt.job, tt.index, got, tt.want)
		}
	}
}

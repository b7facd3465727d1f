package framework_test

import (
	"context"
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"

	"github.com/kubeshim/kubeshim/scheduler/framework"
)

// binder is a Reserve and PreBind plugin that records its calls in a log
// shared by the test's plugins and answers as told.
type binder struct {
	name      string
	log       *[]string
	reserve   *framework.Status
	preflight *framework.Status
	preBind   *framework.Status
	events    []framework.ClusterEventWithHint
}

func (b *binder) Name() string { return b.name }

func (b *binder) Filter(context.Context, *framework.CycleState, *corev1.Pod, *framework.NodeInfo) *framework.Status {
	return nil
}

func (b *binder) Reserve(_ context.Context, _ *framework.CycleState, _ *corev1.Pod, node string) *framework.Status {
	*b.log = append(*b.log, "Reserve "+b.name+" "+node)
	return b.reserve
}

func (b *binder) Unreserve(_ context.Context, _ *framework.CycleState, _ *corev1.Pod, node string) {
	*b.log = append(*b.log, "Unreserve "+b.name+" "+node)
}

func (b *binder) PreBindPreFlight(context.Context, *framework.CycleState, *corev1.Pod, string) *framework.Status {
	*b.log = append(*b.log, "PreBindPreFlight "+b.name)
	return b.preflight
}

func (b *binder) PreBind(_ context.Context, _ *framework.CycleState, _ *corev1.Pod, node string) *framework.Status {
	*b.log = append(*b.log, "PreBind "+b.name+" "+node)
	return b.preBind
}

func (b *binder) EventsToRegister(context.Context) []framework.ClusterEventWithHint { return b.events }

// binders builds a framework of the plugins, in order.
func binders(t *testing.T, plugins ...*binder) *framework.Framework {
	t.Helper()
	registry := framework.Registry{}
	var refs []framework.PluginRef
	for _, b := range plugins {
		registry[b.name] = func(framework.Handle) (framework.Plugin, error) { return b, nil }
		refs = append(refs, framework.PluginRef{Name: b.name})
	}
	return newFramework(t, registry, refs)
}

func TestReserve(t *testing.T) {
	boom := framework.AsStatus(errors.New("boom"))
	rejected := framework.NewStatus(framework.Unschedulable, "no room")
	tests := []struct {
		name     string
		a, b     *framework.Status
		wantCode framework.Code
		wantMsg  string
		wantFrom string
		wantLog  []string
	}{
		{
			name:    "all succeed",
			wantLog: []string{"Reserve A n", "Reserve B n"},
		},
		{
			name:     "an error stops and is wrapped",
			a:        boom,
			wantCode: framework.Error,
			wantMsg:  `running Reserve plugin "A": boom`,
			wantFrom: "A",
			wantLog:  []string{"Reserve A n"},
		},
		{
			name:     "a rejection keeps its code and names its plugin",
			b:        rejected,
			wantCode: framework.Unschedulable,
			wantMsg:  "no room",
			wantFrom: "B",
			wantLog:  []string{"Reserve A n", "Reserve B n"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var log []string
			f := binders(t, &binder{name: "A", log: &log, reserve: tt.a}, &binder{name: "B", log: &log, reserve: tt.b})
			s := f.RunReservePluginsReserve(context.Background(), framework.NewCycleState(), makePod("p", ""), "n")
			if s.Code() != tt.wantCode || s.Message() != tt.wantMsg || s.Plugin() != tt.wantFrom {
				t.Errorf("status = %v from %q, want %v: %q from %q", s, s.Plugin(), tt.wantCode, tt.wantMsg, tt.wantFrom)
			}
			if diff := cmp.Diff(tt.wantLog, log); diff != "" {
				t.Errorf("calls (-want +got):\n%s", diff)
			}
		})
	}
}

func TestUnreserveRunsEveryPluginInReverse(t *testing.T) {
	var log []string
	f := binders(t, &binder{name: "A", log: &log}, &binder{name: "B", log: &log}, &binder{name: "C", log: &log})
	f.RunReservePluginsUnreserve(context.Background(), framework.NewCycleState(), makePod("p", ""), "n")
	if diff := cmp.Diff([]string{"Unreserve C n", "Unreserve B n", "Unreserve A n"}, log); diff != "" {
		t.Errorf("calls (-want +got):\n%s", diff)
	}
}

func TestPreBind(t *testing.T) {
	skip := framework.NewStatus(framework.Skip)
	boom := framework.AsStatus(errors.New("boom"))
	tests := []struct {
		name                   string
		preflightA, preflightB *framework.Status
		preBindA, preBindB     *framework.Status
		wantPreflight          framework.Code
		wantPreflightMsg       string
		wantCode               framework.Code
		wantMsg                string
		wantLog                []string
	}{
		{
			name:          "every plugin has work",
			wantPreflight: framework.Success,
			wantLog:       []string{"PreBindPreFlight A", "PreBindPreFlight B", "PreBind A n", "PreBind B n"},
		},
		{
			name:       "all skip",
			preflightA: skip, preflightB: skip,
			wantPreflight: framework.Skip,
			wantLog:       []string{"PreBindPreFlight A", "PreBindPreFlight B"},
		},
		{
			name:          "a plugin that skipped is not run",
			preflightA:    skip,
			wantPreflight: framework.Success,
			wantLog:       []string{"PreBindPreFlight A", "PreBindPreFlight B", "PreBind B n"},
		},
		{
			name:             "a preflight error",
			preflightB:       boom,
			wantPreflight:    framework.Error,
			wantPreflightMsg: `running PreBindPreFlight "B": boom`,
			wantLog:          []string{"PreBindPreFlight A", "PreBindPreFlight B"},
		},
		{
			name:             "a preflight may not reject",
			preflightA:       framework.NewStatus(framework.Unschedulable, "no"),
			wantPreflight:    framework.Error,
			wantPreflightMsg: `PreBindPreFlight A returned "Unschedulable"; only Success, Skip and Error are allowed`,
			wantLog:          []string{"PreBindPreFlight A"},
		},
		{
			name:          "a PreBind error stops and is wrapped as kube-scheduler's",
			preBindA:      boom,
			wantPreflight: framework.Success,
			wantCode:      framework.Error,
			wantMsg:       `running PreBind plugin "A": boom`,
			wantLog:       []string{"PreBindPreFlight A", "PreBindPreFlight B", "PreBind A n"},
		},
		{
			name:          "a PreBind rejection keeps its code",
			preBindB:      framework.NewStatus(framework.UnschedulableAndUnresolvable, "gone"),
			wantPreflight: framework.Success,
			wantCode:      framework.UnschedulableAndUnresolvable,
			wantMsg:       "gone",
			wantLog:       []string{"PreBindPreFlight A", "PreBindPreFlight B", "PreBind A n", "PreBind B n"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var log []string
			f := binders(t,
				&binder{name: "A", log: &log, preflight: tt.preflightA, preBind: tt.preBindA},
				&binder{name: "B", log: &log, preflight: tt.preflightB, preBind: tt.preBindB})
			ctx, state, pod := context.Background(), framework.NewCycleState(), makePod("p", "")
			s := f.RunPreBindPreFlights(ctx, state, pod, "n")
			if s.Code() != tt.wantPreflight || s.Code() == framework.Error && s.Message() != tt.wantPreflightMsg {
				t.Errorf("preflight = %v, want %v %q", s, tt.wantPreflight, tt.wantPreflightMsg)
			}
			if s.IsSuccess() {
				s = f.RunPreBindPlugins(ctx, state, pod, "n")
				if s.Code() != tt.wantCode || s.Message() != tt.wantMsg {
					t.Errorf("PreBind = %v, want %v %q", s, tt.wantCode, tt.wantMsg)
				}
			}
			if diff := cmp.Diff(tt.wantLog, log); diff != "" {
				t.Errorf("calls (-want +got):\n%s", diff)
			}
		})
	}
}

func TestWatches(t *testing.T) {
	var log []string
	f := binders(t, &binder{name: "A", log: &log, events: []framework.ClusterEventWithHint{
		{Event: framework.ClusterEvent{Resource: framework.PersistentVolumeClaim, ActionType: framework.Add}},
	}})
	got := map[framework.EventResource]bool{}
	for _, r := range []framework.EventResource{framework.PersistentVolumeClaim, framework.PersistentVolume, framework.StorageClass} {
		got[r] = f.Watches(r)
	}
	want := map[framework.EventResource]bool{framework.PersistentVolumeClaim: true, framework.PersistentVolume: false, framework.StorageClass: false}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("watched resources (-want +got):\n%s", diff)
	}
}

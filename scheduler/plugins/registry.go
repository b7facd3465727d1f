package plugins

import (
	"github.com/kubeshim/kubeshim/scheduler/framework"
	"github.com/kubeshim/kubeshim/scheduler/plugins/defaultpreemption"
	"github.com/kubeshim/kubeshim/scheduler/plugins/imagelocality"
	"github.com/kubeshim/kubeshim/scheduler/plugins/interpodaffinity"
	"github.com/kubeshim/kubeshim/scheduler/plugins/nodeaffinity"
	"github.com/kubeshim/kubeshim/scheduler/plugins/nodename"
	"github.com/kubeshim/kubeshim/scheduler/plugins/nodeports"
	"github.com/kubeshim/kubeshim/scheduler/plugins/noderesources"
	"github.com/kubeshim/kubeshim/scheduler/plugins/nodeunschedulable"
	"github.com/kubeshim/kubeshim/scheduler/plugins/podtopologyspread"
	"github.com/kubeshim/kubeshim/scheduler/plugins/schedulinggates"
	"github.com/kubeshim/kubeshim/scheduler/plugins/tainttoleration"
	"github.com/kubeshim/kubeshim/scheduler/plugins/volumebinding"
)

// NewRegistry returns every plugin by name.
func NewRegistry() framework.Registry {
	return framework.Registry{
		schedulinggates.Name:                 schedulinggates.New,
		nodename.Name:                        nodename.New,
		nodeunschedulable.Name:               nodeunschedulable.New,
		tainttoleration.Name:                 tainttoleration.New,
		nodeaffinity.Name:                    nodeaffinity.New,
		nodeports.Name:                       nodeports.New,
		noderesources.FitName:                noderesources.NewFit,
		noderesources.BalancedAllocationName: noderesources.NewBalancedAllocation,
		volumebinding.Name:                   volumebinding.New,
		podtopologyspread.Name:               podtopologyspread.New,
		interpodaffinity.Name:                interpodaffinity.New,
		defaultpreemption.Name:               defaultpreemption.New,
		imagelocality.Name:                   imagelocality.New,
	}
}

// DefaultPlugins are kube-scheduler's default profile's plugins that
// kubeshim has, in its order (cheap filters first, so most nodes are turned
// down early) and with its score weights.
func DefaultPlugins() []framework.PluginRef {
	return []framework.PluginRef{
		{Name: schedulinggates.Name},
		{Name: nodename.Name},
		{Name: nodeunschedulable.Name},
		{Name: tainttoleration.Name, Weight: 3},
		{Name: nodeaffinity.Name, Weight: 2},
		{Name: nodeports.Name},
		{Name: noderesources.FitName, Weight: 1},
		{Name: volumebinding.Name},
		{Name: podtopologyspread.Name, Weight: 2},
		{Name: interpodaffinity.Name, Weight: 2},
		{Name: defaultpreemption.Name},
		{Name: noderesources.BalancedAllocationName, Weight: 1},
		{Name: imagelocality.Name, Weight: 1},
	}
}

package pods

import (
	"sort"

	"github.com/kubeshim/kubeshim/nodeagent/runtime"
)

// podView is the runtime's side of one pod: its sandboxes and the
// instances of each container, oldest attempt first.
type podView struct {
	sandboxes  []*runtime.Info
	containers map[string][]*runtime.Info
}

func newPodView(infos []*runtime.Info) *podView {
	v := &podView{containers: map[string][]*runtime.Info{}}
	for _, info := range infos {
		switch info.Labels[runtime.LabelKind] {
		case runtime.KindSandbox:
			v.sandboxes = append(v.sandboxes, info)
		case runtime.KindContainer:
			name := info.Labels[runtime.LabelContainerName]
			v.containers[name] = append(v.containers[name], info)
		}
	}
	sort.Slice(v.sandboxes, func(i, j int) bool { return v.sandboxes[i].Attempt() < v.sandboxes[j].Attempt() })
	for _, cs := range v.containers {
		sort.Slice(cs, func(i, j int) bool { return cs[i].Attempt() < cs[j].Attempt() })
	}
	return v
}

// sandbox is the newest sandbox, or nil.
func (v *podView) sandbox() *runtime.Info {
	if len(v.sandboxes) == 0 {
		return nil
	}
	return v.sandboxes[len(v.sandboxes)-1]
}

// latest is the newest instance of a container, or nil.
func (v *podView) latest(name string) *runtime.Info {
	cs := v.containers[name]
	if len(cs) == 0 {
		return nil
	}
	return cs[len(cs)-1]
}

// previous is the instance before the newest one, or nil.
func (v *podView) previous(name string) *runtime.Info {
	cs := v.containers[name]
	if len(cs) < 2 {
		return nil
	}
	return cs[len(cs)-2]
}

func (v *podView) all() []*runtime.Info {
	var out []*runtime.Info
	for _, cs := range v.containers {
		out = append(out, cs...)
	}
	return out
}

func running(i *runtime.Info) bool { return i != nil && i.State == "running" }
func exited(i *runtime.Info) bool  { return i != nil && i.State == "exited" }

// unknown is an instance whose task did not answer: it may be running or
// exiting, so it is neither replaced nor restarted until it says which.
func unknown(i *runtime.Info) bool { return i != nil && i.State == "unknown" }

// started tells whether the runtime has anything of the pod: a pod the node
// already runs is not admitted again (after an agent restart, say).
func (v *podView) started() bool { return len(v.sandboxes) > 0 || len(v.containers) > 0 }

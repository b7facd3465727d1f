package horizontalpodautoscaler

import (
	"testing"
)

// TestEventHandlers checks when an HPA is reconciled: at once when created
// or its spec changes, after the sync period for anything else (its own
// status writes), and never again once deleted.
func TestEventHandlers(t *testing.T) {
	h := newHarness(t, 1)
	hpa := cpuHPA("busy", 1, 3, 50)
	h.c.add(hpa)
	if n := h.c.queue.Len(); n != 1 {
		t.Fatalf("queued after add: %d, want 1", n)
	}
	key, _ := h.c.queue.Get()
	h.c.queue.Done(key)
	if key != "default/busy" {
		t.Errorf("key = %q", key)
	}
	if _, ok := h.c.tracked.ns[ns]["busy"]; !ok {
		t.Errorf("the HPA's selector slot was not registered")
	}

	statusOnly := hpa.DeepCopy()
	statusOnly.Status.CurrentReplicas = 1
	h.c.update(hpa, statusOnly)
	if n := h.c.queue.Len(); n != 0 {
		t.Errorf("queued at once after a status change: %d, want 0 (it waits for the sync period)", n)
	}

	specChange := hpa.DeepCopy()
	specChange.Generation++
	specChange.Spec.MaxReplicas = 5
	h.c.update(hpa, specChange)
	if n := h.c.queue.Len(); n != 1 {
		t.Errorf("queued after a spec change: %d, want 1", n)
	}

	h.c.remove(specChange)
	if _, ok := h.c.tracked.ns[ns]["busy"]; ok {
		t.Errorf("the deleted HPA's selector is still tracked")
	}
}

package printers

import (
	"testing"

	nodev1 "k8s.io/api/node/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

func TestRuntimeClasses(t *testing.T) {
	testRows(t, schema.GroupResource{Group: "node.k8s.io", Resource: "runtimeclasses"},
		[]string{"Name", "Handler", "Age"},
		[]rowCase{{
			name: "gvisor",
			obj:  &nodev1.RuntimeClass{ObjectMeta: objectMeta("gvisor"), Handler: "runsc"},
			row:  []any{"gvisor", "runsc", "3h"},
		}})
}

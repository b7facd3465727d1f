package fielderrors

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// Want fails t unless got, each error written as the API reports it
// (field.Error's Error()), is want in order.
func Want(t testing.TB, want []string, got field.ErrorList) {
	t.Helper()
	var gotStrings []string
	for _, e := range got {
		gotStrings = append(gotStrings, e.Error())
	}
	if diff := cmp.Diff(want, gotStrings); diff != "" {
		t.Errorf("errors (-want +got):\n%s", diff)
	}
}

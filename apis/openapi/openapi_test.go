package openapi

import (
	"encoding/json"
	"sort"
	"testing"

	"github.com/google/go-cmp/cmp"
	apiextensions "k8s.io/apiextensions-apiserver/pkg/generated/openapi"
	aggregator "k8s.io/kube-aggregator/pkg/generated/openapi"
	"k8s.io/kube-openapi/pkg/common"
	"k8s.io/kube-openapi/pkg/validation/spec"

	"github.com/kubeshim/kubeshim/apis/openapi/generated"
	"github.com/kubeshim/kubeshim/apis/scheme"
)

// definitions returns the merged definitions and every name their schemas
// referenced through the callback.
func definitions() (map[string]common.OpenAPIDefinition, map[string]bool) {
	refs := map[string]bool{}
	defs := GetOpenAPIDefinitions(func(name string) spec.Ref {
		refs[name] = true
		return spec.MustCreateRef("#/definitions/" + name)
	})
	return defs, refs
}

func noRef(string) spec.Ref { return spec.Ref{} }

func TestDefinitions(t *testing.T) {
	defs, _ := definitions()
	for _, name := range []string{
		"io.k8s.api.core.v1.Pod",
		"io.k8s.api.apps.v1.Deployment",
		"io.k8s.api.autoscaling.v2.HorizontalPodAutoscaler",
		"io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta",
		"io.k8s.apimachinery.pkg.api.resource.Quantity",
		"io.k8s.apimachinery.pkg.util.intstr.IntOrString",
		"io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.CustomResourceDefinition",
		"io.k8s.kube-aggregator.pkg.apis.apiregistration.v1.APIService",
	} {
		t.Run(name, func(t *testing.T) {
			def, ok := defs[name]
			if !ok {
				t.Fatalf("no definition for %s", name)
			}
			if len(def.Schema.Properties) == 0 && len(def.Schema.Type) == 0 && len(def.Schema.OneOf) == 0 {
				t.Errorf("definition for %s has an empty schema", name)
			}
		})
	}
}

// TestReferencesResolve checks that the generated packages are closed: a
// reference to a type openapi-gen was not given would dangle in /openapi/v2.
func TestReferencesResolve(t *testing.T) {
	defs, refs := definitions()
	var missing []string
	for name := range refs {
		if _, ok := defs[name]; !ok {
			missing = append(missing, "referenced: "+name)
		}
	}
	for name, def := range defs {
		for _, dep := range def.Dependencies {
			if _, ok := defs[dep]; !ok {
				missing = append(missing, "dependency of "+name+": "+dep)
			}
		}
	}
	sort.Strings(missing)
	if diff := cmp.Diff([]string(nil), missing); diff != "" {
		t.Errorf("definitions missing; add their packages to hack/update-openapi.sh (-want +got):\n%s", diff)
	}
}

// TestServedKinds checks that every kind the server serves has a definition
// under the name the server's definition namer gives it.
func TestServedKinds(t *testing.T) {
	defs, _ := definitions()
	var missing []string
	for gvk := range scheme.Versioned.AllKnownTypes() {
		name, err := scheme.Versioned.ToOpenAPIDefinitionName(gvk)
		if err != nil {
			t.Fatalf("name %v: %v", gvk, err)
		}
		if _, ok := defs[name]; !ok {
			missing = append(missing, gvk.String()+" ("+name+")")
		}
	}
	sort.Strings(missing)
	if diff := cmp.Diff([]string(nil), missing); diff != "" {
		t.Errorf("served kinds without definitions; add their packages to hack/update-openapi.sh (-want +got):\n%s", diff)
	}
}

// TestSharedDefinitionsAgree checks that GetOpenAPIDefinitions' "first source
// wins" loses nothing: where apiextensions-apiserver or kube-aggregator also
// define a type, they define it as the generated package does.
func TestSharedDefinitionsAgree(t *testing.T) {
	own := generated.GetOpenAPIDefinitions(noRef)
	for _, tc := range []struct {
		name string
		defs map[string]common.OpenAPIDefinition
	}{
		{name: "apiextensions-apiserver", defs: apiextensions.GetOpenAPIDefinitions(noRef)},
		{name: "kube-aggregator", defs: aggregator.GetOpenAPIDefinitions(noRef)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for name, def := range tc.defs {
				want, ok := own[name]
				if !ok {
					continue
				}
				if diff := cmp.Diff(asJSON(t, want), asJSON(t, def)); diff != "" {
					t.Errorf("%s differs from the generated definition (-generated +%s):\n%s", name, tc.name, diff)
				}
			}
		})
	}
}

// asJSON returns def as it would be served: spec.Schema's fields hide
// unexported state that only its JSON form compares sensibly.
func asJSON(t *testing.T, def common.OpenAPIDefinition) any {
	t.Helper()
	b, err := json.Marshal(struct {
		Schema       spec.Schema
		Dependencies []string
	}{def.Schema, def.Dependencies})
	if err != nil {
		t.Fatalf("marshal: %v", err)
	}
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatalf("unmarshal: %v", err)
	}
	return v
}

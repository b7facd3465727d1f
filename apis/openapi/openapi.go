package openapi

import (
	apiextensions "k8s.io/apiextensions-apiserver/pkg/generated/openapi"
	aggregator "k8s.io/kube-aggregator/pkg/generated/openapi"
	"k8s.io/kube-openapi/pkg/common"

	"github.com/kubeshim/kubeshim/apis/openapi/generated"
)

// GetOpenAPIDefinitions returns the definitions of every type the server and
// its aggregator and apiextensions delegates serve, keyed by model name
// ("io.k8s.api.core.v1.Pod").
//
// Each source also carries the apimachinery types (ObjectMeta, Status, ...)
// it references. Where keys repeat, the first source wins: kubeshim's own
// generated package, built by the kube-openapi version in go.mod.
func GetOpenAPIDefinitions(ref common.ReferenceCallback) map[string]common.OpenAPIDefinition {
	defs := generated.GetOpenAPIDefinitions(ref)
	for _, more := range []map[string]common.OpenAPIDefinition{
		apiextensions.GetOpenAPIDefinitions(ref),
		aggregator.GetOpenAPIDefinitions(ref),
	} {
		for name, def := range more {
			if _, ok := defs[name]; !ok {
				defs[name] = def
			}
		}
	}
	return defs
}

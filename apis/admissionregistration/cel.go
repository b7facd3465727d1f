package admissionregistration

import (
	"errors"
	"fmt"
	"sync"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	"k8s.io/apimachinery/pkg/util/validation/field"
	plugincel "k8s.io/apiserver/pkg/admission/plugin/cel"
	"k8s.io/apiserver/pkg/admission/plugin/webhook/matchconditions"
	apiservercel "k8s.io/apiserver/pkg/cel"
	"k8s.io/apiserver/pkg/cel/environment"
)

// matchConditionCompiler compiles webhook match conditions in the admission
// CEL environment (object, oldObject, request, namespaceObject, authorizer;
// no params), with the strict cost limits the webhook admission plugin
// evaluates them under. Building the environments takes a while, so it is
// done on first use and shared: the compiler is stateless.
var matchConditionCompiler = sync.OnceValue(func() plugincel.Compiler {
	return plugincel.NewCompiler(environment.MustBaseEnvSet(environment.DefaultCompatibilityVersion()))
})

// compileMatchCondition reports a match condition expression that does not
// compile to a bool. stored says the old object already held the expression:
// it then compiles in the stored-expressions environment, which also accepts
// library functions newer than the compatibility version, so objects written
// by a newer server stay updatable.
func compileMatchCondition(expr string, stored bool, p *field.Path) *field.Error {
	envType := environment.NewExpressions
	if stored {
		envType = environment.StoredExpressions
	}
	mc := matchconditions.MatchCondition(admissionregistrationv1.MatchCondition{Expression: expr})
	result := matchConditionCompiler().CompileCELExpression(&mc, plugincel.OptionalVariableDeclarations{HasAuthorizer: true}, envType)
	if result.Error == nil {
		return nil
	}
	var celErr *apiservercel.Error
	if errors.As(result.Error, &celErr) {
		switch celErr.Type {
		case apiservercel.ErrorTypeRequired:
			return field.Required(p, celErr.Detail)
		case apiservercel.ErrorTypeInvalid:
			return field.Invalid(p, expr, celErr.Detail)
		case apiservercel.ErrorTypeInternal:
			return field.InternalError(p, celErr)
		}
	}
	return field.InternalError(p, fmt.Errorf("unsupported error type: %w", result.Error))
}

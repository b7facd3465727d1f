package admissionregistration

import (
	"fmt"
	"sync"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	"k8s.io/apimachinery/pkg/util/validation/field"
	plugincel "k8s.io/apiserver/pkg/admission/plugin/cel"
	"k8s.io/apiserver/pkg/admission/plugin/webhook/matchconditions"
	apiservercel "k8s.io/apiserver/pkg/cel"
	"k8s.io/apiserver/pkg/cel/environment"
)

// statelessCompiler compiles expressions in the admission CEL environment
// (object, oldObject, request, namespaceObject, and params and authorizer
// when declared) with the strict cost limits the admission plugins evaluate
// them under, without variables. Building the environments takes a while,
// so it is done on first use and shared: the compiler is stateless.
var statelessCompiler = sync.OnceValue(func() plugincel.Compiler {
	return plugincel.NewCompiler(environment.MustBaseEnvSet(environment.DefaultCompatibilityVersion()))
})

// newCompositionCompiler returns a compiler whose environment also declares
// `variables`, each variable compiled through CompileAndStoreVariable adding
// a typed field to it. It is stateful: one per policy validated. Should the
// composition environment fail to build, the stateless compiler stands in
// and variables are reported as an internal error, as upstream does.
func newCompositionCompiler() plugincel.Compiler {
	c, err := plugincel.NewCompositedCompiler(environment.MustBaseEnvSet(environment.DefaultCompatibilityVersion()))
	if err != nil {
		return statelessCompiler()
	}
	return c
}

// envType is the environment an expression compiles in. stored says the
// old object already held the expression: the stored-expressions
// environment also accepts library functions newer than the compatibility
// version, so objects written by a newer server stay updatable.
func envType(stored bool) environment.Type {
	if stored {
		return environment.StoredExpressions
	}
	return environment.NewExpressions
}

// compileMatchCondition reports a match condition expression that does not
// compile to a bool. hasParams declares `params` (a policy with a paramKind;
// never a webhook).
func compileMatchCondition(expr string, stored, hasParams bool, p *field.Path) *field.Error {
	mc := matchconditions.MatchCondition(admissionregistrationv1.MatchCondition{Expression: expr})
	result := statelessCompiler().CompileCELExpression(&mc, plugincel.OptionalVariableDeclarations{HasParams: hasParams, HasAuthorizer: true}, envType(stored))
	return celFieldError(p, expr, result.Error)
}

// compile compiles what accessor holds and reports a failure at p. value is
// what an Invalid error shows: upstream shows some expressions as written
// and compiles them trimmed.
func compile(c plugincel.Compiler, accessor plugincel.ExpressionAccessor, decls plugincel.OptionalVariableDeclarations, stored bool, value string, p *field.Path) *field.Error {
	return celFieldError(p, value, c.CompileCELExpression(accessor, decls, envType(stored)).Error)
}

// celFieldError turns a compilation error into the field error upstream
// reports; nil for none.
func celFieldError(p *field.Path, value string, celErr *apiservercel.Error) *field.Error {
	if celErr == nil {
		return nil
	}
	switch celErr.Type {
	case apiservercel.ErrorTypeRequired:
		return field.Required(p, celErr.Detail)
	case apiservercel.ErrorTypeInvalid:
		return field.Invalid(p, value, celErr.Detail)
	case apiservercel.ErrorTypeInternal:
		return field.InternalError(p, celErr)
	}
	return field.InternalError(p, fmt.Errorf("unsupported error type: %w", celErr))
}

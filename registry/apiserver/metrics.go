package apiserver

import (
	"fmt"

	genericapiserver "k8s.io/apiserver/pkg/server"
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
	informers := c.Generic.SharedInformerFactory
	scraper, err := metrics.New(metrics.Config{
		Nodes:      informers.Core().V1().Nodes(),
		Pods:       informers.Core().V1().Pods(),
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
	// returns once its scrape in flight has ended.
	return s.AddPostStartHook("kubeshim-metrics-scraper", func(hc genericapiserver.PostStartHookContext) error {
		go scraper.Run(hc)
		return nil
	})
}

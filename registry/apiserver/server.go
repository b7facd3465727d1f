package apiserver

import (
	"context"
	"crypto/x509"
	"fmt"

	"k8s.io/apiserver/pkg/authentication/user"
	"k8s.io/client-go/rest"

	genericapifilters "k8s.io/apiserver/pkg/endpoints/filters"
	genericapiserver "k8s.io/apiserver/pkg/server"
	"k8s.io/apiserver/pkg/util/notfoundhandler"
	"k8s.io/klog/v2"
	aggregatorapiserver "k8s.io/kube-aggregator/pkg/apiserver"

	"github.com/kubeshim/kubeshim/controllers"
	"github.com/kubeshim/kubeshim/controllers/csrsigning"
	"github.com/kubeshim/kubeshim/registry/apiserver/pki"
	"github.com/kubeshim/kubeshim/registry/etcd"
	"github.com/kubeshim/kubeshim/scheduler"
)

// CompletedConfig can only be made by Config.Complete.
type CompletedConfig struct{ *completedConfig }

type completedConfig struct{ *Config }

// Complete returns the configuration ready for New.
func (c *Config) Complete() CompletedConfig { return CompletedConfig{&completedConfig{c}} }

// Server is the whole chain.
type Server struct {
	config     *Config
	aggregator *aggregatorapiserver.APIAggregator
	etcd       *etcd.Etcd
}

// New builds the chain: aggregator → core → apiextensions.
func (c CompletedConfig) New() (*Server, error) {
	notFound := notfoundhandler.New(c.Generic.Serializer, genericapifilters.NoMuxAndDiscoveryIncompleteKey)
	crds, err := c.APIExtensions.Complete().New(genericapiserver.NewEmptyDelegateWithCustomHandler(notFound))
	if err != nil {
		return nil, fmt.Errorf("apiextensions server: %w", err)
	}
	core, err := c.Generic.Complete().New("kubeshim", crds.GenericAPIServer)
	if err != nil {
		return nil, fmt.Errorf("core server: %w", err)
	}
	if err := installAPIGroups(core, c.Config); err != nil {
		return nil, err
	}
	if err := installReviewGroups(core, c.Config); err != nil {
		return nil, err
	}
	if err := installBootstrap(core, c.Config); err != nil {
		return nil, err
	}
	if err := installRBACBootstrap(core); err != nil {
		return nil, err
	}
	if c.Options.Enabled(RoleControllers) {
		err := core.AddPostStartHook("kubeshim-controllers", func(hc genericapiserver.PostStartHookContext) error {
			// Leader-elected as the scheduler: servers sharing one etcd
			// run one set of controllers between them.
			co := controllers.NewOptions()
			co.NodeMonitorGracePeriod = c.Options.NodeMonitorGracePeriod
			if c.Options.ClusterCIDR != "" {
				co.ClusterCIDR = c.Options.ClusterCIDR
			}
			// As kubeadm runs kube-controller-manager: its own user, and
			// each controller as its service account in kube-system, so
			// that RBAC's system:controller:<name> roles limit them.
			co.UseServiceAccountCredentials = true
			rc, err := componentClientConfig(c.Config, hc.LoopbackClientConfig, "kube-controller-manager", user.KubeControllerManager)
			if err != nil {
				return err
			}
			config, le, err := co.Config(rc, pki.EncodeCert(c.CA.Cert))
			if err != nil {
				return err
			}
			// Secret-based tokens are signed with the server's key, client
			// certificates (a joining node's) with its CA.
			config.TokenGenerator = c.TokenIssuer
			config.SigningCA = &csrsigning.CA{Cert: c.CA.Cert, Key: c.CA.Key}
			go func() {
				err := controllers.RunLeaderElected(hc, config, le)
				if err != nil {
					klog.FromContext(hc).Error(err, "Controllers stopped")
				}
			}()
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	if c.Options.Enabled(RoleScheduler) {
		err := core.AddPostStartHook("kubeshim-scheduler", func(hc genericapiserver.PostStartHookContext) error {
			// Upstream's kube-scheduler user, bound to system:kube-scheduler
			// and system:volume-scheduler: RBAC limits it as upstream's.
			rc, err := componentClientConfig(c.Config, hc.LoopbackClientConfig, "kube-scheduler", user.KubeScheduler)
			if err != nil {
				return err
			}
			config, err := scheduler.NewOptions().Config(rc)
			if err != nil {
				return err
			}
			s, err := scheduler.New(hc, config)
			if err != nil {
				return err
			}
			go func() {
				if err := s.Run(hc); err != nil {
					klog.FromContext(hc).Error(err, "Scheduler stopped")
				}
			}()
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	aggConfig := c.Aggregator.Complete()
	agg, err := aggConfig.NewWithDelegate(core)
	if err != nil {
		return nil, fmt.Errorf("aggregator: %w", err)
	}
	if err := installAutoRegistration(agg, aggConfig, core, crds.Informers.Apiextensions().V1().CustomResourceDefinitions()); err != nil {
		return nil, fmt.Errorf("aggregator: %w", err)
	}
	return &Server{config: c.Config, aggregator: agg, etcd: c.Etcd}, nil
}

// Run serves until ctx is done, then shuts down in order: the API server
// drains its requests first, and only then is the embedded etcd closed, so
// every write a client saw acknowledged is on disk.
func (s *Server) Run(ctx context.Context) error {
	defer func() {
		if s.etcd != nil {
			s.etcd.Close()
			klog.FromContext(ctx).Info("Embedded etcd stopped")
		}
	}()
	if err := WriteKubeconfig(s.config); err != nil {
		return err
	}
	prepared, err := s.aggregator.PrepareRun()
	if err != nil {
		return fmt.Errorf("prepare API server: %w", err)
	}
	errCh := make(chan error, 1)
	go func() { errCh <- prepared.Run(ctx) }()
	var etcdErr <-chan error
	if s.etcd != nil {
		etcdErr = s.etcd.Err()
	}
	select {
	case err := <-errCh:
		return err
	case err := <-etcdErr:
		return fmt.Errorf("embedded etcd: %w", err)
	}
}

// componentClientConfig is the loopback connection under a component's own
// user (in groups): a client certificate the cluster CA signs for it
// (<data-dir>/pki/<file>.crt), in place of the loopback token, whose user
// is in system:masters.
func componentClientConfig(c *Config, loopback *rest.Config, file, userName string, groups ...string) (*rest.Config, error) {
	cert, key, err := c.CA.Issue(c.Options.pkiDir(), file, pki.Request{
		CommonName: userName, Organization: groups,
		Usages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	})
	if err != nil {
		return nil, fmt.Errorf("%s client certificate: %w", userName, err)
	}
	rc := rest.AnonymousClientConfig(loopback)
	rc.CertFile, rc.KeyFile = cert, key
	return rc, nil
}

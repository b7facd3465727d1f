package apiserver

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	apiextensionsv1beta1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1beta1"
	apiextensionsapiserver "k8s.io/apiextensions-apiserver/pkg/apiserver"
	apiextensionsoptions "k8s.io/apiextensions-apiserver/pkg/cmd/server/options"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	utilnet "k8s.io/apimachinery/pkg/util/net"
	"k8s.io/apimachinery/pkg/util/sets"
	webhookinit "k8s.io/apiserver/pkg/admission/plugin/webhook/initializer"
	"k8s.io/apiserver/pkg/authentication/authenticator"
	"k8s.io/apiserver/pkg/authentication/group"
	"k8s.io/apiserver/pkg/authentication/request/anonymous"
	"k8s.io/apiserver/pkg/authentication/request/bearertoken"
	"k8s.io/apiserver/pkg/authentication/request/union"
	"k8s.io/apiserver/pkg/authentication/request/websocket"
	x509request "k8s.io/apiserver/pkg/authentication/request/x509"
	tokencache "k8s.io/apiserver/pkg/authentication/token/cache"
	tokenunion "k8s.io/apiserver/pkg/authentication/token/union"
	"k8s.io/apiserver/pkg/endpoints/discovery/aggregated"
	openapinamer "k8s.io/apiserver/pkg/endpoints/openapi"
	genericapiserver "k8s.io/apiserver/pkg/server"
	"k8s.io/apiserver/pkg/server/dynamiccertificates"
	"k8s.io/apiserver/pkg/server/filters"
	genericoptions "k8s.io/apiserver/pkg/server/options"
	serverstorage "k8s.io/apiserver/pkg/server/storage"
	"k8s.io/apiserver/pkg/storage/storagebackend"
	utilcompatibility "k8s.io/apiserver/pkg/util/compatibility"
	utilfeature "k8s.io/apiserver/pkg/util/feature"
	webhookutil "k8s.io/apiserver/pkg/util/webhook"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	corelisters "k8s.io/client-go/listers/core/v1"
	"k8s.io/client-go/rest"
	"k8s.io/klog/v2"
	apiregistrationv1 "k8s.io/kube-aggregator/pkg/apis/apiregistration/v1"
	apiregistrationv1beta1 "k8s.io/kube-aggregator/pkg/apis/apiregistration/v1beta1"
	aggregatorapiserver "k8s.io/kube-aggregator/pkg/apiserver"
	aggregatorscheme "k8s.io/kube-aggregator/pkg/apiserver/scheme"
	netutils "k8s.io/utils/net"

	"github.com/kubeshim/kubeshim/apis/openapi"
	"github.com/kubeshim/kubeshim/apis/scheme"
	"github.com/kubeshim/kubeshim/registry/admission/defaultstorageclass"
	"github.com/kubeshim/kubeshim/registry/admission/defaulttolerationseconds"
	"github.com/kubeshim/kubeshim/registry/admission/limitranger"
	"github.com/kubeshim/kubeshim/registry/admission/noderestriction"
	"github.com/kubeshim/kubeshim/registry/admission/nodetaint"
	"github.com/kubeshim/kubeshim/registry/admission/persistentvolumeclaimresize"
	"github.com/kubeshim/kubeshim/registry/admission/podsecurity"
	priorityadmission "github.com/kubeshim/kubeshim/registry/admission/priority"
	quotaadmission "github.com/kubeshim/kubeshim/registry/admission/resourcequota"
	runtimeclassadmission "github.com/kubeshim/kubeshim/registry/admission/runtimeclass"
	saadmission "github.com/kubeshim/kubeshim/registry/admission/serviceaccount"
	"github.com/kubeshim/kubeshim/registry/admission/storageobjectinuseprotection"
	"github.com/kubeshim/kubeshim/registry/apiserver/pki"
	"github.com/kubeshim/kubeshim/registry/authentication/bootstraptoken"
	"github.com/kubeshim/kubeshim/registry/core/serviceaccount"
	"github.com/kubeshim/kubeshim/registry/etcd"
	"github.com/kubeshim/kubeshim/registry/kubelet"
	"github.com/kubeshim/kubeshim/registry/serviceaccount/token"
)

// Config is everything the three servers of the chain need.
type Config struct {
	Options *Options

	Generic       *genericapiserver.RecommendedConfig
	APIExtensions *apiextensionsapiserver.Config
	Aggregator    *aggregatorapiserver.Config

	// Etcd is the embedded member, nil with --etcd-servers.
	Etcd *etcd.Etcd
	// ServiceIPRange is --service-cluster-ip-range parsed.
	ServiceIPRange *net.IPNet
	// AdvertiseAddress is the address the kubernetes service points at.
	AdvertiseAddress net.IP
	// CA signs the cluster's certificates.
	CA *pki.CA
	// AdminCert and AdminKey are the admin client certificate files.
	AdminCert, AdminKey string
	// Kubelet is how pods/log, exec, attach, portforward and nodes/proxy
	// reach kubelets: with a client certificate the cluster CA issued.
	Kubelet kubelet.Config
	// TokenIssuer signs bound service account tokens (serviceaccounts/token)
	// with <data-dir>/pki/sa.key.
	TokenIssuer *token.Issuer
	// Tokens authenticates bearer tokens: bound service account tokens.
	Tokens authenticator.Token
}

// Complete fills in defaults that depend on the host.
func (o *Options) Complete() error {
	if o.AdvertiseAddress == nil || o.AdvertiseAddress.IsUnspecified() {
		ip, err := defaultAddress(o.SecureServing.BindAddress)
		if err != nil {
			return fmt.Errorf("choose --advertise-address: %w", err)
		}
		o.AdvertiseAddress = ip
	}
	return nil
}

// Config builds the configuration, starting the embedded etcd unless
// --etcd-servers is set. On error nothing is left running.
func (o *Options) Config(ctx context.Context) (_ *Config, err error) {
	if errs := o.Validate(); len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	if err := os.MkdirAll(o.DataDir, 0o700); err != nil {
		return nil, fmt.Errorf("create data dir: %w", err)
	}
	c := &Config{Options: o, AdvertiseAddress: o.AdvertiseAddress}
	_, c.ServiceIPRange, _ = netutils.ParseCIDRSloppy(o.ServiceClusterIPRange)

	if err := c.certificates(); err != nil {
		return nil, err
	}

	servers := o.EtcdServers
	if len(servers) == 0 {
		c.Etcd, err = etcd.Start(ctx, etcd.Config{Dir: o.DataDir + "/etcd"})
		if err != nil {
			return nil, err
		}
		defer func() {
			if err != nil {
				c.Etcd.Close()
			}
		}()
		servers = []string{c.Etcd.ClientURL()}
	}

	generic := genericapiserver.NewRecommendedConfig(scheme.Codecs)
	generic.EffectiveVersion = utilcompatibility.DefaultBuildEffectiveVersion()
	if err := o.SecureServing.ApplyTo(&generic.SecureServing, &generic.LoopbackClientConfig); err != nil {
		return nil, fmt.Errorf("secure serving: %w", err)
	}
	generic.LoopbackClientConfig.ContentConfig.ContentType = "application/vnd.kubernetes.protobuf"
	generic.LoopbackClientConfig.DisableCompression = true
	// Clients' watches would otherwise hold the HTTP server's shutdown for
	// its whole 60 s timeout (net/http waits for every stream to end, and a
	// watch does not): as kube-apiserver's --shutdown-send-retry-after, the
	// server drains the requests in flight, answering new ones 429, and
	// then gives the open streams 2 s before it goes.
	generic.ShutdownSendRetryAfter = true
	generic.ExternalAddress = net.JoinHostPort(c.AdvertiseAddress.String(), fmt.Sprint(o.SecureServing.BindPort))

	namer := openapinamer.NewDefinitionNamer(scheme.Versioned, apiextensionsapiserver.Scheme, aggregatorscheme.Scheme)
	generic.OpenAPIConfig = genericapiserver.DefaultOpenAPIConfig(openapi.GetOpenAPIDefinitions, namer)
	generic.OpenAPIConfig.Info.Title = "Kubernetes"
	generic.OpenAPIV3Config = genericapiserver.DefaultOpenAPIV3Config(openapi.GetOpenAPIDefinitions, namer)
	generic.OpenAPIV3Config.Info.Title = "Kubernetes"
	generic.LongRunningFunc = filters.BasicLongRunningRequestCheck(
		sets.NewString("watch", "proxy"),
		sets.NewString("attach", "exec", "proxy", "log", "portforward"),
	)
	generic.AggregatedDiscoveryGroupManager = aggregated.NewResourceManager("apis")

	resourceConfig := serverstorage.NewResourceConfig()
	for _, g := range scheme.Groups {
		for _, v := range g.Versions {
			resourceConfig.EnableVersions(v.GroupVersion)
		}
	}
	resourceConfig.EnableVersions(apiextensionsv1.SchemeGroupVersion, apiregistrationv1.SchemeGroupVersion)
	generic.MergedResourceConfig = resourceConfig

	etcdOptions := genericoptions.NewEtcdOptions(storagebackend.NewDefaultConfig(o.EtcdPrefix, nil))
	etcdOptions.StorageConfig.Transport.ServerList = servers
	etcdOptions.DefaultStorageMediaType = "application/vnd.kubernetes.protobuf"
	etcdOptions.EncryptionProviderConfigFilepath = o.EncryptionProviderConfig
	etcdOptions.EncryptionProviderConfigAutomaticReload = o.EncryptionProviderConfigAutomaticReload
	storageFactory := serverstorage.NewDefaultStorageFactory(
		etcdOptions.StorageConfig,
		etcdOptions.DefaultStorageMediaType,
		scheme.Codecs,
		serverstorage.NewDefaultResourceEncodingConfigForEffectiveVersion(scheme.Scheme, generic.EffectiveVersion),
		resourceConfig,
		nil,
	)
	if err := etcdOptions.ApplyWithStorageFactoryTo(storageFactory, &generic.Config); err != nil {
		return nil, fmt.Errorf("storage: %w", err)
	}

	// Before the CRD server's and the aggregator's configurations are
	// copied from this one: the aggregator's handler chain, in front of
	// all three, is the one that audits.
	if err := o.Audit.ApplyTo(&generic.Config); err != nil {
		return nil, fmt.Errorf("audit: %w", err)
	}

	client, err := kubernetes.NewForConfig(generic.LoopbackClientConfig)
	if err != nil {
		return nil, fmt.Errorf("loopback client: %w", err)
	}
	generic.SharedInformerFactory = informers.NewSharedInformerFactory(client, 10*time.Minute)
	if err := c.authentication(&generic.Config, client, generic.SharedInformerFactory); err != nil {
		return nil, err
	}
	if err := c.authorization(&generic.Config, generic.SharedInformerFactory); err != nil {
		return nil, err
	}
	dynamicClient, err := dynamic.NewForConfig(generic.LoopbackClientConfig)
	if err != nil {
		return nil, fmt.Errorf("loopback dynamic client: %w", err)
	}
	admission := genericoptions.NewAdmissionOptions()
	saadmission.Register(admission.Plugins)
	runtimeclassadmission.Register(admission.Plugins)
	limitranger.Register(admission.Plugins)
	priorityadmission.Register(admission.Plugins)
	defaulttolerationseconds.Register(admission.Plugins)
	defaultstorageclass.Register(admission.Plugins)
	storageobjectinuseprotection.Register(admission.Plugins)
	persistentvolumeclaimresize.Register(admission.Plugins)
	quotaadmission.Register(admission.Plugins)
	podsecurity.Register(admission.Plugins)
	noderestriction.Register(admission.Plugins)
	nodetaint.Register(admission.Plugins)
	// Upstream's order: lifecycle first, the built-in mutations next, then
	// the policies and webhooks, and ResourceQuota last, so that it charges
	// the object every other plugin (and mutating webhook) has finished.
	admission.RecommendedPluginOrder = append(append([]string{admission.RecommendedPluginOrder[0],
		limitranger.PluginName, saadmission.PluginName, noderestriction.PluginName, nodetaint.PluginName, podsecurity.PluginName, priorityadmission.PluginName, defaulttolerationseconds.PluginName,
		defaultstorageclass.PluginName, storageobjectinuseprotection.PluginName, persistentvolumeclaimresize.PluginName, runtimeclassadmission.PluginName},
		admission.RecommendedPluginOrder[1:]...), quotaadmission.PluginName)
	resolver, err := serviceResolver(generic.SharedInformerFactory.Core().V1().Services().Lister(), generic.LoopbackClientConfig)
	if err != nil {
		return nil, err
	}
	// Webhooks behind services are called at the service's cluster IP,
	// as kube-apiserver calls them: the default resolver would look
	// <service>.<namespace>.svc up in the host's DNS, which does not know
	// it (and must not be asked).
	if err := admission.ApplyTo(&generic.Config, generic.SharedInformerFactory, client, dynamicClient,
		utilfeature.DefaultFeatureGate, generic.EffectiveVersion, webhookinit.NewPluginInitializer(nil, resolver),
		quotaadmission.Initializer{Config: quotaadmission.Configuration()}); err != nil {
		return nil, fmt.Errorf("admission: %w", err)
	}

	c.Generic = generic
	if c.APIExtensions, err = c.apiExtensionsConfig(*etcdOptions); err != nil {
		return nil, err
	}
	if c.Aggregator, err = c.aggregatorConfig(*etcdOptions); err != nil {
		return nil, err
	}
	return c, nil
}

// apiExtensionsConfig derives the CRD server's configuration from the core
// server's, as kube-apiserver does: same serving and auth, its own codec.
func (c *Config) apiExtensionsConfig(etcdOptions genericoptions.EtcdOptions) (*apiextensionsapiserver.Config, error) {
	resolver, err := serviceResolver(c.Generic.SharedInformerFactory.Core().V1().Services().Lister(), c.Generic.LoopbackClientConfig)
	if err != nil {
		return nil, err
	}
	generic := c.Generic.Config
	generic.PostStartHooks = map[string]genericapiserver.PostStartHookConfigEntry{}
	generic.RESTOptionsGetter = nil
	etcdOptions.StorageConfig.Codec = apiextensionsapiserver.Codecs.LegacyCodec(apiextensionsv1beta1.SchemeGroupVersion, apiextensionsv1.SchemeGroupVersion)
	etcdOptions.StorageConfig.EncodeVersioner = runtime.NewMultiGroupVersioner(apiextensionsv1beta1.SchemeGroupVersion, schema.GroupKind{Group: apiextensionsv1beta1.GroupName})
	etcdOptions.SkipHealthEndpoints = true
	if err := etcdOptions.ApplyTo(&generic); err != nil {
		return nil, fmt.Errorf("apiextensions storage: %w", err)
	}
	return &apiextensionsapiserver.Config{
		GenericConfig: &genericapiserver.RecommendedConfig{Config: generic, SharedInformerFactory: c.Generic.SharedInformerFactory},
		ExtraConfig: apiextensionsapiserver.ExtraConfig{
			CRDRESTOptionsGetter: apiextensionsoptions.NewCRDRESTOptionsGetter(etcdOptions, generic.ResourceTransformers, generic.StorageObjectCountTracker),
			MasterCount:          1,
			// Conversion webhooks, as admission webhooks, at the
			// service's cluster IP.
			ServiceResolver: resolver,
		},
	}, nil
}

// aggregatorConfig derives the aggregator's configuration from the core
// server's. The aggregator serves the merged OpenAPI itself.
func (c *Config) aggregatorConfig(etcdOptions genericoptions.EtcdOptions) (*aggregatorapiserver.Config, error) {
	generic := c.Generic.Config
	generic.PostStartHooks = map[string]genericapiserver.PostStartHookConfigEntry{}
	generic.RESTOptionsGetter = nil
	generic.SkipOpenAPIInstallation = true
	etcdOptions.StorageConfig.Codec = aggregatorscheme.Codecs.LegacyCodec(apiregistrationv1.SchemeGroupVersion, apiregistrationv1beta1.SchemeGroupVersion)
	etcdOptions.StorageConfig.EncodeVersioner = runtime.NewMultiGroupVersioner(apiregistrationv1.SchemeGroupVersion, schema.GroupKind{Group: apiregistrationv1beta1.GroupName})
	etcdOptions.SkipHealthEndpoints = true
	if err := etcdOptions.ApplyTo(&generic); err != nil {
		return nil, fmt.Errorf("aggregator storage: %w", err)
	}
	resolver, err := serviceResolver(c.Generic.SharedInformerFactory.Core().V1().Services().Lister(), c.Generic.LoopbackClientConfig)
	if err != nil {
		return nil, err
	}
	return &aggregatorapiserver.Config{
		GenericConfig: &genericapiserver.RecommendedConfig{Config: generic, SharedInformerFactory: c.Generic.SharedInformerFactory},
		ExtraConfig: aggregatorapiserver.ExtraConfig{
			ServiceResolver: resolver,
		},
	}, nil
}

// serviceResolver finds the address of a service the server calls
// (aggregated APIs, admission and conversion webhooks): its cluster IP, as
// kube-apiserver resolves them, which the service proxy routes on this
// host; the kubernetes service itself is this server, reached over
// loopback.
func serviceResolver(services corelisters.ServiceLister, loopbackConfig *rest.Config) (webhookutil.ServiceResolver, error) {
	loopback, err := url.Parse(loopbackConfig.Host)
	if err != nil {
		return nil, fmt.Errorf("loopback address: %w", err)
	}
	return aggregatorapiserver.NewLoopbackServiceResolver(aggregatorapiserver.NewClusterIPServiceResolver(services), loopback), nil
}

// certificates loads or creates the CA, the serving certificate and the
// admin client certificate.
func (c *Config) certificates() error {
	dir := c.Options.pkiDir()
	ca, err := pki.LoadOrCreateCA(dir, "ca", "kubeshim-ca")
	if err != nil {
		return err
	}
	c.CA = ca
	first, err := firstIP(c.ServiceIPRange)
	if err != nil {
		return err
	}
	hostname, _ := os.Hostname()
	ips := []net.IP{net.ParseIP("127.0.0.1"), first, c.AdvertiseAddress}
	if b := c.Options.SecureServing.BindAddress; b != nil && !b.IsUnspecified() {
		ips = append(ips, b)
	}
	dns := []string{"localhost", "kubernetes", "kubernetes.default", "kubernetes.default.svc", "kubernetes.default.svc.cluster.local"}
	if hostname != "" {
		dns = append(dns, strings.ToLower(hostname))
	}
	certFile, keyFile, err := ca.Issue(dir, "apiserver", pki.Request{
		CommonName: "kube-apiserver", DNSNames: dns, IPs: ips,
		Usages: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	})
	if err != nil {
		return err
	}
	c.Options.SecureServing.ServerCert.CertKey.CertFile = certFile
	c.Options.SecureServing.ServerCert.CertKey.KeyFile = keyFile
	c.AdminCert, c.AdminKey, err = ca.Issue(dir, "admin", pki.Request{
		CommonName: "kubernetes-admin", Organization: []string{"system:masters"},
		Usages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	})
	if err != nil {
		return err
	}
	// kubeadm's apiserver-kubelet-client: kubelets authorize the API server
	// through the system:masters group.
	kubeletCert, kubeletKey, err := ca.Issue(dir, "apiserver-kubelet-client", pki.Request{
		CommonName: "kube-apiserver-kubelet-client", Organization: []string{"system:masters"},
		Usages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	})
	if err != nil {
		return err
	}
	c.Kubelet = c.Options.kubeletConfig(kubeletCert, kubeletKey)
	return nil
}

// authentication accepts client certificates signed by the cluster CA,
// bound service account tokens, bootstrap tokens if enabled and, as
// kube-apiserver does by default, anonymous requests. A bearer token that
// is presented and rejected is a 401, not an anonymous request.
//
// Tokens name service accounts and bound objects, or bootstrap token
// Secrets, which the authenticators read from informers: they are
// registered with factory, so this must run before the factory starts.
func (c *Config) authentication(generic *genericapiserver.Config, client kubernetes.Interface, factory informers.SharedInformerFactory) error {
	ca, err := dynamiccertificates.NewDynamicCAContentFromFile("client-ca", c.CA.CertFile)
	if err != nil {
		return fmt.Errorf("client CA: %w", err)
	}
	if err := generic.Authentication.ApplyClientCert(ca, generic.SecureServing); err != nil {
		return fmt.Errorf("client CA: %w", err)
	}
	certs := clientCertAuthenticator(ca)

	o := c.Options
	key, err := pki.LoadOrCreateKey(filepath.Join(o.pkiDir(), "sa.key"))
	if err != nil {
		return fmt.Errorf("service account signing key: %w", err)
	}
	if c.TokenIssuer, err = token.NewIssuer(o.ServiceAccountIssuers[0], key); err != nil {
		return err
	}
	// As kube-apiserver, the API is by default the audience its issuers
	// name. Never empty: without audiences, a token for any would do.
	generic.Authentication.APIAudiences = o.APIAudiences
	if len(o.APIAudiences) == 0 {
		generic.Authentication.APIAudiences = o.ServiceAccountIssuers
	}
	tokens := []authenticator.Token{token.NewAuthenticator(token.Config{
		Issuers:      o.ServiceAccountIssuers,
		Keys:         []token.PublicKey{c.TokenIssuer.PublicKey()},
		APIAudiences: generic.Authentication.APIAudiences,
		Objects:      token.NewGetter(client, factory),
		// Secret-based tokens too, as kube-apiserver by default.
		Legacy: true,
	})}
	if o.EnableBootstrapTokenAuth {
		// After service accounts, as kube-apiserver. A bootstrap token
		// names no audience: it is good for the API's own only.
		tokens = append(tokens, authenticator.WrapAudienceAgnosticToken(generic.Authentication.APIAudiences,
			bootstraptoken.New(factory.Core().V1().Secrets().Lister().Secrets(metav1.NamespaceSystem))))
	}
	// Successes are cached for tokenSuccessCacheTTL, failures not: a
	// revoked token (its service account or pod deleted, its bootstrap
	// token Secret deleted or expired) may work that much longer, as
	// upstream.
	c.Tokens = tokencache.New(tokenunion.New(tokens...), true, tokenSuccessCacheTTL, 0)

	generic.Authentication.Authenticator = union.NewFailOnError(
		group.NewAuthenticatedGroupAdder(union.New(
			certs,
			bearertoken.New(c.Tokens),
			// Browsers cannot set headers on websockets: the token comes
			// in a subprotocol.
			websocket.NewProtocolAuthenticator(c.Tokens),
		)),
		anonymous.NewAuthenticator(nil),
	)
	return nil
}

// clientCertAuthenticator authenticates a client certificate that chains to
// ca and allows client authentication: its common name is the user, its
// organizations the groups, as kube-apiserver's --client-ca-file.
func clientCertAuthenticator(ca dynamiccertificates.CAContentProvider) *x509request.Authenticator {
	return x509request.NewDynamic(ca.VerifyOptions, x509request.CommonNameUserConversion)
}

// tokenSuccessCacheTTL is how long an authenticated token is taken for
// granted, kube-apiserver's.
const tokenSuccessCacheTTL = 10 * time.Second

// tokenOptions configure serviceaccounts/token. Its bound objects are read
// live through client: a token bound to an object just created or
// recreated must name its UID, which an informer may not have yet.
func (c *Config) tokenOptions(client kubernetes.Interface) serviceaccount.TokenOptions {
	return serviceaccount.TokenOptions{
		Issuer:           c.TokenIssuer,
		APIAudiences:     c.Generic.Authentication.APIAudiences,
		MaxExpiration:    c.Options.ServiceAccountMaxTokenExpiration,
		ExtendExpiration: c.Options.ServiceAccountExtendTokenExpiration,
		Objects:          token.NewGetter(client, nil),
	}
}

func firstIP(cidr *net.IPNet) (net.IP, error) {
	ip, err := netutils.GetIndexedIP(cidr, 1)
	if err != nil {
		return nil, fmt.Errorf("first IP of %s: %w", cidr, err)
	}
	return ip, nil
}

func defaultAddress(bind net.IP) (net.IP, error) {
	if bind != nil && !bind.IsUnspecified() && !bind.IsLoopback() {
		return bind, nil
	}
	ip, err := utilnet.ChooseHostInterface()
	if err != nil {
		klog.Background().Info("No default interface address; the kubernetes service will point at 127.0.0.1", "err", err)
		return net.ParseIP("127.0.0.1"), nil
	}
	return ip, nil
}

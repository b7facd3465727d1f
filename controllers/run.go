package controllers

import (
	"context"
	"fmt"
	"time"

	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/klog/v2"

	"github.com/kubeshim/kubeshim/controllers/bootstrapsigner"
	"github.com/kubeshim/kubeshim/controllers/bootstraptokencleaner"
	"github.com/kubeshim/kubeshim/controllers/clusterroleaggregation"
	"github.com/kubeshim/kubeshim/controllers/cronjob"
	"github.com/kubeshim/kubeshim/controllers/csrapproving"
	"github.com/kubeshim/kubeshim/controllers/csrsigning"
	"github.com/kubeshim/kubeshim/controllers/daemonset"
	"github.com/kubeshim/kubeshim/controllers/deployment"
	"github.com/kubeshim/kubeshim/controllers/disruption"
	"github.com/kubeshim/kubeshim/controllers/endpoint"
	"github.com/kubeshim/kubeshim/controllers/endpointslice"
	"github.com/kubeshim/kubeshim/controllers/endpointslicemirroring"
	"github.com/kubeshim/kubeshim/controllers/garbagecollector"
	"github.com/kubeshim/kubeshim/controllers/horizontalpodautoscaler"
	"github.com/kubeshim/kubeshim/controllers/job"
	"github.com/kubeshim/kubeshim/controllers/namespace"
	"github.com/kubeshim/kubeshim/controllers/nodeipam"
	"github.com/kubeshim/kubeshim/controllers/nodelifecycle"
	"github.com/kubeshim/kubeshim/controllers/persistentvolume"
	"github.com/kubeshim/kubeshim/controllers/podgc"
	"github.com/kubeshim/kubeshim/controllers/pvcprotection"
	"github.com/kubeshim/kubeshim/controllers/pvprotection"
	"github.com/kubeshim/kubeshim/controllers/replicaset"
	"github.com/kubeshim/kubeshim/controllers/replicationcontroller"
	"github.com/kubeshim/kubeshim/controllers/resourcequota"
	"github.com/kubeshim/kubeshim/controllers/rootca"
	"github.com/kubeshim/kubeshim/controllers/serviceaccount"
	"github.com/kubeshim/kubeshim/controllers/serviceaccounttoken"
	"github.com/kubeshim/kubeshim/controllers/statefulset"
	"github.com/kubeshim/kubeshim/controllers/tainteviction"
	"github.com/kubeshim/kubeshim/controllers/ttlafterfinished"
	"github.com/kubeshim/kubeshim/controllers/vacprotection"
	"github.com/kubeshim/kubeshim/controllers/volumeexpand"
)

// Config is what the controllers need.
type Config struct {
	// Client reaches the API server.
	Client *rest.Config
	// RootCA is the PEM bundle pods should trust for the API server; it is
	// published in every namespace as kube-root-ca.crt.
	RootCA []byte
	// Workers per controller.
	Workers int
	// NodeLifecycle holds the node lifecycle controller's grace periods
	// and eviction rates, PodGC the pod garbage collector's threshold
	// (--terminated-pod-gc-threshold) and quarantine, NodeIPAM the cluster
	// CIDRs node subnets are cut from (--cluster-cidr); zero values are
	// upstream's defaults.
	NodeLifecycle nodelifecycle.Options
	PodGC         podgc.Options
	NodeIPAM      nodeipam.Options
	// HPA holds the horizontal pod autoscaler's periods and tolerance
	// (--horizontal-pod-autoscaler-*).
	HPA horizontalpodautoscaler.Options
	// UseServiceAccountCredentials runs each controller as its own service
	// account in kube-system (--use-service-account-credentials).
	UseServiceAccountCredentials bool
	// TokenGenerator signs secret-based service account tokens; without
	// one the tokens controller does not run (upstream's needs
	// --service-account-private-key-file).
	TokenGenerator serviceaccounttoken.Generator
	// SigningCA signs approved API server client certificate requests
	// (the csrsigning controller), for at most SigningDuration; without
	// it nothing is signed.
	SigningCA       *csrsigning.CA
	SigningDuration time.Duration
}

// Run starts every controller and blocks until ctx is done.
func Run(ctx context.Context, c Config) error {
	if c.Workers == 0 {
		c.Workers = 2
	}
	rc := rest.AddUserAgent(rest.CopyConfig(c.Client), "kubeshim-controllers")
	// The controllers use deprecated APIs on purpose (v1 Endpoints); as
	// kube-controller-manager, they do not log the server's warnings.
	rc.WarningHandler = rest.NoWarnings{}
	// The shared informers and the service accounts' tokens use the
	// controller manager's own identity; each controller writes with its
	// own (see clients).
	client, err := kubernetes.NewForConfig(rc)
	if err != nil {
		return fmt.Errorf("controllers client: %w", err)
	}
	factory := informers.NewSharedInformerFactory(client, 10*time.Minute)
	cl := newClients(ctx, c, rc, client)

	ns := namespace.New(cl.client("namespace-controller"), cl.metadata("namespace-controller"), factory.Core().V1().Namespaces())
	gc := garbagecollector.New(cl.metadata("generic-garbage-collector"), cl.client("generic-garbage-collector").Discovery())
	rsClient := cl.client("replicaset-controller")
	rsc := replicaset.New(rsClient, replicaset.ReplicaSets(rsClient, factory.Apps().V1().ReplicaSets()), factory.Core().V1().Pods())
	dc := deployment.New(cl.client("deployment-controller"), factory.Apps().V1().Deployments(), factory.Apps().V1().ReplicaSets(), factory.Core().V1().Pods())
	rcc := replicationcontroller.New(cl.client("replication-controller"), factory.Core().V1().ReplicationControllers(), factory.Core().V1().Pods())
	ep := endpoint.New(cl.client("endpoint-controller"), factory.Core().V1().Services(), factory.Core().V1().Pods(), factory.Core().V1().Endpoints())
	eps := endpointslice.New(cl.client("endpointslice-controller"), factory.Core().V1().Services(), factory.Core().V1().Pods(), factory.Core().V1().Nodes(), factory.Discovery().V1().EndpointSlices())
	epm := endpointslicemirroring.New(cl.client("endpointslicemirroring-controller"), factory.Core().V1().Endpoints(), factory.Core().V1().Services(), factory.Discovery().V1().EndpointSlices())
	quota := resourcequota.New(cl.client("resourcequota-controller"), factory)
	sa := serviceaccount.New(cl.client("service-account-controller"), factory.Core().V1().Namespaces(), factory.Core().V1().ServiceAccounts())
	ca := rootca.New(cl.client("root-ca-cert-publisher"), c.RootCA, factory.Core().V1().Namespaces(), factory.Core().V1().ConfigMaps())
	// Disabled by default in kube-controller-manager, enabled by kubeadm:
	// kubeshim runs them as kubeadm's clusters do.
	tcl := bootstraptokencleaner.New(cl.client("token-cleaner"), factory.Core().V1().Secrets())
	bts := bootstrapsigner.New(cl.client("bootstrap-signer"), factory.Core().V1().Secrets(), factory.Core().V1().ConfigMaps())
	cj := cronjob.New(cl.client("cronjob-controller"), factory.Batch().V1().CronJobs(), factory.Batch().V1().Jobs())
	jc := job.New(cl.client("job-controller"), factory.Batch().V1().Jobs(), factory.Core().V1().Pods())
	ttl := ttlafterfinished.New(cl.client("ttl-after-finished-controller"), factory.Batch().V1().Jobs())
	cra := clusterroleaggregation.New(cl.client("clusterrole-aggregation-controller"), factory.Rbac().V1().ClusterRoles())
	dsc := daemonset.New(cl.client("daemon-set-controller"), factory.Apps().V1().DaemonSets(), factory.Apps().V1().ControllerRevisions(), factory.Core().V1().Pods(), factory.Core().V1().Nodes())
	ssc := statefulset.New(cl.client("statefulset-controller"), factory.Apps().V1().StatefulSets(), factory.Core().V1().Pods(), factory.Core().V1().PersistentVolumeClaims(), factory.Apps().V1().ControllerRevisions())
	// Node lifecycle, taint eviction and node IPAM share upstream's
	// node-controller account, as kube-controller-manager's do.
	nodeClient := cl.client("node-controller")
	nlc := nodelifecycle.New(nodeClient, factory.Core().V1().Nodes(), factory.Coordination().V1().Leases(), factory.Core().V1().Pods(), c.NodeLifecycle)
	pdb := disruption.New(cl.client("disruption-controller"), factory.Policy().V1().PodDisruptionBudgets(), factory.Core().V1().Pods(), factory.Core().V1().ReplicationControllers(), factory.Apps().V1().ReplicaSets(), factory.Apps().V1().Deployments(), factory.Apps().V1().StatefulSets())
	tec := tainteviction.New(nodeClient, factory.Core().V1().Pods(), factory.Core().V1().Nodes())
	pgc := podgc.New(cl.client("pod-garbage-collector"), factory.Core().V1().Pods(), factory.Core().V1().Nodes(), c.PodGC)
	ipam, err := nodeipam.New(nodeClient, factory.Core().V1().Nodes(), c.NodeIPAM)
	if err != nil {
		return fmt.Errorf("node IPAM: %w", err)
	}
	pvb, err := persistentvolume.New(cl.client("persistent-volume-binder"), factory.Core().V1().PersistentVolumes(), factory.Core().V1().PersistentVolumeClaims(),
		factory.Storage().V1().StorageClasses(), factory.Core().V1().Pods())
	if err != nil {
		return fmt.Errorf("persistent volume binder: %w", err)
	}
	pvcp, err := pvcprotection.New(cl.client("pvc-protection-controller"), factory.Core().V1().PersistentVolumeClaims(), factory.Core().V1().Pods())
	if err != nil {
		return fmt.Errorf("PVC protection: %w", err)
	}
	pvp, err := pvprotection.New(cl.client("pv-protection-controller"), factory.Core().V1().PersistentVolumes())
	if err != nil {
		return fmt.Errorf("PV protection: %w", err)
	}
	vacp, err := vacprotection.New(cl.client("volumeattributesclass-protection-controller"), factory.Core().V1().PersistentVolumeClaims(), factory.Core().V1().PersistentVolumes(), factory.Storage().V1().VolumeAttributesClasses())
	if err != nil {
		return fmt.Errorf("VAC protection: %w", err)
	}
	vex, err := volumeexpand.New(cl.client("expand-controller"), factory.Core().V1().PersistentVolumeClaims(), factory.Core().V1().PersistentVolumes())
	if err != nil {
		return fmt.Errorf("volume expand: %w", err)
	}
	hpa, err := horizontalpodautoscaler.New(cl.config("horizontal-pod-autoscaler"), cl.client("horizontal-pod-autoscaler"), factory.Autoscaling().V2().HorizontalPodAutoscalers(), factory.Core().V1().Pods(), c.HPA)
	if err != nil {
		return fmt.Errorf("horizontal pod autoscaler: %w", err)
	}
	// Approving and signing share upstream's certificate-controller
	// account.
	certClient := cl.client("certificate-controller")
	csrApprover := csrapproving.New(certClient, factory.Certificates().V1().CertificateSigningRequests())
	var csrSigner *csrsigning.Controller
	if c.SigningCA != nil {
		csrSigner = csrsigning.New(certClient, *c.SigningCA, c.SigningDuration, factory.Certificates().V1().CertificateSigningRequests())
	}
	if err := cl.err(); err != nil {
		return err
	}
	// The tokens controller writes with the controller manager's own
	// identity, as upstream's: it makes the tokens the others would use.
	var tokens *serviceaccounttoken.Controller
	if c.TokenGenerator != nil {
		tokens = serviceaccounttoken.New(kubernetes.NewForConfigOrDie(rest.AddUserAgent(rest.CopyConfig(rc), "tokens-controller")),
			c.TokenGenerator, c.RootCA, factory.Core().V1().Secrets(), factory.Core().V1().ServiceAccounts())
	}
	factory.Start(ctx.Done())
	defer factory.Shutdown()
	names := []string{"namespace", "garbagecollector", "replicaset", "deployment", "replicationcontroller", "resourcequota", "serviceaccount", "root-ca-cert-publisher", "endpoint", "endpointslice", "endpointslicemirroring", "cronjob", "job", "ttl-after-finished", "daemonset", "statefulset", "node-lifecycle", "taint-eviction", "disruption", "pod-garbage-collector", "node-ipam", "clusterrole-aggregation",
		"persistentvolume-binder", "persistentvolumeclaim-protection", "persistentvolume-protection", "volumeattributesclass-protection", "persistentvolume-expander", "horizontal-pod-autoscaler",
		"tokencleaner", "bootstrapsigner", "csrapproving"}
	if tokens != nil {
		names = append(names, serviceaccounttoken.Name)
	}
	if csrSigner != nil {
		names = append(names, csrsigning.Name)
	}
	klog.FromContext(ctx).Info("Starting controllers", "controllers", names)
	go quota.Run(ctx, c.Workers)
	go ns.Run(ctx, c.Workers)
	go gc.Run(ctx, c.Workers)
	go rsc.Run(ctx, c.Workers)
	go dc.Run(ctx, c.Workers)
	go rcc.Run(ctx, c.Workers)
	go ep.Run(ctx, c.Workers)
	go eps.Run(ctx, c.Workers)
	go epm.Run(ctx, c.Workers)
	go sa.Run(ctx, c.Workers)
	go ca.Run(ctx, c.Workers)
	go cj.Run(ctx, c.Workers)
	go jc.Run(ctx, c.Workers)
	go ttl.Run(ctx, c.Workers)
	go cra.Run(ctx, c.Workers)
	go dsc.Run(ctx, c.Workers)
	go ssc.Run(ctx, c.Workers)
	go nlc.Run(ctx, c.Workers)
	go tec.Run(ctx, c.Workers)
	go pdb.Run(ctx, c.Workers)
	go pgc.Run(ctx)
	go ipam.Run(ctx, c.Workers)
	go pvb.Run(ctx, c.Workers)
	go pvcp.Run(ctx, c.Workers)
	go pvp.Run(ctx, c.Workers)
	go vacp.Run(ctx, c.Workers)
	go vex.Run(ctx, c.Workers)
	go hpa.Run(ctx, c.Workers)
	go tcl.Run(ctx, c.Workers)
	go bts.Run(ctx)
	if tokens != nil {
		go tokens.Run(ctx, c.Workers)
	}
	go csrApprover.Run(ctx, c.Workers)
	if csrSigner != nil {
		go csrSigner.Run(ctx, c.Workers)
	}
	<-ctx.Done()
	return nil
}

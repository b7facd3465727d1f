package controllers

import (
	"context"
	"errors"
	"fmt"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/metadata"
	"k8s.io/client-go/rest"
	"k8s.io/controller-manager/pkg/clientbuilder"
)

// clients builds each controller's clients, named after the controller's
// service account (upstream's names: "replicaset-controller",
// "node-controller", ...). With UseServiceAccountCredentials, as
// kube-controller-manager's --use-service-account-credentials, a client
// authenticates as the service account kube-system/<name> (made if
// missing) with a bound token the controller manager requests and renews,
// so RBAC's system:controller:<name> role limits it. Otherwise every
// client is the controller manager's own, with the name in its user agent.
//
// Errors are collected: the constructors only keep their clients, and Run
// checks err before starting anything.
type clients struct {
	ctx     context.Context
	builder clientbuilder.ControllerClientBuilder
	errs    []error
}

func newClients(ctx context.Context, c Config, rc *rest.Config, client kubernetes.Interface) *clients {
	if c.UseServiceAccountCredentials {
		// The builder adds each account's token to a configuration that
		// must carry no credentials of its own.
		return &clients{ctx: ctx, builder: clientbuilder.NewDynamicClientBuilder(rest.AnonymousClientConfig(rc), client.CoreV1(), metav1.NamespaceSystem)}
	}
	return &clients{ctx: ctx, builder: clientbuilder.SimpleControllerClientBuilder{ClientConfig: rc}}
}

// config returns the controller's REST configuration. Making its service
// account is retried for a while: at a server's first start kube-system
// may not exist yet.
func (cl *clients) config(name string) *rest.Config {
	var rc *rest.Config
	var last error
	err := wait.PollUntilContextTimeout(cl.ctx, 200*time.Millisecond, time.Minute, true, func(context.Context) (bool, error) {
		rc, last = cl.builder.Config(name)
		return last == nil, nil
	})
	if err != nil {
		cl.errs = append(cl.errs, fmt.Errorf("%s client: %w", name, errors.Join(err, last)))
		return &rest.Config{}
	}
	// As the controller manager's own: deprecated APIs (v1 Endpoints) are
	// used on purpose, their warnings are not logged.
	rc.WarningHandler = rest.NoWarnings{}
	return rc
}

func (cl *clients) client(name string) kubernetes.Interface {
	c, err := kubernetes.NewForConfig(cl.config(name))
	if err != nil {
		cl.errs = append(cl.errs, fmt.Errorf("%s client: %w", name, err))
		return kubernetes.New(nil)
	}
	return c
}

func (cl *clients) metadata(name string) metadata.Interface {
	c, err := metadata.NewForConfig(cl.config(name))
	if err != nil {
		cl.errs = append(cl.errs, fmt.Errorf("%s metadata client: %w", name, err))
		return nil
	}
	return c
}

func (cl *clients) err() error { return errors.Join(cl.errs...) }

// Package etcd runs the embedded etcd member that stores a single-server
// kubeshim's objects under <data-dir>/etcd.
//
//	e, err := etcd.Start(ctx, etcd.Config{Dir: "/var/lib/kubeshim/etcd"})
//	if err != nil {
//		return err
//	}
//	defer e.Close()
//	// e.ClientURL() is what --etcd-servers would name.
//
// The member listens on 127.0.0.1 only, on ports the kernel picks, so that
// several servers with their own data dirs can run side by side on one host.
package etcd

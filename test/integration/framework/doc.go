// Package framework starts a real kubeshim API server, with its own embedded
// etcd in a temporary data dir, inside the test process, and stops it again.
//
//	func TestMain(m *testing.M) { framework.Main(m) }
//
//	func TestSomething(t *testing.T) {
//		config := framework.Shared(t) // one server per test package
//		client := kubernetes.NewForConfigOrDie(config)
//		...
//	}
//
// As in kubernetes' test/integration/framework, a package shares one server:
// starting etcd and the chain costs about a second, tests isolate themselves
// by namespace.
package framework

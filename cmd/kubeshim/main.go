// Command kubeshim is the one binary of kubeshim: `kubeshim server`,
// `kubeshim agent`, `kubeshim up` and their helpers, one file per subcommand.
package main

import (
	"os"
	// CronJob time zones resolve on hosts without /usr/share/zoneinfo, as in kube-apiserver.
	_ "time/tzdata"

	"k8s.io/component-base/cli"
)

func main() {
	os.Exit(cli.Run(newRootCommand()))
}

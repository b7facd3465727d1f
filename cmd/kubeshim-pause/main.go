// Command kubeshim-pause is the process of a pod's sandbox container: it
// holds the pod's namespaces by doing nothing until it is told to stop. As
// PID 1 of a pod that shares its PID namespace it also reaps the orphans
// that are re-parented to it, so that they do not linger as zombies.
//
// It behaves as upstream's pause (build/pause/linux/pause.c): SIGINT and
// SIGTERM end it with status 0, -v prints its version. Build it static
// (CGO_ENABLED=0) so that the pause image needs no libraries.
package main

import (
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

// version is the version of upstream's pause that this one stands in for.
const version = "3.10.2"

func main() {
	if len(os.Args) > 1 && os.Args[1] == "-v" {
		fmt.Printf("kubeshim-pause %s\n", version)
		return
	}
	if os.Getpid() != 1 {
		fmt.Fprintln(os.Stderr, "Warning: pause should be the first process")
	}

	signals := make(chan os.Signal, 16)
	signal.Notify(signals, syscall.SIGINT, syscall.SIGTERM, syscall.SIGCHLD)
	for sig := range signals {
		if sig == syscall.SIGCHLD {
			reap()
			continue
		}
		fmt.Fprintf(os.Stderr, "Shutting down, got signal: %v\n", sig)
		os.Exit(0)
	}
}

// reap waits for every child that has exited. Signals coalesce, so one
// SIGCHLD may stand for many children.
func reap() {
	for {
		var status syscall.WaitStatus
		pid, err := syscall.Wait4(-1, &status, syscall.WNOHANG, nil)
		if err == syscall.EINTR {
			continue
		}
		if pid <= 0 || err != nil {
			return
		}
	}
}

// Command summary reads the Ginkgo JSON report of an e2e.test run and prints
// one line per failed spec with its failure message, then the summary line
//
//	conformance: N passed, M failed, K skipped
//
// Specs that the focus filtered out are not counted: Ginkgo reports them as
// skipped with no message, while a spec that ran and skipped itself carries
// its reason. A failed suite node (such as the SynchronizedBeforeSuite that
// checks the cluster) counts as failed, since it fails every spec after it.
//
// Usage: go run ./cmd/summary [-v] REPORT.json
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"strings"

	"github.com/onsi/ginkgo/v2/types"
)

func main() {
	verbose := flag.Bool("v", false, "print the whole failure message and the reason of every skip")
	flag.Usage = func() {
		fmt.Fprintln(flag.CommandLine.Output(), "usage: summary [-v] REPORT.json")
		flag.PrintDefaults()
	}
	flag.Parse()
	if flag.NArg() != 1 {
		flag.Usage()
		os.Exit(2)
	}
	if err := run(flag.Arg(0), *verbose); err != nil {
		fmt.Fprintln(os.Stderr, "summary:", err)
		os.Exit(1)
	}
}

func run(path string, verbose bool) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	var reports []types.Report
	if err := json.Unmarshal(data, &reports); err != nil {
		return fmt.Errorf("decode %s: %w", path, err)
	}
	var passed, failed, skipped int
	for _, r := range reports {
		for _, s := range r.SpecReports {
			name := s.FullText()
			if s.LeafNodeType != types.NodeTypeIt {
				name = "[" + s.LeafNodeType.String() + "]"
			}
			switch {
			case s.State.Is(types.SpecStateFailureStates):
				failed++
				fmt.Printf("FAIL %s\n    %s\n", name, message(s.Failure.Message, verbose))
			case s.LeafNodeType != types.NodeTypeIt:
			case s.State == types.SpecStatePassed:
				passed++
			case s.State == types.SpecStateSkipped && s.Failure.Message != "":
				skipped++
				if verbose {
					fmt.Printf("SKIP %s\n    %s\n", name, message(s.Failure.Message, verbose))
				}
			}
		}
	}
	fmt.Printf("conformance: %d passed, %d failed, %d skipped\n", passed, failed, skipped)
	return nil
}

// message is the failure message on one line, or whole when verbose.
func message(m string, verbose bool) string {
	m = strings.TrimSpace(m)
	if verbose {
		return strings.ReplaceAll(m, "\n", "\n    ")
	}
	if i := strings.IndexByte(m, '\n'); i >= 0 {
		m = m[:i] + " …"
	}
	return m
}

// Command summary reads the Ginkgo JSON report of an e2e.test run and prints
// one line per failed spec with its failure message, then the summary line
//
//	conformance: N passed, M failed, K skipped
//
// Specs that the focus filtered out are not counted: Ginkgo reports them as
// skipped with no message, while a spec that ran and skipped itself carries
// its reason. A failed suite node (such as the SynchronizedBeforeSuite that
// checks the cluster) counts as failed, since it fails every spec after it;
// focused specs that never ran (after an interrupt) are reported apart.
//
// With -markdown REASONS it prints, instead, the result as Markdown for
// docs/: the counts, then one line per failed test with its reason, taken
// from REASONS (lines "substring<TAB>reason": the first line whose
// substring is in the test's name gives the reason) or, for a failure not
// explained there, the failure message's first line.
//
// Usage: go run ./cmd/summary [-v] [-markdown REASONS] REPORT.json
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
	reasons := flag.String("markdown", "", "print Markdown, with the reasons of failures from this file")
	flag.Usage = func() {
		fmt.Fprintln(flag.CommandLine.Output(), "usage: summary [-v] [-markdown REASONS] REPORT.json")
		flag.PrintDefaults()
	}
	flag.Parse()
	if flag.NArg() != 1 {
		flag.Usage()
		os.Exit(2)
	}
	run := run
	if *reasons != "" {
		run = func(path string, _ bool) error { return markdown(path, *reasons) }
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
	var passed, failed, skipped, focused, ran int
	for _, r := range reports {
		focused += r.PreRunStats.SpecsThatWillRun
		for _, s := range r.SpecReports {
			name := s.FullText()
			it := s.LeafNodeType == types.NodeTypeIt
			if !it {
				name = "[" + s.LeafNodeType.String() + "]"
			}
			switch {
			case s.State.Is(types.SpecStateFailureStates):
				failed++
				fmt.Printf("FAIL %s\n    %s\n", name, message(s.Failure.Message, verbose))
			case !it:
				continue
			case s.State == types.SpecStatePassed:
				passed++
			case s.State == types.SpecStateSkipped && s.Failure.Message != "":
				skipped++
				if verbose {
					fmt.Printf("SKIP %s\n    %s\n", name, message(s.Failure.Message, verbose))
				}
			default:
				continue
			}
			if it {
				ran++
			}
		}
	}
	// Specs skipped after an interrupt or a failed suite node look like the
	// ones the focus left out; only the count of focused specs tells them.
	if notRun := focused - ran; notRun > 0 {
		fmt.Printf("%d of the %d focused tests did not run (interrupted, or a suite node failed)\n", notRun, focused)
	}
	fmt.Printf("conformance: %d passed, %d failed, %d skipped\n", passed, failed, skipped)
	return nil
}

// message is the failure message whole when verbose, else its first two
// lines on one: a timeout's first line only says that it timed out.
func message(m string, verbose bool) string {
	m = strings.TrimSpace(m)
	if verbose {
		return strings.ReplaceAll(m, "\n", "\n    ")
	}
	lines := strings.SplitN(m, "\n", 3)
	for i := range lines {
		lines[i] = strings.TrimSpace(lines[i])
	}
	if len(lines) == 3 {
		return lines[0] + " " + lines[1] + " …"
	}
	return strings.Join(lines, " ")
}

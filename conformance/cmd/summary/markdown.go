package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"sort"
	"strings"

	"github.com/onsi/ginkgo/v2/types"
)

// reason is a known cause of failure for the tests whose names contain
// substring.
type reason struct{ substring, text string }

func readReasons(path string) ([]reason, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out []reason
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		if strings.TrimSpace(line) == "" || strings.HasPrefix(line, "#") {
			continue
		}
		sub, text, ok := strings.Cut(line, "\t")
		if !ok || sub == "" || strings.TrimSpace(text) == "" {
			return nil, fmt.Errorf("%s:%d: want substring<TAB>reason", path, n)
		}
		out = append(out, reason{sub, strings.TrimSpace(text)})
	}
	return out, sc.Err()
}

// markdown prints the report's counts and a table of its failures with
// their reasons.
func markdown(path, reasonsPath string) error {
	reasons, err := readReasons(reasonsPath)
	if err != nil {
		return err
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	var reports []types.Report
	if err := json.Unmarshal(data, &reports); err != nil {
		return fmt.Errorf("decode %s: %w", path, err)
	}
	type row struct{ name, why string }
	var rows []row
	var passed, failed, focused, ran int
	var start, end string
	for _, r := range reports {
		focused += r.PreRunStats.SpecsThatWillRun
		start, end = r.StartTime.UTC().Format("2006-01-02 15:04"), r.EndTime.UTC().Format("15:04 MST")
		for _, s := range r.SpecReports {
			it := s.LeafNodeType == types.NodeTypeIt
			switch {
			case s.State.Is(types.SpecStateFailureStates):
				failed++
				name := s.FullText()
				if !it {
					name = "[" + s.LeafNodeType.String() + "]"
				}
				rows = append(rows, row{name, explain(name, s.Failure.Message, reasons)})
			case it && s.State == types.SpecStatePassed:
				passed++
			default:
				continue
			}
			if it {
				ran++
			}
		}
	}
	sort.Slice(rows, func(i, j int) bool { return rows[i].name < rows[j].name })
	fmt.Printf("Run %s to %s: **%d passed, %d failed** of %d focused", start, end, passed, failed, focused)
	if notRun := focused - ran; notRun > 0 {
		fmt.Printf(", %d did not run (interrupted, or a suite node failed)", notRun)
	}
	fmt.Print(".\n\n")
	if len(rows) == 0 {
		return nil
	}
	fmt.Println("| failed test | reason |")
	fmt.Println("|---|---|")
	for _, r := range rows {
		fmt.Printf("| %s | %s |\n", cell(r.name), cell(r.why))
	}
	return nil
}

// explain is the first known reason that matches name, else the failure
// message's first line, marked as not investigated.
func explain(name, failure string, reasons []reason) string {
	for _, r := range reasons {
		if strings.Contains(name, r.substring) {
			return r.text
		}
	}
	first, _, _ := strings.Cut(strings.TrimSpace(failure), "\n")
	// Some failures print whole objects on their first line: the start
	// says what failed, the test's log the rest.
	if r := []rune(first); len(r) > maxFailure {
		first = string(r[:maxFailure]) + "…"
	}
	return "not investigated yet; the failure: " + first
}

// maxFailure is how much of an unexplained failure's first line the table
// shows, in characters.
const maxFailure = 300

// cell escapes what would break a Markdown table cell.
func cell(s string) string {
	return strings.NewReplacer("|", `\|`, "\n", " ").Replace(s)
}

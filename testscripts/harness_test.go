package testscripts

// TestMain finds and builds the stages; TestStages runs each suite's
// scripts against its program; a summary table closes the run. The model
// (programs, suites, the workbook) is in grader.go, shared with the
// workbook command.

import (
	"flag"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/rogpeppe/go-internal/testscript"
)

var (
	root     string    // the workbook root, parent of testscripts/
	wb       *workbook // the workbook at root
	suites   []*suite  // the reference's suites, in workbook order (all of them)
	selected []*suite  // those that -run selects, built by TestMain
	setupErr error     // a problem found by TestMain, reported by TestStages
)

func TestMain(m *testing.M) {
	if os.Getenv(fakeStageEnv) != "" {
		os.Exit(fakeStageMain()) // the self-test runs this binary as a fake stage
	}
	flag.Parse()
	code := func() int {
		wd, err := os.Getwd()
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		root = filepath.Dir(wd)
		workspaceRoot = root
		suites, setupErr = referenceSuites()
		if selected = selectSuites(suites); len(selected) > 0 {
			binDir, err := os.MkdirTemp("", "workbook-grader-")
			if err != nil {
				fmt.Fprintln(os.Stderr, err)
				return 1
			}
			defer os.RemoveAll(binDir)
			buildAll(selected, binDir)
		}
		return m.Run()
	}()
	printSummary(code)
	os.Exit(code)
}

// referenceSuites lists the suites of the workbook at root, with
// WORKBOOK_GRADE's copies in place of some stages:
//
//	WORKBOOK_GRADE=stage4_404=/path/to/copy[,stage5_files=/other]
//
// (a relative path is taken from the workbook root).
func referenceSuites() ([]*suite, error) {
	var err error
	if wb, err = openWorkbook(root); err != nil {
		return nil, err
	}
	override, err := wb.parseOverride(os.Getenv("WORKBOOK_GRADE"), root)
	if err != nil {
		return nil, err
	}
	return wb.reference(override)
}

// selectSuites applies -run: nothing when it does not select TestStages
// (so `go test -run TestHarness` builds no stage), only the matching
// suites for -run TestStages/stage4 or -run TestStages/final/01.
func selectSuites(all []*suite) []*suite {
	if flag.Lookup("test.list").Value.String() != "" {
		return nil
	}
	run := flag.Lookup("test.run").Value.String()
	if run == "" {
		return all
	}
	parts := strings.Split(run, "/")
	if re, err := regexp.Compile(parts[0]); err == nil && !re.MatchString("TestStages") {
		return nil
	}
	return slices.DeleteFunc(slices.Clone(all), func(s *suite) bool {
		for i, name := range strings.Split(s.name, "/") {
			if i+1 >= len(parts) {
				break
			}
			if re, err := regexp.Compile(parts[i+1]); err == nil && !re.MatchString(name) {
				return true
			}
		}
		return false
	})
}

func TestStages(t *testing.T) {
	if setupErr != nil {
		t.Fatal(setupErr)
	}
	noteInputs()
	if len(suites) == 0 {
		t.Skip("no stage folders with a go.mod found in " + root)
	}
	for _, s := range selected {
		t.Run(s.name, func(t *testing.T) {
			t.Parallel()
			s.tested = true
			scripts := s.scripts(wb.testdata())
			reason, msg := s.prog.notReady()
			switch {
			case len(scripts) == 0:
				s.noScripts = true
				t.Skipf("no scripts yet: testdata/%s/*.txtar", s.name)
			case reason != "":
				s.notRunReason = reason
				t.Fatal(msg)
			}
			var deadline time.Time
			if d, ok := t.Deadline(); ok {
				deadline = d
			}
			if len(s.dirs) == 1 {
				testscript.RunT(countingT{t, s}, wb.scriptParams(s, s.dirs[0], deadline, nil))
				return
			}
			for _, dir := range s.dirs { // a serving mode of final: every chapter
				t.Run(filepath.Base(dir), func(t *testing.T) {
					t.Parallel()
					testscript.RunT(countingT{t, s}, wb.scriptParams(s, dir, deadline, nil))
				})
			}
		})
	}
}

// noteInputs reads again what TestMain read before m.Run, where go test
// does not watch: its cache replays a passing run as long as the files and
// environment variables read during the run are unchanged. The sample site
// is served by the stages, so its files count too.
func noteInputs() {
	referenceSuites()
	filepath.WalkDir(filepath.Join(root, "web"), func(path string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			os.Stat(path)
		}
		return nil
	})
}

// countingT is testscript's T over *testing.T that also records each
// script's outcome in its suite, for the summary.
type countingT struct {
	*testing.T
	s *suite
}

func (t countingT) Run(name string, f func(testscript.T)) {
	t.T.Run(name, func(tt *testing.T) {
		tt.Cleanup(func() { t.s.record(result{name: name, failed: tt.Failed(), skipped: tt.Skipped()}) })
		f(countingT{tt, t.s})
	})
}

func (countingT) Verbose() bool { return testing.Verbose() }

// printSummary prints the table of the suites TestStages looked at. go
// test shows a passing package's output only with -v or in local
// directory mode, so when all passed the table also goes to the terminal
// directly, if there is one. A failing run's output is always shown, so
// then the table goes to stdout only (once, not twice). A log with no
// terminal (CI) can ask for the table in a file: WORKBOOK_SUMMARY=FILE.
func printSummary(code int) {
	table := summary(selected)
	if table == "" {
		return
	}
	os.Stdout.WriteString(table)
	if file := os.Getenv("WORKBOOK_SUMMARY"); file != "" {
		os.WriteFile(file, []byte(table), 0o644)
	}
	if code == 0 && !testing.Verbose() && !isTerminal(os.Stdout) {
		toTerminal(table)
	}
}

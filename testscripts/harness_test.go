package testscripts

// TestMain finds and builds the stages; TestStages runs each stage's
// scripts against its binary; a summary table closes the run.

import (
	"bytes"
	"flag"
	"fmt"
	"go/parser"
	"go/token"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"
)

// A stage is one server of the workbook, its binary and its results.
type stage struct {
	name     string
	src      string   // the folder built (the workbook's, or WORKBOOK_GRADE's)
	hasMain  bool     // the folder has a main package
	bin      string   // the built binary; "" until built
	env      []string // extra environment for the server (the self-test's fake)
	buildOK  bool
	buildMsg string // the compiler's output when the build failed
	mode     string // final's -serve MODE; "" for its default
	base     *stage // the stage whose binary and scripts a mode shares

	mu           sync.Mutex
	ran, failed  int
	tested       bool // TestStages/<stage> ran
	noScripts    bool
	notRunReason string // "build error", "no main package", ...
}

func (st *stage) record(failed bool) {
	st.mu.Lock()
	defer st.mu.Unlock()
	st.ran++
	if failed {
		st.failed++
	}
}

var (
	root       string   // the workbook root, parent of testscripts/
	stages     []*stage // in workbook order
	setupErr   error    // a problem found by TestMain, reported by TestStages
	stageDirRE = regexp.MustCompile(`^stage([0-9]+)_\w+$`)
	// finalModes are final's ways to serve (-serve MODE). Its scripts run
	// once per mode, each a row of the summary: final (the default,
	// goroutines), final-eventloop, final-sequential. A script checks the
	// mode with a condition: [sequential] skip 'needs two clients at once'.
	finalModes = []string{"goroutines", "eventloop", "poll", "sequential"}
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
		stages, setupErr = discover(root, os.Getenv("WORKBOOK_GRADE"))
		if stages = selectStages(withModes(stages)); len(stages) > 0 {
			binDir, err := os.MkdirTemp("", "workbook-grader-")
			if err != nil {
				fmt.Fprintln(os.Stderr, err)
				return 1
			}
			defer os.RemoveAll(binDir)
			buildAll(stages, binDir)
		}
		return m.Run()
	}()
	printSummary(code)
	os.Exit(code)
}

// discover lists the stage folders of the workbook (stageN_name, then
// final) that have a go.mod, applying WORKBOOK_GRADE overrides. It reads
// every .go file of each stage, so that go test's cache notices an edit.
func discover(root, override string) ([]*stage, error) {
	entries, err := os.ReadDir(root)
	if err != nil {
		return nil, err
	}
	var found []*stage
	for _, e := range entries {
		if !e.IsDir() || !(stageDirRE.MatchString(e.Name()) || e.Name() == "final") {
			continue
		}
		if _, err := os.Stat(filepath.Join(root, e.Name(), "go.mod")); err == nil {
			found = append(found, &stage{name: e.Name(), src: filepath.Join(root, e.Name())})
		}
	}
	slices.SortFunc(found, func(a, b *stage) int { return stageOrder(a.name) - stageOrder(b.name) })

	// WORKBOOK_GRADE=stage4_404=/path/to/copy[,stage5_files=/other]
	for _, item := range strings.Split(override, ",") {
		if strings.TrimSpace(item) == "" {
			continue
		}
		name, dir, ok := strings.Cut(item, "=")
		i := slices.IndexFunc(found, func(s *stage) bool { return s.name == strings.TrimSpace(name) })
		if !ok || i < 0 {
			return nil, fmt.Errorf("WORKBOOK_GRADE: %q should be STAGE=FOLDER, with STAGE one of the workbook's stage folders", item)
		}
		dir = strings.TrimSpace(dir)
		if rest, ok := strings.CutPrefix(dir, "~/"); ok {
			if home, err := os.UserHomeDir(); err == nil {
				dir = filepath.Join(home, rest)
			}
		}
		if !filepath.IsAbs(dir) {
			dir = filepath.Join(root, dir) // relative to the workbook root
		}
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err != nil {
			return nil, fmt.Errorf("WORKBOOK_GRADE: %s has no go.mod", dir)
		}
		found[i].src = dir
	}

	for _, s := range found {
		if s.hasMain, err = readSources(s.src); err != nil {
			return nil, err
		}
	}
	return found, nil
}

// withModes adds a stage for each of final's other serving modes, right
// after final.
func withModes(all []*stage) []*stage {
	i := slices.IndexFunc(all, func(s *stage) bool { return s.name == "final" })
	if i < 0 {
		return all
	}
	final := all[i]
	for j, mode := range finalModes[1:] {
		s := &stage{name: "final-" + mode, src: final.src, hasMain: final.hasMain, mode: mode, base: final}
		all = slices.Insert(all, i+1+j, s)
	}
	return all
}

// folder is the stage's folder name, and that of its scripts.
func (s *stage) folder() string {
	if s.base != nil {
		return s.base.name
	}
	return s.name
}

// stageOrder sorts stage2 before stage10, and final last.
func stageOrder(name string) int {
	if m := stageDirRE.FindStringSubmatch(name); m != nil {
		n, _ := strconv.Atoi(m[1])
		return n
	}
	return 1 << 20
}

// readSources reads every .go file (and go.mod, go.sum) under dir, and
// reports whether the folder itself holds a main package.
func readSources(dir string) (hasMain bool, err error) {
	err = filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		name := d.Name()
		if d.IsDir() {
			if path != dir && (strings.HasPrefix(name, ".") || name == "testdata") {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(name, ".go") && name != "go.mod" && name != "go.sum" {
			return nil
		}
		src, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		if filepath.Dir(path) == dir && strings.HasSuffix(name, ".go") && !strings.HasSuffix(name, "_test.go") {
			f, err := parser.ParseFile(token.NewFileSet(), path, src, parser.PackageClauseOnly)
			hasMain = hasMain || err == nil && f.Name.Name == "main"
		}
		return nil
	})
	return hasMain, err
}

// selectStages applies -run: nothing when it does not select TestStages
// (so `go test -run TestHarness` builds no stage), only the matching
// stages for -run TestStages/stage4.
func selectStages(all []*stage) []*stage {
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
	if len(parts) > 1 {
		if re, err := regexp.Compile(parts[1]); err == nil {
			return slices.DeleteFunc(all, func(s *stage) bool { return !re.MatchString(s.name) })
		}
	}
	return all
}

// buildAll builds the stages that have a main package, two at a time (the
// machines have two cores; go build is parallel inside too).
func buildAll(stages []*stage, binDir string) {
	sem := make(chan struct{}, 2)
	var wg sync.WaitGroup
	var built []*stage
	for _, s := range stages {
		if s.base != nil {
			s = s.base // a mode of final: build final, once
		}
		if !s.hasMain || slices.Contains(built, s) {
			continue
		}
		built = append(built, s)
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			s.build(binDir)
		}()
	}
	wg.Wait()
	for _, s := range stages {
		if b := s.base; b != nil {
			s.bin, s.buildOK, s.buildMsg = b.bin, b.buildOK, b.buildMsg
		}
	}
}

// displayDir is the stage's folder as a student would cd to it from the
// workbook root.
func (s *stage) displayDir() string {
	if rel, err := filepath.Rel(root, s.src); err == nil && !strings.HasPrefix(rel, "..") {
		return rel
	}
	return s.src
}

func (s *stage) build(binDir string) {
	bin := filepath.Join(binDir, s.name)
	if runtime.GOOS == "windows" {
		bin += ".exe"
	}
	cmd := exec.Command("go", "build", "-buildvcs=false", "-o", bin, ".")
	cmd.Dir = s.src
	cmd.Env = os.Environ()
	if !inWorkspace(s.src) {
		cmd.Env = append(cmd.Env, "GOWORK=off") // a copy kept elsewhere is its own module
	}
	out, err := cmd.CombinedOutput()
	if err != nil {
		s.buildMsg = strings.TrimSpace(string(out))
		if s.buildMsg == "" {
			s.buildMsg = err.Error()
		}
		return
	}
	s.bin, s.buildOK = bin, true
}

// inWorkspace reports whether dir is one of the modules go.work uses.
func inWorkspace(dir string) bool {
	work, err := os.ReadFile(filepath.Join(root, "go.work"))
	if err != nil {
		return false
	}
	inUse := false
	for _, line := range strings.Split(string(work), "\n") {
		line = strings.TrimSpace(strings.Split(line, "//")[0])
		var path string
		switch {
		case strings.HasPrefix(line, "use ("):
			inUse = true
		case inUse && line == ")":
			inUse = false
		case inUse:
			path = line
		case strings.HasPrefix(line, "use "):
			path = strings.TrimSpace(strings.TrimPrefix(line, "use"))
		}
		if path != "" && filepath.Clean(filepath.Join(root, strings.Trim(path, `"`))) == filepath.Clean(dir) {
			return true
		}
	}
	return false
}

func TestStages(t *testing.T) {
	if setupErr != nil {
		t.Fatal(setupErr)
	}
	noteInputs()
	if len(stages) == 0 {
		t.Skip("no stage folders with a go.mod found in " + root)
	}
	for _, s := range stages {
		t.Run(s.name, func(t *testing.T) {
			t.Parallel()
			s.tested = true
			dir := filepath.Join("testdata", s.folder())
			scripts, _ := filepath.Glob(filepath.Join(dir, "*.txtar"))
			switch {
			case len(scripts) == 0:
				s.noScripts = true
				t.Skipf("no scripts yet: %s/*.txtar", dir)
			case !s.hasMain:
				s.notRunReason = "no main package"
				t.Fatalf("%s has no main package yet: write %s/main.go (package main) first", s.name, s.name)
			case !s.buildOK:
				s.notRunReason = "build error"
				t.Fatalf("%s does not compile:\n%s\nhint: fix the compile error first: cd %s && go build", s.name, s.buildMsg, s.displayDir())
			}
			p := scriptParams(t, s)
			p.Dir = dir
			testscript.RunT(countingT{t, s}, p)
		})
	}
}

// noteInputs reads again what TestMain read before m.Run, where go test
// does not watch: its cache replays a passing run as long as the files and
// environment variables read during the run are unchanged. The sample site
// is served by the stages, so its files count too.
func noteInputs() {
	discover(root, os.Getenv("WORKBOOK_GRADE"))
	filepath.WalkDir(filepath.Join(root, "web"), func(path string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			os.Stat(path)
		}
		return nil
	})
}

// scriptParams returns the testscript parameters for the scripts of stage
// s: the custom commands, and the environment every script starts with.
func scriptParams(t *testing.T, s *stage) testscript.Params {
	p := testscript.Params{
		Cmds:          commands(),
		UpdateScripts: false, // the grader never rewrites its expectations
		Setup: func(env *testscript.Env) error {
			env.Setenv("STAGE", s.name)
			env.Setenv("ROOT", root)
			env.Setenv("WEB", filepath.Join(root, "web"))
			env.Values[stateKey{}] = newScriptState(s)
			return nil
		},
		// [goroutines], [eventloop], [sequential]: final's serving mode.
		Condition: func(cond string) (bool, error) {
			if !slices.Contains(finalModes, cond) {
				return false, fmt.Errorf("unknown condition %q", cond)
			}
			mode := s.mode
			if mode == "" {
				mode = finalModes[0]
			}
			return s.folder() == "final" && cond == mode, nil
		},
	}
	if deadline, ok := t.Deadline(); ok {
		p.Deadline = deadline
	}
	return p
}

// countingT is testscript's T over *testing.T that also counts the
// scripts of a stage and how many failed, for the summary.
type countingT struct {
	*testing.T
	s *stage
}

func (t countingT) Run(name string, f func(testscript.T)) {
	t.T.Run(name, func(tt *testing.T) {
		tt.Cleanup(func() { t.s.record(tt.Failed()) })
		f(countingT{tt, t.s})
	})
}

func (countingT) Verbose() bool { return testing.Verbose() }

// printSummary prints one row per stage that TestStages looked at. go test
// shows a passing package's output only with -v or in local directory
// mode, so when all passed the table also goes to the terminal directly
// (/dev/tty), if there is one. A failing run's output is always shown, so
// then the table goes to stdout only (once, not twice).
func printSummary(code int) {
	var b bytes.Buffer
	fmt.Fprintf(&b, "%-16s %7s  %s\n", "stage", "scripts", "result")
	rows := 0
	for _, s := range stages {
		if !s.tested {
			continue
		}
		rows++
		s.mu.Lock()
		result := "pass"
		switch {
		case s.notRunReason != "":
			result = s.notRunReason
		case s.noScripts:
			result = "no scripts"
		case s.failed > 0:
			result = fmt.Sprintf("FAIL (%d failed)", s.failed)
		}
		fmt.Fprintf(&b, "%-16s %7d  %s\n", s.name, s.ran, result)
		s.mu.Unlock()
	}
	if rows == 0 {
		return
	}
	os.Stdout.Write(b.Bytes())
	if code == 0 && !testing.Verbose() && !isTerminal(os.Stdout) {
		if tty, err := os.OpenFile("/dev/tty", os.O_WRONLY, 0); err == nil {
			io.Copy(tty, &b)
			tty.Close()
		}
	}
}

// isTerminal reports whether f is a character device (a terminal), in
// which case the table already went there.
func isTerminal(f *os.File) bool {
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

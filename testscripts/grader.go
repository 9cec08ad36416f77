package testscripts

// The grader's model, shared by `go test` (harness_test.go) and the
// workbook command (workbook.go): a program is a server to grade, a suite
// is a folder of scripts run against one program (one row of the summary
// table), and the workbook is the folder that holds the stages, their
// scripts and the sample site.

import (
	"bytes"
	"errors"
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
	"time"

	"github.com/rogpeppe/go-internal/testscript"
)

// A program is one server to grade: a Go folder built with go build, or a
// command line (workbook grade -cmd) in any language.
type program struct {
	src  string   // the Go folder that is built; "" for a command
	argv []string // a command's words; the word "{port}" is where the arguments go
	dir  string   // the folder a command runs in
	ref  string   // the workbook's own answer: its folder from the root ("stage4_404"); "" for a student's
	env  []string // extra environment for the server (the self-test's fake)

	hasMain  bool
	bin      string // the built binary; "" until built
	buildOK  bool
	buildMsg string // the compiler's output when the build failed
}

// ready reports whether the program can be started, and if not why: the
// "result" column of the summary and the message of every script.
func (p *program) notReady() (reason, msg string) {
	switch {
	case p.argv != nil || p.buildOK:
		return "", ""
	case !p.hasMain:
		return "no main package", fmt.Sprintf("%s has no main package yet: write main.go (package main) there first", p.display())
	case strings.Contains(p.buildMsg, "requires go >="):
		return "build error", fmt.Sprintf("%s does not build:\n%s\nhint: the go line of its go.mod asks for a newer Go than this machine's (go version): lower it, to go 1.25 as in the workbook's.", p.display(), p.buildMsg)
	default:
		return "build error", fmt.Sprintf("%s does not compile:\n%s\nhint: fix the compile error first: cd %s && go build", p.display(), p.buildMsg, shellPath(p.display()))
	}
}

// display is the program's folder as a student would cd to it.
func (p *program) display() string {
	dir := p.src
	if p.argv != nil {
		dir = p.dir
	}
	if p.ref != "" {
		return p.ref
	}
	return displayPath(dir)
}

// command is how the program starts with the given arguments (flags, then
// the port): the binary, or the command's words with the arguments where
// "{port}" stands (at the end when it is missing).
func (p *program) command(args []string) []string {
	if p.argv == nil {
		return append([]string{p.bin}, args...)
	}
	var words []string
	placed := false
	for _, w := range p.argv {
		if w == "{port}" {
			words, placed = append(words, args...), true
		} else {
			words = append(words, w)
		}
	}
	if !placed {
		words = append(words, args...)
	}
	return words
}

// runLine is the shell command that starts the program by hand: go run
// from the workbook root for the workbook's own answer, go run in its
// folder for a student's, the command itself in its folder for -cmd. env
// holds NAME=VALUE words for the server's environment; args end with the
// port.
func (p *program) runLine(env, args []string) string {
	words := quoteAll(env)
	switch {
	case p.ref != "":
		return strings.Join(append(append(words, "go run ./"+p.ref), quoteAll(args)...), " ")
	case p.argv != nil:
		words = append(words, quoteAll(p.command(args))...)
	default:
		words = append(append(words, "go run ."), quoteAll(args)...)
	}
	return "cd " + shellPath(p.display()) + " && " + strings.Join(words, " ")
}

// build builds a Go program into binDir, once.
func (p *program) build(binDir, name string) {
	if p.argv != nil || !p.hasMain || p.bin != "" || p.buildMsg != "" {
		return
	}
	bin := filepath.Join(binDir, strings.NewReplacer("/", "-", "\\", "-").Replace(name))
	if runtime.GOOS == "windows" {
		bin += ".exe"
	}
	cmd := exec.Command("go", "build", "-buildvcs=false", "-o", bin, ".")
	cmd.Dir = p.src
	cmd.Env = os.Environ()
	if !inWorkspace(p.src) {
		cmd.Env = append(cmd.Env, "GOWORK=off") // a copy kept elsewhere is its own module
	}
	out, err := cmd.CombinedOutput()
	if err != nil {
		p.buildMsg = strings.TrimSpace(string(out))
		if p.buildMsg == "" {
			p.buildMsg = err.Error()
		}
		return
	}
	p.bin, p.buildOK = bin, true
}

// goProgram is the Go folder dir, as a program. It reads every .go file of
// the folder (so that go test's cache notices an edit) and notes whether
// the folder holds a main package.
func goProgram(dir, ref string) (*program, error) {
	p := &program{src: dir, ref: ref}
	var err error
	p.hasMain, err = readSources(dir)
	return p, err
}

// commandProgram is a -cmd command line, run in dir.
func commandProgram(line, dir string) (*program, error) {
	words, err := splitWords(line)
	if err != nil {
		return nil, err
	}
	for i, w := range words {
		// There is no shell to expand ~/ in the command: do it here.
		if rest, ok := strings.CutPrefix(w, "~/"); ok {
			if home, err := os.UserHomeDir(); err == nil {
				words[i] = filepath.Join(home, rest)
			}
		}
	}
	if len(words) == 0 {
		return nil, errors.New("-cmd: the command is empty")
	}
	return &program{argv: words, dir: dir}, nil
}

// splitWords splits a command line into words, as a shell would for the
// simple cases: spaces separate words, and single or double quotes keep
// spaces inside one. Backslashes are kept as they are (Windows paths).
func splitWords(line string) ([]string, error) {
	var words []string
	var cur strings.Builder
	inWord := false
	var quote rune
	for _, r := range line {
		switch {
		case quote != 0 && r == quote:
			quote = 0
		case quote != 0:
			cur.WriteRune(r)
		case r == '\'' || r == '"':
			quote, inWord = r, true
		case r == ' ' || r == '\t':
			if inWord {
				words, inWord = append(words, cur.String()), false
				cur.Reset()
			}
		default:
			cur.WriteRune(r)
			inWord = true
		}
	}
	if quote != 0 {
		return nil, fmt.Errorf("-cmd: unclosed %c quote in %q", quote, line)
	}
	if inWord {
		words = append(words, cur.String())
	}
	return words, nil
}

// A suite is one row of the summary: the scripts of one or more folders of
// testdata run against one program, as one serving mode.
type suite struct {
	name  string   // the row: "stage4_404", "final/01-keep-alive", "final-eventloop"
	stage string   // the stage folder the scripts belong to: "stage4_404", "final"
	dirs  []string // script folders, relative to testdata: "final/01-keep-alive"
	prog  *program
	mode  string // final's -serve MODE; "" for its default
	lines bool   // an exercise of stage 1: it speaks in lines, not HTTP

	mu           sync.Mutex
	results      []result
	tested       bool // its scripts were looked at
	noScripts    bool
	notRunReason string // "build error", "no main package"
}

// A result is one script's outcome.
type result struct {
	name            string // "final/01-keep-alive/pipelining"
	failed, skipped bool
	output          string // what a student reads: the transcript, or the log
	elapsed         time.Duration
}

func (s *suite) record(r result) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.results = append(s.results, r)
}

func (s *suite) counts() (ran, failed int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, r := range s.results {
		if !r.skipped {
			ran++
		}
		if r.failed {
			failed++
		}
	}
	return ran, failed
}

// scripts lists the suite's script files.
func (s *suite) scripts(testdata string) []string {
	var files []string
	for _, d := range s.dirs {
		f, _ := filepath.Glob(filepath.Join(testdata, d, "*.txtar"))
		files = append(files, f...)
	}
	return files
}

// A workbook is the folder being graded in: the stage folders, the
// scripts (testscripts/testdata) and the sample site (web).
type workbook struct {
	root   string
	stages []string // stage folders with a go.mod, in order: stage1_print ... final
}

var stageDirRE = regexp.MustCompile(`^stage([0-9]+)_\w+$`)

// finalModes are final's ways to serve (-serve MODE). Its scripts run once
// per mode in the reference's run: final's rows (the default, goroutines),
// then a row per other mode. A script checks the mode with a condition:
// [sequential] skip 'needs two clients at once'.
var finalModes = []string{"goroutines", "eventloop", "poll", "sequential"}

func openWorkbook(root string) (*workbook, error) {
	entries, err := os.ReadDir(root)
	if err != nil {
		return nil, err
	}
	wb := &workbook{root: root}
	for _, e := range entries {
		if !e.IsDir() || !(stageDirRE.MatchString(e.Name()) || e.Name() == "final") {
			continue
		}
		if _, err := os.Stat(filepath.Join(root, e.Name(), "go.mod")); err == nil {
			wb.stages = append(wb.stages, e.Name())
		}
	}
	slices.SortFunc(wb.stages, func(a, b string) int { return stageOrder(a) - stageOrder(b) })
	return wb, nil
}

func (wb *workbook) testdata() string { return filepath.Join(wb.root, "testscripts", "testdata") }

// stageOrder sorts stage2 before stage10, and final last.
func stageOrder(name string) int {
	if m := stageDirRE.FindStringSubmatch(name); m != nil {
		n, _ := strconv.Atoi(m[1])
		return n
	}
	return 1 << 20
}

// stageNumber is a stage's number (final is 9), for what a hint may name.
func stageNumber(stage string) int {
	if n := stageOrder(stage); n < 1<<20 {
		return n
	}
	return 9
}

// parts lists the script folders of a stage: the stage's own scripts
// (testdata/<stage>/*.txtar) and its chapters (testdata/<stage>/<name>/,
// graded against the stage's program). Exercises are subfolders whose
// reference answer is a program of its own (stage1_print/echo/): they are
// separate targets, listed by exercises.
func (wb *workbook) parts(stage string) []string {
	var dirs []string
	if f, _ := filepath.Glob(filepath.Join(wb.testdata(), stage, "*.txtar")); len(f) > 0 {
		dirs = append(dirs, stage)
	}
	subs, _ := os.ReadDir(filepath.Join(wb.testdata(), stage))
	for _, e := range subs {
		if e.IsDir() && !wb.isExercise(stage+"/"+e.Name()) {
			dirs = append(dirs, stage+"/"+e.Name())
		}
	}
	return dirs
}

// exercises lists a stage's exercises: "stage1_print/echo", ...
func (wb *workbook) exercises(stage string) []string {
	var list []string
	subs, _ := os.ReadDir(filepath.Join(wb.testdata(), stage))
	for _, e := range subs {
		if e.IsDir() && wb.isExercise(stage+"/"+e.Name()) {
			list = append(list, stage+"/"+e.Name())
		}
	}
	return list
}

func (wb *workbook) isExercise(target string) bool {
	if !strings.Contains(target, "/") {
		return false
	}
	info, err := os.Stat(filepath.Join(wb.root, filepath.FromSlash(target)))
	return err == nil && info.IsDir()
}

// targets lists everything that can be graded on its own, in order: each
// stage, its exercises, and final's chapters.
func (wb *workbook) targets() []string {
	var list []string
	for _, st := range wb.stages {
		list = append(list, st)
		list = append(list, wb.exercises(st)...)
		for _, d := range wb.parts(st) {
			if d != st {
				list = append(list, d)
			}
		}
	}
	return list
}

// suites makes the rows for grading target (a stage, one of its chapters,
// or an exercise) with prog: one row per folder of scripts, then one row
// per extra serving mode of final, each running all of the target's
// scripts with -serve MODE.
func (wb *workbook) suites(target string, prog *program, modes []string) []*suite {
	stage, _, _ := strings.Cut(target, "/")
	dirs := []string{target}
	if target == stage {
		dirs = wb.parts(stage)
	}
	var list []*suite
	for _, d := range dirs {
		list = append(list, &suite{name: d, stage: stage, dirs: []string{d}, prog: prog, lines: wb.isExercise(d)})
	}
	if len(dirs) == 0 {
		list = append(list, &suite{name: target, stage: stage, prog: prog})
	}
	for _, m := range modes {
		list = append(list, &suite{name: target + "-" + m, stage: stage, dirs: dirs, prog: prog, mode: m})
	}
	return list
}

// reference lists the suites that grade the workbook's own answers, with
// overrides (WORKBOOK_GRADE) replacing some of them by a student's folder.
func (wb *workbook) reference(override map[string]string) ([]*suite, error) {
	var list []*suite
	for _, target := range append([]string(nil), wb.targets()...) {
		stage, _, _ := strings.Cut(target, "/")
		if target != stage && !wb.isExercise(target) {
			continue // a chapter: graded with its stage
		}
		src, ref := filepath.Join(wb.root, filepath.FromSlash(target)), target
		if dir, ok := override[target]; ok {
			src, ref = dir, ""
		}
		prog, err := goProgram(src, ref)
		if err != nil {
			return nil, err
		}
		var modes []string
		if target == "final" {
			modes = finalModes[1:]
		}
		list = append(list, wb.suites(target, prog, modes)...)
	}
	return list, nil
}

// parseOverride reads WORKBOOK_GRADE=stage4_404=/path/to/copy[,stage5_files=/other].
// A relative path is taken from base.
func (wb *workbook) parseOverride(value, base string) (map[string]string, error) {
	m := map[string]string{}
	targets := wb.targets()
	for _, item := range strings.Split(value, ",") {
		if strings.TrimSpace(item) == "" {
			continue
		}
		name, dir, ok := strings.Cut(item, "=")
		name = strings.TrimSpace(name)
		if !ok || !slices.Contains(targets, name) {
			return nil, fmt.Errorf("WORKBOOK_GRADE: %q should be STAGE=FOLDER, with STAGE one of the workbook's stage folders", item)
		}
		dir = absFrom(base, strings.TrimSpace(dir))
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err != nil {
			return nil, fmt.Errorf("WORKBOOK_GRADE: %s has no go.mod", dir)
		}
		m[name] = dir
	}
	return m, nil
}

// absFrom makes path absolute, relative to base, with ~/ for the home folder.
func absFrom(base, path string) string {
	if rest, ok := strings.CutPrefix(path, "~/"); ok {
		if home, err := os.UserHomeDir(); err == nil {
			path = filepath.Join(home, rest)
		}
	}
	if !filepath.IsAbs(path) {
		path = filepath.Join(base, path)
	}
	return filepath.Clean(path)
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

// buildAll builds the suites' Go programs, two at a time (the machines
// have two cores; go build is parallel inside too).
func buildAll(suites []*suite, binDir string) {
	sem := make(chan struct{}, 2)
	var wg sync.WaitGroup
	var built []*program
	for _, s := range suites {
		p := s.prog
		if slices.Contains(built, p) {
			continue
		}
		built = append(built, p)
		name := s.stage
		if p.ref != "" {
			name = p.ref
		}
		name = fmt.Sprintf("%d-%s", len(built), name)
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			p.build(binDir, name)
		}()
	}
	wg.Wait()
}

// workspaceRoot is the workbook root, whose go.work inWorkspace reads.
var workspaceRoot string

// inWorkspace reports whether the module that holds dir (the nearest
// folder up with a go.mod) is one of those the workbook's go.work uses.
func inWorkspace(dir string) bool {
	work, err := os.ReadFile(filepath.Join(workspaceRoot, "go.work"))
	if err != nil {
		return false
	}
	mod := filepath.Clean(dir)
	for {
		if _, err := os.Stat(filepath.Join(mod, "go.mod")); err == nil {
			break
		}
		up := filepath.Dir(mod)
		if up == mod {
			return false
		}
		mod = up
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
		if path != "" && filepath.Clean(filepath.Join(workspaceRoot, strings.Trim(path, `"`))) == mod {
			return true
		}
	}
	return false
}

// scriptParams returns the testscript parameters for the scripts of s in
// the folder dir (relative to testdata): the custom commands, and the
// environment every script starts with. seen, when not nil, is given each
// script's state, so that the caller can read its transcript afterwards.
func (wb *workbook) scriptParams(s *suite, dir string, deadline time.Time, seen func(*scriptState)) testscript.Params {
	return testscript.Params{
		Dir:           filepath.Join(wb.testdata(), dir),
		Cmds:          commands(),
		UpdateScripts: false, // the grader never rewrites its expectations
		Deadline:      deadline,
		Setup: func(env *testscript.Env) error {
			env.Setenv("STAGE", s.stage)
			env.Setenv("ROOT", wb.root)
			env.Setenv("WEB", filepath.Join(wb.root, "web"))
			st := newScriptState(s, dir, wb.root)
			env.Values[stateKey{}] = st
			if seen != nil {
				seen(st)
			}
			return nil
		},
		Condition: func(cond string) (bool, error) { return condition(s, cond) },
	}
}

// condition answers a script's [COND]: final's serving mode ([goroutines],
// [eventloop], [sequential]), [ipv6] (the machine can listen on ::1) and
// [symlinks] (it can make symbolic links: Windows needs a privilege).
func condition(s *suite, cond string) (bool, error) {
	switch {
	case cond == "ipv6":
		return haveIPv6(), nil
	case cond == "symlinks":
		return runtime.GOOS != "windows", nil
	case slices.Contains(finalModes, cond):
		mode := s.mode
		if mode == "" {
			mode = finalModes[0]
		}
		return s.stage == "final" && cond == mode, nil
	}
	return false, fmt.Errorf("unknown condition %q", cond)
}

// summary renders the table that ends every run: one row per suite that
// was looked at.
func summary(suites []*suite) string {
	width := len("stage")
	for _, s := range suites {
		width = max(width, len(s.name))
	}
	var b bytes.Buffer
	fmt.Fprintf(&b, "%-*s %7s  %s\n", width, "stage", "scripts", "result")
	rows := 0
	for _, s := range suites {
		if !s.tested {
			continue
		}
		rows++
		ran, failed := s.counts()
		result := "pass"
		switch {
		case s.notRunReason != "":
			result = s.notRunReason
		case s.noScripts:
			result = "no scripts"
		case failed > 0:
			result = fmt.Sprintf("FAIL (%d failed)", failed)
		}
		fmt.Fprintf(&b, "%-*s %7d  %s\n", width, s.name, ran, result)
	}
	if rows == 0 {
		return ""
	}
	return b.String()
}

// copyTree copies a folder: regular files with their modes (a CGI script
// must stay executable), symbolic links as links, named pipes as named
// pipes (where the system has them); anything else is left out, and so is
// testscript's own .tmp folder.
func copyTree(src, dst string) error {
	return filepath.WalkDir(src, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, path)
		target := filepath.Join(dst, rel)
		info, err := d.Info()
		if err != nil {
			return err
		}
		switch {
		case d.IsDir() && rel == ".tmp":
			return filepath.SkipDir
		case d.IsDir():
			return os.MkdirAll(target, 0o755)
		case info.Mode()&fs.ModeNamedPipe != 0:
			mkfifo(target)
			return nil
		case info.Mode()&fs.ModeSymlink != 0:
			link, err := os.Readlink(path)
			if err != nil {
				return err
			}
			return os.Symlink(link, target)
		case !info.Mode().IsRegular():
			return nil
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		if err := os.WriteFile(target, b, info.Mode().Perm()); err != nil {
			return err
		}
		// Keep the time: a "try it" line may carry an ETag or a date made
		// of it (If-None-Match, If-Range), and a name.gz made older than
		// its file (mkfile -age) must stay older.
		return os.Chtimes(target, info.ModTime(), info.ModTime())
	})
}

// toTerminal writes text straight to the terminal, if there is one: go
// test hides a passing package's output.
func toTerminal(text string) {
	name := "/dev/tty"
	if runtime.GOOS == "windows" {
		name = "CONOUT$"
	}
	if tty, err := os.OpenFile(name, os.O_WRONLY, 0); err == nil {
		io.WriteString(tty, text)
		tty.Close()
	}
}

// isTerminal reports whether f is a character device (a terminal).
func isTerminal(f *os.File) bool {
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

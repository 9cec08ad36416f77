package testscripts

// The workbook command (testscripts/workbook): a student's way in.
//
//	workbook start STAGE DIR [-from DIR2]   a working copy for STAGE, and its task
//	workbook grade STAGE [DIR]              grade a Go folder (the reference without DIR)
//	workbook grade STAGE -cmd 'COMMAND'     grade any program that takes the workbook's command line
//	workbook list                           what can be graded
//
// It runs the same scripts with the same harness as go test.

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"time"
)

const usage = `usage:
  workbook start STAGE DIR [-from DIR2]
      Make DIR, your working copy for STAGE: the code of the stage before
      (the workbook's answer, or your own from DIR2) and TASK.md, the task.
  workbook grade STAGE [DIR] [-cmd 'COMMAND {port}'] [-serve MODE] [-json FILE] [-run REGEXP] [-v]
      Grade DIR (a Go package main), or COMMAND (any program that takes
      [-bind ADDR] [-dir DIR] PORT, in any language: {port} is where those
      go; it runs in DIR, or here), or without either the workbook's own
      answer. -serve MODE also grades final's serving mode MODE ("all": every
      one). -json FILE writes Gradescope's results.json. -run picks scripts by
      name. -v shows every script's log.
  workbook list
      What STAGE can be: each stage, stage 1's exercises, final's chapters, all.

Run it from the workbook folder: go run ./testscripts/workbook ...`

// Main runs the workbook command with args (without the program name) and
// returns its exit status: 0 only when everything graded passed.
func Main(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("workbook", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	var o struct {
		from, cmd, serve, json, run, root string
		verbose                           bool
	}
	fs.StringVar(&o.from, "from", "", "")
	fs.StringVar(&o.cmd, "cmd", "", "")
	fs.StringVar(&o.serve, "serve", "", "")
	fs.StringVar(&o.json, "json", "", "")
	fs.StringVar(&o.run, "run", "", "")
	fs.StringVar(&o.root, "root", "", "")
	fs.BoolVar(&o.verbose, "v", false, "")
	words, err := parseInterspersed(fs, args)
	if err != nil || len(words) == 0 {
		if err != nil && !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(stderr, "workbook:", err)
		}
		fmt.Fprintln(stderr, usage)
		return 2
	}
	cwd, _ := os.Getwd()
	root, err := findRoot(o.root, cwd)
	if err != nil {
		fmt.Fprintln(stderr, "workbook:", err)
		return 2
	}
	workspaceRoot = root
	wb, err := openWorkbook(root)
	if err != nil {
		fmt.Fprintln(stderr, "workbook:", err)
		return 2
	}
	switch {
	case words[0] == "list" && len(words) == 1:
		fmt.Fprintln(stdout, strings.Join(append(wb.targets(), "all"), "\n"))
		return 0
	case words[0] == "start" && len(words) == 3:
		if err := wb.start(words[1], absFrom(cwd, words[2]), o.from, cwd, stdout); err != nil {
			fmt.Fprintln(stderr, "workbook start:", err)
			return 1
		}
		return 0
	case words[0] == "grade" && len(words) > 3:
		fmt.Fprintf(stderr, "workbook grade: too many words (%s): quote the command of -cmd as one argument, -cmd 'python3 server.py {port}'\n", strings.Join(words[3:], " "))
		return 2
	case words[0] == "grade" && (len(words) == 2 || len(words) == 3):
		dir := ""
		if len(words) == 3 {
			dir = absFrom(cwd, words[2])
		}
		g := gradeRequest{target: words[1], dir: dir, cmd: o.cmd, serve: o.serve, json: o.json, cwd: cwd}
		g.opt = runOptions{verbose: o.verbose, parallel: max(4, runtime.NumCPU())}
		if o.run != "" {
			if g.opt.only, err = regexp.Compile(o.run); err != nil {
				fmt.Fprintln(stderr, "workbook grade: -run:", err)
				return 2
			}
		}
		return wb.grade(g, stdout, stderr)
	}
	fmt.Fprintln(stderr, usage)
	return 2
}

// parseInterspersed parses flags that may come before, between or after
// the other words: `grade stage4_404 ~/mine -json out.json`.
func parseInterspersed(fs *flag.FlagSet, args []string) ([]string, error) {
	var words []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		if fs.NArg() == 0 {
			return words, nil
		}
		words = append(words, fs.Arg(0))
		args = fs.Args()[1:]
	}
}

// findRoot finds the workbook folder: -root, else the folder (or a parent
// of it) that holds testscripts/testdata and go.work, looking up from the
// current folder, then from the command's own file.
func findRoot(flagRoot, cwd string) (string, error) {
	isRoot := func(dir string) bool {
		_, err1 := os.Stat(filepath.Join(dir, "testscripts", "testdata"))
		_, err2 := os.Stat(filepath.Join(dir, "go.work"))
		return err1 == nil && err2 == nil
	}
	if flagRoot != "" {
		dir := absFrom(cwd, flagRoot)
		if !isRoot(dir) {
			return "", fmt.Errorf("-root %s: not a workbook folder (no testscripts/testdata and go.work)", dir)
		}
		return dir, nil
	}
	starts := []string{cwd}
	if exe, err := os.Executable(); err == nil {
		starts = append(starts, filepath.Dir(exe))
	}
	for _, dir := range starts {
		for {
			if isRoot(dir) {
				return dir, nil
			}
			up := filepath.Dir(dir)
			if up == dir {
				break
			}
			dir = up
		}
	}
	return "", errors.New("run it from the workbook folder (the one with go.work and testscripts/), or give -root DIR")
}

// resolve turns what a student typed into a target: an exact name, or a
// unique prefix ("stage4" for stage4_404, "final/01" or "final/keep-alive"
// for a chapter).
func (wb *workbook) resolve(name string) (string, error) {
	name = strings.TrimSuffix(filepath.ToSlash(name), "/")
	targets := wb.targets()
	if slices.Contains(targets, name) {
		return name, nil
	}
	var matches []string
	for _, t := range targets {
		stage, rest, _ := strings.Cut(t, "/")
		short := stage
		if rest != "" {
			short += "/" + strings.TrimLeft(rest, "0123456789-")
		}
		if strings.HasPrefix(t, name) || strings.HasPrefix(short, name) {
			matches = append(matches, t)
		}
	}
	switch {
	case len(matches) == 1:
		return matches[0], nil
	case len(matches) > 1 && !strings.Contains(name, "/"):
		// "stage1" matches stage1_print and its exercises: the stage.
		if i := slices.IndexFunc(matches, func(t string) bool { return !strings.Contains(t, "/") }); i >= 0 {
			return matches[i], nil
		}
	}
	return "", fmt.Errorf("no stage %q: it is one of\n  %s", name, strings.Join(append(targets, "all"), "\n  "))
}

type gradeRequest struct {
	target, dir, cmd, serve, json, cwd string
	opt                                runOptions
}

// plan lists the suites a grade request runs, with their programs.
func (wb *workbook) plan(g gradeRequest) ([]*suite, error) {
	var modes []string
	switch g.serve {
	case "":
	case "all":
		modes = finalModes[1:]
	default:
		modes = strings.Split(g.serve, ",")
		for _, m := range modes {
			if !slices.Contains(finalModes, m) {
				return nil, fmt.Errorf("-serve %s: final's modes are %s", m, strings.Join(finalModes, ", "))
			}
		}
	}
	var targets []string
	if g.target == "all" {
		for _, t := range wb.targets() {
			stage, _, _ := strings.Cut(t, "/")
			if t == stage || wb.isExercise(t) && g.dir == "" && g.cmd == "" {
				targets = append(targets, t)
			}
		}
	} else {
		t, err := wb.resolve(g.target)
		if err != nil {
			return nil, err
		}
		targets = []string{t}
	}

	var shared *program // one program for every target
	switch {
	case g.cmd != "":
		dir := g.cwd
		if g.dir != "" {
			dir = g.dir
		}
		p, err := commandProgram(g.cmd, dir)
		if err != nil {
			return nil, err
		}
		shared = p
	case g.dir != "" && (g.target != "all" || isGoFolder(g.dir)):
		p, err := wb.goSubmission(g.dir, targets[0])
		if err != nil {
			return nil, err
		}
		shared = p
	}

	var list []*suite
	for _, t := range targets {
		prog := shared
		if prog == nil {
			var err error
			if prog, err = wb.programFor(t, g.dir); err != nil {
				return nil, err
			}
			if prog == nil {
				continue // grade all DIR: no folder for this stage yet
			}
		}
		var m []string
		if strings.HasPrefix(t, "final") {
			m = modes
		}
		list = append(list, wb.suites(t, prog, m)...)
	}
	if len(list) == 0 {
		return nil, fmt.Errorf("nothing to grade in %s: it should hold folders named like the stages (stage1_print, ...)", g.dir)
	}
	return list, nil
}

// programFor is the program that answers target: the workbook's own
// (parent == ""), or the folder named like it inside parent (grade all
// ~/my-server), nil when there is none.
func (wb *workbook) programFor(target, parent string) (*program, error) {
	stage, _, _ := strings.Cut(target, "/")
	folder := stage
	if wb.isExercise(target) {
		folder = target
	}
	if parent == "" {
		return goProgram(filepath.Join(wb.root, filepath.FromSlash(folder)), folder)
	}
	// ~/my-server/stage4_404, and for an exercise ~/my-server/stage1_print/echo
	// or ~/my-server/echo, as its README's start line makes it.
	for _, dir := range []string{filepath.Join(parent, filepath.FromSlash(folder)), filepath.Join(parent, filepath.Base(folder))} {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil || wb.isExercise(target) && hasGoFiles(dir) {
			return goProgram(dir, "")
		}
	}
	return nil, nil
}

// goSubmission finds the Go program in dir as a student or a course hands
// it in: a module (a go.mod), a module one folder down (a zip's folder), or
// .go files alone, which are built in a copy with the stage's own go.mod.
func (wb *workbook) goSubmission(dir, target string) (*program, error) {
	info, err := os.Stat(dir)
	switch {
	case err != nil:
		return nil, fmt.Errorf("%s: no such folder", dir)
	case !info.IsDir():
		return nil, fmt.Errorf("%s is a file: give the folder that holds it", dir)
	case isGoFolder(dir):
		return goProgram(dir, "")
	case hasGoFiles(dir):
		stage, _, _ := strings.Cut(target, "/")
		copyDir, err := os.MkdirTemp("", "workbook-module-")
		if err == nil {
			err = copyWork(dir, copyDir)
		}
		for _, name := range []string{"go.mod", "go.sum"} {
			if err == nil {
				err = copySource(filepath.Join(wb.root, stage, name), copyDir)
			}
		}
		if err != nil {
			return nil, err
		}
		return goProgram(copyDir, "")
	}
	var found []string
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if e.IsDir() && isGoFolder(filepath.Join(dir, e.Name())) {
			found = append(found, filepath.Join(dir, e.Name()))
		}
	}
	if len(found) == 1 {
		return goProgram(found[0], "")
	}
	return nil, fmt.Errorf("%s holds no Go program (no go.mod, no .go files): make one with `workbook start`, or grade another language with -cmd", dir)
}

func hasGoFiles(dir string) bool {
	files, _ := filepath.Glob(filepath.Join(dir, "*.go"))
	return len(files) > 0
}

func isGoFolder(dir string) bool {
	_, err := os.Stat(filepath.Join(dir, "go.mod"))
	return err == nil
}

// grade runs a grade request: builds, runs every suite, prints the
// failures as they come and the table at the end, writes -json.
func (wb *workbook) grade(g gradeRequest, stdout, stderr io.Writer) int {
	list, err := wb.plan(g)
	if err != nil {
		fmt.Fprintln(stderr, "workbook grade:", err)
		if g.json != "" {
			// An autograder shows results.json: it must say what went wrong.
			res := gradescope{Output: "workbook grade: " + err.Error(), Tests: []gradescopeTest{{Name: "the submission", MaxScore: 1, Status: "failed", Output: err.Error()}}}
			if werr := writeJSON(absFrom(g.cwd, g.json), res); werr != nil {
				fmt.Fprintln(stderr, "workbook grade: -json:", werr)
			}
		}
		return 2
	}
	binDir, err := os.MkdirTemp("", "workbook-grade-")
	if err != nil {
		fmt.Fprintln(stderr, "workbook grade:", err)
		return 1
	}
	defer os.RemoveAll(binDir)
	fmt.Fprintf(stdout, "grading %s ...\n", describePrograms(list))
	buildAll(list, binDir)

	failed := 0
	for _, s := range list {
		start := time.Now()
		wb.runSuite(s, g.opt)
		ran, nfail := s.counts()
		failed += nfail
		fmt.Fprintf(stdout, "%s: %d scripts, %d failed (%.1fs)\n", s.name, ran, nfail, time.Since(start).Seconds())
		if s.notRunReason != "" {
			_, msg := s.prog.notReady()
			fmt.Fprintln(stdout, indent(msg))
			continue
		}
		for _, r := range s.results {
			if r.failed || g.opt.verbose {
				fmt.Fprintf(stdout, "%s %s (%.1fs)\n%s\n", map[bool]string{true: "FAIL", false: "ok  "}[r.failed], r.name, r.elapsed.Seconds(), indent(safeText(r.output)))
			}
		}
	}
	table := summary(list)
	fmt.Fprint(stdout, "\n"+table)
	if g.json != "" {
		if err := writeGradescope(absFrom(g.cwd, g.json), list, table); err != nil {
			fmt.Fprintln(stderr, "workbook grade: -json:", err)
			return 1
		}
	}
	for _, s := range list {
		if s.notRunReason != "" || s.noScripts {
			failed++
		}
	}
	if failed > 0 {
		return 1
	}
	return 0
}

// safeText keeps line ends and escapes every other control byte, for a
// log written to a terminal.
func safeText(s string) string {
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		lines[i] = printable(strings.TrimSuffix(l, "\r"))
	}
	return strings.Join(lines, "\n")
}

func indent(s string) string {
	s = strings.TrimRight(s, "\n")
	return "    " + strings.ReplaceAll(s, "\n", "\n    ")
}

// describePrograms names what is being graded, for the first line.
func describePrograms(list []*suite) string {
	var names []string
	for _, s := range list {
		var n string
		switch p := s.prog; {
		case p.argv != nil:
			n = strings.Join(p.argv, " ") + " (in " + p.display() + ")"
		default:
			n = p.display()
		}
		if !slices.Contains(names, n) {
			names = append(names, n)
		}
	}
	if len(names) > 3 {
		return fmt.Sprintf("%s and %d more", strings.Join(names[:3], ", "), len(names)-3)
	}
	return strings.Join(names, ", ")
}

// gradescope is Gradescope's results.json: a test per script, each worth
// a point, its output the transcript a student reads.
type gradescope struct {
	Score  float64          `json:"score"`
	Output string           `json:"output"`
	Tests  []gradescopeTest `json:"tests"`
}

type gradescopeTest struct {
	Name     string  `json:"name"`
	Score    float64 `json:"score"`
	MaxScore float64 `json:"max_score"`
	Status   string  `json:"status"`
	Output   string  `json:"output"`
}

func writeGradescope(path string, list []*suite, table string) error {
	res := gradescope{Output: table, Tests: []gradescopeTest{}}
	for _, s := range list {
		if _, msg := s.prog.notReady(); msg != "" && !strings.Contains(res.Output, msg) {
			res.Output += "\n" + msg + "\n"
		}
		for _, r := range s.results {
			t := gradescopeTest{Name: s.name + ": " + filepath.Base(r.name), MaxScore: 1, Status: "passed", Output: r.output}
			if s.mode != "" {
				t.Name = s.name + ": " + r.name
			}
			switch {
			case r.failed:
				t.Status = "failed"
			case r.skipped:
				t.Score = 1 // not the student's fault: this machine cannot run it
				t.Output = "skipped: " + strings.TrimSpace(r.output)
			default:
				t.Score = 1
			}
			res.Score += t.Score
			res.Tests = append(res.Tests, t)
		}
	}
	return writeJSON(path, res)
}

func writeJSON(path string, res gradescope) error {
	b, err := json.MarshalIndent(res, "", "  ")
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	return os.WriteFile(path, append(b, '\n'), 0o644)
}

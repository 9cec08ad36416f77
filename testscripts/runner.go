package testscripts

// Running scripts outside go test: the workbook command runs each script
// on its own with a captureT, several at a time, and keeps what a student
// needs to read: the transcript of a failure, or the whole log with -v.

import (
	"fmt"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/rogpeppe/go-internal/testscript"
)

// captureT runs a script and keeps its log and outcome, instead of failing
// a test: testscript's T for a run outside go test.
type captureT struct {
	mu              sync.Mutex
	log             strings.Builder
	failed, skipped bool
	verbose         bool
}

func (t *captureT) Log(args ...any) {
	t.mu.Lock()
	defer t.mu.Unlock()
	fmt.Fprintln(&t.log, args...)
}

func (t *captureT) Fatal(args ...any) {
	t.Log(args...)
	t.FailNow()
}

func (t *captureT) Skip(args ...any) {
	t.Log(args...)
	t.mu.Lock()
	t.skipped = true
	t.mu.Unlock()
	runtime.Goexit()
}

func (t *captureT) FailNow() {
	t.mu.Lock()
	t.failed = true
	t.mu.Unlock()
	runtime.Goexit()
}

func (t *captureT) Parallel()     {}
func (t *captureT) Verbose() bool { return t.verbose }

// Run runs f on a goroutine of its own, so that FailNow's Goexit ends f
// and not the caller.
func (t *captureT) Run(name string, f func(testscript.T)) {
	done := make(chan struct{})
	go func() {
		defer close(done)
		f(t)
	}()
	<-done
}

// runOptions are the workbook command's choices for a run.
type runOptions struct {
	only     *regexp.Regexp // run only the scripts whose name matches; nil for all
	verbose  bool           // keep every script's whole log
	parallel int            // scripts at a time
}

// runScript runs one script file of suite s (in the folder dir, relative
// to testdata) and returns its result: for a failure, the transcript when
// there is one (else the log); with verbose, the whole log.
func (wb *workbook) runScript(s *suite, dir, file string, opt runOptions) result {
	var st *scriptState
	p := wb.scriptParams(s, dir, time.Now().Add(10*time.Minute), func(x *scriptState) { st = x })
	p.Dir, p.Files = "", []string{file}
	ct := &captureT{verbose: opt.verbose}
	start := time.Now()
	testscript.RunT(ct, p)
	r := result{
		name:    dir + "/" + strings.TrimSuffix(filepath.Base(file), ".txtar"),
		failed:  ct.failed,
		skipped: ct.skipped,
		elapsed: time.Since(start),
	}
	switch {
	case opt.verbose || ct.skipped:
		r.output = ct.log.String()
	case ct.failed && st != nil && st.failure != "":
		r.output = st.failure
	case ct.failed:
		r.output = ct.log.String()
	}
	return r
}

// runSuite runs the scripts of s, opt.parallel at a time, and records
// their results in s in the order of the files.
func (wb *workbook) runSuite(s *suite, opt runOptions) {
	s.tested = true
	type job struct{ dir, file string }
	var jobs []job
	for _, d := range s.dirs {
		files, _ := filepath.Glob(filepath.Join(wb.testdata(), d, "*.txtar"))
		for _, f := range files {
			if opt.only == nil || opt.only.MatchString(strings.TrimSuffix(filepath.Base(f), ".txtar")) {
				jobs = append(jobs, job{d, f})
			}
		}
	}
	if len(jobs) == 0 {
		s.noScripts = true
		return
	}
	if reason, msg := s.prog.notReady(); reason != "" {
		s.notRunReason = reason
		for _, j := range jobs { // every script fails: a course's total stays the same
			name := j.dir + "/" + strings.TrimSuffix(filepath.Base(j.file), ".txtar")
			s.record(result{name: name, failed: true, output: msg})
		}
		return
	}
	results := make([]result, len(jobs))
	sem := make(chan struct{}, max(1, opt.parallel))
	var wg sync.WaitGroup
	for i, j := range jobs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			results[i] = wb.runScript(s, j.dir, j.file, opt)
		}()
	}
	wg.Wait()
	for _, r := range results {
		s.record(r)
	}
}

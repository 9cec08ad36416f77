package testscripts

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestWorkbook runs the workbook command as a student and a course would:
// grade a Python server with -cmd (a good one, and two with a classic
// mistake each), write Gradescope's results.json, start a stage from the
// one before, fail, put the fix in, pass.
func TestWorkbook(t *testing.T) {
	if testing.Short() {
		t.Skip("starts servers: skipped with -short")
	}
	t.Run("python", testWorkbookPython)
	t.Run("start", testWorkbookStart)
}

// workbookRun runs the command in-process and returns its exit status and
// what it printed.
func workbookRun(t *testing.T, args ...string) (int, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code := Main(args, &out, &errOut)
	return code, out.String() + errOut.String()
}

// needPython skips without python3, unless CI requires every client.
func needPython(t *testing.T) {
	t.Helper()
	if _, err := exec.LookPath("python3"); err != nil {
		if os.Getenv("WORKBOOK_REQUIRE_CLIENTS") != "" {
			t.Fatalf("python3 is not installed, and WORKBOOK_REQUIRE_CLIENTS is set: %v", err)
		}
		t.Skipf("python3 is not installed: %v", err)
	}
}

func testWorkbookPython(t *testing.T) {
	needPython(t)
	py := filepath.Join(root, "testscripts", "testdata", "python")
	results := filepath.Join(t.TempDir(), "out", "results.json")

	code, out := workbookRun(t, "grade", "stage3_headers", py, "-cmd", "python3 stage3_headers.py {port}", "-json", results)
	if code != 0 {
		t.Fatalf("the Python stage 3 should pass (exit 0), got %d:\n%s", code, out)
	}
	if !strings.Contains(out, "stage3_headers") || !strings.Contains(out, "pass") || !strings.Contains(out, "scripts  result") {
		t.Errorf("a captured run should end with the table:\n%s", out)
	}
	var res struct {
		Score *float64 `json:"score"`
		Tests []struct {
			Name     string   `json:"name"`
			Score    *float64 `json:"score"`
			MaxScore *float64 `json:"max_score"`
			Status   string   `json:"status"`
			Output   *string  `json:"output"`
		} `json:"tests"`
	}
	b, err := os.ReadFile(results)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &res); err != nil {
		t.Fatalf("results.json: %v\n%s", err, b)
	}
	scripts, _ := filepath.Glob(filepath.Join(root, "testscripts", "testdata", "stage3_headers", "*.txtar"))
	if res.Score == nil || len(res.Tests) != len(scripts) || *res.Score != float64(len(scripts)) {
		t.Fatalf("results.json: want a total score of %d over %d tests, got:\n%s", len(scripts), len(scripts), b)
	}
	for _, tc := range res.Tests {
		if tc.Name == "" || tc.Score == nil || tc.MaxScore == nil || *tc.MaxScore != 1 || tc.Output == nil || tc.Status != "passed" {
			t.Errorf("results.json: a test lacks a field Gradescope reads (name, score, max_score, output): %+v", tc)
		}
	}

	broken := []struct{ file, script, want string }{
		{"stage3_oneread.py", "stage3_headers/fragments", "before the blank line that ends the head had arrived: one Read is not one request"},
		{"stage3_barelf.py", "stage3_headers/wellformed", `^ expected CRLF here: this is a bare LF`},
	}
	for _, c := range broken {
		results := filepath.Join(t.TempDir(), "results.json")
		code, out := workbookRun(t, "grade", "stage3_headers", py, "-cmd", "python3 "+c.file+" {port}", "-json", results)
		if code != 1 {
			t.Errorf("%s should fail (exit 1), got %d:\n%s", c.file, code, out)
		}
		for _, w := range []string{"FAIL " + c.script, c.want, "cd " + py + " && python3 " + c.file + " 8000", "FAIL ("} {
			if !strings.Contains(out, w) {
				t.Errorf("%s: the report should say %q:\n%s", c.file, w, out)
			}
		}
		b, _ := os.ReadFile(results)
		if !bytes.Contains(b, []byte(`"status": "failed"`)) || !strings.Contains(string(b), strings.ReplaceAll(c.want, `"`, `\"`)) {
			t.Errorf("%s: results.json should hold the failed test with its transcript:\n%s", c.file, b)
		}
	}
}

func testWorkbookStart(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "my-server", "stage4_404")
	code, out := workbookRun(t, "start", "stage4", dir)
	if code != 0 {
		t.Fatalf("start: exit %d:\n%s", code, out)
	}
	for _, w := range []string{"from the workbook's stage3_headers", "TASK.md", "go run . 8000", "go run ./testscripts/workbook grade stage4_404 "} {
		if !strings.Contains(out, w) {
			t.Errorf("start should say %q:\n%s", w, out)
		}
	}
	task, err := os.ReadFile(filepath.Join(dir, "TASK.md"))
	if err != nil || !bytes.Contains(task, []byte("## Your turn")) || !bytes.Contains(task, []byte("not_found.txtar")) {
		t.Errorf("TASK.md should hold stage 4's Your turn (%v):\n%s", err, task)
	}
	if code, out := workbookRun(t, "start", "stage4_404", dir); code == 0 || !strings.Contains(out, "is not empty") {
		t.Errorf("start into a folder with work in it should refuse, got %d:\n%s", code, out)
	}

	// Stage 3's answer, graded as stage 4: a to-do list, and exit 1.
	code, out = workbookRun(t, "grade", "stage4_404", dir, "-run", "not_found|root")
	if code != 1 || !strings.Contains(out, "FAIL stage4_404/not_found") || !strings.Contains(out, "expected status 404, got 200") {
		t.Fatalf("stage 3's code graded as stage 4 should fail not_found, got %d:\n%s", code, out)
	}
	// The fix: stage 4's answer. Now it passes.
	fix, err := os.ReadFile(filepath.Join(root, "stage4_404", "main.go"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "main.go"), fix, 0o644); err != nil {
		t.Fatal(err)
	}
	if code, out = workbookRun(t, "grade", "stage4_404", dir); code != 0 {
		t.Fatalf("with stage 4's answer in it, the copy should pass, got %d:\n%s", code, out)
	}

	// The next stage starts from the student's own folder.
	next := filepath.Join(filepath.Dir(dir), "stage5_files")
	if code, out := workbookRun(t, "start", "stage5_files", next, "-from", dir); code != 0 || !strings.Contains(out, "from your ") {
		t.Fatalf("start -from: exit %d:\n%s", code, out)
	}
	if b, err := os.ReadFile(filepath.Join(next, "main.go")); err != nil || !bytes.Equal(b, fix) {
		t.Errorf("start -from should copy the student's main.go (%v)", err)
	}
	if _, err := os.Stat(filepath.Join(next, "TASK.md")); err != nil {
		t.Errorf("start -from should write stage 5's task: %v", err)
	}
}

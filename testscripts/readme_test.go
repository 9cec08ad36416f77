package testscripts

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestReadmes keeps each stage README true to the code and the grader: the
// script lines it quotes must be in that stage's scripts, and the diff
// hunks it shows must be in the real `diff -u` against the stage before.
//
// It runs in CI (CI set), not on a student's machine: a student who edits a
// stage in place would otherwise see its README "fail".
func TestReadmes(t *testing.T) {
	if os.Getenv("CI") == "" {
		t.Skip("README checks run in CI; set CI=1 to run them here")
	}
	dirs, err := filepath.Glob(filepath.Join(root, "stage*_*"))
	if err != nil || len(dirs) == 0 {
		t.Fatalf("no stage folders under %s", root)
	}
	for i, dir := range dirs {
		stage := filepath.Base(dir)
		t.Run(stage, func(t *testing.T) {
			readme, err := os.ReadFile(filepath.Join(dir, "README.md"))
			if err != nil {
				t.Fatalf("every stage has a README.md: %v", err)
			}
			checkQuotedScript(t, stage, string(readme), filepath.Join(root, "testscripts", "testdata", stage))
			if i > 0 {
				checkQuotedDiff(t, stage, string(readme), dirs[i-1], dir)
			}
		})
	}
	// Stage 1's exercises (yell and sum show their diff to echo) and
	// final's chapters (a page each in final/chapters).
	w, err := openWorkbook(root)
	if err != nil {
		t.Fatal(err)
	}
	for _, target := range w.targets() {
		stage, rest, ok := strings.Cut(target, "/")
		if !ok {
			continue
		}
		t.Run(target, func(t *testing.T) {
			page := filepath.Join(root, stage, "chapters", rest+".md")
			if w.isExercise(target) {
				page = filepath.Join(root, stage, rest, "README.md")
			}
			readme, err := os.ReadFile(page)
			if err != nil {
				t.Fatalf("every exercise and chapter has its page: %v", err)
			}
			checkQuotedScript(t, target, string(readme), filepath.Join(root, "testscripts", "testdata", filepath.FromSlash(target)))
			if w.isExercise(target) && rest != "echo" {
				checkQuotedDiff(t, target, string(readme), filepath.Join(root, stage, "echo"), filepath.Join(root, stage, rest))
			}
		})
	}
}

// scriptCommand starts a quoted script line: a command of the grader.
var scriptCommand = regexp.MustCompile(`^(send|expect|console|client|mkfile|serve|stop-server|stdout|hint|hold|random|keep-header) `)

// fenced and inline find the code in a README: fenced blocks, and the
// `inline code` of the prose between them.
var (
	fenced = regexp.MustCompile("(?s)```[a-z]*\n(.*?)```")
	inline = regexp.MustCompile("`([^`\n]+)`")
)

// quotedScriptLines lists the script lines a README quotes, whole: in code
// blocks, lines that start with a grader command; in the prose, inline
// code that does. An abbreviated quote ("mkfile site/...") is not checked.
func quotedScriptLines(readme string) []string {
	var quotes []string
	for _, block := range fenced.FindAllStringSubmatch(readme, -1) {
		for _, l := range strings.Split(block[1], "\n") {
			quotes = append(quotes, strings.TrimSpace(l))
		}
	}
	for _, m := range inline.FindAllStringSubmatch(fenced.ReplaceAllString(readme, ""), -1) {
		quotes = append(quotes, m[1])
	}
	var lines []string
	for _, q := range quotes {
		if scriptCommand.MatchString(q) && !strings.HasSuffix(q, "...") && !strings.Contains(q, "…") {
			lines = append(lines, q)
		}
	}
	return lines
}

func checkQuotedScript(t *testing.T, stage, readme, scripts string) {
	t.Helper()
	files, _ := filepath.Glob(filepath.Join(scripts, "*.txtar"))
	var all strings.Builder
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		all.Write(b)
	}
	for _, quote := range quotedScriptLines(readme) {
		if !strings.Contains(all.String(), quote) {
			t.Errorf("%s/README.md quotes a script line that is in none of testdata/%s/*.txtar:\n  %s\nupdate the README from the scripts", stage, stage, quote)
		}
	}
}

var diffBlock = regexp.MustCompile("(?s)```diff\n(.*?)```")

func checkQuotedDiff(t *testing.T, stage, readme, prevDir, dir string) {
	t.Helper()
	if _, err := exec.LookPath("diff"); err != nil {
		t.Skip("no diff command here")
	}
	// diff exits 1 when the files differ: that is the normal case here.
	out, _ := exec.Command("diff", "-u", filepath.Join(prevDir, "main.go"), filepath.Join(dir, "main.go")).Output()
	lines := map[string]bool{}
	for _, l := range strings.Split(string(out), "\n") {
		lines[l] = true
	}
	for _, block := range diffBlock.FindAllStringSubmatch(readme, -1) {
		for _, l := range strings.Split(strings.TrimSuffix(block[1], "\n"), "\n") {
			// The file-name lines carry dates that differ on every machine.
			isName := strings.HasPrefix(l, "--- ") || strings.HasPrefix(l, "+++ ")
			if !isName && !lines[l] {
				t.Errorf("%s/README.md shows a diff line that `diff -u ../%s/main.go main.go` no longer has:\n  %s\nrefresh the hunk from the real diff", stage, filepath.Base(prevDir), l)
			}
		}
	}
}

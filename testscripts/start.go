package testscripts

// workbook start: a student's working copy for a stage, built from the
// stage before (the workbook's answer, or the student's own), with the
// stage's task beside it.

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
)

// starter is stage 1's main.go, and an exercise's: nothing yet.
const starter = `// Your server: see TASK.md for what it should do.
package main

func main() {
}
`

// start makes dir, the working copy for target. from, when not "", is the
// student's own previous stage to start from.
func (wb *workbook) start(name, dir, from, cwd string, out io.Writer) error {
	target, err := wb.resolve(name)
	if err != nil {
		return err
	}
	if entries, err := os.ReadDir(dir); err == nil && len(entries) > 0 {
		return fmt.Errorf("%s is not empty: give a new folder (your work there stays as it is)", dir)
	}
	prev, note := wb.previous(target)
	switch {
	case from != "":
		from = absFrom(cwd, from)
		if !isGoFolder(from) {
			return fmt.Errorf("-from %s: no go.mod there", from)
		}
		err = copyWork(from, dir)
		note = "your " + displayPath(from)
	case prev != "":
		err = wb.copyAnswer(prev, dir)
	default:
		err = wb.writeStarter(dir)
	}
	if err != nil {
		return err
	}
	task, err := wb.task(target)
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "TASK.md"), []byte(task+wb.commands(target, dir)), 0o644); err != nil {
		return err
	}
	if msg := buildCheck(dir); msg != "" {
		fmt.Fprintf(out, "note: it does not build yet:\n%s\n", indent(msg))
	}
	fmt.Fprintf(out, "Made %s for %s, from %s.\nYour task: %s\n\n%s", displayPath(dir), target, note, filepath.Join(displayPath(dir), "TASK.md"), wb.commands(target, dir))
	return nil
}

// previous is the reference folder a target starts from, and how to say it.
func (wb *workbook) previous(target string) (folder, note string) {
	stage, rest, _ := strings.Cut(target, "/")
	if wb.isExercise(target) {
		return "", "an empty main.go"
	}
	// final and each of its chapters start from the last stage; a
	// student's own chapter before comes in with -from.
	i := indexOf(wb.stages, stage)
	switch {
	case i > 0 && (stage == "final" || rest != ""):
		return wb.stages[i-1], "the workbook's " + wb.stages[i-1] + " (give -from YOUR_PREVIOUS_FOLDER to continue your own)"
	case i > 0:
		return wb.stages[i-1], "the workbook's " + wb.stages[i-1]
	}
	return "", "an empty main.go"
}

func indexOf(list []string, s string) int {
	for i, v := range list {
		if v == s {
			return i
		}
	}
	return -1
}

// copyAnswer copies a reference stage's program: its top-level .go files
// but tests, go.sum, and go.mod under a module name of the student's own.
func (wb *workbook) copyAnswer(folder, dir string) error {
	src := filepath.Join(wb.root, filepath.FromSlash(folder))
	entries, err := os.ReadDir(src)
	if err != nil {
		return err
	}
	for _, e := range entries {
		name := e.Name()
		if !e.IsDir() && (strings.HasSuffix(name, ".go") && !strings.HasSuffix(name, "_test.go") || name == "go.sum" || name == "go.mod") {
			if err := copySource(filepath.Join(src, name), dir); err != nil {
				return err
			}
		}
	}
	return nil
}

// writeStarter writes an empty program, with stage 1's go.mod (so that
// fatih/color is there to import, as in every stage).
func (wb *workbook) writeStarter(dir string) error {
	for _, name := range []string{"go.mod", "go.sum"} {
		if err := copySource(filepath.Join(wb.root, wb.stages[0], name), dir); err != nil {
			return err
		}
	}
	return os.WriteFile(filepath.Join(dir, "main.go"), []byte(starter), 0o644)
}

// copySource copies one file into dir; a go.mod gets the module name
// myserver, so that the copy is a module of its own wherever it lands.
func copySource(file, dir string) error {
	b, err := os.ReadFile(file)
	if err != nil {
		return err
	}
	if filepath.Base(file) == "go.mod" {
		b = moduleLine.ReplaceAll(b, []byte("module myserver"))
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, filepath.Base(file)), b, 0o644)
}

var moduleLine = regexp.MustCompile(`(?m)^module .*$`)

// copyWork copies a student's folder: everything but TASK.md, hidden
// files, and programs built there.
func copyWork(src, dst string) error {
	return filepath.WalkDir(src, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, path)
		if rel != "." && strings.HasPrefix(d.Name(), ".") {
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		target := filepath.Join(dst, rel)
		info, err := d.Info()
		switch {
		case err != nil:
			return err
		case d.IsDir():
			return os.MkdirAll(target, 0o755)
		case rel == "TASK.md", !info.Mode().IsRegular(), info.Mode()&0o111 != 0 && !strings.Contains(d.Name(), "."):
			return nil // not the student's source: the task, a built binary
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		return os.WriteFile(target, b, info.Mode().Perm())
	})
}

// task is the "Your turn" part of the target's page: the stage's README,
// an exercise's README, or final's chapter page.
func (wb *workbook) task(target string) (string, error) {
	stage, rest, _ := strings.Cut(target, "/")
	page := filepath.Join(wb.root, filepath.FromSlash(target), "README.md")
	if rest != "" && !wb.isExercise(target) {
		page = filepath.Join(wb.root, stage, "chapters", rest+".md")
	}
	b, err := os.ReadFile(page)
	if err != nil {
		return "", fmt.Errorf("the task: %w", err)
	}
	title, _, _ := bytes.Cut(b, []byte("\n"))
	part := section(string(b), "Your turn")
	if part == "" {
		return "", fmt.Errorf("%s has no \"## Your turn\" part yet", page)
	}
	rel, _ := filepath.Rel(wb.root, page)
	return fmt.Sprintf("%s\n\n%s\n\nThe whole lesson: %s in the workbook.\n\n", strings.TrimSpace(string(title)), part, filepath.ToSlash(rel)), nil
}

// section returns the part of a Markdown page under "## heading", heading
// included, up to the next heading of that level.
func section(page, heading string) string {
	lines := strings.Split(page, "\n")
	start := -1
	for i, l := range lines {
		if start < 0 && strings.TrimSpace(l) == "## "+heading {
			start = i
			continue
		}
		if start >= 0 && strings.HasPrefix(l, "## ") {
			return strings.TrimSpace(strings.Join(lines[start:i], "\n"))
		}
	}
	if start < 0 {
		return ""
	}
	return strings.TrimSpace(strings.Join(lines[start:], "\n"))
}

// commands are the two next steps: run it, grade it.
func (wb *workbook) commands(target, dir string) string {
	d := shellPath(displayPath(dir))
	web := ""
	if n := stageNumber(strings.SplitN(target, "/", 2)[0]); n >= 5 && !wb.isExercise(target) {
		web = " -dir " + shellPath(filepath.Join(displayPath(wb.root), "web"))
	}
	return fmt.Sprintf("## Run it, grade it\n\n```sh\ncd %s && go run .%s 8000\n```\n\nand from the workbook folder (%s):\n\n```sh\ngo run ./testscripts/workbook grade %s %s\n```\n",
		d, web, displayPath(wb.root), target, d)
}

// shellPath quotes a path for a shell command line, keeping a leading ~/
// outside the quotes, where the shell still expands it.
func shellPath(path string) string {
	if rest, ok := strings.CutPrefix(path, "~/"); ok {
		return "~/" + shellQuote(rest)
	}
	return shellQuote(path)
}

// displayPath writes a path with ~ for the home folder.
func displayPath(path string) string {
	if home, err := os.UserHomeDir(); err == nil {
		if rel, ok := strings.CutPrefix(path, home+string(filepath.Separator)); ok {
			return "~/" + filepath.ToSlash(rel)
		}
	}
	return path
}

// buildCheck builds the copy where it landed, as its own module, and
// returns the compiler's complaint, if any.
func buildCheck(dir string) string {
	cmd := exec.Command("go", "build", "-o", os.DevNull, ".")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GOWORK=off")
	out, err := cmd.CombinedOutput()
	var ee *exec.ExitError
	if err != nil && !errors.As(err, &ee) {
		return err.Error()
	}
	if err != nil {
		return strings.TrimSpace(string(out))
	}
	return ""
}

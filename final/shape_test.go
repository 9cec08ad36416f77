package main

// TestShape keeps three promises the README makes about final's code:
//
//   - three layers, each using only the one below it: a file named
//     server*.go uses nothing declared in framework*.go or app.go and
//     main.go, and a framework*.go file nothing of app.go and main.go;
//   - no package-level mutable state: a package-level variable is a table
//     (a composite literal), a sentinel error (errors.New) or the embedded
//     templates, and nothing ever assigns to it, takes its address, or
//     calls a method on it;
//   - no function over 80 lines.
//
// It reads the source (go/parser), every non-test file whatever its build
// tags, and lists every offender. It goes by names: a selector (x.name)
// counts as a use of a higher layer only when no lower layer declares a
// field or method of that name.

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

const maxFuncLines = 80

// layers, bottom up; a file's layer is decided by its name.
var layerNames = []string{"server", "framework", "app"}

func fileLayer(name string) int {
	switch {
	case strings.HasPrefix(name, "server"):
		return 0
	case strings.HasPrefix(name, "framework"):
		return 1
	case name == "app.go" || name == "main.go":
		return 2
	}
	return -1
}

// sourceFile is one parsed non-test file of the package.
type sourceFile struct {
	name  string
	layer int
	ast   *ast.File
}

// declarations are the package's declarations by name, with the lowest
// layer that declares each: package-level names (types, functions,
// variables, constants), and the names of fields and methods.
type declarations struct {
	topLevel map[string]int
	members  map[string]int
	vars     map[string]*ast.ValueSpec // the package-level variables
}

func TestShape(t *testing.T) {
	fset := token.NewFileSet()
	files := parseSources(t, fset)
	decls := declare(files)
	for _, f := range files {
		for _, problem := range layerProblems(fset, f, decls) {
			t.Error(problem)
		}
		for _, problem := range stateProblems(fset, f, decls) {
			t.Error(problem)
		}
		for _, problem := range lengthProblems(fset, f) {
			t.Error(problem)
		}
	}
}

func parseSources(t *testing.T, fset *token.FileSet) []sourceFile {
	names, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	var files []sourceFile
	for _, name := range names {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, parser.ParseComments)
		if err != nil {
			t.Fatal(err)
		}
		layer := fileLayer(name)
		if layer < 0 {
			t.Errorf("%s: in no layer: name it server*.go, framework*.go, or app.go or main.go", name)
			continue
		}
		files = append(files, sourceFile{name, layer, f})
	}
	if len(files) == 0 {
		t.Fatal("no source files found")
	}
	return files
}

func declare(files []sourceFile) declarations {
	d := declarations{topLevel: map[string]int{}, members: map[string]int{}, vars: map[string]*ast.ValueSpec{}}
	lowest := func(m map[string]int, name string, layer int) {
		if l, ok := m[name]; !ok || layer < l {
			m[name] = layer
		}
	}
	for _, f := range files {
		for _, decl := range f.ast.Decls {
			switch decl := decl.(type) {
			case *ast.FuncDecl:
				if decl.Recv != nil {
					lowest(d.members, decl.Name.Name, f.layer)
				} else {
					lowest(d.topLevel, decl.Name.Name, f.layer)
				}
			case *ast.GenDecl:
				for _, spec := range decl.Specs {
					switch spec := spec.(type) {
					case *ast.TypeSpec:
						lowest(d.topLevel, spec.Name.Name, f.layer)
						ast.Inspect(spec.Type, func(n ast.Node) bool {
							if field, ok := n.(*ast.Field); ok {
								for _, name := range field.Names {
									lowest(d.members, name.Name, f.layer)
								}
							}
							return true
						})
					case *ast.ValueSpec:
						for _, name := range spec.Names {
							lowest(d.topLevel, name.Name, f.layer)
							if decl.Tok == token.VAR {
								d.vars[name.Name] = spec
							}
						}
					}
				}
			}
		}
	}
	return d
}

// packageLevel reports whether id names a package-level declaration,
// rather than a local one that has the same name. The parser resolves
// names to the declarations of their own file; a name declared in
// another file of the package stays unresolved.
func packageLevel(id *ast.Ident, f *ast.File) bool {
	if id.Obj == nil {
		return true
	}
	return f.Scope.Lookup(id.Name) == id.Obj
}

// layerProblems lists f's uses of what a higher layer declares.
func layerProblems(fset *token.FileSet, f sourceFile, d declarations) []string {
	var problems []string
	report := func(n ast.Node, what string, layer int) {
		problems = append(problems, fmt.Sprintf("%s: the %s layer uses %s, which the %s layer declares",
			fset.Position(n.Pos()), layerNames[f.layer], what, layerNames[layer]))
	}
	var visit func(n ast.Node) bool
	visit = func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.FuncDecl:
			// The name is a declaration, not a use.
			if n.Recv != nil {
				ast.Inspect(n.Recv, visit)
			}
			ast.Inspect(n.Type, visit)
			if n.Body != nil {
				ast.Inspect(n.Body, visit)
			}
			return false
		case *ast.Field:
			ast.Inspect(n.Type, visit) // its names are declarations
			return false
		case *ast.KeyValueExpr:
			if _, ok := n.Key.(*ast.Ident); !ok {
				ast.Inspect(n.Key, visit)
			}
			ast.Inspect(n.Value, visit) // a field name as key: not a use of a package-level name
			return false
		case *ast.SelectorExpr:
			if layer, ok := d.members[n.Sel.Name]; ok && layer > f.layer {
				report(n.Sel, "the field or method "+n.Sel.Name, layer)
			}
			ast.Inspect(n.X, visit)
			return false
		case *ast.Ident:
			if layer, ok := d.topLevel[n.Name]; ok && layer > f.layer && packageLevel(n, f.ast) {
				report(n, n.Name, layer)
			}
		}
		return true
	}
	for _, decl := range f.ast.Decls {
		ast.Inspect(decl, visit)
	}
	return problems
}

// stateProblems lists f's package-level variables that are not tables,
// and every place in f that changes a package-level variable.
func stateProblems(fset *token.FileSet, f sourceFile, d declarations) []string {
	var problems []string
	for _, decl := range f.ast.Decls {
		gen, ok := decl.(*ast.GenDecl)
		if !ok || gen.Tok != token.VAR {
			continue
		}
		for _, spec := range gen.Specs {
			spec := spec.(*ast.ValueSpec)
			if !isTable(spec, gen) {
				problems = append(problems, fmt.Sprintf("%s: package-level variable %s is state: make it a field of a value that main builds",
					fset.Position(spec.Pos()), spec.Names[0].Name))
			}
		}
	}
	// root is the variable an expression such as x[i].f or *x changes.
	var root func(e ast.Expr) *ast.Ident
	root = func(e ast.Expr) *ast.Ident {
		switch e := e.(type) {
		case *ast.Ident:
			return e
		case *ast.ParenExpr:
			return root(e.X)
		case *ast.IndexExpr:
			return root(e.X)
		case *ast.SelectorExpr:
			return root(e.X)
		case *ast.StarExpr:
			return root(e.X)
		case *ast.SliceExpr:
			return root(e.X)
		}
		return nil
	}
	changes := func(e ast.Expr, how string) {
		id := root(e)
		if id == nil || d.vars[id.Name] == nil || !packageLevel(id, f.ast) {
			return
		}
		problems = append(problems, fmt.Sprintf("%s: %s package-level variable %s: package-level state", fset.Position(e.Pos()), how, id.Name))
	}
	ast.Inspect(f.ast, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.AssignStmt:
			if n.Tok != token.DEFINE {
				for _, lhs := range n.Lhs {
					changes(lhs, "assigns to")
				}
			}
		case *ast.IncDecStmt:
			changes(n.X, "changes")
		case *ast.UnaryExpr:
			if n.Op == token.AND {
				changes(n.X, "takes the address of")
			}
		case *ast.CallExpr:
			if fn, ok := n.Fun.(*ast.Ident); ok && slices.Contains([]string{"delete", "clear", "copy"}, fn.Name) && len(n.Args) > 0 {
				changes(n.Args[0], fn.Name+"s into")
			}
			if sel, ok := n.Fun.(*ast.SelectorExpr); ok {
				if _, isVar := sel.X.(*ast.Ident); isVar {
					changes(sel.X, "calls a method that may change")
				}
			}
		}
		return true
	})
	return problems
}

// isTable reports whether a package-level variable holds fixed data: a
// composite literal (a lookup table), a sentinel error, or the files
// that //go:embed puts in the program.
func isTable(spec *ast.ValueSpec, gen *ast.GenDecl) bool {
	if len(spec.Values) == 0 {
		doc := spec.Doc
		if doc == nil {
			doc = gen.Doc
		}
		sel, ok := spec.Type.(*ast.SelectorExpr)
		return ok && sel.Sel.Name == "FS" && doc != nil && strings.Contains(allComments(doc), "//go:embed ")
	}
	for _, v := range spec.Values {
		switch v := v.(type) {
		case *ast.CompositeLit:
		case *ast.CallExpr:
			sel, ok := v.Fun.(*ast.SelectorExpr)
			if !ok || sel.Sel.Name != "New" {
				return false
			}
			if pkg, ok := sel.X.(*ast.Ident); !ok || pkg.Name != "errors" {
				return false
			}
		default:
			return false
		}
	}
	return true
}

// allComments is a comment group's raw text, directives included
// (its Text method leaves out "//go:embed").
func allComments(g *ast.CommentGroup) string {
	var b strings.Builder
	for _, c := range g.List {
		b.WriteString(c.Text + "\n")
	}
	return b.String()
}

// lengthProblems lists f's functions longer than maxFuncLines, from the
// line of "func" to that of the closing brace.
func lengthProblems(fset *token.FileSet, f sourceFile) []string {
	var problems []string
	for _, decl := range f.ast.Decls {
		fn, ok := decl.(*ast.FuncDecl)
		if !ok || fn.Body == nil {
			continue
		}
		lines := fset.Position(fn.End()).Line - fset.Position(fn.Pos()).Line + 1
		if lines > maxFuncLines {
			problems = append(problems, fmt.Sprintf("%s: %s is %d lines long; split it, %d at most",
				fset.Position(fn.Pos()), fn.Name.Name, lines, maxFuncLines))
		}
	}
	return problems
}

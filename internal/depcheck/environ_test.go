package depcheck

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// envReaders are the folders whose programs may read the environment: the CLI (flags and
// environment become options there), the launcher (a program of its own), and test and tooling
// code. Every other package takes what it needs as options.
var envReaders = []string{"cmd", "launcher", "integration", "bench", "tools", "internal/testbin", "internal/launcherbuild", "examples"}

// envFuncs are the calls that read or change the process environment, the Docker client's
// readers of the docker CLI's variables included.
var envFuncs = map[string]map[string]bool{
	"os":      {"Getenv": true, "LookupEnv": true, "Environ": true, "ExpandEnv": true, "Setenv": true, "Unsetenv": true, "Clearenv": true},
	"syscall": {"Getenv": true, "Environ": true, "Setenv": true, "Unsetenv": true, "Clearenv": true},
	"github.com/docker/docker/client": {"FromEnv": true, "WithHostFromEnv": true, "WithTLSClientConfigFromEnv": true,
		"WithVersionFromEnv": true},
}

// envCalls lists the environment calls in one Go file, as "os.Getenv at file:line".
func envCalls(fset *token.FileSet, f *ast.File) []string {
	names := map[string]string{} // local import name → package path
	for _, imp := range f.Imports {
		path, _ := strconv.Unquote(imp.Path.Value)
		if envFuncs[path] == nil {
			continue
		}
		name := path[strings.LastIndex(path, "/")+1:]
		if imp.Name != nil {
			name = imp.Name.Name
		}
		names[name] = path
	}
	var found []string
	ast.Inspect(f, func(n ast.Node) bool {
		sel, ok := n.(*ast.SelectorExpr)
		if !ok {
			return true
		}
		if id, ok := sel.X.(*ast.Ident); ok && envFuncs[names[id.Name]][sel.Sel.Name] {
			found = append(found, names[id.Name]+"."+sel.Sel.Name+" at "+fset.Position(sel.Pos()).String())
		}
		return true
	})
	return found
}

// TestLibrariesReadNoEnvironment: no library package reads the environment (style rule 2:
// cmd/flavor turns it into options), test files excepted.
func TestLibrariesReadNoEnvironment(t *testing.T) {
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	files := 0
	err = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, path)
		rel = filepath.ToSlash(rel)
		if d.IsDir() {
			name := d.Name()
			if path != root && (strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_") || name == "testdata" || mayReadEnv(rel)) {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(fset, rel, mustRead(path), parser.SkipObjectResolution)
		if err != nil {
			return err
		}
		files++
		for _, c := range envCalls(fset, f) {
			t.Errorf("%s: a library reads the environment; take the value as an option and read it in cmd/flavor", c)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if files < 50 {
		t.Fatalf("checked only %d files", files)
	}
}

func mustRead(path string) []byte {
	b, err := os.ReadFile(path)
	if err != nil {
		panic(err)
	}
	return b
}

func mayReadEnv(rel string) bool {
	for _, r := range envReaders {
		if rel == r || strings.HasPrefix(rel, r+"/") {
			return true
		}
	}
	return false
}

// TestEnvCalls: the checker finds environment calls under any import name and ignores lookalikes.
func TestEnvCalls(t *testing.T) {
	src := `package p
import (
	"os"
	sys "syscall"

	"github.com/docker/docker/client"
)
type env struct{}
func (env) Getenv(string) string { return "" }
func f() {
	_ = os.Getenv("A")
	_, _ = os.LookupEnv("B")
	_ = sys.Environ()
	_ = os.Getpid()
	var os2 env
	_ = os2.Getenv("C")
	_ = []client.Opt{client.FromEnv}
}`
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, "p.go", src, 0)
	if err != nil {
		t.Fatal(err)
	}
	got := strings.Join(envCalls(fset, f), "; ")
	want := "os.Getenv at p.go:11:6; os.LookupEnv at p.go:12:9; syscall.Environ at p.go:13:6; github.com/docker/docker/client.FromEnv at p.go:17:19"
	if got != want {
		t.Fatalf("envCalls:\n got %s\nwant %s", got, want)
	}
}

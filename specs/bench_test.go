package specs

import (
	"context"
	"fmt"
	"math/rand"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"text/template"
)

// genTree writes a synthetic tree of about n packages shaped like a distribution: groups of 100
// packages (a stack: libraries, then what uses them), each package with 1–5 build dependencies
// taken from earlier packages of its group or from the core group, selectors of every kind,
// one name in five with two versions, one package in ten in a collection of five sharing a
// build.yaml, and a third of the build.yaml files using shared templates and values.
func genTree(tb testing.TB, dir string, n int) {
	tb.Helper()
	// Every random choice about package i comes from a generator seeded with i, so the first
	// 1,000 packages of the 10,000-package tree are the 1,000-package tree.
	rngFor := func(i int) *rand.Rand { return rand.New(rand.NewSource(int64(i) + 1)) }
	const group = 100
	write := func(path, content string) {
		full := filepath.Join(dir, path)
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			tb.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(content), 0o644); err != nil {
			tb.Fatal(err)
		}
	}
	write("templates/common.yaml", `{{ define "steps" }}
- echo building {{ .Values.name }} {{ .Values.version }}
- mkdir -p /usr/share/{{ .Values.name }}
{{- range .Values.files | default (list "a" "b") }}
- touch /usr/share/{{ $.Values.name }}/{{ . }}
{{- end }}
{{- end }}
{{ define "env" }}
- PKG={{ .Package.Category }}/{{ .Package.Name }}
- ARCH={{ .Platform.Arch }}
{{- end }}
`)
	type pkg struct {
		cat, name  string
		collection bool
	}
	var names []pkg
	for i := 0; len(names)*6/5 < n; i++ {
		names = append(names, pkg{cat: fmt.Sprintf("cat%03d", i/group), name: fmt.Sprintf("pkg%05d", i), collection: i >= 5 && rngFor(-i).Intn(10) == 0})
	}
	var rng *rand.Rand
	selector := func() string {
		switch rng.Intn(5) {
		case 0:
			return ""
		case 1:
			return `  version: ">=1.0"` + "\n"
		case 2:
			return `  version: ">=1.0, <3"` + "\n"
		case 3:
			return `  version: "1.0"` + "\n"
		}
		return `  version: ">=0"` + "\n"
	}
	deps := func(i int) string {
		if i < group { // the core group starts from an image
			if i < 5 {
				return "image: busybox\n"
			}
		}
		var b strings.Builder
		b.WriteString("requires:\n")
		k := 1 + rng.Intn(5)
		seen := map[int]bool{}
		for j := 0; j < k; j++ {
			var d int
			if rng.Intn(10) < 7 && i%group > 0 {
				d = i - i%group + rng.Intn(i%group)
			} else {
				d = rng.Intn(min(i, group))
			}
			if seen[d] {
				continue
			}
			seen[d] = true
			name := names[d].name
			if names[d].collection {
				name += "-c0"
			}
			fmt.Fprintf(&b, "- category: %s\n  name: %s\n%s", names[d].cat, name, selector())
		}
		return b.String()
	}
	count := 0
	for i := 0; count < n && i < len(names); i++ {
		rng = rngFor(i)
		p := names[i]
		versions := []string{"1.0"}
		if rng.Intn(5) == 0 {
			versions = append(versions, "2.0")
		}
		if p.collection { // five packages sharing one build.yaml
			var b strings.Builder
			b.WriteString("packages:\n")
			for k := 0; k < 5; k++ {
				fmt.Fprintf(&b, "- name: %s-c%d\n  category: %s\n  version: \"1.%d\"\n  files: [x%d]\n", p.name, k, p.cat, k, k)
			}
			write(filepath.Join(p.cat, p.name, "collection.yaml"), b.String())
			write(filepath.Join(p.cat, p.name, "build.yaml"), deps(i)+"steps:\n{{- template \"steps\" . }}\n")
			count += 5
			continue
		}
		for _, v := range versions {
			d := filepath.Join(p.cat, p.name, v)
			write(filepath.Join(d, "definition.yaml"), fmt.Sprintf("name: %s\ncategory: %s\nversion: \"%s\"\ndescription: generated\n", p.name, p.cat, v))
			body := deps(i)
			if rng.Intn(3) == 0 {
				body += "env:\n{{- template \"env\" . }}\nsteps:\n{{- template \"steps\" . }}\n"
			} else {
				body += "steps:\n- echo " + p.name + " > /" + p.name + "\nincludes:\n- ^/" + p.name + "$\n"
			}
			write(filepath.Join(d, "build.yaml"), body)
			count++
		}
	}
}

// loadAndResolveAll is what the benchmark times: load and render the tree, then resolve the
// build dependencies and the runtime closure of every buildable package.
func loadAndResolveAll(tb testing.TB, dir string) int {
	ctx := context.Background()
	tr, err := Load(ctx, []string{dir})
	if err != nil {
		tb.Fatal(err)
	}
	resolved := 0
	for _, p := range tr.Packages() {
		if p.IsSubpackage() {
			continue
		}
		res, err := tr.Resolve(ctx, p.Ref())
		if err != nil {
			tb.Fatal(err)
		}
		if _, err := tr.ResolveRuntime(ctx, p.Ref()); err != nil {
			tb.Fatal(err)
		}
		resolved += len(res.Order())
	}
	return resolved
}

func BenchmarkTree(b *testing.B) {
	for _, n := range []int{1000, 10000} {
		b.Run(fmt.Sprintf("packages=%d", n), func(b *testing.B) {
			dir := b.TempDir()
			genTree(b, dir, n)
			runtime.GC()
			cpu0 := cpuTime()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				loadAndResolveAll(b, dir)
			}
			b.StopTimer()
			// On a shared machine wall time depends on the neighbours; CPU time does not.
			b.ReportMetric(float64(cpuTime()-cpu0)/float64(b.N), "cpu-ns/op")
		})
	}
}

func TestGeneratedTreeResolves(t *testing.T) {
	dir := t.TempDir()
	genTree(t, dir, 300)
	tr := loadTree(t, dir)
	if n := len(tr.Packages()); n < 300 {
		t.Fatalf("generated %d packages, want 300", n)
	}
	if loadAndResolveAll(t, dir) <= len(tr.Packages()) {
		t.Fatal("the generated tree has no dependencies")
	}
}

// BenchmarkRender compares our rendering (shared templates parsed once per worker, each spec
// parsed into that set) with the obvious alternative, Luet's: concatenate every shared template with the spec
// and parse the whole text again for each package.
func BenchmarkRender(b *testing.B) {
	shared := []templateFile{}
	for i := 0; i < 20; i++ {
		shared = append(shared, templateFile{path: fmt.Sprintf("templates/t%02d.yaml", i),
			text: fmt.Sprintf("{{ define \"t%02d\" }}\n- echo {{ .Values.name }} %d\n{{- range .Values.files }}\n- touch /{{ . }}\n{{- end }}\n{{ end }}\n", i, i)})
	}
	spec := "image: busybox\nsteps:\n{{- template \"t07\" . }}\n- echo {{ .Values.name | upper }}\n"
	data := &templateData{Values: map[string]any{"name": "pkg", "files": []any{"a", "b", "c"}}}
	b.Run("shared", func(b *testing.B) {
		r, errs := newRenderer(shared)
		if len(errs) > 0 {
			b.Fatal(errs[0])
		}
		w, err := r.worker()
		if err != nil {
			b.Fatal(err)
		}
		for i := 0; i < b.N; i++ {
			c, err := w.parse(fmt.Sprintf("pkg%d/build.yaml", i), spec)
			if err != nil {
				b.Fatal(err)
			}
			if _, _, err := c.execute(data); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("concatenate", func(b *testing.B) {
		var all strings.Builder
		for _, s := range shared {
			all.WriteString(s.text)
		}
		all.WriteString(spec)
		text := all.String()
		for i := 0; i < b.N; i++ {
			t, err := template.New("build.yaml").Funcs(baseFuncs()).Option("missingkey=zero").Parse(text)
			if err != nil {
				b.Fatal(err)
			}
			var out strings.Builder
			if err := t.Execute(&out, data); err != nil {
				b.Fatal(err)
			}
		}
	})
}

package main

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/urfave/cli/v2"

	"github.com/flavor-dev/flavor/builder"
	"github.com/flavor-dev/flavor/platform"
	"github.com/flavor-dev/flavor/progress"
)

func TestBuildUsageErrors(t *testing.T) {
	cases := []struct {
		name string
		args []string
		want string
	}{
		{"no packages", []string{"build", "--tree", "."}, "name the packages to build"},
		{"bad platform", []string{"build", "--platform", "linux/", "test/a"}, "--platform"},
		{"bad progress", []string{"build", "--progress", "fancy", "test/a"}, `--progress "fancy": want auto, plain, tty, json or none`},
		{"bad output format", []string{"--output-format", "yaml", "build", "test/a"}, `--output-format "yaml"`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, stderr, code := runApp(t, c.args...)
			if code == 0 || !strings.Contains(stderr, c.want) {
				t.Fatalf("exit %d, stderr %q; want a failure saying %q", code, stderr, c.want)
			}
		})
	}
}

// TestBuildRequestFromFlags: platforms split on commas and repeat; flags may follow packages.
func TestBuildRequestFromFlags(t *testing.T) {
	app := New()
	var got builder.Request
	for _, cmd := range app.Commands {
		if cmd.Name == "build" {
			cmd.Action = func(c *cli.Context) error {
				var err error
				got, err = buildRequest(c)
				return err
			}
		}
	}
	var out, errb bytes.Buffer
	app.Writer, app.ErrWriter = &out, &errb
	if code := run(t.Context(), app, []string{"flavor", "build", "--platform", "linux/amd64,linux/arm64", "test/a", "b", "--platform", "linux/arm/v7", "--tree", "t1"}); code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	want := []string{"linux/amd64", "linux/arm64", "linux/arm/v7"}
	if len(got.Platforms) != len(want) {
		t.Fatalf("platforms %v", got.Platforms)
	}
	for i, p := range got.Platforms {
		if p.String() != want[i] {
			t.Errorf("platform %d = %s, want %s", i, p, want[i])
		}
	}
	if strings.Join(got.Packages, " ") != "test/a b" || strings.Join(got.Trees, " ") != "t1" || got.Destination != "build" {
		t.Errorf("request %+v", got)
	}
}

func TestProgressPlain(t *testing.T) {
	var buf bytes.Buffer
	r := newRenderer(progressPlain, &buf)
	for _, u := range []progress.Event{
		{Stage: builder.StagePlan, Platform: "linux/amd64", Done: 2, Total: 2},
		{Stage: builder.StageBuild, Package: "test/a@1.0", Platform: "linux/amd64"},
		{Stage: builder.StageStep, Package: "test/a@1.0", Platform: "linux/amd64", Done: 1, Total: 2, Message: "make"},
		{Stage: builder.StageOutput, Package: "test/a@1.0", Platform: "linux/amd64", Message: "cc -o x x.c"},
		{Stage: builder.StageArtifact, Package: "test/a@1.0", Platform: "linux/amd64", Message: "ignored"},
		{Stage: builder.StageDone, Package: "test/a@1.0", Platform: "linux/amd64", Done: 1, Total: 2, Message: "built"},
		{Stage: builder.StageCached, Package: "test/b@1.0", Platform: "linux/amd64"},
	} {
		r.update(u)
	}
	r.close()
	want := `[linux/amd64] 2 packages to build or fetch
[test/a@1.0 linux/amd64] building
[test/a@1.0 linux/amd64] step 1/2: make
[test/a@1.0 linux/amd64] | cc -o x x.c
[test/a@1.0 linux/amd64] done (built), 1/2
[test/b@1.0 linux/amd64] cached
`
	if buf.String() != want {
		t.Errorf("plain progress:\n%s\nwant:\n%s", buf.String(), want)
	}
}

func TestProgressJSON(t *testing.T) {
	var buf bytes.Buffer
	r := newRenderer(progressJSON, &buf)
	r.update(progress.Event{Stage: builder.StageOutput, Package: "test/a@1.0", Platform: "linux/arm64", Message: "hello"})
	r.update(progress.Event{Stage: builder.StageStep, Package: "test/a@1.0", Platform: "linux/arm64", Done: 2, Total: 3, Message: "make"})
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != 2 {
		t.Fatalf("%d lines: %q", len(lines), buf.String())
	}
	var u jsonUpdate
	if err := json.Unmarshal([]byte(lines[1]), &u); err != nil {
		t.Fatal(err)
	}
	if u != (jsonUpdate{Stage: "step", Package: "test/a@1.0", Platform: "linux/arm64", Done: 2, Total: 3, Line: "make"}) {
		t.Errorf("decoded %+v", u)
	}
	if lines[0] != `{"stage":"output","package":"test/a@1.0","platform":"linux/arm64","line":"hello"}` {
		t.Errorf("first line %s", lines[0])
	}
}

func TestProgressTTYPrintsOutputAndResults(t *testing.T) {
	var buf bytes.Buffer
	r := newRenderer(progressTTY, &buf)
	r.update(progress.Event{Stage: builder.StagePlan, Platform: "linux/amd64", Done: 1, Total: 1})
	r.update(progress.Event{Stage: builder.StageStep, Package: "test/a@1.0", Platform: "linux/amd64", Done: 1, Total: 1, Message: "make"})
	r.update(progress.Event{Stage: builder.StageOutput, Package: "test/a@1.0", Platform: "linux/amd64", Message: "compiling"})
	r.update(progress.Event{Stage: builder.StageDone, Package: "test/a@1.0", Platform: "linux/amd64", Done: 1, Total: 1, Message: "built"})
	r.close()
	out := buf.String()
	for _, w := range []string{"[test/a@1.0 linux/amd64] | compiling", "[test/a@1.0 linux/amd64] done (built), 1/1", "packages", "1/1"} {
		if !strings.Contains(out, w) {
			t.Errorf("tty output lacks %q:\n%s", w, out)
		}
	}
}

func TestParseProgressAuto(t *testing.T) {
	m, err := parseProgress("auto", &bytes.Buffer{})
	if err != nil || m != progressPlain {
		t.Errorf("auto on a buffer: %v %v; want plain", m, err)
	}
}

func TestPrintBuild(t *testing.T) {
	res := &builder.Result{Containers: 4, Skipped: []string{"test/x@1.0 for linux/arm64"}, Artifacts: []builder.Artifact{{
		Package: "test/a@1.0", Platform: platform.MustParse("linux/amd64"), Source: builder.SourceBuilt,
		Path: "out/a-test-1.0-linux-amd64.package.tar.zst", MetaPath: "out/a-test-1.0-linux-amd64.metadata.json",
		Metadata: builder.Metadata{CacheKey: "sha256:ab"},
	}}}
	var text, js bytes.Buffer
	if err := printBuild(&text, buildJSON(res)); err != nil {
		t.Fatal(err)
	}
	want := "built   linux/amd64   out/a-test-1.0-linux-amd64.package.tar.zst\nskipped test/x@1.0 for linux/arm64 (not in its builder.yaml platforms)\n1 artifacts, 4 containers started\n"
	if text.String() != want {
		t.Errorf("text:\n%q\nwant\n%q", text.String(), want)
	}
	if err := writeJSON(&js, buildJSON(res)); err != nil {
		t.Fatal(err)
	}
	var rep buildReport
	if err := json.Unmarshal(js.Bytes(), &rep); err != nil {
		t.Fatal(err)
	}
	if rep.Containers != 4 || len(rep.Artifacts) != 1 || rep.Artifacts[0].CacheKey != "sha256:ab" || rep.Artifacts[0].Source != "built" {
		t.Errorf("json %+v", rep)
	}
}

package manifest

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

func load(t *testing.T, path string) *Manifest {
	t.Helper()
	m, err := Load(context.Background(), path)
	if err != nil {
		t.Fatalf("Load(%s): %v", path, err)
	}
	return m
}

func TestManifestMDExample(t *testing.T) {
	// Every value of the example in shared/spec/manifest.md (copied verbatim into testdata).
	m := load(t, "testdata/manifest-md.toml")
	if m.SchemaVersion() != "1" {
		t.Errorf("schema-version = %q", m.SchemaVersion())
	}
	if got, want := m.Package(), (Package{Name: "hello", Version: "1.0.0", Description: "demo"}); got != want {
		t.Errorf("package = %+v, want %+v", got, want)
	}
	o := m.Options()
	if !reflect.DeepEqual(o.Systems, []string{"linux/amd64", "linux/arm64"}) {
		t.Errorf("systems = %v", o.Systems)
	}
	if o.Flavor.String() != "~!debug,~ssl" {
		t.Errorf("options.flavor = %q", o.Flavor)
	}
	if !reflect.DeepEqual(o.Trees, []string{"packages/"}) || !reflect.DeepEqual(o.Values, []string{"values.yaml"}) {
		t.Errorf("trees = %v, values = %v", o.Trees, o.Values)
	}
	if got := m.Abs(o.Values[0]); got != filepath.Join("testdata", "values.yaml") {
		t.Errorf("Abs(values.yaml) = %q", got)
	}
	in := m.Install()
	if len(in) != 2 {
		t.Fatalf("install = %+v", in)
	}
	busybox, hello := in[0], in[1]
	if busybox.ID != "busybox" || busybox.PkgPath != "base/busybox" || busybox.Version != "" || busybox.PkgGroup != "toplevel" || busybox.Systems != nil || !busybox.Flavor.IsEmpty() {
		t.Errorf("busybox = %+v", busybox)
	}
	if hello.ID != "hello" || hello.PkgPath != "apps/hello" || hello.Version != ">=1.0, <2" || hello.PkgGroup != "app" ||
		!reflect.DeepEqual(hello.Systems, []string{"linux/amd64"}) || hello.Flavor.String() != "ssl" {
		t.Errorf("hello = %+v", hello)
	}
	if got := m.InstallSystems("busybox"); !reflect.DeepEqual(got, []string{"linux/amd64", "linux/arm64"}) {
		t.Errorf("InstallSystems(busybox) = %v", got)
	}
	if got := m.InstallSystems("hello"); !reflect.DeepEqual(got, []string{"linux/amd64"}) {
		t.Errorf("InstallSystems(hello) = %v", got)
	}
	if got := m.Vars(); !reflect.DeepEqual(got, []Var{{Name: "GREETING", Raw: "hello", Value: "hello"}}) {
		t.Errorf("vars = %+v", got)
	}
	if m.Hook().OnActivate != "echo ready > {workenv}/.ready" {
		t.Errorf("hook = %+v", m.Hook())
	}
	wantExec := Execution{
		Command:     "{workenv}/bin/hello",
		Args:        []string{"--production"},
		Cwd:         "{workenv}",
		PathPrepend: []string{"{workenv}/bin"},
		Env: RuntimeEnv{
			Unset: []string{"*"},
			Pass:  []string{"PATH", "HOME", "LANG", "LC_*", "FLAVOR_*"},
			Map:   map[string]string{"OLD_API_KEY": "API_KEY"},
			Set:   map[string]string{"APP_MODE": "production"},
		},
		Signals: Signals{Forward: true, ShutdownTimeout: 30 * time.Second},
	}
	if got := m.Execution(); !reflect.DeepEqual(got, wantExec) {
		t.Errorf("execution = %+v\nwant %+v", got, wantExec)
	}
	wantSlots := []Slot{{ID: "config", Source: "config/", Operations: []string{"tar", "zstd"}, Purpose: "config",
		Lifecycle: "config", Priority: 100, Platform: "any", Target: "."}}
	if got := m.Slots(); !reflect.DeepEqual(got, wantSlots) {
		t.Errorf("slots = %+v\nwant %+v", got, wantSlots)
	}
	if got := m.Signing(); got != (Signing{PrivateKey: "keys/flavor-private.key", PublicKey: "keys/flavor-public.key"}) {
		t.Errorf("signing = %+v", got)
	}
	if got := m.Metadata(); !reflect.DeepEqual(got, map[string]any{"license": "Apache-2.0", "custom": map[string]any{"build_number": "42"}}) {
		t.Errorf("metadata = %#v", got)
	}
	if m.PackOnly() {
		t.Error("PackOnly() with [install] entries")
	}
	if !strings.HasPrefix(m.Digest(), "sha256:") || len(m.Digest()) != len("sha256:")+64 {
		t.Errorf("digest = %q", m.Digest())
	}
}

func TestRequestedFlavor(t *testing.T) {
	m := load(t, "testdata/manifest-md.toml")
	tests := []struct{ id, system, want string }{
		{"hello", "linux/amd64", "~!debug,ssl is: x86_64"},
		{"busybox", "linux/amd64", "~!debug,~ssl is: x86_64"},
		{"busybox", "linux/arm64", "~!debug,~ssl is: aarch64"},
	}
	for _, tt := range tests {
		t.Run(tt.id+"/"+tt.system, func(t *testing.T) {
			f, err := m.RequestedFlavor(tt.id, tt.system)
			if err != nil || f.String() != tt.want {
				t.Fatalf("RequestedFlavor = %q, %v; want %q", f, err, tt.want)
			}
		})
	}
	if _, err := m.RequestedFlavor("nope", "linux/amd64"); !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), `no install entry "nope"`) {
		t.Errorf("unknown id: %v", err)
	}
}

func TestPyproject(t *testing.T) {
	m := load(t, "testdata/pyproject.toml")
	if got, want := m.Package(), (Package{Name: "myapp", Version: "1.0.0", Description: "myapp as a .psp"}); got != want {
		t.Errorf("package = %+v, want %+v ([project] defaults, [tool.flavor.package] wins)", got, want)
	}
	if !m.PackOnly() || m.Execution().Command != "{workenv}/bin/myapp" {
		t.Errorf("PackOnly %v, command %q", m.PackOnly(), m.Execution().Command)
	}
	want := []Slot{
		{ID: "python-runtime", Source: "venv/", Operations: []string{"tar", "gzip"}, Purpose: "code", Lifecycle: "runtime", Priority: 100, Platform: "any", Target: "."},
		{ID: "data-models", Source: "models/", Operations: []string{"tar", "gzip"}, Purpose: "data", Lifecycle: "cache", Priority: 200, Platform: "any", Target: "."},
	}
	if got := m.Slots(); !reflect.DeepEqual(got, want) {
		t.Errorf("slots = %+v\nwant %+v", got, want)
	}
	if got := m.Execution().Env.Set; !reflect.DeepEqual(got, map[string]string{"APP_ENV": "production", "DEBUG": "false"}) {
		t.Errorf("env set = %v", got)
	}
	if md := m.Metadata(); md["license"] != "Apache-2.0" || md["custom"].(map[string]any)["commit_sha"] != "abc123" {
		t.Errorf("metadata = %v", md)
	}
}

// flavorTOMLOfPyproject says in flavor.toml what testdata/pyproject.toml says, in another order
// and spelling.
const flavorTOMLOfPyproject = `
[[slots]]
id = "python-runtime"
source = "venv/"
operations = "tgz"
purpose = "code"
priority = 100
target = "."

[[slots]]
id = "data-models"
source = "models/"
operations = ["tar", "gzip"]
lifecycle = "cache"
priority = 200

[metadata]
custom = { commit_sha = "abc123", build_number = "42" }
license = "Apache-2.0"
author = "Your Name"

[execution]
command = "{workenv}/bin/myapp"
runtime.env.set = { DEBUG = "false", APP_ENV = "production" }
runtime.env.pass = ["PATH", "HOME", "PORT"]
runtime.env.unset = ["*"]

[package]
name = "myapp"
version = "1.0.0"
description = "myapp as a .psp"
`

func TestDigestIsCanonical(t *testing.T) {
	py := load(t, "testdata/pyproject.toml")
	ft, err := Parse("elsewhere/flavor.toml", []byte(flavorTOMLOfPyproject))
	if err != nil {
		t.Fatal(err)
	}
	if py.Digest() != ft.Digest() {
		t.Fatalf("same content, different digests: %s vs %s", py.Digest(), ft.Digest())
	}
	changed, err := Parse("flavor.toml", []byte(strings.Replace(flavorTOMLOfPyproject, `build_number = "42"`, `build_number = "43"`, 1)))
	if err != nil {
		t.Fatal(err)
	}
	if changed.Digest() == ft.Digest() {
		t.Fatal("a changed metadata value kept the digest")
	}
	a, _ := Parse("flavor.toml", []byte(minimal+"[options]\nsystems = [\"linux/arm64\", \"x86_64-linux\"]\nflavor = \"~ssl ,  ~!debug\"\n"))
	b, _ := Parse("flavor.toml", []byte(minimal+"[options]\nsystems = [\"linux/amd64\", \"aarch64-linux\"]\nflavor = \"~!debug,~ssl\"\n"))
	if a == nil || b == nil || a.Digest() != b.Digest() {
		t.Fatal("system order and flavor spelling changed the digest")
	}
}

const minimal = `
[package]
name = "hello"
version = "1.0.0"
[execution]
command = "{workenv}/bin/hello"
`

func TestDefaults(t *testing.T) {
	m, err := Parse("flavor.toml", []byte(minimal+`
[[slots]]
id = "app"
source = "app/"
[install]
hello.pkg-path = "apps/hello"
`))
	if err != nil {
		t.Fatal(err)
	}
	if got := m.Slots()[0]; !reflect.DeepEqual(got, Slot{ID: "app", Source: "app/", Purpose: "data", Lifecycle: "runtime", Priority: 128, Platform: "any", Target: "."}) {
		t.Errorf("slot defaults = %+v", got)
	}
	if got := m.Execution().Signals; got != (Signals{Forward: true}) {
		t.Errorf("signal defaults = %+v", got)
	}
	in, _ := m.InstallEntry("hello")
	if in.PkgGroup != "toplevel" || in.Systems != nil {
		t.Errorf("install defaults = %+v", in)
	}
	if m.SchemaVersion() != "1" || m.Options().Systems != nil || m.InstallSystems("hello") != nil {
		t.Errorf("schema %q systems %v", m.SchemaVersion(), m.Options().Systems)
	}
	if m.InstallSystems("nope") != nil {
		t.Error("InstallSystems of an unknown id")
	}
}

func TestVarsExpansion(t *testing.T) {
	m, err := Parse("flavor.toml", []byte(minimal+`
[vars]
GREETING = "${WORD}, ${NAME}!"
WORD = "hello"
NAME = "${WORD}-world"
LITERAL = "$${HOME} and $HOME and $"
`))
	if err != nil {
		t.Fatal(err)
	}
	want := []Var{
		{Name: "GREETING", Raw: "${WORD}, ${NAME}!", Value: "hello, hello-world!"},
		{Name: "LITERAL", Raw: "$${HOME} and $HOME and $", Value: "${HOME} and $HOME and $"},
		{Name: "NAME", Raw: "${WORD}-world", Value: "hello-world"},
		{Name: "WORD", Raw: "hello", Value: "hello"},
	}
	if got := m.Vars(); !reflect.DeepEqual(got, want) {
		t.Fatalf("vars = %+v\nwant %+v", got, want)
	}
}

func TestAccessorsReturnCopies(t *testing.T) {
	m := load(t, "testdata/manifest-md.toml")
	m.Options().Systems[0] = "x"
	m.Install()[1].Systems[0] = "x"
	m.Execution().Env.Map["OLD_API_KEY"] = "x"
	m.Execution().Args[0] = "x"
	m.Slots()[0].Operations[0] = "x"
	m.Metadata()["custom"].(map[string]any)["build_number"] = "x"
	again := load(t, "testdata/manifest-md.toml")
	if !reflect.DeepEqual(m.Options(), again.Options()) || !reflect.DeepEqual(m.Install(), again.Install()) ||
		!reflect.DeepEqual(m.Execution(), again.Execution()) || !reflect.DeepEqual(m.Slots(), again.Slots()) ||
		!reflect.DeepEqual(m.Metadata(), again.Metadata()) {
		t.Fatal("changing what an accessor returned changed the manifest")
	}
}

func TestPermissionsAndOperations(t *testing.T) {
	tests := []struct {
		line string
		ops  []string
		perm fs.FileMode
	}{
		{`operations = "tar.zst"`, []string{"tar", "zstd"}, 0},
		{`operations = "raw"`, []string{}, 0},
		{`operations = "gzip"`, []string{"gzip"}, 0},
		{`operations = "tar|xz"`, []string{"tar", "xz"}, 0},
		{`operations = ["tar", "bzip2"]`, []string{"tar", "bzip2"}, 0},
		{`operations = "tbz2"`, []string{"tar", "bzip2"}, 0},
		{`operations = "taz"`, []string{"tar", "gzip"}, 0}, // the vocabulary packer writes with (package ops)
		{`operations = "tbz"`, []string{"tar", "bzip2"}, 0},
		{`operations = "TAR.ZST"`, []string{"tar", "zstd"}, 0},
		{`operations = "tar|gzip|zstd"`, []string{"tar", "gzip", "zstd"}, 0},
		{`operations = ["tar"]`, []string{"tar"}, 0},
		{`permissions = "0755"`, nil, 0o755},
		{`permissions = "644"`, nil, 0o644},
		{`permissions = "0o700"`, nil, 0o700},
		{`permissions = 0o4755`, nil, 0o755 | fs.ModeSetuid},
		{`permissions = 493`, nil, 0o755},
	}
	for _, tt := range tests {
		t.Run(tt.line, func(t *testing.T) {
			m, err := Parse("flavor.toml", []byte(minimal+"[[slots]]\nid = \"s\"\nsource = \"f\"\n"+tt.line+"\n"))
			if err != nil {
				t.Fatal(err)
			}
			s := m.Slots()[0]
			if !reflect.DeepEqual(s.Operations, tt.ops) || s.Permissions != tt.perm {
				t.Fatalf("operations %#v permissions %v; want %#v %v", s.Operations, s.Permissions, tt.ops, tt.perm)
			}
		})
	}
}

func TestLoadErrors(t *testing.T) {
	if _, err := Load(context.Background(), "testdata/missing.toml"); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing file: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Load(ctx, "testdata/manifest-md.toml"); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: %v", err)
	}
	if _, err := Parse("x.toml", nil, WithLogger(nil)); err == nil {
		t.Error("WithLogger(nil) accepted")
	}
	// WithPyproject overrides the file name.
	data, _ := os.ReadFile("testdata/pyproject.toml")
	if _, err := Parse("manifest.toml", data, WithPyproject(true)); err != nil {
		t.Errorf("WithPyproject(true): %v", err)
	}
	if _, err := Parse("pyproject.toml", []byte(minimal), WithPyproject(false)); err != nil {
		t.Errorf("WithPyproject(false): %v", err)
	}
}

func TestNameLists(t *testing.T) {
	if got := Lifecycles(); len(got) != 11 || got[0] != "init" || got[5] != "temporary" || got[10] != "platform" {
		t.Errorf("Lifecycles() = %v (PSPF codes 0–10)", got)
	}
	if got := Purposes(); strings.Join(got, ",") != "data,code,config,media" {
		t.Errorf("Purposes() = %v", got)
	}
	if got := Operations(); strings.Join(got, ",") != "tar,gzip,bzip2,xz,zstd" {
		t.Errorf("Operations() = %v", got)
	}
	if got := LauncherSystems(); len(got) != 5 || got[0] != "linux/amd64" {
		t.Errorf("LauncherSystems() = %v", got)
	}
	Lifecycles()[0], Purposes()[0], Operations()[0], LauncherSystems()[0] = "x", "x", "x", "x"
	if Lifecycles()[0] != "init" || Purposes()[0] != "data" || Operations()[0] != "tar" || LauncherSystems()[0] != "linux/amd64" {
		t.Error("the name lists hand out their backing arrays")
	}
	for in, want := range map[string]string{"x86_64-linux": "linux/amd64", "aarch64-darwin": "darwin/arm64", "linux/arm64/v8": "linux/arm64", "windows/amd64": "windows/amd64"} {
		if got, err := NormalizeSystem(in); err != nil || got != want {
			t.Errorf("NormalizeSystem(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
}

func TestStrictTrees(t *testing.T) {
	if mustParse(t, minimal).Options().StrictTrees {
		t.Error("strict-trees is on by default")
	}
	if m := mustParse(t, minimal+"[options]\nstrict-trees = true\n"); !m.Options().StrictTrees {
		t.Error("strict-trees = true not read")
	}
	_, err := Parse("flavor.toml", []byte(minimal+"[options]\nstrict-trees = \"yes\"\n"))
	if err == nil || !strings.Contains(err.Error(), "strict-trees") || !strings.Contains(err.Error(), "true or false") {
		t.Fatalf("want a type error naming strict-trees, got %v", err)
	}
}

package packer

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/flavor-dev/flavor/ops"
	"github.com/flavor-dev/flavor/progress"
)

func TestWriteRejects(t *testing.T) {
	ok := baseSpec(Slot{ID: "a", Reader: strings.NewReader("content long enough to stay raw")})
	for _, tc := range []struct {
		name   string
		mutate func(s *Spec)
		hint   string
	}{
		{"no launcher", func(s *Spec) { s.Launcher = nil }, "launcher"},
		{"no name", func(s *Spec) { s.Name = "" }, "name"},
		{"no command", func(s *Spec) { s.Execution.Command = " " }, "command"},
		{"primary slot out of range", func(s *Spec) { s.Execution.PrimarySlot = 3 }, "primary slot"},
		{"duplicate id", func(s *Spec) { s.Slots = append(s.Slots, Slot{ID: "a", Reader: strings.NewReader("x")}) }, "used twice"},
		{"path and reader", func(s *Spec) { s.Slots[0].Path = "/etc" }, "exactly one"},
		{"bad lifecycle", func(s *Spec) { s.Slots[0].Lifecycle = "runtme" }, `did you mean "runtime"`},
		{"tar after gzip", func(s *Spec) { s.Slots[0].Operations = ops.Chain{ops.Gzip, ops.Tar} }, "first"},
		{"tar chain on a non-tar stream", func(s *Spec) { s.Slots[0].Operations = ops.Chain{ops.Tar, ops.Gzip} }, "not a tar"},
		{"encryption", func(s *Spec) { s.Slots[0].Operations = ops.Chain{ops.AES256GCM} }, "unsupported"},
		{"reserved extra key", func(s *Spec) { s.Extra = map[string]any{"slots": 1} }, "reserved"},
		{"reserved extra key in another case", func(s *Spec) { s.Extra = map[string]any{"Build": 1} }, "reserved"},
		{"metadata over 1 MiB", func(s *Spec) { s.Description = strings.Repeat("x", MaxMetadataJSON) }, "1048576"},
		{"bad env name", func(s *Spec) { s.Execution.Env = map[string]string{"A=B": "x"} }, "environment name"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			spec := ok
			spec.Slots = append([]Slot(nil), ok.Slots...)
			spec.Slots[0].Reader = strings.NewReader("content long enough to stay raw")
			tc.mutate(&spec)
			dir := t.TempDir()
			path := filepath.Join(dir, "x.psp")
			_, err := Write(context.Background(), path, spec, WithSigner(KeyFromSeed("k")))
			if err == nil || !strings.Contains(err.Error(), tc.hint) {
				t.Fatalf("Write error %v, want one mentioning %q", err, tc.hint)
			}
			if entries, _ := os.ReadDir(dir); len(entries) != 0 {
				t.Fatalf("failed write left files behind: %v", entries)
			}
		})
	}
	t.Run("no signer", func(t *testing.T) {
		_, err := Write(context.Background(), filepath.Join(t.TempDir(), "x.psp"), ok)
		if !errors.Is(err, ErrInvalidInput) || !strings.Contains(err.Error(), "WithSigner") {
			t.Fatalf("Write without signer: %v", err)
		}
	})
}

func TestFailedWriteKeepsOldFile(t *testing.T) {
	path, _ := writePackage(t, baseSpec(Slot{ID: "a", Reader: strings.NewReader("first version of the content")}))
	before, _ := os.ReadFile(path)
	spec := baseSpec(Slot{ID: "a", Reader: iotestErrReader{}})
	if _, err := Write(context.Background(), path, spec, WithSigner(KeyFromSeed("k"))); err == nil {
		t.Fatal("write with a failing reader succeeded")
	}
	after, _ := os.ReadFile(path)
	if !bytes.Equal(before, after) {
		t.Fatal("a failed write changed the existing package")
	}
	if entries, _ := os.ReadDir(filepath.Dir(path)); len(entries) != 1 {
		t.Fatalf("temporary files left: %v", entries)
	}
}

type iotestErrReader struct{}

func (iotestErrReader) Read([]byte) (int, error) { return 0, errors.New("disk on fire") }

func TestMetadataShape(t *testing.T) {
	spec := baseSpec(Slot{ID: "tree", Path: sampleTree(t), Purpose: "code", Lifecycle: "volatile", Priority: 100, Platform: "linux/arm64"},
		Slot{ID: "cfg", Reader: strings.NewReader("configuration content"), Target: "etc/app.conf", Permissions: 0o640})
	spec.Execution.Args = []string{"--production"}
	spec.Execution.Cwd = "{workenv}"
	spec.Execution.PathPrepend = []string{"{workenv}/bin"}
	spec.Execution.Signals = &Signals{Forward: true, ShutdownTimeout: 30}
	spec.Runtime = RuntimeEnv{Unset: []string{"*"}, Pass: []string{"PATH"}, Map: map[string]string{"OLD": "NEW"}}
	spec.SetupCommands = []SetupCommand{{Command: "echo ready > {workenv}/.ready"}}
	spec.Workenv = &Workenv{Directories: []WorkenvDir{{Path: "{workenv}/tmp", Mode: 0o750}}}
	_, res := writePackage(t, spec)
	js := res.Metadata.JSON()
	var generic map[string]any
	if err := json.Unmarshal(js, &generic); err != nil {
		t.Fatal(err)
	}
	// Key order: the portable keys first, in a fixed order.
	order := []string{`"format"`, `"format_version"`, `"package"`, `"slots"`, `"execution"`, `"runtime"`, `"workenv"`,
		`"setup_commands"`, `"verification"`, `"build"`, `"integrity"`}
	last := -1
	for _, k := range order {
		i := bytes.Index(js, []byte("\n  "+k+":"))
		if i < 0 || i < last {
			t.Fatalf("top-level key %s missing or out of order in\n%s", k, js)
		}
		last = i
	}
	exec := generic["execution"].(map[string]any)
	if exec["primary_slot"] != 0.0 || exec["env"].(map[string]any)["MODE"] != "test" || exec["environment"].(map[string]any)["MODE"] != "test" ||
		exec["args"].([]any)[0] != "--production" || exec["signals"].(map[string]any)["shutdown_timeout"] != 30.0 {
		t.Fatalf("execution %v", exec)
	}
	rt := generic["runtime"].(map[string]any)["env"].(map[string]any)
	if rt["set"] == nil || rt["unset"].([]any)[0] != "*" || rt["map"].(map[string]any)["OLD"] != "NEW" {
		t.Fatalf("runtime.env %v", rt)
	}
	slots := generic["slots"].([]any)
	s0, s1 := slots[0].(map[string]any), slots[1].(map[string]any)
	for _, k := range []string{"slot", "id", "source", "target", "size", "checksum", "operations", "purpose", "lifecycle"} {
		if _, ok := s0[k]; !ok {
			t.Fatalf("slot lacks %q: %v", k, s0)
		}
	}
	if s0["operations"] != "tar.zst" || s0["lifecycle"] != "volatile" || s0["purpose"] != "code" || s0["target"] != "{workenv}" ||
		s0["platform"] != "linux/arm64" || !strings.HasPrefix(s0["checksum"].(string), "sha256:") || s0["source"] != filepath.Base(spec.Slots[0].Path) {
		t.Fatalf("slot 0 %v", s0)
	}
	if s1["permissions"] != "0640" || s1["source"] != "stream" || s1["operations"] != "raw" {
		t.Fatalf("slot 1 %v", s1)
	}
	if d := res.Descriptors[0]; d.Purpose != PurposeCode || d.Lifecycle != LifecycleTemporary || d.Priority != 100 || d.NameHash != NameHash("tree") {
		t.Fatalf("descriptor 0 %+v", d)
	}
	if bytes.Contains(js, []byte(`\u003e`)) || !bytes.Contains(js, []byte("> {workenv}/.ready")) {
		t.Fatal("HTML characters are escaped in the metadata")
	}
	if host, _ := os.Hostname(); host != "" && bytes.Contains(js, []byte(host)) {
		t.Fatal("metadata contains the host name")
	}
}

func TestProgressEvents(t *testing.T) {
	var stages []progress.Stage
	writePackage(t, baseSpec(Slot{ID: "tree", Path: sampleTree(t)}, Slot{ID: "f", Reader: strings.NewReader("0123456789abcdefXYZ")}),
		WithProgress(func(u progress.Event) { stages = append(stages, u.Stage) }))
	got := make([]string, len(stages))
	for i, s := range stages {
		got[i] = string(s)
	}
	if want := "slot slot-done slot slot-done assemble done"; strings.Join(got, " ") != want {
		t.Fatalf("stages %q, want %q", strings.Join(got, " "), want)
	}
}

package bundle

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/flavor-dev/flavor/ops"
	"github.com/flavor-dev/flavor/packer"
	"github.com/flavor-dev/flavor/progress"
)

const minimalManifest = `
schema-version = "1"
[package]
name = "mini"
version = "0.1.0"
[execution]
command = "sh {workenv}/run.sh"
`

func TestPackRefuses(t *testing.T) {
	cases := []struct {
		name  string
		files map[string]string
		body  string
		opts  []Option
		want  error
		msg   string
	}{
		{
			name: "missing source",
			body: minimalManifest + "[[slots]]\nid = \"gone\"\nsource = \"nowhere/\"\n",
			want: ErrSlot, msg: "flavor.toml: slot gone: source nowhere/: bad slot",
		},
		{
			name:  "directory without tar",
			files: map[string]string{"d/x": "x"},
			body:  minimalManifest + "[[slots]]\nid = \"d\"\nsource = \"d\"\noperations = \"gzip\"\n",
			want:  ErrSlot, msg: `source d is a directory, so operations must start with tar (they are "gzip")`,
		},
		{
			name:  "file with tar",
			files: map[string]string{"f": "content"},
			body:  minimalManifest + "[[slots]]\nid = \"f\"\nsource = \"f\"\noperations = \"tar.gz\"\n",
			want:  ErrSlot, msg: `source f is a file, so operations cannot start with tar`,
		},
		{
			name:  "target outside the workenv",
			files: map[string]string{"f": "content"},
			body:  minimalManifest + "[[slots]]\nid = \"f\"\nsource = \"f\"\ntarget = \"/etc/passwd\"\n",
			want:  ErrSlot, msg: `target "/etc/passwd" must be a path inside the workenv`,
		},
		{
			name:  "id used by a caller's source too",
			files: map[string]string{"f": "content"},
			body:  minimalManifest + "[[slots]]\nid = \"f\"\nsource = \"f\"\n",
			opts: []Option{WithSlotSource(SlotSourceFunc(func(context.Context, Target) ([]Slot, error) {
				return []Slot{{Slot: packer.Slot{ID: "f", Reader: strings.NewReader("0123456789abcdefghij")}}}, nil
			}))},
			want: ErrSlot, msg: `slot id "f" is used twice`,
		},
		{
			name: "install without the build",
			body: minimalManifest + "[install]\nhello.pkg-path = \"apps/hello\"\nbusybox.pkg-path = \"base/busybox\"\n",
			want: ErrInstallNeedsBuild,
			msg:  "[install] entries busybox, hello: [install] needs the container build (WithInstall with an InstallSource)",
		},
		{
			name: "launcher for another platform",
			body: minimalManifest,
			opts: []Option{WithLauncher(testLauncherFile(t, elfHeader(183, 0)))},
			want: ErrLauncherPlatform, msg: "no launcher file for linux/amd64 (",
		},
		{
			name: "no signer",
			body: minimalManifest,
			opts: []Option{func(o *options) error { o.signer = nil; return nil }},
			want: ErrKey, msg: "no signing key",
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			tree(t, dir, tc.files)
			m := loadManifest(t, dir, tc.body)
			out := t.TempDir()
			opts := append([]Option{WithLauncher(fakeLauncher{}), WithSigner(testKey), WithOutputDir(out), WithPlatforms("linux/amd64")}, tc.opts...)
			_, err := Pack(context.Background(), m, opts...)
			if !errors.Is(err, tc.want) || !strings.Contains(err.Error(), tc.msg) {
				t.Fatalf("error:\n %v\nwant %v containing %q", err, tc.want, tc.msg)
			}
			if left := dirEntries(t, out); len(left) != 0 {
				t.Fatalf("a failed pack left %v", left)
			}
		})
	}
}

func TestPackWithInstallSource(t *testing.T) {
	dir := t.TempDir()
	tree(t, dir, map[string]string{"run.sh": "#!/bin/sh\necho run\n"})
	m := loadManifest(t, dir, minimalManifest+
		"[install]\nhello.pkg-path = \"apps/hello\"\n[[slots]]\nid = \"run\"\nsource = \"run.sh\"\n")
	var asked []string
	built := SlotSourceFunc(func(_ context.Context, tg Target) ([]Slot, error) {
		asked = append(asked, tg.Platform)
		return []Slot{{
			Slot:       packer.Slot{ID: "toplevel", Reader: bytes.NewReader(tarOf(t, "bin/hello", "#!/bin/sh\n")), Operations: ops.Chain{ops.Tar, ops.Gzip}},
			Provenance: map[string]any{"packages": []string{"apps/hello@1.2.0"}, "cache_key": "sha256:abc"},
		}}, nil
	})
	out := pack(t, m, WithInstall(built), WithPlatforms("linux/amd64"))[0]
	if strings.Join(asked, ",") != "linux/amd64" {
		t.Errorf("install source asked for %v", asked)
	}
	p := open(t, out.Path)
	md := p.Metadata()
	if len(md.Slots) != 5 || md.Slots[0].ID != "toplevel" || md.Slots[1].ID != "run" || md.Slots[2].ID != "flavor.sbom.spdx" {
		t.Fatalf("slots %+v, want toplevel, run, then the SBOM documents", md.Slots)
	}
	var prov struct {
		Slots map[string]struct {
			CacheKey string   `json:"cache_key"`
			Packages []string `json:"packages"`
		} `json:"slots"`
	}
	if err := json.Unmarshal(md.Extra["provenance"], &prov); err != nil {
		t.Fatal(err)
	}
	if s := prov.Slots["toplevel"]; s.CacheKey != "sha256:abc" || len(s.Packages) != 1 || s.Packages[0] != "apps/hello@1.2.0" {
		t.Errorf("provenance %s lacks the built slot's", md.Extra["provenance"])
	}
}

// blockingReader returns data until it has given n bytes, then cancels the context and waits
// for it to be done.
type blockingReader struct {
	ctx    context.Context
	cancel context.CancelFunc
	n      int
}

func (r *blockingReader) Read(b []byte) (int, error) {
	if r.n <= 0 {
		r.cancel()
		<-r.ctx.Done()
		return 0, r.ctx.Err()
	}
	if len(b) > r.n {
		b = b[:r.n]
	}
	for i := range b {
		b[i] = byte(i)
	}
	r.n -= len(b)
	return len(b), nil
}

func TestCancelledPackLeavesNothing(t *testing.T) {
	dir := writeFullProject(t)
	m := loadManifest(t, dir, fullManifest)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	out := t.TempDir()
	// An earlier package of the same name must survive a cancelled pack untouched.
	old := filepath.Join(out, "hello-1.2.3-linux-amd64.psp")
	if err := os.WriteFile(old, []byte("previous"), 0o755); err != nil {
		t.Fatal(err)
	}
	src := SlotSourceFunc(func(context.Context, Target) ([]Slot, error) {
		return []Slot{{Slot: packer.Slot{ID: "big", Reader: &blockingReader{ctx: ctx, cancel: cancel, n: 5 << 20}}}}, nil
	})
	_, err := Pack(ctx, m, WithLauncher(fakeLauncher{}), WithSigner(testKey), WithOutputDir(out), WithPlatforms("linux/amd64"), WithSlotSource(src))
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("error %v, want context.Canceled", err)
	}
	got := dirEntries(t, out)
	if len(got) != 1 || got["hello-1.2.3-linux-amd64.psp"] != "previous" {
		t.Fatalf("after cancel the output dir holds %v, want only the previous file", got)
	}
}

func TestPackProgress(t *testing.T) {
	dir := writeFullProject(t)
	m := loadManifest(t, dir, fullManifest)
	var stages []string
	pack(t, m, WithPlatforms("linux/amd64"), WithProgress(func(u progress.Event) {
		if u.Platform != "linux/amd64" || !strings.HasSuffix(u.Path, ".psp") {
			t.Errorf("update without platform or path: %+v", u)
		}
		s := string(u.Stage)
		if u.Slot != "" {
			s += ":" + u.Slot
		}
		if len(stages) == 0 || stages[len(stages)-1] != s {
			stages = append(stages, s)
		}
	}))
	want := "package slot:app slot-done:app slot:conf slot-done:conf slot:motd slot-done:motd " +
		"slot:flavor.sbom.spdx slot-done:flavor.sbom.spdx slot:flavor.sbom.cyclonedx slot-done:flavor.sbom.cyclonedx " +
		"slot:flavor.provenance slot-done:flavor.provenance assemble check done"
	if got := strings.Join(stages, " "); got != want {
		t.Fatalf("stages\n got %s\nwant %s", got, want)
	}
}

func TestCheckLevelStrictVerifiesEverything(t *testing.T) {
	dir := writeFullProject(t)
	m := loadManifest(t, dir, fullManifest)
	for _, l := range []packer.Level{packer.LevelNone, packer.LevelStandard, packer.LevelStrict} {
		out := pack(t, m, WithPlatforms("linux/amd64"), WithCheckLevel(l))[0]
		if _, err := packer.Verify(context.Background(), out.Path, packer.WithLevel(packer.LevelStrict)); err != nil {
			t.Errorf("level %v: %v", l, err)
		}
	}
	if err := WithCheckLevel(packer.Level(9))(&options{}); err == nil {
		t.Error("WithCheckLevel accepted level 9")
	}
}

var _ io.Reader = (*blockingReader)(nil)

package bundle

import (
	"archive/tar"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/klauspost/compress/zstd"

	"github.com/flavor-dev/flavor/builder"
	"github.com/flavor-dev/flavor/lock"
	"github.com/flavor-dev/flavor/sbom"
)

// tarEntry is one entry of a test artifact: a name ending in "/" is a directory, "->" in the
// body makes a symbolic link.
type tarEntry struct {
	name, body string
	mode       int64
}

// writeArtifact writes a .package.tar.zst with entries and returns it as a built artifact.
func writeArtifact(t testing.TB, dir, pkg string, entries []tarEntry, fin *builder.Finalizer) lock.Installed {
	t.Helper()
	var raw bytes.Buffer
	tw := tar.NewWriter(&raw)
	for _, e := range entries {
		h := &tar.Header{Name: e.name, Mode: e.mode, Typeflag: tar.TypeReg, Size: int64(len(e.body)), Format: tar.FormatPAX}
		switch {
		case strings.HasSuffix(e.name, "/"):
			h.Typeflag, h.Size = tar.TypeDir, 0
		case strings.HasPrefix(e.body, "->"):
			h.Typeflag, h.Linkname, h.Size = tar.TypeSymlink, strings.TrimPrefix(e.body, "->"), 0
		}
		if h.Mode == 0 {
			h.Mode = 0o644
		}
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
		if h.Typeflag == tar.TypeReg {
			tw.Write([]byte(e.body))
		}
	}
	tw.Close()
	path := filepath.Join(dir, strings.NewReplacer("/", "-", "@", "-").Replace(pkg)+".package.tar.zst")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	zw, _ := zstd.NewWriter(f)
	zw.Write(raw.Bytes())
	zw.Close()
	f.Close()
	var files []string
	for _, e := range entries {
		if !strings.HasSuffix(e.name, "/") {
			files = append(files, e.name)
		}
	}
	name, version, _ := strings.Cut(pkg, "@")
	return lock.Installed{
		Package: pkg, Flavor: "is: x86_64", BaseImage: "base:1@sha256:b",
		Artifact: builder.Artifact{Package: pkg, Path: path, Metadata: builder.Metadata{
			Name: name, Version: version, Files: files, CacheKey: "sha256:k-" + name, Checksums: map[string]string{"sha256": "s-" + name}, Finalizer: fin,
		}},
	}
}

// readTar lists a tar's entries as "name type [body]".
func readTar(t testing.TB, r io.Reader) []string {
	t.Helper()
	var out []string
	tr := tar.NewReader(r)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(tr)
		out = append(out, strings.TrimSpace(h.Name+" "+string(h.Typeflag)+" "+string(b)+h.Linkname))
	}
}

func TestInstallSourceMergesGroups(t *testing.T) {
	dir := t.TempDir()
	rt := writeArtifact(t, dir, "base/rt@1", []tarEntry{{name: "bin/"}, {name: "bin/rt", body: "RT", mode: 0o755}, {name: "bin/sh", body: "->rt"}},
		&builder.Finalizer{Install: []string{"bin/rt --install", " "}})
	app := writeArtifact(t, dir, "apps/app@2", []tarEntry{{name: "bin/", mode: 0o700}, {name: "bin/rt", body: "RT", mode: 0o755}, {name: "bin/app", body: "APP"}},
		&builder.Finalizer{Shell: []string{"{workenv}/bin/sh", "-e", "-c"}, Install: []string{"echo it's done"}})
	app.InstallIDs = []string{"app"}
	res := &lock.Result{Systems: []lock.System{{Platform: "linux/amd64", Groups: []lock.Group{{Name: "main", Packages: []lock.Installed{rt, app}}}}}}
	src, err := NewInstallSource(context.Background(), res, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	slots, err := src.Slots(context.Background(), Target{Platform: "linux/amd64"})
	if err != nil || len(slots) != 1 {
		t.Fatalf("%d slots, %v", len(slots), err)
	}
	s := slots[0]
	defer closeReader(s.Reader)
	got := readTar(t, s.Reader)
	want := []string{"bin/ 5", "bin/rt 0 RT", "bin/sh 2 rt", "bin/app 0 APP"}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("merged tar %q, want %q", got, want)
	}
	if s.ID != "main" || s.Target != "{workenv}" || s.Operations.String() != "tar.zst" {
		t.Fatalf("slot %+v", s.Slot)
	}
	var cmds []string
	for _, c := range s.Setup {
		cmds = append(cmds, c.Command)
	}
	if want := []string{"sh -c 'bin/rt --install'", `{workenv}/bin/sh -e -c 'echo it'\''s done'`}; !reflect.DeepEqual(cmds, want) {
		t.Fatalf("setup %q, want %q", cmds, want)
	}
	prov, _ := json.Marshal(s.Provenance)
	for _, w := range []string{`"pkg_group":"main"`, `"package":"base/rt@1"`, `"runtime_dependency":true`, `"install_ids":["app"]`,
		`"cache_key":"sha256:k-apps/app"`, `"artifact_digest":"sha256:s-apps/app"`, `"base_image":"base:1@sha256:b"`} {
		if !strings.Contains(string(prov), w) {
			t.Errorf("provenance %s lacks %s", prov, w)
		}
	}
	if _, err := src.Slots(context.Background(), Target{Platform: "linux/arm64"}); err == nil || !strings.Contains(err.Error(), "linux/arm64") {
		t.Fatalf("slots of a system not built: %v", err)
	}
	if err := src.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(src.dir); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("Close left %s", src.dir)
	}
}

func TestInstallSourceConflicts(t *testing.T) {
	tests := []struct {
		name string
		b    []tarEntry
		want string
	}{
		{"content", []tarEntry{{name: "etc/conf", body: "B"}}, "other content"},
		{"mode", []tarEntry{{name: "etc/conf", body: "A", mode: 0o600}}, "mode 644 and 600"},
		{"type", []tarEntry{{name: "etc/conf/"}}, "one is a file, the other a directory"},
		{"link", []tarEntry{{name: "etc/conf", body: "->x"}}, "one is a file, the other a symbolic link"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			a := writeArtifact(t, dir, "c/a@1", []tarEntry{{name: "etc/conf", body: "A"}}, nil)
			b := writeArtifact(t, dir, "c/b@1", tt.b, nil)
			res := &lock.Result{Systems: []lock.System{{Platform: "linux/amd64", Groups: []lock.Group{{Name: "g", Packages: []lock.Installed{a, b}}}}}}
			tmp := t.TempDir()
			_, err := NewInstallSource(context.Background(), res, tmp)
			if !errors.Is(err, ErrPathConflict) || !strings.Contains(err.Error(), "c/a@1 and c/b@1 both ship /etc/conf") ||
				!strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), "pkg-group g for linux/amd64") {
				t.Fatalf("error %v; want a conflict naming both packages, the path and %q", err, tt.want)
			}
			if ents, _ := os.ReadDir(tmp); len(ents) != 0 {
				t.Fatalf("a failed merge left %d entries", len(ents))
			}
		})
	}
}

// TestPackWithInstall: [install] slots come first, their finalizers run before the [hook], and
// the provenance is in the signed metadata.
func TestPackWithInstall(t *testing.T) {
	dir := t.TempDir()
	tree(t, dir, map[string]string{"tree/": ""})
	m := loadManifest(t, dir, `schema-version = "1"
[package]
name = "p"
version = "1"
[options]
trees = ["tree"]
[install]
app.pkg-path = "apps/app"
[hook]
on-activate = "echo hook"
[execution]
command = "{workenv}/bin/app"
`)
	app := writeArtifact(t, dir, "apps/app@2", []tarEntry{{name: "bin/app", body: "APP", mode: 0o755}}, &builder.Finalizer{Install: []string{"echo fin"}})
	res := &lock.Result{Systems: []lock.System{{Platform: "linux/amd64", Groups: []lock.Group{{Name: "toplevel", Packages: []lock.Installed{app}}}}}}
	src, err := NewInstallSource(context.Background(), res, "")
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	outs := pack(t, m, WithInstall(src), WithPlatforms("linux/amd64"))
	p := open(t, outs[0].Path)
	defer p.Close()
	md := p.Metadata()
	var cmds []string
	for _, c := range md.SetupCommands {
		cmds = append(cmds, c.Command)
	}
	if want := []string{"sh -c 'echo fin'", "sh -c 'echo hook'"}; !reflect.DeepEqual(cmds, want) {
		t.Fatalf("setup %q, want %q", cmds, want)
	}
	if len(md.Slots) != 1+len(sbom.EmbeddedSlots) || md.Slots[0].ID != "toplevel" {
		t.Fatalf("slots %+v", md.Slots)
	}
	var prov bytes.Buffer
	if err := json.Compact(&prov, md.Extra["provenance"]); err != nil || !strings.Contains(prov.String(), `"package":"apps/app@2"`) {
		t.Fatalf("provenance %s (%v)", prov.String(), err)
	}
}

// FuzzMergeArtifact: whatever bytes an artifact file holds, merging it fails cleanly or writes a
// tar that reads back.
func FuzzMergeArtifact(f *testing.F) {
	var raw bytes.Buffer
	tw := tar.NewWriter(&raw)
	tw.WriteHeader(&tar.Header{Name: "a", Mode: 0o644, Size: 1, Typeflag: tar.TypeReg})
	tw.Write([]byte("x"))
	tw.Close()
	var z bytes.Buffer
	zw, _ := zstd.NewWriter(&z)
	zw.Write(raw.Bytes())
	zw.Close()
	f.Add(z.Bytes())
	f.Add([]byte("not zstd"))
	f.Fuzz(func(t *testing.T, data []byte) {
		dir := t.TempDir()
		path := filepath.Join(dir, "a.package.tar.zst")
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
		var out bytes.Buffer
		w := tar.NewWriter(&out)
		err := mergeArtifact(w, map[string]shipped{}, nil, "c/a@1", builder.Artifact{Path: path}, make([]byte, 512))
		if err != nil {
			return
		}
		if err := w.Close(); err != nil {
			return
		}
		tr := tar.NewReader(&out)
		for {
			if _, err := tr.Next(); err != nil {
				if err != io.EOF {
					t.Fatalf("merged tar does not read back: %v", err)
				}
				return
			}
		}
	})
}

package bundle

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/flavor-dev/flavor/packer"
	"github.com/flavor-dev/flavor/specs/manifest"
)

const fullManifest = `
schema-version = "1"

[package]
name = "hello"
version = "1.2.3"
description = "demo"

[vars]
GREETING = "hello"
TARGET = "${GREETING} world"

[hook]
on-activate = "echo 'it''s ready' > {workenv}/.ready && touch {workenv}/done"

[execution]
command = "sh {workenv}/bin/hello.sh"
args = ["--name", "big world", "it's", ""]
cwd = "{workenv}"
path_prepend = ["{workenv}/bin"]
path_append = ["/opt/extra"]
[execution.runtime.env]
unset = ["*"]
pass = ["PATH", "HOME"]
map = { OLD = "NEW" }
set = { MODE = "prod" }
[execution.signals]
forward = true
shutdown_timeout = 7

[[slots]]
id = "app"
source = "app/"

[[slots]]
id = "conf"
source = "conf/"
operations = "tar.gz"
target = "etc/hello"
lifecycle = "config"
purpose = "config"

[[slots]]
id = "motd"
source = "motd.txt"
target = "share/"

[[slots]]
id = "arm-only"
source = "motd.txt"
platform = "linux/arm64"

[metadata]
license = "Apache-2.0"
[metadata.custom]
build_number = "42"
`

func writeFullProject(t *testing.T) string {
	dir := t.TempDir()
	tree(t, dir, map[string]string{
		"app/bin/hello.sh":   "#!/bin/sh\necho hello\n",
		"app/lib/data.txt":   "data\n",
		"conf/hello.conf":    "greeting=hi\n",
		"conf/sub/deep.conf": "x=1\n",
		"motd.txt":           "welcome to the package\n",
	})
	return dir
}

func TestPackMapsTheManifest(t *testing.T) {
	dir := writeFullProject(t)
	m := loadManifest(t, dir, fullManifest)
	outs := pack(t, m, WithPlatforms("linux/amd64"), WithToolVersion("1.0.0-test"))
	if len(outs) != 1 {
		t.Fatalf("got %d outputs, want 1", len(outs))
	}
	out := outs[0]
	if filepath.Base(out.Path) != "hello-1.2.3-linux-amd64.psp" {
		t.Errorf("path %s, want hello-1.2.3-linux-amd64.psp", out.Path)
	}
	if !reflect.DeepEqual(out.Skipped, []string{"arm-only"}) {
		t.Errorf("skipped %v, want [arm-only]", out.Skipped)
	}
	p := open(t, out.Path)
	md := p.Metadata()

	t.Run("execution", func(t *testing.T) {
		want := `sh {workenv}/bin/hello.sh --name 'big world' 'it'\''s' ''`
		if md.Execution.Command != want {
			t.Errorf("command %q, want %q", md.Execution.Command, want)
		}
		if len(md.Execution.Args) != 0 {
			t.Errorf("args %q, want none (they are in the command)", md.Execution.Args)
		}
		if md.Execution.Cwd != "{workenv}" || !reflect.DeepEqual(md.Execution.PathPrepend, []string{"{workenv}/bin"}) ||
			!reflect.DeepEqual(md.Execution.PathAppend, []string{"/opt/extra"}) {
			t.Errorf("cwd/path: %+v", md.Execution)
		}
		wantEnv := map[string]string{"GREETING": "hello", "TARGET": "hello world"}
		if !reflect.DeepEqual(md.Execution.Env, wantEnv) || !reflect.DeepEqual(md.Execution.Environment, wantEnv) {
			t.Errorf("env %v / %v, want %v under both", md.Execution.Env, md.Execution.Environment, wantEnv)
		}
		if md.Execution.Signals == nil || !md.Execution.Signals.Forward || md.Execution.Signals.ShutdownTimeout != 7 {
			t.Errorf("signals %+v", md.Execution.Signals)
		}
		r := md.Runtime.Env
		if !reflect.DeepEqual(r.Unset, []string{"*"}) || !reflect.DeepEqual(r.Pass, []string{"PATH", "HOME"}) ||
			r.Map["OLD"] != "NEW" || r.Set["MODE"] != "prod" {
			t.Errorf("runtime env %+v", r)
		}
	})
	t.Run("hook", func(t *testing.T) {
		want := `sh -c 'echo '\''it'\'''\''s ready'\'' > {workenv}/.ready && touch {workenv}/done'`
		if len(md.SetupCommands) != 1 || md.SetupCommands[0].Command != want {
			t.Errorf("setup commands %+v, want one: %s", md.SetupCommands, want)
		}
	})
	t.Run("slots", func(t *testing.T) {
		type row struct{ id, target, ops, purpose, lifecycle string }
		var got []row
		for _, s := range md.Slots {
			got = append(got, row{s.ID, s.Target, s.Operations, s.Purpose, s.Lifecycle})
		}
		want := []row{
			{"app", "{workenv}", "tar.zst", "data", "runtime"},
			{"conf", "{workenv}", "tar.gz", "config", "config"},
			{"motd", "share/motd.txt", "raw", "data", "runtime"},
			// The SBOM and provenance, last, never extracted by the launcher (lazy).
			{"flavor.sbom.spdx", ".flavor/sbom.spdx.json", "gzip", "data", "lazy"},
			{"flavor.sbom.cyclonedx", ".flavor/sbom.cdx.json", "gzip", "data", "lazy"},
			{"flavor.provenance", ".flavor/provenance.intoto.json", "gzip", "data", "lazy"},
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("slots\n got %v\nwant %v", got, want)
		}
		dest := t.TempDir()
		if err := p.ExtractAll(context.Background(), dest); err != nil {
			t.Fatal(err)
		}
		wantFiles := map[string]string{
			"bin/": "", "bin/hello.sh": "#!/bin/sh\necho hello\n", "lib/": "", "lib/data.txt": "data\n",
			"etc/": "", "etc/hello/": "", "etc/hello/hello.conf": "greeting=hi\n",
			"etc/hello/sub/": "", "etc/hello/sub/deep.conf": "x=1\n",
			"share/": "", "share/motd.txt": "welcome to the package\n",
		}
		files := dirEntries(t, dest)
		for k := range files {
			if strings.HasPrefix(k, ".flavor/") {
				delete(files, k) // the SBOM documents, extracted like any slot by ExtractAll
			}
		}
		if got := files; !reflect.DeepEqual(got, wantFiles) {
			t.Errorf("extracted\n got %v\nwant %v", got, wantFiles)
		}
		if st, err := os.Stat(filepath.Join(dest, "bin/hello.sh")); err != nil || st.Mode().Perm() != 0o755 {
			t.Errorf("hello.sh mode: %v %v, want 0755", st.Mode(), err)
		}
	})
	t.Run("extras", func(t *testing.T) {
		var platform string
		if err := json.Unmarshal(md.Extra["platform"], &platform); err != nil || platform != "linux/amd64" {
			t.Errorf("platform %s (%v)", md.Extra["platform"], err)
		}
		var prov struct {
			Tool           string                       `json:"tool"`
			ToolVersion    string                       `json:"tool_version"`
			Manifest       string                       `json:"manifest"`
			ManifestDigest string                       `json:"manifest_digest"`
			Slots          map[string]map[string]string `json:"slots"`
		}
		if err := json.Unmarshal(md.Extra["provenance"], &prov); err != nil {
			t.Fatal(err)
		}
		if prov.Tool != "flavor" || prov.ToolVersion != "1.0.0-test" || prov.Manifest != "flavor.toml" || prov.ManifestDigest != m.Digest() {
			t.Errorf("provenance %+v", prov)
		}
		if prov.Slots["conf"]["source"] != "conf/" || prov.Slots["conf"]["origin"] != "local" || len(prov.Slots) != 3 {
			t.Errorf("slot provenance %v", prov.Slots)
		}
		var meta map[string]any
		if err := json.Unmarshal(md.Extra["metadata"], &meta); err != nil {
			t.Fatal(err)
		}
		want := map[string]any{"license": "Apache-2.0", "custom": map[string]any{"build_number": "42"}}
		if !reflect.DeepEqual(meta, want) {
			t.Errorf("metadata %v, want %v", meta, want)
		}
		if bytes.Contains(md.JSON(), []byte(dir)) {
			t.Errorf("metadata holds the build directory %s: not reproducible across machines", dir)
		}
	})
	t.Run("output", func(t *testing.T) {
		b, err := os.ReadFile(out.Path)
		if err != nil {
			t.Fatal(err)
		}
		if int64(len(b)) != out.Size || out.SHA256 != packer.FormatSHA256(sha(b)) {
			t.Errorf("size %d sha %s do not describe the file (%d bytes)", out.Size, out.SHA256, len(b))
		}
		if out.PublicKey != "d27367ba3d436463c468ecc68cfd2735b4d33b6be611355d72ac03666b47335d" {
			t.Errorf("public key %s, want the test123 seed key", out.PublicKey)
		}
		if len(out.Slots) != 3 || out.Slots[2].Input != int64(len("welcome to the package\n")) {
			t.Errorf("output slots %+v", out.Slots)
		}
	})
}

func TestPackIsReproducible(t *testing.T) {
	dir := writeFullProject(t)
	m := loadManifest(t, dir, fullManifest)
	for _, epoch := range []string{"", "1700000000"} {
		t.Run("SOURCE_DATE_EPOCH="+epoch, func(t *testing.T) {
			var opts []Option
			if epoch != "" {
				opts = append(opts, WithSourceDateEpoch(time.Unix(1700000000, 0)))
			}
			pack := func(t *testing.T, m *manifest.Manifest, more ...Option) []Output {
				return pack(t, m, append(append([]Option{}, opts...), more...)...)
			}
			a := pack(t, m, WithPlatforms("linux/arm64"))[0]
			// Touch every source file: mtimes must not leak into the package.
			now := time.Now()
			filepath.Walk(dir, func(p string, _ os.FileInfo, _ error) error { return os.Chtimes(p, now, now) })
			b := pack(t, m, WithPlatforms("linux/arm64"))[0]
			ab, _ := os.ReadFile(a.Path)
			bb, _ := os.ReadFile(b.Path)
			if !bytes.Equal(ab, bb) || a.SHA256 != b.SHA256 {
				t.Fatalf("two packs differ: %s vs %s", a.SHA256, b.SHA256)
			}
			c := pack(t, m, WithPlatforms("linux/arm64"), WithSigner(packer.KeyFromSeed("other")))[0]
			if c.SHA256 == a.SHA256 {
				t.Fatal("a different key gave the same bytes")
			}
		})
	}
}

func TestPackPlatforms(t *testing.T) {
	dir := writeFullProject(t)
	body := strings.Replace(fullManifest, "[vars]", "[options]\nsystems = [\"linux/amd64\", \"aarch64-linux\"]\n\n[vars]", 1)
	m := loadManifest(t, dir, body)
	t.Run("every system", func(t *testing.T) {
		outs := pack(t, m)
		var got []string
		for _, o := range outs {
			got = append(got, filepath.Base(o.Path))
			var ids []string
			for _, s := range o.Slots {
				ids = append(ids, s.ID)
			}
			want := "app conf motd"
			if o.Platform == "linux/arm64" {
				want += " arm-only"
			}
			if strings.Join(ids, " ") != want {
				t.Errorf("%s slots %v, want %s", o.Platform, ids, want)
			}
		}
		if strings.Join(got, " ") != "hello-1.2.3-linux-amd64.psp hello-1.2.3-linux-arm64.psp" {
			t.Errorf("files %v", got)
		}
	})
	t.Run("filter", func(t *testing.T) {
		outs := pack(t, m, WithPlatforms("linux_arm64"))
		if len(outs) != 1 || outs[0].Platform != "linux/arm64" {
			t.Fatalf("outputs %+v, want linux/arm64 only", outs)
		}
	})
	errCases := []struct {
		name string
		opts []Option
		want error
		msg  string
	}{
		{"not a system", []Option{WithPlatforms("darwin/arm64")}, ErrPlatform, "platform darwin/arm64 is not in options.systems (linux/amd64, linux/arm64)"},
		{"one file for two", []Option{WithOutputFile(filepath.Join(t.TempDir(), "x.psp"))}, ErrOutput, "one output file for 2 platforms"},
	}
	for _, tc := range errCases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Pack(context.Background(), m, append([]Option{WithLauncher(fakeLauncher{}), WithSigner(testKey)}, tc.opts...)...)
			if !errors.Is(err, tc.want) || !strings.Contains(err.Error(), tc.msg) {
				t.Fatalf("error %v, want %v mentioning %q", err, tc.want, tc.msg)
			}
		})
	}
	t.Run("unknown platform", func(t *testing.T) {
		if err := WithPlatforms("plan9/mips")(&options{}); !errors.Is(err, ErrPlatform) {
			t.Fatalf("error %v, want ErrPlatform", err)
		}
	})
}

func TestPackOutputFile(t *testing.T) {
	dir := writeFullProject(t)
	m := loadManifest(t, dir, fullManifest)
	path := filepath.Join(t.TempDir(), "sub", "signed.psp")
	outs := pack(t, m, WithOutputFile(path))
	if len(outs) != 1 || outs[0].Path != path {
		t.Fatalf("outputs %+v, want %s", outs, path)
	}
	if _, err := os.Stat(path); err != nil {
		t.Fatal(err)
	}
}

func TestPackDefaultsToDistBesideTheManifest(t *testing.T) {
	dir := writeFullProject(t)
	m := loadManifest(t, dir, fullManifest)
	outs, err := Pack(context.Background(), m, WithLauncher(fakeLauncher{}), WithSigner(testKey), WithPlatforms("linux/amd64"))
	if err != nil {
		t.Fatal(err)
	}
	if want := filepath.Join(dir, "dist", "hello-1.2.3-linux-amd64.psp"); outs[0].Path != want {
		t.Fatalf("path %s, want %s", outs[0].Path, want)
	}
}

func sha(b []byte) [32]byte { return sha256Sum(b) }

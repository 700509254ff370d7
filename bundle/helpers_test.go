package bundle

import (
	"archive/tar"
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/binary"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/flavor-dev/flavor/packer"
	"github.com/flavor-dev/flavor/specs/manifest"
)

// fakeLauncher stands in for a launcher executable: packer copies it to the front of the package
// and nothing here runs it (the CLI's end-to-end test runs the real one).
type fakeLauncher struct{}

func (fakeLauncher) Launcher(_ context.Context, platform string) ([]byte, error) {
	return []byte("#!/bin/false launcher for " + platform + "\n"), nil
}

var testKey = packer.KeyFromSeed("test123")

// tree writes files (path → content; a name ending in "/" is a directory; content starting with
// "#!" gets mode 0755) under dir.
func tree(t testing.TB, dir string, files map[string]string) {
	t.Helper()
	for name, content := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if strings.HasSuffix(name, "/") {
			if err := os.MkdirAll(p, 0o755); err != nil {
				t.Fatal(err)
			}
			continue
		}
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		mode := os.FileMode(0o644)
		if strings.HasPrefix(content, "#!") {
			mode = 0o755
		}
		if err := os.WriteFile(p, []byte(content), mode); err != nil {
			t.Fatal(err)
		}
	}
}

// loadManifest writes flavor.toml with body into dir and loads it.
func loadManifest(t testing.TB, dir, body string) *manifest.Manifest {
	t.Helper()
	p := filepath.Join(dir, "flavor.toml")
	if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	m, err := manifest.Load(context.Background(), p)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// pack packs m with the fake launcher and the test key into a fresh directory.
func pack(t testing.TB, m *manifest.Manifest, opts ...Option) []Output {
	t.Helper()
	base := []Option{WithLauncher(fakeLauncher{}), WithSigner(testKey), WithOutputDir(t.TempDir())}
	outs, err := Pack(context.Background(), m, append(base, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	return outs
}

// open opens a written package at the standard level, trusting only the test key.
func open(t testing.TB, path string) *packer.Package {
	t.Helper()
	p, err := packer.Open(context.Background(), path, packer.WithTrustedKeys(testKey.Public().(ed25519.PublicKey)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	return p
}

// dirEntries lists every path under dir (slash form, directories with a trailing "/").
func dirEntries(t testing.TB, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := filepath.Walk(dir, func(p string, info os.FileInfo, err error) error {
		if err != nil || p == dir {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		rel = filepath.ToSlash(rel)
		switch {
		case info.IsDir():
			out[rel+"/"] = ""
		case info.Mode().IsRegular():
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			out[rel] = string(b)
		default:
			l, _ := os.Readlink(p)
			out[rel] = "-> " + l
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func sha256Sum(b []byte) [32]byte { return sha256.Sum256(b) }

// tarOf returns a tar holding one file.
func tarOf(t testing.TB, name, content string) []byte {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	if err := tw.WriteHeader(&tar.Header{Name: name, Mode: 0o755, Size: int64(len(content)), Typeflag: tar.TypeReg}); err != nil {
		t.Fatal(err)
	}
	tw.Write([]byte(content))
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// testLauncherFile writes b to a file and returns a LauncherFiles source for it.
func testLauncherFile(t testing.TB, b []byte) LauncherSource {
	t.Helper()
	p := filepath.Join(t.TempDir(), "launcher")
	if err := os.WriteFile(p, b, 0o755); err != nil {
		t.Fatal(err)
	}
	src, err := LauncherFiles(p)
	if err != nil {
		t.Fatal(err)
	}
	return src
}

// elfHeader is a minimal 64-bit little-endian ELF executable header for machine (62 = x86-64,
// 183 = AArch64) and OS/ABI byte osabi, with no program or section headers.
func elfHeader(machine uint16, osabi byte) []byte {
	b := make([]byte, 64)
	copy(b, "\x7fELF")
	b[4], b[5], b[6], b[7] = 2, 1, 1, osabi  // 64-bit, little-endian, version 1
	binary.LittleEndian.PutUint16(b[16:], 2) // ET_EXEC
	binary.LittleEndian.PutUint16(b[18:], machine)
	binary.LittleEndian.PutUint32(b[20:], 1)
	binary.LittleEndian.PutUint16(b[52:], 64) // ehsize
	return b
}

package bundle

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/flavor-dev/flavor/specs/manifest"
)

func TestSHA256FileSink(t *testing.T) {
	dir := writeFullProject(t)
	m := loadManifest(t, dir, fullManifest)
	path := filepath.Join(t.TempDir(), "signed.psp")
	outs := pack(t, m, WithOutputFile(path), WithSinks(SHA256File()))
	if len(outs) != 1 || len(outs[0].Sidecars) != 1 || outs[0].Sidecars[0] != path+".sha256" {
		t.Fatalf("outputs %+v, want one sidecar %s.sha256", outs, path)
	}
	psp, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(psp)
	got, err := os.ReadFile(path + ".sha256")
	if err != nil {
		t.Fatal(err)
	}
	if want := hex.EncodeToString(sum[:]) + "  signed.psp\n"; string(got) != want {
		t.Fatalf("sha256 file %q, want %q", got, want)
	}
}

type failingSink struct{}

func (failingSink) Name() string { return "failing sidecar" }
func (failingSink) Emit(context.Context, *manifest.Manifest, Output) ([]string, error) {
	return nil, errors.New("disk full")
}

// A sink that fails is an error naming it; the package it follows was written and is reported.
func TestSinkFailureReportsTheWrittenPackage(t *testing.T) {
	dir := writeFullProject(t)
	m := loadManifest(t, dir, fullManifest)
	path := filepath.Join(t.TempDir(), "signed.psp")
	outs, err := Pack(context.Background(), m, WithLauncher(fakeLauncher{}), WithSigner(testKey),
		WithPlatforms("linux/amd64"), WithOutputFile(path), WithSinks(failingSink{}))
	if err == nil || !strings.Contains(err.Error(), "failing sidecar") || !strings.Contains(err.Error(), "disk full") {
		t.Fatalf("error %v, want one naming the failing sidecar", err)
	}
	if len(outs) != 1 || outs[0].Path != path {
		t.Fatalf("outputs %+v, want the written %s", outs, path)
	}
	if _, err := os.Stat(path); err != nil {
		t.Fatal(err)
	}
}

package main

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/flavor-dev/flavor/sbom"
)

func TestPackWritesSBOMSidecars(t *testing.T) {
	t.Setenv("SOURCE_DATE_EPOCH", "1700000000")
	psp := packExample(t, "--sbom", "spdx,cyclonedx", "--provenance")
	for _, c := range []struct{ format, file string }{
		{"spdx", psp + ".spdx.json"}, {"cyclonedx", psp + ".cdx.json"},
	} {
		side, err := os.ReadFile(c.file)
		if err != nil {
			t.Fatalf("sidecar of %s: %v", c.format, err)
		}
		stdout, stderr, code := runApp(t, "sbom", "--format", c.format, psp)
		if code != 0 || stdout != string(side) {
			t.Fatalf("flavor sbom --format %s (exit %d, %s) differs from the sidecar %s", c.format, code, stderr, c.file)
		}
	}
	// The provenance sidecar names the .psp first, then the slots of the embedded statement.
	var st sbom.Statement
	b, err := os.ReadFile(psp + ".intoto.json")
	if err != nil || json.Unmarshal(b, &st) != nil {
		t.Fatalf("provenance sidecar: %v\n%s", err, b)
	}
	whole, _ := os.ReadFile(psp)
	if st.Subject[0].Name != filepath.Base(psp) || st.Subject[0].Digest["sha256"] != sha256Hex(whole) || len(st.Subject) != 3 {
		t.Fatalf("subjects %+v", st.Subject)
	}
	if st.Predicate.RunDetails.Metadata == nil || st.Predicate.RunDetails.Metadata.FinishedOn != "2023-11-14T22:13:20Z" {
		t.Fatalf("build times not clamped to SOURCE_DATE_EPOCH: %+v", st.Predicate.RunDetails.Metadata)
	}
	// Packed again, the same bytes.
	again := packExample(t, "--sbom", "spdx", "--provenance")
	for _, ext := range []string{".spdx.json", ".intoto.json"} {
		a, _ := os.ReadFile(psp + ext)
		b, _ := os.ReadFile(again + ext)
		if len(a) == 0 || string(a) != string(b) {
			t.Errorf("%s differs between two packs", ext)
		}
	}
}

func TestPackSBOMFlags(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--sbom", "swid"}, `--sbom: unknown SBOM format "swid"`},
		{[]string{"--sbom", "provenance"}, "provenance is written with --provenance"},
		{[]string{"--sbom", "spdx", "--no-sbom"}, "--no-sbom packs without the documents"},
	} {
		args := append([]string{"pack", "--manifest", exampleManifest, "--launcher-bin", launcherBin, "--key-seed", "test123", "-o", t.TempDir()}, tc.args...)
		_, stderr, code := runApp(t, args...)
		if code == 0 || !strings.Contains(stderr, tc.want) {
			t.Errorf("%v: exit %d, stderr %q; want %q", tc.args, code, stderr, tc.want)
		}
	}
	// --no-sbom: no document slots, and flavor sbom falls back to the slots.
	psp := packExample(t, "--no-sbom")
	stdout, _, _ := runApp(t, "inspect", psp)
	if !strings.Contains(stdout, "SBOM        none inside") {
		t.Fatalf("inspect of a --no-sbom package:\n%s", stdout)
	}
}

func TestSBOMOfFlavorPackPackage(t *testing.T) {
	fp := filepath.Join("..", "..", "packer", "testdata", "multi-slot.psp")
	stdout, stderr, code := runApp(t, "sbom", fp, "--format", "cyclonedx")
	if code != 0 || !strings.Contains(stderr, "carries no SBOM; this files-only SBOM was read from its slots") {
		t.Fatalf("exit %d, stderr %q", code, stderr)
	}
	if !strings.Contains(stdout, `"content": "5043c9305e1d2e402320e2bf130c6e07c0d009096323fbc9b6802a28ca1508e2"`) {
		t.Fatalf("bin/app.sh's SHA-256 missing:\n%s", stdout)
	}
	_, stderr, code = runApp(t, "sbom", fp, "--format", "provenance")
	if code != 1 || !strings.Contains(stderr, "carries no provenance") {
		t.Fatalf("provenance of a FlavorPack package: exit %d, stderr %q", code, stderr)
	}
	_, stderr, code = runApp(t, "sbom", fp, "--format", "swid")
	if code == 0 || !strings.Contains(stderr, "want one of spdx, cyclonedx, provenance") {
		t.Fatalf("bad format: exit %d, stderr %q", code, stderr)
	}
}

func sha256Hex(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

package packer

import (
	"archive/tar"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"os"
	"path/filepath"
	"testing"
)

// The packages in testdata/ were written by FlavorPack's own Go builder (see
// /work/shared/testdata/flavorpack/README.md, copied here unchanged).

const flavorpackKey = "d27367ba3d436463c468ecc68cfd2735b4d33b6be611355d72ac03666b47335d"

func sha256Hex(b []byte) string { s := sha256.Sum256(b); return hex.EncodeToString(s[:]) }

type wantSlot struct {
	id, target, ops string
	packed          uint64
	perm            uint16
	size            int64
}

func TestFlavorPackPackages(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		file, name, version, command string
		size                         int64
		env                          map[string]string
		slots                        []wantSlot
		check                        func(t *testing.T, p *Package)
	}{
		{
			file: "single-raw.psp", name: "hello", version: "1.0.0", size: 8976,
			command: "sh {workenv}/bin/hello.sh", env: map[string]string{"GREETING": "hi"},
			slots: []wantSlot{{"hello-script", "bin/hello.sh", "raw", 0, 0o755, 56}},
			check: func(t *testing.T, p *Package) {
				got, err := p.ReadSlot(ctx, 0)
				if err != nil {
					t.Fatal(err)
				}
				if want := "#!/bin/sh\necho \"hello from a FlavorPack-built slot: $*\"\n"; string(got) != want {
					t.Errorf("content %q, want %q", got, want)
				}
				if h := sha256Hex(got); h != "e46762addfca81a4af9d5375e4488e161b8d8bf49dc4027042319d33b20c03c3" {
					t.Errorf("content sha256 %s", h)
				}
				dir := t.TempDir()
				out, err := p.ExtractSlot(ctx, 0, dir)
				if err != nil {
					t.Fatal(err)
				}
				if st, err := os.Stat(out); err != nil || st.Mode().Perm() != 0o755 || out != filepath.Join(dir, "bin", "hello.sh") {
					t.Errorf("extracted %s: %v %v", out, st.Mode(), err)
				}
			},
		},
		{
			file: "multi-slot.psp", name: "multi", version: "2.0.0", size: 9465,
			command: "sh {workenv}/bin/app.sh --flag", env: map[string]string{"MODE": "prod"},
			slots: []wantSlot{
				{"app", "{workenv}", "tar.gz", 0x1001, 0o600, 232},
				{"settings", "conf/settings.txt", "gzip", 0x10, 0o644, 41},
			},
			check: func(t *testing.T, p *Package) {
				rt := p.Metadata().Runtime
				if rt == nil || len(rt.Env.Unset) != 1 || rt.Env.Unset[0] != "DROP_ME" ||
					len(rt.Env.Pass) != 3 || rt.Env.Pass[2] != "FLAVOR_*" ||
					rt.Env.Map["OLD_NAME"] != "NEW_NAME" || rt.Env.Set["EXTRA"] != "x" {
					t.Errorf("runtime.env = %+v", rt)
				}
				tarBytes, err := p.ReadSlot(ctx, 0)
				if err != nil {
					t.Fatal(err)
				}
				tr := tar.NewReader(bytes.NewReader(tarBytes))
				var names []string
				for {
					h, err := tr.Next()
					if err == io.EOF {
						break
					}
					if err != nil {
						t.Fatal(err)
					}
					names = append(names, h.Name)
					if h.Name == "./bin/app.sh" {
						body, _ := io.ReadAll(tr)
						if h.Mode != 0o755 || h.Uid != 0 || h.Gid != 0 || len(body) != 86 ||
							sha256Hex(body) != "5043c9305e1d2e402320e2bf130c6e07c0d009096323fbc9b6802a28ca1508e2" {
							t.Errorf("app.sh: mode %o uid %d gid %d %d bytes sha %s", h.Mode, h.Uid, h.Gid, len(body), sha256Hex(body))
						}
					}
				}
				if want := []string{"./", "./bin/", "./bin/app.sh"}; len(names) != 3 || names[0] != want[0] || names[1] != want[1] || names[2] != want[2] {
					t.Errorf("tar entries %q, want %q", names, want)
				}
				settings, err := p.ReadSlot(ctx, 1)
				if err != nil {
					t.Fatal(err)
				}
				if string(settings) != "color = blue\nlevel = 3\n" ||
					sha256Hex(settings) != "60410a1192b6dacb193cc3f36f0b030d3d2fe1113eea8ab0a68c6b5c8c15da76" {
					t.Errorf("settings %q", settings)
				}
				dir := t.TempDir()
				if err := p.ExtractAll(ctx, dir); err != nil {
					t.Fatal(err)
				}
				for path, mode := range map[string]os.FileMode{"bin/app.sh": 0o755, "conf/settings.txt": 0o644} {
					if st, err := os.Stat(filepath.Join(dir, path)); err != nil || st.Mode().Perm() != mode {
						t.Errorf("%s: %v %v", path, st, err)
					}
				}
			},
		},
	} {
		t.Run(tc.file, func(t *testing.T) {
			path := filepath.Join("testdata", tc.file)
			rep, err := Verify(ctx, path, WithLevel(LevelStandard))
			if err != nil {
				t.Fatalf("Verify at standard: %v", err)
			}
			if len(rep.Warnings) != 0 || hex.EncodeToString(rep.PublicKey) != flavorpackKey {
				t.Fatalf("report %+v", rep)
			}
			if rep, err := Verify(ctx, path, WithLevel(LevelStrict)); err != nil || len(rep.Warnings) != 0 {
				t.Fatalf("Verify at strict: %v", err)
			}
			trusted, _ := ParsePublicKeyHex(flavorpackKey)
			p, err := Open(ctx, path, WithTrustedKeys(trusted))
			if err != nil {
				t.Fatalf("Open with the FlavorPack key trusted: %v", err)
			}
			defer p.Close()
			m := p.Metadata()
			if p.Size() != tc.size || m.Format != "PSPF/2025" || m.Package.Name != tc.name || m.Package.Version != tc.version ||
				m.Execution.Command != tc.command || m.Execution.PrimarySlot != 0 {
				t.Fatalf("package %d bytes, metadata %+v", p.Size(), m)
			}
			if len(m.Execution.Env) != len(tc.env) {
				t.Fatalf("env %v, want %v", m.Execution.Env, tc.env)
			}
			for k, v := range tc.env {
				if m.Execution.Env[k] != v || m.Execution.Environment[k] != v {
					t.Fatalf("env %v, want %v", m.Execution.Env, tc.env)
				}
			}
			if p.NumSlots() != len(tc.slots) {
				t.Fatalf("%d slots", p.NumSlots())
			}
			for i, ws := range tc.slots {
				d, _ := p.Descriptor(i)
				info, _ := p.SlotInfo(i)
				if info.ID != ws.id || info.Target != ws.target || info.Operations != ws.ops || info.Size != ws.size ||
					d.Operations != ws.packed || d.Permissions != ws.perm || int64(d.Size) != ws.size ||
					d.Priority != 128 || d.Purpose != PurposeData || d.ID != uint64(i) {
					t.Errorf("slot %d: info %+v descriptor %+v", i, info, d)
				}
				if d.NameHash != NameHash(ws.target) { // FlavorPack's Go builder hashes the target
					t.Errorf("slot %d name_hash %x is not SHA-256(target)", i, d.NameHash)
				}
				if err := p.VerifySlot(ctx, i); err != nil {
					t.Errorf("VerifySlot(%d): %v", i, err)
				}
			}
			tc.check(t, p)
		})
	}
}

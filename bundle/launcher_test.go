package bundle

import (
	"context"
	"encoding/binary"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/flavor-dev/flavor/packer"
)

// machoHeader is a 64-bit Mach-O executable header with no load commands.
func machoHeader(cpu uint32) []byte {
	b := make([]byte, 32)
	binary.LittleEndian.PutUint32(b, 0xfeedfacf)
	binary.LittleEndian.PutUint32(b[4:], cpu)
	binary.LittleEndian.PutUint32(b[12:], 2) // MH_EXECUTE
	return b
}

// peHeader is a PE file with a DOS stub pointer, the signature and a COFF header for machine.
func peHeader(machine uint16) []byte {
	b := make([]byte, 512)
	copy(b, "MZ")
	binary.LittleEndian.PutUint32(b[0x3c:], 0x40)
	copy(b[0x40:], "PE\x00\x00")
	binary.LittleEndian.PutUint16(b[0x44:], machine)
	return b
}

func TestDetectPlatform(t *testing.T) {
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	selfBytes, err := os.ReadFile(self)
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name string
		b    []byte
		want string // "" means an error
	}{
		{"this test binary", selfBytes, runtime.GOOS + "/" + runtime.GOARCH},
		{"ELF x86-64", elfHeader(62, 0), "linux/amd64"},
		{"ELF AArch64 GNU/Linux ABI", elfHeader(183, 3), "linux/arm64"},
		{"ELF FreeBSD", elfHeader(62, 9), "freebsd/amd64"},
		{"ELF unknown ABI", elfHeader(62, 97), ""},
		{"ELF unknown machine", elfHeader(2, 0), ""},
		{"Mach-O amd64", machoHeader(0x01000007), "darwin/amd64"},
		{"Mach-O arm64", machoHeader(0x0100000c), "darwin/arm64"},
		{"Mach-O ppc", machoHeader(18), ""},
		{"fat Mach-O", []byte{0xca, 0xfe, 0xba, 0xbe, 0, 0, 0, 2}, ""},
		{"PE amd64", peHeader(0x8664), "windows/amd64"},
		{"PE arm64", peHeader(0xaa64), "windows/arm64"},
		{"PE unknown machine", peHeader(0x1c0), ""},
		{"shell script", []byte("#!/bin/sh\necho hi\n"), ""},
		{"empty", nil, ""},
		{"truncated ELF", elfHeader(62, 0)[:20], ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := DetectPlatform(tc.b)
			if tc.want == "" {
				if !errors.Is(err, ErrLauncherPlatform) {
					t.Fatalf("got %q, %v; want an error wrapping ErrLauncherPlatform", got, err)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("got %q, %v; want %q", got, err, tc.want)
			}
		})
	}
}

func FuzzDetectPlatform(f *testing.F) {
	for _, b := range [][]byte{elfHeader(62, 0), elfHeader(183, 3), machoHeader(0x0100000c), peHeader(0x8664), []byte("MZ"), nil} {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := DetectPlatform(b)
		if err != nil {
			if !errors.Is(err, ErrLauncherPlatform) {
				t.Fatalf("error %v does not wrap ErrLauncherPlatform", err)
			}
			return
		}
		if os, arch, ok := strings.Cut(p, "/"); !ok || os == "" || arch == "" {
			t.Fatalf("platform %q is not os/arch", p)
		}
	})
}

func TestLauncherFiles(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, b []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, b, 0o755); err != nil {
			t.Fatal(err)
		}
		return p
	}
	amd := write("amd", elfHeader(62, 0))
	arm := write("arm", elfHeader(183, 0))
	mac := write("mac", machoHeader(0x0100000c))
	ctx := context.Background()

	src, err := LauncherFiles(amd, arm, mac)
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(src.(platformLister).Platforms(), " "); got != "darwin/arm64 linux/amd64 linux/arm64" {
		t.Errorf("platforms %s", got)
	}
	if b, err := src.Launcher(ctx, "linux/arm64"); err != nil || string(b) != string(elfHeader(183, 0)) {
		t.Errorf("linux/arm64: %v", err)
	}
	if _, err := src.Launcher(ctx, "windows/amd64"); !errors.Is(err, ErrLauncherPlatform) || !strings.Contains(err.Error(), amd+" is for linux/amd64") {
		t.Errorf("windows/amd64: %v, want a refusal listing what the files are for", err)
	}
	t.Run("file replaced by another platform's", func(t *testing.T) {
		src, _ := LauncherFiles(write("swap", elfHeader(62, 0)))
		write("swap", elfHeader(183, 0))
		if _, err := src.Launcher(ctx, "linux/amd64"); !errors.Is(err, ErrLauncherPlatform) {
			t.Fatalf("error %v, want ErrLauncherPlatform", err)
		}
	})

	// A finished package is refused even though it starts with an executable.
	m := loadManifest(t, t.TempDir(), minimalManifest)
	out := pack(t, m, WithLauncher(testLauncherFile(t, elfHeader(62, 0))), WithPlatforms("linux/amd64"))[0]
	refusals := []struct {
		name  string
		paths []string
		msg   string
	}{
		{"two for one platform", []string{amd, write("amd2", elfHeader(62, 3))}, "are both for linux/amd64"},
		{"a package", []string{out.Path}, "is a .psp package, not a bare launcher"},
		{"a script", []string{write("script", []byte("#!/bin/sh\n"))}, "not an ELF, Mach-O or PE executable"},
		{"a directory", []string{dir}, "is a directory"},
	}
	for _, tc := range refusals {
		t.Run(tc.name, func(t *testing.T) {
			_, err := LauncherFiles(tc.paths...)
			if !errors.Is(err, ErrLauncherPlatform) || !strings.Contains(err.Error(), tc.msg) {
				t.Fatalf("error %v, want ErrLauncherPlatform containing %q", err, tc.msg)
			}
		})
	}
	if _, err := LauncherFiles(filepath.Join(dir, "missing")); err == nil || !strings.Contains(err.Error(), "missing") {
		t.Errorf("missing file: %v", err)
	}
}

func TestPackTargetsTheLauncherFilePlatform(t *testing.T) {
	m := loadManifest(t, t.TempDir(), minimalManifest)
	outs := pack(t, m, WithLauncher(testLauncherFile(t, machoHeader(0x0100000c))))
	if len(outs) != 1 || outs[0].Platform != "darwin/arm64" || !strings.HasSuffix(outs[0].Path, "mini-0.1.0-darwin-arm64.psp") {
		t.Fatalf("outputs %+v, want one darwin/arm64 package", outs)
	}
	p, err := packer.Open(context.Background(), outs[0].Path)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	if p.Index().LauncherSize != uint64(len(machoHeader(0))) {
		t.Errorf("launcher size %d", p.Index().LauncherSize)
	}
}

func TestEmbeddedNamesTheFix(t *testing.T) {
	_, err := Embedded().Launcher(context.Background(), "linux/riscv64")
	if err == nil || !strings.Contains(err.Error(), "--launcher-bin") {
		t.Fatalf("error %v, want a hint at --launcher-bin", err)
	}
}

func TestNormalizePlatform(t *testing.T) {
	for in, want := range map[string]string{
		"linux/amd64": "linux/amd64", "x86_64-linux": "linux/amd64", "linux_amd64": "linux/amd64",
		"linux-arm64": "linux/arm64", "Linux_x86_64": "linux/amd64", "darwin_arm64": "darwin/arm64",
		"linux_aarch64": "linux/arm64", "windows_amd64": "windows/amd64", "aarch64-darwin": "darwin/arm64",
	} {
		if got, err := NormalizePlatform(in); err != nil || got != want {
			t.Errorf("NormalizePlatform(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, in := range []string{"", "linux", "plan9/amd64", "linux/s390x"} {
		if _, err := NormalizePlatform(in); !errors.Is(err, ErrPlatform) {
			t.Errorf("NormalizePlatform(%q): %v, want ErrPlatform", in, err)
		}
	}
}

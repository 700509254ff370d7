package bundle

import (
	"bytes"
	"context"
	"debug/elf"
	"debug/macho"
	"debug/pe"
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"

	"github.com/flavor-dev/flavor/launcher/embedded"
	"github.com/flavor-dev/flavor/packer"
	"github.com/flavor-dev/flavor/specs/manifest"
)

// LauncherSource supplies the launcher executable put at the front of a platform's package.
type LauncherSource interface {
	// Launcher returns the executable for platform ("linux/amd64").
	Launcher(ctx context.Context, platform string) ([]byte, error)
}

// platformLister is a LauncherSource that holds launchers for fixed platforms only; Pack packs
// those when neither the manifest nor WithPlatforms names any.
type platformLister interface {
	Platforms() []string
}

// Embedded returns the launchers carried inside this flavor binary (package launcher/embedded).
func Embedded() LauncherSource { return embeddedSource{} }

type embeddedSource struct{}

func (embeddedSource) Launcher(_ context.Context, platform string) ([]byte, error) {
	b, err := embedded.Launcher(platform)
	if err != nil {
		return nil, fmt.Errorf("%w (embedded: %s; build flavor with `make build`, or give a launcher file with --launcher-bin)",
			err, strings.Join(orNone(embedded.Available()), ", "))
	}
	return b, nil
}

func orNone(s []string) []string {
	if len(s) == 0 {
		return []string{"none"}
	}
	return s
}

// LauncherFiles returns a source reading launcher executables from files. The platform of each
// file is detected from its header (DetectPlatform); two files for one platform, a file whose
// platform cannot be told, and a file that is already a .psp package are errors wrapping
// ErrLauncherPlatform. Asking the source for a platform none of the files is for is an error
// wrapping ErrLauncherPlatform too.
func LauncherFiles(paths ...string) (LauncherSource, error) {
	if len(paths) == 0 {
		return nil, errors.New("LauncherFiles: no files")
	}
	src := fileSource{files: map[string]string{}}
	for _, p := range paths {
		platform, err := detectFile(p)
		if err != nil {
			return nil, err
		}
		if prev, dup := src.files[platform]; dup {
			return nil, fmt.Errorf("launcher files %s and %s are both for %s: %w", prev, p, platform, ErrLauncherPlatform)
		}
		src.files[platform] = p
	}
	return src, nil
}

type fileSource struct {
	files map[string]string // platform → path
}

func (s fileSource) Platforms() []string {
	out := make([]string, 0, len(s.files))
	for p := range s.files {
		out = append(out, p)
	}
	sort.Strings(out)
	return out
}

func (s fileSource) Launcher(_ context.Context, platform string) ([]byte, error) {
	p, ok := s.files[platform]
	if !ok {
		var have []string
		for _, q := range s.Platforms() {
			have = append(have, s.files[q]+" is for "+q)
		}
		return nil, fmt.Errorf("no launcher file for %s (%s): %w", platform, strings.Join(have, ", "), ErrLauncherPlatform)
	}
	b, err := os.ReadFile(p)
	if err != nil {
		return nil, fmt.Errorf("reading launcher %s: %w", p, err)
	}
	// The file may have changed since it was looked at: check the bytes that go into the package.
	got, err := DetectPlatform(b)
	if err != nil {
		return nil, fmt.Errorf("reading launcher %s: %w", p, err)
	}
	if got != platform {
		return nil, fmt.Errorf("launcher %s is for %s, not %s: %w", p, got, platform, ErrLauncherPlatform)
	}
	return b, nil
}

// detectFile reads enough of a file to tell its platform, and refuses finished packages.
func detectFile(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", fmt.Errorf("reading launcher: %w", err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return "", fmt.Errorf("reading launcher %s: %w", path, err)
	}
	if st.IsDir() {
		return "", fmt.Errorf("reading launcher %s: is a directory, not an executable: %w", path, ErrLauncherPlatform)
	}
	if st.Size() >= packer.TrailerSize {
		var end [4]byte
		if _, err := f.ReadAt(end[:], st.Size()-4); err == nil && end == packer.MagicEnd {
			return "", fmt.Errorf("launcher %s is a .psp package, not a bare launcher: %w", path, ErrLauncherPlatform)
		}
	}
	platform, err := detect(f)
	if err != nil {
		return "", fmt.Errorf("launcher %s: %w", path, err)
	}
	return platform, nil
}

// DetectPlatform tells the platform ("linux/amd64", "darwin/arm64", "windows/amd64", …) an
// executable is for from its ELF, Mach-O or PE header. ELF files are taken as Linux unless their
// OS/ABI byte names another system. Anything else, including universal (fat) Mach-O files,
// is an error wrapping ErrLauncherPlatform.
func DetectPlatform(b []byte) (string, error) {
	return detect(bytes.NewReader(b))
}

func detect(r io.ReaderAt) (string, error) {
	var magic [4]byte
	if _, err := r.ReadAt(magic[:], 0); err != nil {
		return "", fmt.Errorf("too short to be an executable: %w", ErrLauncherPlatform)
	}
	switch {
	case string(magic[:]) == elf.ELFMAG:
		return detectELF(r)
	case string(magic[:2]) == "MZ":
		return detectPE(r)
	case isMachO(magic):
		return detectMachO(r)
	case magic == [4]byte{0xca, 0xfe, 0xba, 0xbe}:
		return "", fmt.Errorf("universal (fat) Mach-O files hold several platforms; give the one for each platform: %w", ErrLauncherPlatform)
	}
	return "", fmt.Errorf("not an ELF, Mach-O or PE executable (starts with % x): %w", magic, ErrLauncherPlatform)
}

func isMachO(m [4]byte) bool {
	switch m {
	case [4]byte{0xcf, 0xfa, 0xed, 0xfe}, [4]byte{0xce, 0xfa, 0xed, 0xfe},
		[4]byte{0xfe, 0xed, 0xfa, 0xcf}, [4]byte{0xfe, 0xed, 0xfa, 0xce}:
		return true
	}
	return false
}

func detectELF(r io.ReaderAt) (string, error) {
	f, err := elf.NewFile(r)
	if err != nil {
		return "", fmt.Errorf("reading ELF header: %v: %w", err, ErrLauncherPlatform)
	}
	var goos string
	switch f.OSABI {
	case elf.ELFOSABI_NONE, elf.ELFOSABI_LINUX:
		goos = "linux"
	case elf.ELFOSABI_FREEBSD:
		goos = "freebsd"
	case elf.ELFOSABI_NETBSD:
		goos = "netbsd"
	case elf.ELFOSABI_OPENBSD:
		goos = "openbsd"
	case elf.ELFOSABI_SOLARIS:
		goos = "solaris"
	default:
		return "", fmt.Errorf("ELF OS/ABI %v is not a system flavor packs for: %w", f.OSABI, ErrLauncherPlatform)
	}
	var arch string
	switch f.Machine {
	case elf.EM_X86_64:
		arch = "amd64"
	case elf.EM_AARCH64:
		arch = "arm64"
	case elf.EM_386:
		arch = "386"
	case elf.EM_ARM:
		arch = "arm"
	case elf.EM_RISCV:
		arch = "riscv64"
	case elf.EM_PPC64:
		if f.Data == elf.ELFDATA2LSB {
			arch = "ppc64le"
		} else {
			arch = "ppc64"
		}
	case elf.EM_S390:
		arch = "s390x"
	default:
		return "", fmt.Errorf("ELF machine %v is not an architecture flavor packs for: %w", f.Machine, ErrLauncherPlatform)
	}
	return goos + "/" + arch, nil
}

func detectMachO(r io.ReaderAt) (string, error) {
	f, err := macho.NewFile(r)
	if err != nil {
		return "", fmt.Errorf("reading Mach-O header: %v: %w", err, ErrLauncherPlatform)
	}
	switch f.Cpu {
	case macho.CpuAmd64:
		return "darwin/amd64", nil
	case macho.CpuArm64:
		return "darwin/arm64", nil
	}
	return "", fmt.Errorf("Mach-O CPU %v is not an architecture flavor packs for: %w", f.Cpu, ErrLauncherPlatform)
}

func detectPE(r io.ReaderAt) (string, error) {
	f, err := pe.NewFile(r)
	if err != nil {
		return "", fmt.Errorf("reading PE header: %v: %w", err, ErrLauncherPlatform)
	}
	switch f.Machine {
	case pe.IMAGE_FILE_MACHINE_AMD64:
		return "windows/amd64", nil
	case pe.IMAGE_FILE_MACHINE_ARM64:
		return "windows/arm64", nil
	case pe.IMAGE_FILE_MACHINE_I386:
		return "windows/386", nil
	}
	return "", fmt.Errorf("PE machine %#x is not an architecture flavor packs for: %w", f.Machine, ErrLauncherPlatform)
}

// NormalizePlatform turns a platform name into OCI form and checks that a launcher is built for
// it: "linux/amd64", Flox's "x86_64-linux", FlavorPack's "linux_amd64" and "linux-amd64" all
// give "linux/amd64". Failures wrap ErrPlatform.
func NormalizePlatform(s string) (string, error) {
	in := strings.ToLower(strings.TrimSpace(s))
	if p, err := manifest.NormalizeSystem(in); err == nil {
		return p, nil
	}
	alt := strings.NewReplacer("_", "/", "-", "/").Replace(in)
	alt = strings.NewReplacer("x86/64", "amd64", "aarch64", "arm64").Replace(alt)
	p, err := manifest.NormalizeSystem(alt)
	if err != nil {
		return "", fmt.Errorf("platform %q: %w: %w", s, ErrPlatform, err)
	}
	return p, nil
}

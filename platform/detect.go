package platform

import (
	"bytes"
	"debug/elf"
	"debug/macho"
	"debug/pe"
	"errors"
	"fmt"
	"io"
)

// ErrNotExecutable is wrapped by Detect's errors: the bytes are not an executable whose platform
// can be told.
var ErrNotExecutable = errors.New("not an executable of a known platform")

// Detect tells the platform an executable is for from its ELF, Mach-O or PE header
// ("linux/amd64", "darwin/arm64", "windows/amd64", …). ELF files are taken as Linux unless their
// OS/ABI byte names another system. Anything else, including universal (fat) Mach-O files, is an
// error wrapping ErrNotExecutable.
func Detect(r io.ReaderAt) (Platform, error) {
	var magic [4]byte
	if _, err := r.ReadAt(magic[:], 0); err != nil {
		return Platform{}, fmt.Errorf("too short to be an executable: %w", ErrNotExecutable)
	}
	switch {
	case string(magic[:]) == elf.ELFMAG:
		return detectELF(r)
	case string(magic[:2]) == "MZ":
		return detectPE(r)
	case isMachO(magic):
		return detectMachO(r)
	case magic == [4]byte{0xca, 0xfe, 0xba, 0xbe}:
		return Platform{}, fmt.Errorf("universal (fat) Mach-O files hold several platforms; give the one for each platform: %w", ErrNotExecutable)
	}
	return Platform{}, fmt.Errorf("not an ELF, Mach-O or PE executable (starts with % x): %w", magic, ErrNotExecutable)
}

// DetectBytes is Detect for an executable held in memory.
func DetectBytes(b []byte) (Platform, error) { return Detect(bytes.NewReader(b)) }

func isMachO(m [4]byte) bool {
	switch m {
	case [4]byte{0xcf, 0xfa, 0xed, 0xfe}, [4]byte{0xce, 0xfa, 0xed, 0xfe},
		[4]byte{0xfe, 0xed, 0xfa, 0xcf}, [4]byte{0xfe, 0xed, 0xfa, 0xce}:
		return true
	}
	return false
}

var elfOS = map[elf.OSABI]string{
	elf.ELFOSABI_NONE: "linux", elf.ELFOSABI_LINUX: "linux", elf.ELFOSABI_FREEBSD: "freebsd",
	elf.ELFOSABI_NETBSD: "netbsd", elf.ELFOSABI_OPENBSD: "openbsd", elf.ELFOSABI_SOLARIS: "solaris",
}

var elfArch = map[elf.Machine]string{
	elf.EM_X86_64: "amd64", elf.EM_AARCH64: "arm64", elf.EM_386: "386", elf.EM_ARM: "arm",
	elf.EM_RISCV: "riscv64", elf.EM_S390: "s390x",
}

func detectELF(r io.ReaderAt) (Platform, error) {
	f, err := elf.NewFile(r)
	if err != nil {
		return Platform{}, fmt.Errorf("reading ELF header: %v: %w", err, ErrNotExecutable)
	}
	goos, ok := elfOS[f.OSABI]
	if !ok {
		return Platform{}, fmt.Errorf("ELF OS/ABI %v is not a system flavor packs for: %w", f.OSABI, ErrNotExecutable)
	}
	arch, ok := elfArch[f.Machine]
	if f.Machine == elf.EM_PPC64 {
		arch, ok = "ppc64", true
		if f.Data == elf.ELFDATA2LSB {
			arch = "ppc64le"
		}
	}
	if !ok {
		return Platform{}, fmt.Errorf("ELF machine %v is not an architecture flavor packs for: %w", f.Machine, ErrNotExecutable)
	}
	// The header does not say which ARM variant; the variant is left out, not guessed.
	return Platform{OS: goos, Arch: arch}, nil
}

func detectMachO(r io.ReaderAt) (Platform, error) {
	f, err := macho.NewFile(r)
	if err != nil {
		return Platform{}, fmt.Errorf("reading Mach-O header: %v: %w", err, ErrNotExecutable)
	}
	switch f.Cpu {
	case macho.CpuAmd64:
		return Platform{OS: "darwin", Arch: "amd64"}, nil
	case macho.CpuArm64:
		return Platform{OS: "darwin", Arch: "arm64"}, nil
	}
	return Platform{}, fmt.Errorf("Mach-O CPU %v is not an architecture flavor packs for: %w", f.Cpu, ErrNotExecutable)
}

func detectPE(r io.ReaderAt) (Platform, error) {
	f, err := pe.NewFile(r)
	if err != nil {
		return Platform{}, fmt.Errorf("reading PE header: %v: %w", err, ErrNotExecutable)
	}
	switch f.Machine {
	case pe.IMAGE_FILE_MACHINE_AMD64:
		return Platform{OS: "windows", Arch: "amd64"}, nil
	case pe.IMAGE_FILE_MACHINE_ARM64:
		return Platform{OS: "windows", Arch: "arm64"}, nil
	case pe.IMAGE_FILE_MACHINE_I386:
		return Platform{OS: "windows", Arch: "386"}, nil
	}
	return Platform{}, fmt.Errorf("PE machine %#x is not an architecture flavor packs for: %w", f.Machine, ErrNotExecutable)
}

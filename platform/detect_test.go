package platform

import (
	"encoding/binary"
	"errors"
	"os"
	"testing"
)

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

func TestDetect(t *testing.T) {
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
		{"this test binary", selfBytes, Host().String()},
		{"ELF x86-64", elfHeader(62, 0), "linux/amd64"},
		{"ELF AArch64 GNU/Linux ABI", elfHeader(183, 3), "linux/arm64"},
		{"ELF FreeBSD", elfHeader(62, 9), "freebsd/amd64"},
		{"ELF ppc64le", elfHeader(21, 0), "linux/ppc64le"},
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
			got, err := DetectBytes(tc.b)
			if tc.want == "" {
				if !errors.Is(err, ErrNotExecutable) {
					t.Fatalf("got %v, %v; want an error wrapping ErrNotExecutable", got, err)
				}
				return
			}
			if err != nil || got.String() != tc.want {
				t.Fatalf("got %v, %v; want %q", got, err, tc.want)
			}
		})
	}
}

func FuzzDetect(f *testing.F) {
	for _, b := range [][]byte{elfHeader(62, 0), elfHeader(183, 3), machoHeader(0x0100000c), peHeader(0x8664), []byte("MZ"), nil} {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := DetectBytes(b)
		if err != nil {
			if !errors.Is(err, ErrNotExecutable) {
				t.Fatalf("error %v does not wrap ErrNotExecutable", err)
			}
			return
		}
		if p.OS == "" || p.Arch == "" {
			t.Fatalf("platform %#v is not os/arch", p)
		}
	})
}

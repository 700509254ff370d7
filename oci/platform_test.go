package oci

import (
	"errors"
	"testing"
)

func TestParsePlatform(t *testing.T) {
	tests := []struct {
		in      string
		want    string
		wantErr bool
	}{
		{in: "linux/amd64", want: "linux/amd64"},
		{in: "linux/x86_64", want: "linux/amd64"},
		{in: "linux/arm64", want: "linux/arm64"},
		{in: "linux/arm64/v8", want: "linux/arm64"},
		{in: "linux/aarch64", want: "linux/arm64"},
		{in: "linux/arm", want: "linux/arm/v7"},
		{in: "linux/arm/v6", want: "linux/arm/v6"},
		{in: "Linux/AMD64", want: "linux/amd64"},
		{in: "linux/i686", want: "linux/386"},
		{in: " linux/riscv64 ", want: "linux/riscv64"},
		{in: "linux", wantErr: true},
		{in: "", wantErr: true},
		{in: "linux//v7", wantErr: true},
		{in: "linux/arm/v7/x", wantErr: true},
		{in: "linux/amd 64", wantErr: true},
		{in: "docker.io/library/busybox:latest", wantErr: true},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			p, err := ParsePlatform(tc.in)
			if tc.wantErr {
				if !errors.Is(err, ErrBadPlatform) {
					t.Fatalf("ParsePlatform(%q) = %v, %v; want ErrBadPlatform", tc.in, p, err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if p.String() != tc.want {
				t.Fatalf("ParsePlatform(%q) = %s, want %s", tc.in, p, tc.want)
			}
			again, err := ParsePlatform(p.String())
			if err != nil || again != p {
				t.Fatalf("round trip of %s gave %v, %v", p, again, err)
			}
		})
	}
}

func TestPlatformMatches(t *testing.T) {
	tests := []struct {
		want, have string
		ok         bool
	}{
		{"linux/amd64", "linux/amd64", true},
		{"linux/arm64", "linux/arm64/v8", true},
		{"linux/amd64", "linux/arm64", false},
		{"linux/arm/v7", "linux/arm/v6", false},
		{"linux/arm/v7", "linux/arm", true},
		{"linux/arm64", "linux/arm64", true},
		{"windows/amd64", "linux/amd64", false},
	}
	for _, tc := range tests {
		t.Run(tc.want+"~"+tc.have, func(t *testing.T) {
			if got := MustParsePlatform(tc.want).Matches(MustParsePlatform(tc.have)); got != tc.ok {
				t.Fatalf("%s.Matches(%s) = %v, want %v", tc.want, tc.have, got, tc.ok)
			}
		})
	}
}

func TestSupportedAndHost(t *testing.T) {
	sup := Supported()
	if len(sup) < 2 || sup[0].String() != "linux/amd64" || sup[1].String() != "linux/arm64" {
		t.Fatalf("Supported() = %v", sup)
	}
	if !IsSupported(MustParsePlatform("linux/arm64/v8")) {
		t.Fatal("linux/arm64/v8 not supported")
	}
	if IsSupported(MustParsePlatform("linux/s390x")) {
		t.Fatal("linux/s390x reported supported")
	}
	h := HostPlatform()
	if h.OS != "linux" || h.Arch == "" || h != h.Normalize() {
		t.Fatalf("HostPlatform() = %#v", h)
	}
}

func FuzzParsePlatform(f *testing.F) {
	for _, s := range []string{"linux/amd64", "linux/arm/v7", "linux/arm64/v8", "x", "a/b/c/d", "//"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p, err := ParsePlatform(s)
		if err != nil {
			return
		}
		again, err := ParsePlatform(p.String())
		if err != nil || again != p {
			t.Fatalf("%q parsed to %v, which re-parses to %v, %v", s, p, again, err)
		}
	})
}

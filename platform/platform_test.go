package platform

import (
	"encoding/json"
	"errors"
	"os"
	"runtime"
	"testing"
)

// spellings are the ways users and other tools write each platform (testdata/spellings.json);
// every one must parse to the same value. cmd/flavor's TestPlatformSpellings runs the same table
// through tree, build, pack and image.
var spellings = func() map[string][]string {
	b, err := os.ReadFile("testdata/spellings.json")
	if err != nil {
		panic(err)
	}
	var m map[string][]string
	if err := json.Unmarshal(b, &m); err != nil {
		panic(err)
	}
	return m
}()

func TestParseSpellings(t *testing.T) {
	for want, ins := range spellings {
		for _, in := range ins {
			t.Run(in, func(t *testing.T) {
				p, err := Parse(in)
				if err != nil {
					t.Fatal(err)
				}
				if p.String() != want {
					t.Fatalf("Parse(%q) = %s, want %s", in, p, want)
				}
				again, err := Parse(p.String())
				if err != nil || again != p {
					t.Fatalf("round trip of %s gave %v, %v", p, again, err)
				}
				if n, err := Normalize(in); err != nil || n != want {
					t.Fatalf("Normalize(%q) = %q, %v", in, n, err)
				}
			})
		}
	}
}

func TestParseErrors(t *testing.T) {
	for _, in := range []string{
		"", "linux", "amd64", "x86_64", "linux//v7", "/amd64", "linux/arm/v7/x", "linux/amd 64",
		"docker.io/library/busybox:latest", "linux/amd64@sha256", "plan9", "_amd64", "-linux",
	} {
		t.Run(in, func(t *testing.T) {
			if p, err := Parse(in); !errors.Is(err, ErrInvalid) {
				t.Fatalf("Parse(%q) = %v, %v; want ErrInvalid", in, p, err)
			}
		})
	}
}

func TestHost(t *testing.T) {
	h := Host()
	if h.OS != runtime.GOOS || h != h.Normalize() || h.Arch == "" {
		t.Fatalf("Host() = %#v", h)
	}
	l := HostLinux()
	if l.OS != "linux" || l.Arch != h.Arch || l.Variant != h.Variant {
		t.Fatalf("HostLinux() = %#v, Host() = %#v", l, h)
	}
}

func TestNormalizeZero(t *testing.T) {
	if got := (Platform{}).Normalize(); !got.IsZero() {
		t.Fatalf("zero platform normalised to %#v", got)
	}
}

func TestMatches(t *testing.T) {
	tests := []struct {
		want, have string
		ok         bool
	}{
		{"linux/amd64", "linux/amd64", true},
		{"linux/arm64", "linux/arm64/v8", true},
		{"linux/arm64", "linux/amd64", false},
		{"linux/arm/v7", "linux/arm", true},
		{"linux/arm/v6", "linux/arm/v7", false},
		{"linux/amd64", "windows/amd64", false},
	}
	for _, tc := range tests {
		if got := MustParse(tc.want).Matches(MustParse(tc.have)); got != tc.ok {
			t.Errorf("%s.Matches(%s) = %v, want %v", tc.want, tc.have, got, tc.ok)
		}
	}
	if !MustParse("linux/arm/v7").Matches(Platform{OS: "linux", Arch: "arm"}) {
		t.Error("a variant-less platform must match any variant")
	}
}

func TestParseSystem(t *testing.T) {
	for _, in := range []string{"linux/amd64", "x86_64-linux", "linux_arm64", "aarch64-darwin", "windows_amd64", "linux/arm64/v8"} {
		p, err := ParseSystem(in)
		if err != nil || !HasLauncher(p) {
			t.Errorf("ParseSystem(%q) = %v, %v", in, p, err)
		}
	}
	for _, in := range []string{"linux/s390x", "linux/arm", "plan9/amd64", "linux"} {
		if p, err := ParseSystem(in); err == nil {
			t.Errorf("ParseSystem(%q) = %v, want an error", in, p)
		}
	}
	got := LauncherSystems()
	if len(got) != 5 || got[0].String() != "linux/amd64" {
		t.Fatalf("LauncherSystems() = %v", got)
	}
	got[0] = Platform{OS: "x"}
	if LauncherSystems()[0].OS != "linux" {
		t.Fatal("LauncherSystems returned its own slice")
	}
}

func FuzzParse(f *testing.F) {
	for _, ins := range spellings {
		for _, in := range ins {
			f.Add(in)
		}
	}
	f.Add("linux/arm/v7/x")
	f.Fuzz(func(t *testing.T, s string) {
		p, err := Parse(s)
		if err != nil {
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("error %v does not wrap ErrInvalid", err)
			}
			return
		}
		if p.OS == "" || p.Arch == "" || p != p.Normalize() {
			t.Fatalf("Parse(%q) = %#v, not a normalised platform", s, p)
		}
		again, err := Parse(p.String())
		if err != nil || again != p {
			t.Fatalf("round trip of %q: %s gave %v, %v", s, p, again, err)
		}
	})
}

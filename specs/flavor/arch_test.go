package flavor

import (
	"errors"
	"strings"
	"testing"
)

func TestPreferences(t *testing.T) {
	tests := map[string]string{
		"x86_64":  "x86_64 x86",
		"aarch64": "aarch64",
		"ppc64":   "ppc64 ppc",
		"s390x":   "s390x s390",
		"sparc64": "sparc64 sparc",
		"x86":     "x86",
		"riscv64": "riscv64",
	}
	for arch, want := range tests {
		t.Run(arch, func(t *testing.T) {
			got := Preferences(arch)
			if strings.Join(got, " ") != want {
				t.Fatalf("Preferences(%s) = %v, want %s", arch, got, want)
			}
			got[0] = "changed"
			if Preferences(arch)[0] == "changed" {
				t.Fatal("Preferences hands out its table")
			}
		})
	}
}

func TestMajorArch(t *testing.T) {
	tests := []struct{ flavor, want, err string }{
		{"", "", ""},
		{"ssl", "", ""},
		{"is: x86", "x86", ""},
		{"is: x86 x86_64", "x86_64", ""},
		{"is: x86(i686) x86_64(sse3)", "x86_64", ""},
		{"is: ppc ppc64", "ppc64", ""},
		{"is: aarch64", "aarch64", ""},
		{"is: x86 ppc", "", "incompatible instruction sets: ppc and x86"},
		{"is: aarch64 arm", "", "incompatible instruction sets: aarch64 and arm"},
		{"is: x86_64 ppc64", "", "incompatible instruction sets"},
	}
	for _, tt := range tests {
		t.Run(tt.flavor, func(t *testing.T) {
			got, err := MajorArch(MustParse(tt.flavor))
			if tt.err != "" {
				if !errors.Is(err, ErrIncompatibleArches) || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("MajorArch = %q, %v; want error %q", got, err, tt.err)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("MajorArch = %q, %v; want %q", got, err, tt.want)
			}
		})
	}
}

func TestPreferenceFlavors(t *testing.T) {
	prefs, err := PreferenceFlavors(MustParse("~ssl is: x86(i686) x86_64"))
	if err != nil || len(prefs) != 2 || prefs[0].String() != "is: x86_64" || prefs[1].String() != "is: x86" {
		t.Fatalf("PreferenceFlavors = %v, %v", prefs, err)
	}
	if prefs, err := PreferenceFlavors(MustParse("ssl")); err != nil || prefs != nil {
		t.Fatalf("PreferenceFlavors without is: = %v, %v", prefs, err)
	}
	if _, err := PreferenceFlavors(MustParse("is: x86 ppc")); !errors.Is(err, ErrIncompatibleArches) {
		t.Fatalf("PreferenceFlavors of incompatible arches: %v", err)
	}
}

func TestInstructionSet(t *testing.T) {
	tests := []struct{ platform, want, err string }{
		{"linux/amd64", "x86_64", ""},
		{"linux/arm64", "aarch64", ""},
		{"linux/arm64/v8", "aarch64", ""},
		{"linux/386", "x86", ""},
		{"linux/arm/v7", "arm", ""},
		{"linux/arm/v6", "arm", ""},
		{"linux/arm", "arm", ""},
		{"darwin/arm64", "aarch64", ""},
		{"darwin/amd64", "x86_64", ""},
		{"windows/amd64", "x86_64", ""},
		{"linux", "", "want os/arch[/variant]"},
		{"linux/amd64/v3/x", "", "want os/arch[/variant]"},
		{"freebsd/amd64", "", `unknown operating system "freebsd"`},
		{"linux/ppc64le", "", `unknown architecture "ppc64le"`},
		{"linux/amd64/v3", "", `architecture amd64 takes no variant "v3"`},
		{"x86_64-linux", "x86_64", ""},
		{"linux_aarch64", "aarch64", ""},
	}
	for _, tt := range tests {
		t.Run(tt.platform, func(t *testing.T) {
			got, err := InstructionSet(tt.platform)
			if tt.err != "" {
				if !errors.Is(err, ErrUnsupportedPlatform) || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("InstructionSet = %q, %v; want error containing %q", got, err, tt.err)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("InstructionSet = %q, %v; want %q", got, err, tt.want)
			}
			f, err := ForPlatform(tt.platform)
			if err != nil || f.String() != "is: "+tt.want {
				t.Fatalf("ForPlatform = %q, %v", f, err)
			}
		})
	}
	if _, err := ForPlatform("plan9/amd64"); !errors.Is(err, ErrUnsupportedPlatform) {
		t.Errorf("ForPlatform(plan9/amd64) = %v", err)
	}
}

package launcher

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"testing"

	"github.com/flavor-dev/flavor/packer"
)

func TestExitCodeByType(t *testing.T) {
	wrapped := func(s error) error { return fmt.Errorf("reading slot 2 of x.psp: %w", s) }
	tests := []struct {
		name string
		err  error
		want int
	}{
		{"nil", nil, 0},
		{"bad magic", packageError("verifying x.psp", wrapped(packer.ErrBadMagic)), 102},
		{"bad version", packageError("verifying x.psp", wrapped(packer.ErrBadVersion)), 102},
		{"malformed", packageError("verifying x.psp", wrapped(packer.ErrMalformed)), 102},
		{"slot checksum", packageError("extracting", wrapped(packer.ErrSlotChecksum)), 103},
		{"unsafe entry", packageError("extracting", wrapped(packer.ErrUnsafeEntry)), 103},
		{"hostile merge", packageError("placing", wrapped(ErrHostileEntry)), 103},
		{"signature", packageError("verifying", wrapped(packer.ErrBadSignature)), 104},
		{"untrusted wrapping a bad signature", packageError("verifying", fmt.Errorf("%w: %w", packer.ErrUntrusted, packer.ErrBadSignature)), 104},
		{"index checksum", packageError("verifying", wrapped(packer.ErrIndexChecksum)), 104},
		{"file error", packageError("opening", &fs.PathError{Op: "open", Path: "x", Err: fs.ErrPermission}), 106},
		{"usage", fail(CategoryUsage, "reading FLAVOR_VALIDATION", ErrBadSetting, ""), 105},
		{"io category", fail(CategoryIO, "locking", errors.New("x"), ""), 106},
		// A message that merely mentions a category's words does not change the category.
		{"words do not matter", packageError("extract slot magic file I/O", errors.New("PSPF magic slot file")), 104},
		{"plain path error", &os.PathError{Op: "open", Path: "x", Err: fs.ErrNotExist}, 106},
		{"plain error", errors.New("x"), 104},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := ExitCode(tt.err); got != tt.want {
				t.Fatalf("ExitCode(%v) = %d, want %d", tt.err, got, tt.want)
			}
		})
	}
	e := packageError("verifying x.psp", wrapped(packer.ErrBadSignature))
	if !errors.Is(e, packer.ErrBadSignature) || Fix(e) == "" || e.Error() != "verifying x.psp: reading slot 2 of x.psp: bad signature" {
		t.Fatalf("error %q (fix %q) lost its cause or remedy", e, Fix(e))
	}
}

func TestReadConfig(t *testing.T) {
	tests := []struct {
		name string
		env  []string
		ok   func(*config) bool
		code int // 0: no error
	}{
		{"defaults", []string{"HOME=/h"}, func(c *config) bool {
			return c.level == packer.LevelStandard && c.spawn == !canExec && !c.fresh && !c.trustSet && c.cache == "/h/.cache/flavor"
		}, 0},
		{"spawn and fresh", []string{"HOME=/h", "FLAVOR_EXEC_MODE=Spawn", "FLAVOR_WORKENV_CACHE=false"}, func(c *config) bool { return c.spawn && c.fresh }, 0},
		{"cache on", []string{"HOME=/h", "FLAVOR_WORKENV_CACHE=1"}, func(c *config) bool { return !c.fresh }, 0},
		{"levels", []string{"HOME=/h", "FLAVOR_VALIDATION=relaxed"}, func(c *config) bool { return c.level == packer.LevelRelaxed }, 0},
		{"trusted hex", []string{"HOME=/h", "FLAVOR_TRUSTED_KEYS=d27367ba3d436463c468ecc68cfd2735b4d33b6be611355d72ac03666b47335d"},
			func(c *config) bool { return c.trustSet && len(c.trusted) == 1 }, 0},
		{"bad level", []string{"HOME=/h", "FLAVOR_VALIDATION=strictest"}, nil, 105},
		{"bad mode", []string{"HOME=/h", "FLAVOR_EXEC_MODE=fork"}, nil, 105},
		{"bad cache flag", []string{"HOME=/h", "FLAVOR_WORKENV_CACHE=maybe"}, nil, 105},
		{"no cache dir", []string{"USER=u"}, nil, 105},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := readConfig(newEnviron(tt.env, false))
			if tt.code != 0 {
				if ExitCode(err) != tt.code || Fix(err) == "" {
					t.Fatalf("error %v (exit %d, fix %q), want exit %d with a fix", err, ExitCode(err), Fix(err), tt.code)
				}
				return
			}
			if err != nil || !tt.ok(c) {
				t.Fatalf("config %+v, %v", c, err)
			}
		})
	}
}

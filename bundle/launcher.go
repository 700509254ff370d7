package bundle

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"

	"github.com/flavor-dev/flavor/launcher/embedded"
	"github.com/flavor-dev/flavor/packer"
	"github.com/flavor-dev/flavor/platform"
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
// executable is for from its ELF, Mach-O or PE header (platform.Detect). Anything else, including
// universal (fat) Mach-O files, is an error wrapping ErrLauncherPlatform.
func DetectPlatform(b []byte) (string, error) {
	return detect(bytes.NewReader(b))
}

func detect(r io.ReaderAt) (string, error) {
	p, err := platform.Detect(r)
	if err != nil {
		return "", fmt.Errorf("%w: %w", err, ErrLauncherPlatform)
	}
	return p.String(), nil
}

// NormalizePlatform turns a platform name into OCI form and checks that a launcher is built for
// it (platform.ParseSystem): "linux/amd64", Flox's "x86_64-linux", FlavorPack's "linux_amd64" and
// "linux-amd64" all give "linux/amd64". Failures wrap ErrPlatform.
func NormalizePlatform(s string) (string, error) {
	p, err := platform.ParseSystem(s)
	if err != nil {
		return "", fmt.Errorf("platform %q: %w: %w", s, ErrPlatform, err)
	}
	return p.String(), nil
}

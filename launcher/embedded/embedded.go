// Package embedded carries the prebuilt launcher executables inside the flavor binary, one per
// platform, so a single flavor binary packs for every platform. `make launchers` writes them to
// launcher/embedded/bin/ before `make build` compiles flavor; a flavor built without that step
// (plain `go build` or `go test`) carries none and says how to get them.
package embedded

import (
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"sort"
	"strings"

	"github.com/flavor-dev/flavor/platform"
)

//go:embed bin
var binFS embed.FS

// Platforms lists the platforms `make launchers` builds, as os/arch: platform.LauncherSystems.
var Platforms = systems()

func systems() []string {
	var out []string
	for _, p := range platform.LauncherSystems() {
		out = append(out, p.String())
	}
	return out
}

// ErrNotEmbedded is returned when this flavor binary was built without the launcher for a platform.
var ErrNotEmbedded = errors.New("launcher not embedded")

// FileName is the name of the launcher executable for platform ("linux/amd64") under bin/.
func FileName(platform string) string {
	name := "flavor-launcher-" + strings.ReplaceAll(platform, "/", "-")
	if strings.HasPrefix(platform, "windows/") {
		name += ".exe"
	}
	return name
}

// Launcher returns the launcher bytes for platform ("linux/amd64").
func Launcher(platform string) ([]byte, error) {
	b, err := binFS.ReadFile("bin/" + FileName(platform))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%w for %s: this flavor binary was built without it; build flavor with `make build` (which runs `make launchers`) or pass --launcher-bin FILE", ErrNotEmbedded, platform)
	}
	return b, err
}

// Available lists the platforms whose launcher is embedded, sorted.
func Available() []string {
	var out []string
	for _, p := range Platforms {
		if _, err := binFS.ReadFile("bin/" + FileName(p)); err == nil {
			out = append(out, p)
		}
	}
	sort.Strings(out)
	return out
}

//go:build integration

package integration

import (
	"context"
	"strings"
	"testing"

	"github.com/flavor-dev/flavor/builder"
	"github.com/flavor-dev/flavor/engine/docker"
	"github.com/flavor-dev/flavor/platform"
)

// debianLayerTree is a tree of two packages built on the two-layer Debian image, whose top
// layer whites out /etc/motd and /var/cache/apt/archives and makes /usr/share/doc opaque (only
// its README): a delta package whose steps delete, change and add files around those places, and
// a package_dir package whose directory is the opaque one.
func debianLayerTree(t *testing.T) string {
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{
		"layers/delta/definition.yaml": "name: delta\ncategory: layers\nversion: \"1\"\n",
		"layers/delta/build.yaml": `image: 127.0.0.1:5000/debian:bookworm
steps:
- rm /etc/issue /usr/share/doc/README
- echo changed > /etc/flavor-image
- echo added > /usr/share/doc/added
- mkdir /var/cache/apt/archives && echo new > /var/cache/apt/archives/new
- mkdir -p /opt/app && echo app > /opt/app/file
`,
		"layers/pkgdir/definition.yaml": "name: pkgdir\ncategory: layers\nversion: \"1\"\n",
		"layers/pkgdir/build.yaml": `image: 127.0.0.1:5000/debian:bookworm
package_dir: /usr/share/doc
steps:
- echo added > /usr/share/doc/added
`,
	})
	return dir
}

// TestDebianLayersThroughEveryPath: delta and package_dir on the multi-layer Debian image give
// the files the top layer shows (a whited-out file is never resurrected, an opaque directory
// hides the lower layer's content, a whited-out directory made again by a step holds only what
// the step put there), and the overlay reader (local engine) and the change list (the same
// engine reached over tcp://, so nothing is read from this host's disk) give byte-identical
// artifacts.
func TestDebianLayersThroughEveryPath(t *testing.T) {
	local := dockerEngine(t)
	remote, err := docker.New(context.Background(), docker.WithHost(tcpEngine(t)), docker.WithBinfmtDir(t.TempDir()))
	if err != nil {
		t.Fatal(err)
	}
	defer remote.Close()
	if remote.IsLocal() {
		t.Fatal("the tcp:// engine reported local: the change-list path would not be taken")
	}
	tree := debianLayerTree(t)
	req := func() builder.Request {
		return builder.Request{Trees: []string{tree}, Packages: []string{"layers/delta", "layers/pkgdir"},
			Platforms: []platform.Platform{platform.HostLinux()}}
	}
	overlay := runBuild(t, local, t.TempDir(), req()).must(t)
	changes := runBuild(t, remote, t.TempDir(), req()).must(t)

	for _, tc := range []struct {
		pkg     string
		files   []string
		removed []string
		bodies  map[string]string
	}{
		{
			pkg:     "layers/delta@1",
			files:   []string{"etc/flavor-image", "opt/app/file", "usr/share/doc/added", "var/cache/apt/archives/new"},
			removed: []string{"etc/issue", "usr/share/doc/README"},
			bodies:  map[string]string{"etc/flavor-image": "changed\n", "var/cache/apt/archives/new": "new\n"},
		},
		{
			pkg:    "layers/pkgdir@1",
			files:  []string{"README", "added"},
			bodies: map[string]string{"README": "Package documentation was removed from this image.\n", "added": "added\n"},
		},
	} {
		t.Run(tc.pkg, func(t *testing.T) {
			a, b := overlay.artifact(t, tc.pkg), changes.artifact(t, tc.pkg)
			for path, r := range map[string]*buildRun{"overlay reader": overlay, "change list": changes} {
				art := r.artifact(t, tc.pkg)
				got := readArtifact(t, art.Path)
				if files := fileNames(got); !sameStrings(files, tc.files) {
					t.Errorf("%s: files %v, want %v", path, files, tc.files)
				}
				if rm := sortedCopy(art.Metadata.Removed); !sameStrings(rm, tc.removed) {
					t.Errorf("%s: removed %v, want %v", path, rm, tc.removed)
				}
				for name, body := range tc.bodies {
					if got[name].Body != body {
						t.Errorf("%s: %s holds %q, want %q", path, name, got[name].Body, body)
					}
				}
			}
			if a.Metadata.Checksums["sha256"] != b.Metadata.Checksums["sha256"] || fileSum(t, a.Path) != fileSum(t, b.Path) {
				ea, eb := readArtifact(t, a.Path), readArtifact(t, b.Path)
				var diff []string
				for _, n := range names(ea) {
					if ea[n] != eb[n] {
						diff = append(diff, n)
					}
				}
				for _, n := range names(eb) {
					if _, ok := ea[n]; !ok {
						diff = append(diff, n+" (change list only)")
					}
				}
				t.Errorf("the overlay reader and the change list gave different artifacts (%s vs %s); entries that differ: %s",
					a.Metadata.Checksums["sha256"], b.Metadata.Checksums["sha256"], strings.Join(diff, ", "))
			}
		})
	}
}

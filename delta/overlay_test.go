package delta

import (
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"testing"
	"time"
)

var later = baseTime.Add(time.Hour)

// copyUp makes dir p in upper as overlayfs does when a child changes: same attributes as the
// lower one, a newer mtime.
func copyUp(u layout, p string) layout {
	u.t.Helper()
	u.dir(p, 0o755, 0, 0)
	return u.mtime(p, later)
}

func TestFromOverlay(t *testing.T) {
	cap := fmt.Sprintf("%x", capNetRaw())
	tests := []struct {
		name        string
		upper       func(u layout)
		opts        []Option
		want        []string
		wantRemoved []string
	}{{
		name:  "added file",
		upper: func(u layout) { u.file("/hello", "hi\n", 0o644, 0, 0) },
		want:  []string{`/hello f 0644 0:0 "hi\n"`},
	}, {
		name: "modified content ships with its parent's real attributes",
		upper: func(u layout) {
			copyUp(u, "/etc").file("/etc/passwd", "root:x:0:0::/root:/bin/sh\nx:x:1:1::/:/bin/sh\n", 0o644, 0, 0)
		},
		want: []string{`/etc d 0755 0:0`, `/etc/passwd f 0644 0:0 "root:x:0:0::/root:/bin/sh\nx:x:1:1::/:/bin/sh\n"`},
	}, {
		name:  "mode only",
		upper: func(u layout) { copyUp(u, "/bin").file("/bin/sh", "#!sh\n", 0o700, 0, 0) },
		want:  []string{`/bin d 0755 0:0`, `/bin/sh f 0700 0:0 "#!sh\n"`},
	}, {
		name:  "owner only",
		upper: func(u layout) { copyUp(u, "/bin").file("/bin/sh", "#!sh\n", 0o755, 100, 100) },
		want:  []string{`/bin d 0755 0:0`, `/bin/sh f 0755 100:100 "#!sh\n"`},
	}, {
		name: "same size, other bytes",
		upper: func(u layout) {
			copyUp(u, "/etc").file("/etc/passwd", "ROOT:x:0:0::/root:/bin/sh\n", 0o644, 0, 0)
		},
		want: []string{`/etc d 0755 0:0`, `/etc/passwd f 0644 0:0 "ROOT:x:0:0::/root:/bin/sh\n"`},
	}, {
		name: "copy-up with identical bytes and a new mtime is not a change",
		upper: func(u layout) {
			copyUp(u, "/etc").file("/etc/passwd", "root:x:0:0::/root:/bin/sh\n", 0o644, 0, 0).mtime("/etc/passwd", later)
			copyUp(u, "/home")
		},
		want: nil,
	}, {
		name:        "deleted file",
		upper:       func(u layout) { copyUp(u, "/bin").whiteout("/bin/ls") },
		wantRemoved: []string{"/bin/ls"},
	}, {
		name:        "whiteout of a directory covers its contents",
		upper:       func(u layout) { copyUp(u, "/var").whiteout("/var/cache") },
		wantRemoved: []string{"/var/cache"},
	}, {
		name:  "whiteout with nothing below is no removal",
		upper: func(u layout) { u.whiteout("/never-there") },
	}, {
		name: "opaque directory: hidden lower children are removed, new ones shipped",
		upper: func(u layout) {
			copyUp(u, "/var").dir("/var/cache", 0o755, 0, 0).opaque("/var/cache").file("/var/cache/c", "c\n", 0o644, 0, 0)
		},
		want:        []string{`/var d 0755 0:0`, `/var/cache d 0755 0:0`, `/var/cache/c f 0644 0:0 "c\n"`},
		wantRemoved: []string{"/var/cache/a", "/var/cache/b"},
	}, {
		name: "opaque directory that replaced a file",
		upper: func(u layout) {
			copyUp(u, "/bin").dir("/bin/ls", 0o755, 0, 0).opaque("/bin/ls").file("/bin/ls/x", "x", 0o644, 0, 0)
		},
		want: []string{`/bin d 0755 0:0`, `/bin/ls d 0755 0:0`, `/bin/ls/x f 0644 0:0 "x"`},
	}, {
		name:  "symlink added",
		upper: func(u layout) { u.symlink("/link", "/bin/sh") },
		want:  []string{`/link l 0777 0:0 -> /bin/sh`},
	}, {
		name:  "symlink retargeted",
		upper: func(u layout) { copyUp(u, "/bin").symlink("/bin/sh2", "ls") },
		want:  []string{`/bin d 0755 0:0`, `/bin/sh2 l 0777 0:0 -> ls`},
	}, {
		name:  "symlink rewritten with the same target is no change",
		upper: func(u layout) { copyUp(u, "/bin").symlink("/bin/sh2", "sh") },
	}, {
		name:  "hard links between new files",
		upper: func(u layout) { u.file("/b", "same", 0o644, 0, 0).hardlink("/b", "/a") },
		want:  []string{`/a f 0644 0:0 "same"`, `/b h 0644 0:0 -> /a`},
	}, {
		name: "hard link to an unchanged file becomes a regular file",
		upper: func(u layout) {
			copyUp(u, "/bin").file("/bin/sh", "#!sh\n", 0o755, 0, 0).hardlink("/bin/sh", "/newsh")
		},
		want: []string{`/newsh f 0755 0:0 "#!sh\n"`},
	}, {
		name: "setuid, setgid and sticky bits",
		upper: func(u layout) {
			u.file("/suid", "", 0o644|os.ModeSetuid, 0, 0).file("/sgid", "", 0o644|os.ModeSetgid, 0, 0).
				file("/sticky", "", 0o644|os.ModeSticky, 0, 0)
		},
		want: []string{`/sgid f 2644 0:0 ""`, `/sticky f 1644 0:0 ""`, `/suid f 4644 0:0 ""`},
	}, {
		name: "owners 100:100 on a new tree",
		upper: func(u layout) {
			u.dir("/foo/bar", 0o750, 100, 100).dir("/foo", 0o755, 100, 100).file("/foo/bar/.keep", "", 0o600, 101, 101)
		},
		want: []string{`/foo d 0755 100:100`, `/foo/bar d 0750 100:100`, `/foo/bar/.keep f 0600 101:101 ""`},
	}, {
		name: "security.capability on a new file and added to an existing one",
		upper: func(u layout) {
			u.file("/ping", "p", 0o755, 0, 0).xattr("/ping", xattrCapability, capNetRaw())
			copyUp(u, "/usr").dir("/usr/bin", 0o755, 0, 0).mtime("/usr/bin", later)
			u.file("/usr/bin/tool", "tool\n", 0o755, 0, 0).xattr("/usr/bin/tool", xattrCapability, capNetRaw())
		},
		want: []string{`/ping f 0755 0:0 "p" cap=` + cap, `/usr d 0755 0:0`, `/usr/bin d 0755 0:0`, `/usr/bin/tool f 0755 0:0 "tool\n" cap=` + cap},
	}, {
		name: "build directory and /tmp are left out",
		upper: func(u layout) {
			copyUp(u, "/luetbuild").file("/luetbuild/out.o", "o", 0o644, 0, 0)
			copyUp(u, "/tmp").file("/tmp/x", "x", 0o644, 0, 0).dir("/tmp", 0o777|os.ModeSticky, 0, 0)
			u.whiteout("/luetbuild/build.yaml")
		},
	}, {
		name: "build directory and /tmp ship when an include names them",
		upper: func(u layout) {
			copyUp(u, "/luetbuild").file("/luetbuild/out.o", "o", 0o644, 0, 0)
			u.dir("/tmp", 0o777|os.ModeSticky, 0, 0).mtime("/tmp", later).file("/tmp/x", "x", 0o644, 0, 0)
		},
		opts: []Option{WithIncludes(res(`^/tmp/x$`, `\.o$`)...)},
		want: []string{`/luetbuild d 0755 0:0`, `/luetbuild/out.o f 0644 0:0 "o"`, `/tmp d 1777 0:0`, `/tmp/x f 0644 0:0 "x"`},
	}, {
		name:  "another build directory",
		upper: func(u layout) { u.file("/src/x", "x", 0o644, 0, 0).file("/luetbuild/y", "y", 0o644, 0, 0) },
		opts:  []Option{WithBuildDir("/src")},
		want:  []string{`/luetbuild d 0755 0:0`, `/luetbuild/y f 0644 0:0 "y"`},
	}, {
		name: "engine paths never count, even when included",
		upper: func(u layout) {
			u.file("/.dockerenv", "", 0o755, 0, 0).file("/etc/hostname", "h", 0o644, 0, 0).file("/etc/hosts", "h", 0o644, 0, 0)
			u.file("/etc/resolv.conf", "r", 0o644, 0, 0).file("/proc/1/x", "x", 0o644, 0, 0).file("/dev/null2", "", 0o644, 0, 0)
			u.file("/sys/x", "x", 0o644, 0, 0)
			copyUp(u, "/etc")
		},
		opts: []Option{WithIncludes(res(`.`)...)},
	}, {
		name: "podman's start-up files never count: /etc/mtab, /run holding only .containerenv",
		upper: func(u layout) {
			copyUp(u, "/etc").symlink("/etc/mtab", "/proc/mounts").file("/etc/hosts", "", 0o755, 0, 0)
			u.file("/run/.containerenv", "", 0o755, 0, 0)
		},
		opts: []Option{WithIncludes(res(`.`)...)},
	}, {
		name: "a /run the build filled and an /etc/mtab that is not podman's count",
		upper: func(u layout) {
			copyUp(u, "/etc").symlink("/etc/mtab", "/proc/self/mounts")
			u.file("/run/.containerenv", "", 0o755, 0, 0).file("/run/app.pid", "1", 0o644, 0, 0)
		},
		want: []string{`/etc d 0755 0:0`, `/etc/mtab l 0777 0:0 -> /proc/self/mounts`, `/run d 0755 0:0`, `/run/app.pid f 0644 0:0 "1"`},
	}, {
		name: "delta: added ships only new paths and lists no removals",
		upper: func(u layout) {
			copyUp(u, "/etc").file("/etc/passwd", "changed\n", 0o644, 0, 0).file("/etc/new.conf", "n", 0o600, 0, 0)
			copyUp(u, "/bin").whiteout("/bin/ls")
		},
		opts: []Option{WithAddedOnly()},
		want: []string{`/etc d 0755 0:0`, `/etc/new.conf f 0600 0:0 "n"`},
	}, {
		name: "a directory kept for its child keeps its own attributes",
		upper: func(u layout) {
			u.dir("/opt/app", 0o700, 7, 8).dir("/opt", 0o711, 5, 6).file("/opt/app/bin", "b", 0o755, 0, 0).file("/opt/other", "o", 0o644, 0, 0)
		},
		opts: []Option{WithIncludes(res(`/bin$`)...)},
		want: []string{`/opt d 0711 5:6`, `/opt/app d 0700 7:8`, `/opt/app/bin f 0755 0:0 "b"`},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			lower := baseLower(t)
			upper := newLayout(t)
			tt.upper(upper)
			tree, err := FromOverlay(context.Background(), Overlay{Upper: upper.root, Lowers: []string{lower.root}}, tt.opts...)
			if err != nil {
				t.Fatal(err)
			}
			defer tree.Close()
			diffLines(t, "entries", describe(t, tree), tt.want)
			diffLines(t, "removed", tree.Removed(), tt.wantRemoved)
			fromLayerMatchesOverlay(t, upper.root, lower.root, tt.opts, tt.want, tt.wantRemoved)
		})
	}
}

// luetFixture is the delta of Luet's include/exclude fixtures: the steps add these files.
func luetFixture(names ...string) func(u layout) {
	return func(u layout) {
		for _, n := range names {
			u.file("/"+n, n+"\n", 0o644, 0, 0)
		}
	}
}

func TestFromOverlayIncludesExcludes(t *testing.T) {
	tests := []struct {
		name     string
		files    []string
		includes []string
		excludes []string
		want     []string
	}{
		{"include", []string{"test5", "test6", "marvin"}, []string{`/test5`, `mar.*`}, nil, []string{"test5", "marvin"}},
		{"exclude", []string{"test5", "test6", "marvin", "marvot"}, nil, []string{`marvot`}, []string{"test5", "test6", "marvin"}},
		{"both", []string{"test5", "test6", "marvin", "marvot"}, []string{`/test5`, `mar.*`}, []string{`marvot`}, []string{"test5", "marvin"}},
		{"none", []string{"test5", "marvot"}, nil, nil, []string{"test5", "marvot"}},
		{"unanchored include matches anywhere", []string{"a-marvin-b", "test6"}, []string{`marvin`}, nil, []string{"a-marvin-b"}},
		{"anchored include", []string{"test5", "xtest5"}, []string{`^/test5$`}, nil, []string{"test5"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			lower, upper := baseLower(t), newLayout(t)
			luetFixture(tt.files...)(upper)
			tree, err := FromOverlay(context.Background(), Overlay{Upper: upper.root, Lowers: []string{lower.root}},
				WithIncludes(res(tt.includes...)...), WithExcludes(res(tt.excludes...)...))
			if err != nil {
				t.Fatal(err)
			}
			defer tree.Close()
			want := slices.Clone(tt.want)
			slices.Sort(want)
			diffLines(t, "files", tree.Files(), want)
		})
	}
}

func TestFromOverlayLayers(t *testing.T) {
	// Two lower layers: the top one deletes /old and makes /data opaque.
	bottom := newLayout(t)
	bottom.file("/old", "old", 0o644, 0, 0).dir("/data", 0o755, 0, 0).file("/data/a", "a", 0o644, 0, 0).file("/keep", "k", 0o644, 0, 0)
	top := newLayout(t)
	top.whiteout("/old").dir("/data", 0o755, 0, 0).opaque("/data").file("/data/b", "b", 0o644, 0, 0)
	upper := newLayout(t)
	// /old and /data/a do not exist in the builder: writing them adds them. /keep and /data/b do.
	upper.file("/old", "new", 0o644, 0, 0).dir("/data", 0o755, 0, 0).file("/data/a", "a", 0o644, 0, 0)
	upper.file("/data/b", "b", 0o644, 0, 0).mtime("/data/b", later).file("/keep", "k", 0o644, 0, 0)
	upper.whiteout("/data/gone")
	ov := Overlay{Upper: upper.root, Lowers: []string{top.root, bottom.root}}
	for _, tc := range []struct {
		name string
		opts []Option
		want []string
	}{
		{"changed", nil, []string{`/data d 0755 0:0`, `/data/a f 0644 0:0 "a"`, `/old f 0644 0:0 "new"`}},
		{"added only", []Option{WithAddedOnly()}, []string{`/data d 0755 0:0`, `/data/a f 0644 0:0 "a"`, `/old f 0644 0:0 "new"`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tree, err := FromOverlay(context.Background(), ov, tc.opts...)
			if err != nil {
				t.Fatal(err)
			}
			defer tree.Close()
			diffLines(t, "entries", describe(t, tree), tc.want)
			diffLines(t, "removed", tree.Removed(), nil)
		})
	}
}

func TestFromOverlayUnsupported(t *testing.T) {
	lower, upper := baseLower(t), newLayout(t)
	upper.dir("/moved", 0o755, 0, 0).xattr("/moved", "trusted.overlay.redirect", []byte("/var/cache"))
	_, err := FromOverlay(context.Background(), Overlay{Upper: upper.root, Lowers: []string{lower.root}})
	if !errors.Is(err, ErrUnsupportedOverlay) {
		t.Fatalf("err = %v, want ErrUnsupportedOverlay", err)
	}
}

func TestParseOverlay(t *testing.T) {
	ov := ParseOverlay("/u", "/a-init/diff:/b/diff")
	if ov.Upper != "/u" || len(ov.Lowers) != 2 || ov.Lowers[0] != "/a-init/diff" || ov.Lowers[1] != "/b/diff" {
		t.Errorf("ParseOverlay = %+v", ov)
	}
	if ov := ParseOverlay("/u", ""); len(ov.Lowers) != 0 {
		t.Errorf("empty lower dir gave %q", ov.Lowers)
	}
}

//go:build integration

package integration

import (
	"archive/tar"
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"

	"github.com/flavor-dev/flavor/delta"
)

// deltaSteps are the package steps of the end-to-end case: every kind of change a build makes,
// plus changes that must not ship.
const deltaSteps = `
echo hello > /hello
echo 'app:x:100:100::/home/app:/bin/sh' >> /etc/passwd
rm /bin/ls
mkdir -p /opt/app
echo run > /opt/app/run
chmod 4755 /opt/app/run
chown 100:100 /opt/app
chmod 750 /opt/app
chmod 700 /root
chown 100:100 /home
ln -s /hello /usr/bin/hello-link
touch /etc/group
echo junk > /tmp/junk
mkdir -p /luetbuild && echo obj > /luetbuild/obj
`

var deltaWant = []string{
	`/etc d 0755 0:0`,
	`/etc/passwd f 0644 0:0 "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\napp:x:100:100::/home/app:/bin/sh\n"`,
	`/hello f 0644 0:0 "hello\n"`,
	`/home d 0755 100:100`,
	`/opt d 0755 0:0`,
	`/opt/app d 0750 100:100`,
	`/opt/app/run f 4755 0:0 "run\n"`,
	`/root d 0700 0:0`,
	`/usr d 0755 0:0`,
	`/usr/bin d 0755 0:0`,
	`/usr/bin/hello-link l 0777 0:0 -> /hello`,
}

// deltaDescribe renders entries one per line: path, type, mode, owner, content or link target.
func deltaDescribe(t *testing.T, tree *delta.Tree) []string {
	t.Helper()
	types := map[byte]string{tar.TypeReg: "f", tar.TypeDir: "d", tar.TypeSymlink: "l", tar.TypeLink: "h"}
	var out []string
	for _, e := range tree.Entries() {
		line := fmt.Sprintf("%s %s %04o %d:%d", e.Path, types[e.Type], e.Mode, e.UID, e.GID)
		switch e.Type {
		case tar.TypeReg:
			rc, err := e.Open(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			b, err := io.ReadAll(rc)
			rc.Close()
			if err != nil {
				t.Fatal(err)
			}
			line += fmt.Sprintf(" %q", b)
		case tar.TypeSymlink, tar.TypeLink:
			line += " -> " + e.Linkname
		}
		out = append(out, line)
	}
	return out
}

func deltaCheck(t *testing.T, what string, got, want []string) {
	t.Helper()
	if !slices.Equal(got, want) {
		t.Errorf("%s:\ngot:\n  %s\nwant:\n  %s", what, strings.Join(got, "\n  "), strings.Join(want, "\n  "))
	}
}

func deltaArtifact(t *testing.T, tree *delta.Tree) ([]byte, delta.Artifact) {
	t.Helper()
	var buf bytes.Buffer
	a, err := tree.WriteArtifact(context.Background(), &buf)
	if err != nil {
		t.Fatal(err)
	}
	return buf.Bytes(), a
}

func TestDeltaOfARealBuild(t *testing.T) {
	deltaSetup(t)
	ctx := context.Background()
	id := deltaBuild(t, "busybox:latest", deltaSteps)

	local, err := delta.FromOverlay(ctx, deltaOverlayOf(t, id))
	if err != nil {
		t.Fatal(err)
	}
	defer local.Close()
	deltaCheck(t, "local entries", deltaDescribe(t, local), deltaWant)
	deltaCheck(t, "local removed", local.Removed(), []string{"/bin/ls"})

	src := newDeltaCLISource(t, id, "busybox:latest")
	remote, err := delta.FromChanges(ctx, src, delta.WithTempDir(t.TempDir()))
	if err != nil {
		t.Fatal(err)
	}
	defer remote.Close()
	deltaCheck(t, "remote entries", deltaDescribe(t, remote), deltaWant)
	deltaCheck(t, "remote removed", remote.Removed(), []string{"/bin/ls"})

	lb, la := deltaArtifact(t, local)
	rb, ra := deltaArtifact(t, remote)
	if !bytes.Equal(lb, rb) || la.SHA256 != ra.SHA256 {
		t.Errorf("local and remote artifacts differ: %s vs %s", la.SHA256, ra.SHA256)
	}
	deltaCheck(t, "files", la.Files, []string{"etc/passwd", "hello", "opt/app/run", "usr/bin/hello-link"})
	deltaCheck(t, "removed", la.Removed, []string{"bin/ls"})

	// Applying the artifact reproduces owners and modes.
	dir := t.TempDir()
	if err := delta.Apply(ctx, dir, bytes.NewReader(lb)); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		path      string
		mode      uint32
		uid, gid  uint32
		isSymlink bool
	}{
		{"opt/app", 0o750, 100, 100, false}, {"opt/app/run", 0o4755, 0, 0, false},
		{"home", 0o755, 100, 100, false}, {"root", 0o700, 0, 0, false}, {"usr/bin/hello-link", 0o777, 0, 0, true},
	} {
		fi, err := os.Lstat(filepath.Join(dir, c.path))
		if err != nil {
			t.Fatal(err)
		}
		st := fi.Sys().(*syscall.Stat_t)
		if st.Mode&0o7777 != c.mode || st.Uid != c.uid || st.Gid != c.gid || (fi.Mode()&os.ModeSymlink != 0) != c.isSymlink {
			t.Errorf("applied %s: mode %04o owner %d:%d, want %04o %d:%d", c.path, st.Mode&0o7777, st.Uid, st.Gid, c.mode, c.uid, c.gid)
		}
	}
}

func TestDeltaAddedOnlyOfARealBuild(t *testing.T) {
	deltaSetup(t)
	ctx := context.Background()
	id := deltaBuild(t, "busybox:latest", deltaSteps)
	want := []string{
		`/hello f 0644 0:0 "hello\n"`,
		`/opt d 0755 0:0`,
		`/opt/app d 0750 100:100`,
		`/opt/app/run f 4755 0:0 "run\n"`,
		`/usr d 0755 0:0`,
		`/usr/bin d 0755 0:0`,
		`/usr/bin/hello-link l 0777 0:0 -> /hello`,
	}
	local, err := delta.FromOverlay(ctx, deltaOverlayOf(t, id), delta.WithAddedOnly())
	if err != nil {
		t.Fatal(err)
	}
	defer local.Close()
	deltaCheck(t, "local", deltaDescribe(t, local), want)
	remote, err := delta.FromChanges(ctx, newDeltaCLISource(t, id, "busybox:latest"), delta.WithAddedOnly())
	if err != nil {
		t.Fatal(err)
	}
	defer remote.Close()
	deltaCheck(t, "remote", deltaDescribe(t, remote), want)
	if len(local.Removed())+len(remote.Removed()) != 0 {
		t.Errorf("delta: added lists removals: %q %q", local.Removed(), remote.Removed())
	}
}

func TestDeltaUnpackOfARealBuild(t *testing.T) {
	deltaSetup(t)
	ctx := context.Background()
	id := deltaBuild(t, "busybox:latest", "mkdir -p /foo/sub /foobar && echo 1 > /foo/test1 && echo x > /foo/sub/x && echo y > /foobar/y")
	cmd := exec.Command("docker", "export", id)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	tree, err := delta.FromTar(ctx, out, delta.WithPackageDir("/foo"), delta.WithTempDir(t.TempDir()))
	if werr := cmd.Wait(); err == nil && werr != nil {
		err = werr
	}
	if err != nil {
		t.Fatal(err)
	}
	defer tree.Close()
	deltaCheck(t, "package_dir", deltaDescribe(t, tree), []string{`/sub d 0755 0:0`, `/sub/x f 0644 0:0 "x\n"`, `/test1 f 0644 0:0 "1\n"`})
}

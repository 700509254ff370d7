//go:build integration

package integration

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io/fs"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/flavor-dev/flavor/oci"
	"github.com/flavor-dev/flavor/platform"
)

var (
	registryBusyboxOnce sync.Once
	registryBusyboxErr  error
)

// registryBusybox pushes setup.sh's busybox roots (linux/amd64 and linux/arm64) as one index
// to the loopback registry and returns its name: buildkitd pulls images itself, from
// registries, and cannot see the engine's busybox:latest.
func registryBusybox(t testing.TB) string {
	t.Helper()
	ref := testRegistry() + "/library/busybox:latest"
	registryBusyboxOnce.Do(func() {
		ctx := context.Background()
		idx := v1.ImageIndex(empty.Index)
		for _, p := range []platform.Platform{amd64, {OS: "linux", Arch: "arm64"}} {
			img, err := oci.NewBaseImage(ctx, filepath.Join(setupDir(), "rootfs", "busybox-"+p.Arch), p)
			if err != nil {
				registryBusyboxErr = err
				return
			}
			defer img.Close()
			idx = mutate.AppendManifests(idx, mutate.IndexAddendum{Add: img,
				Descriptor: v1.Descriptor{Platform: &v1.Platform{OS: p.OS, Architecture: p.Arch}}})
		}
		r, err := name.ParseReference(ref, name.Insecure)
		if err != nil {
			registryBusyboxErr = err
			return
		}
		registryBusyboxErr = remote.WriteIndex(r, idx, remote.WithContext(ctx))
	})
	if registryBusyboxErr != nil {
		t.Fatalf("pushing busybox to %s: %v", ref, registryBusyboxErr)
	}
	return ref
}

var busyboxImageLine = regexp.MustCompile(`(?m)^(\s*(?:-\s+)?image:\s*)"?(?:busybox|alpine)(:latest)?"?\s*$`)

// registryTree copies a spec tree to a temporary directory with `image: busybox` naming the
// loopback registry's busybox (registryBusybox), for engines that pull from registries.
func registryTree(t *testing.T, tree string) string {
	t.Helper()
	ref := registryBusybox(t)
	return copySpecTree(t, tree, func(b []byte) []byte { return busyboxImageLine.ReplaceAll(b, []byte("${1}"+ref)) })
}

// registryExample copies examples/hello's spec tree with its base images
// (flavor-example/busybox:ARCH, which `make demo` imports into the engine) named in the
// loopback registry, where they are pushed from setup.sh's busybox roots.
func registryExample(t *testing.T) string {
	t.Helper()
	ctx := context.Background()
	repo := testRegistry() + "/flavor-example/busybox"
	for _, p := range []platform.Platform{amd64, {OS: "linux", Arch: "arm64"}} {
		img, err := oci.NewBaseImage(ctx, filepath.Join(setupDir(), "rootfs", "busybox-"+p.Arch), p)
		if err != nil {
			t.Fatal(err)
		}
		r, err := name.ParseReference(repo+":"+p.Arch, name.Insecure)
		if err != nil {
			t.Fatal(err)
		}
		err = remote.Write(r, img, remote.WithContext(ctx))
		img.Close()
		if err != nil {
			t.Fatalf("pushing %s: %v", r, err)
		}
	}
	tree := filepath.Join(exampleDir(), "packages")
	return copySpecTree(t, tree, func(b []byte) []byte {
		return bytes.ReplaceAll(b, []byte("image: flavor-example/busybox:"), []byte("image: "+repo+":"))
	})
}

// copySpecTree copies a spec tree to a temporary directory, its YAML files through rewrite.
func copySpecTree(t *testing.T, tree string, rewrite func([]byte) []byte) string {
	t.Helper()
	out := filepath.Join(t.TempDir(), filepath.Base(tree))
	err := filepath.WalkDir(tree, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(tree, p)
		dst := filepath.Join(out, rel)
		fi, err := d.Info()
		if err != nil {
			return err
		}
		switch {
		case d.IsDir():
			return os.MkdirAll(dst, fi.Mode().Perm())
		case fi.Mode()&fs.ModeSymlink != 0:
			l, err := os.Readlink(p)
			if err != nil {
				return err
			}
			return os.Symlink(l, dst)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		if strings.HasSuffix(p, ".yaml") {
			b = rewrite(b)
		}
		if err := os.WriteFile(dst, b, fi.Mode().Perm()); err != nil {
			return err
		}
		return os.Chtimes(dst, fi.ModTime(), fi.ModTime())
	})
	if err != nil {
		t.Fatalf("copying %s: %v", tree, err)
	}
	return out
}

// buildReport is what `flavor build --output-format json` prints.
type cliBuildReport struct {
	Artifacts []struct {
		Package, Platform, Source, Artifact, Metadata string
	}
	Containers int
	Executed   int
}

// flavorBuild runs `flavor build` with args and returns its report, its stderr, and the
// progress events when --progress json is among args.
func flavorBuild(t *testing.T, args ...string) (cliBuildReport, string) {
	t.Helper()
	cmd := exec.Command(flavorBin(t), append([]string{"--output-format", "json"}, args...)...)
	cmd.Env = withoutEnv(os.Environ(), "DOCKER_HOST", "CONTAINER_HOST", "BUILDKIT_HOST")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("flavor %s: %v\n%s", strings.Join(args, " "), err, stderr.String())
	}
	var rep cliBuildReport
	if err := json.Unmarshal(stdout.Bytes(), &rep); err != nil {
		t.Fatalf("decoding %q: %v", stdout.String(), err)
	}
	return rep, stderr.String()
}

// artifactFiles lists every artifact and metadata file of a report, by package, platform and
// kind (.zst or .json).
func artifactFiles(rep cliBuildReport) map[string]string {
	out := map[string]string{}
	for _, a := range rep.Artifacts {
		for _, f := range []string{a.Artifact, a.Metadata} {
			out[a.Package+" "+a.Platform+" "+filepath.Ext(f)] = f
		}
	}
	return out
}

// sameArtifacts checks that two builds wrote byte-identical artifact and metadata files. An
// unpack artifact of a root without /etc is the one allowed difference: Docker creates /etc in
// every container (for its hosts, hostname and resolv.conf mounts), so the Docker artifact has
// an empty etc/ the root never had; every other entry must be the same, header and content.
func sameArtifacts(t *testing.T, a, b map[string]string, nameA, nameB string) {
	t.Helper()
	if len(a) != len(b) {
		t.Fatalf("%s wrote %d files, %s %d", nameA, len(a), nameB, len(b))
	}
	for k, fa := range a {
		fb, ok := b[k]
		if !ok {
			t.Errorf("%s wrote no %s", nameB, k)
			continue
		}
		ba, err := os.ReadFile(fa)
		if err != nil {
			t.Fatal(err)
		}
		bb, err := os.ReadFile(fb)
		if err != nil {
			t.Fatal(err)
		}
		if bytes.Equal(ba, bb) {
			continue
		}
		if strings.HasSuffix(k, ".json") {
			var ma, mb map[string]any
			json.Unmarshal(ba, &ma)
			json.Unmarshal(bb, &mb)
			if ma["strategy"] == "unpack" {
				delete(ma, "size")
				delete(mb, "size")
				delete(ma, "checksums")
				delete(mb, "checksums")
				ja, _ := json.Marshal(ma)
				jb, _ := json.Marshal(mb)
				if bytes.Equal(ja, jb) {
					continue // the artifact's own check below says whether the difference is etc/
				}
			}
			t.Errorf("%s differs:\n%s %s\n%s %s", k, nameA, ba, nameB, bb)
			continue
		}
		ea, eb := readArtifact(t, fa), readArtifact(t, fb)
		if e, ok := ea["etc"]; ok && e.Type == '5' && !hasPrefixIn(ea, "etc/") {
			if _, ok := eb["etc"]; !ok {
				delete(ea, "etc")
			}
		}
		if len(ea) != len(eb) {
			t.Errorf("%s differs: %s has %v, %s %v", k, nameA, names(ea), nameB, names(eb))
			continue
		}
		for n, e := range ea {
			if eb[n] != e {
				t.Errorf("%s: %s differs: %s %+v, %s %+v", k, n, nameA, e, nameB, eb[n])
			}
		}
	}
}

func hasPrefixIn(m map[string]entry, prefix string) bool {
	for n := range m {
		if strings.HasPrefix(n, prefix) {
			return true
		}
	}
	return false
}

// buildBothEngines builds pkgs of tree for p with `--engine docker` and `--engine buildkit`
// (setup.sh's buildkitd), each with an empty cache, and returns each one's artifact files
// (artifactFiles). Each must write artifacts, all for p; BuildKit must start no container.
func buildBothEngines(t *testing.T, tree string, p platform.Platform, pkgs []string) map[string]map[string]string {
	t.Helper()
	got := map[string]map[string]string{}
	for _, eng := range []string{"docker", "buildkit"} {
		args := []string{"--engine", eng, "build", "--tree", tree, "--platform", p.String(),
			"--destination", t.TempDir(), "--cache", t.TempDir()}
		if eng == "buildkit" {
			args = append(args, "--builder", "unix://"+buildkitSocket())
		}
		rep, _ := flavorBuild(t, append(args, pkgs...)...)
		if len(rep.Artifacts) == 0 {
			t.Fatalf("--engine %s wrote no artifacts", eng)
		}
		for _, a := range rep.Artifacts {
			if a.Platform != p.String() {
				t.Fatalf("--engine %s built %s for %s, want %s", eng, a.Package, a.Platform, p)
			}
		}
		if eng == "buildkit" && rep.Containers != 0 {
			t.Errorf("--engine buildkit started %d containers", rep.Containers)
		}
		got[eng] = artifactFiles(rep)
	}
	return got
}

// TestBuildKitFixturesMatchDocker: `flavor build --engine buildkit` writes artifacts and
// metadata byte-identical to `--engine docker` for the Luet fixtures of the Docker suite:
// deltas with added, modified and deleted files, owners and modes, requires chains, unpack and
// package_dir, include and exclude filters, symbolic links, copy from a package,
// requires_final_images and subpackages (see sameArtifacts for the one allowed difference).
func TestBuildKitFixturesMatchDocker(t *testing.T) {
	d := dockerEngine(t)
	ensureBusybox(t, d)
	trees := []struct {
		tree string
		pkgs []string
	}{
		{buildTrees("modify"), []string{"test/changed", "test/added", "test/plain"}},
		{luetFixtures("buildableseed"), []string{"test/d"}},
		{luetFixtures("perms"), []string{"test/perms"}},
		{luetFixtures("extra_perms"), []string{"test/extra"}},
		{luetFixtures("owners"), []string{"owners/delta", "owners/unpack"}},
		{luetFixtures("package_dir"), []string{"test/dironly", "test/dironly_filter"}},
		{luetFixtures("symlinks"), []string{"test/pkgAsym", "test/pkgBsym"}},
		{luetFixtures("includeimage"), []string{"test/b"}},
		{luetFixtures("excludeimage"), []string{"test/b"}},
		{luetFixtures("copy"), []string{"test/c"}},
		{luetFixtures("subpackage"), []string{"sub/parent"}},
		{luetFixtures("join"), []string{"test/c"}},
		{debianDistroTree(t), []string{"test/gz"}},
		{buildTrees("retrieve"), []string{"test/b"}},
		{luetUpstream("retrieve-integration"), []string{"test/b"}},
		{retrieveTree(t), []string{"test/b"}},
		{joinRemoveTree(t), []string{"test/c"}},
	}
	for _, tr := range trees {
		t.Run(filepath.Base(tr.tree), func(t *testing.T) {
			got := buildBothEngines(t, registryTree(t, tr.tree), amd64, tr.pkgs)
			if filepath.Base(tr.tree) == "distro" {
				b, err := os.ReadFile(got["buildkit"]["test/gz@1.0 linux/amd64 .json"])
				if err != nil {
					t.Fatal(err)
				}
				if !bytes.Contains(b, []byte(`"GPL-3+"`)) || !bytes.Contains(b, []byte(`"usr/bin/gzip"`)) {
					t.Errorf("the distro record does not name gzip's file and license:\n%s", b)
				}
			}
			if filepath.Base(tr.tree) == "joinremove" {
				e := readArtifact(t, got["buildkit"]["test/c@1.0 linux/amd64 .zst"])
				var have []string
				for n := range e {
					have = append(have, n)
				}
				if e["z"].Body != "b\n" || e["b"].Body != "b\n" || e["k/f"].Body != "a\n" || hasPrefixIn(e, "x") || hasPrefixIn(e, "k/g") {
					t.Errorf("the merged root is not a's artifact with b's over it: %v", have)
				}
			}
			if filepath.Base(tr.tree) == "retrieveall" {
				for _, eng := range []string{"docker", "buildkit"} {
					e := readArtifact(t, got[eng]["test/b@1.0 linux/amd64 .zst"])
					if want := "1234 5678 4750\nhello over http\n"; e["seen"].Body != want {
						t.Errorf("--engine %s: the step saw %q in /seen, want %q", eng, e["seen"].Body, want)
					}
				}
			}
			sameArtifacts(t, got["docker"], got["buildkit"], "docker", "buildkit")
		})
	}
}

// retrieveTree is a tree whose test/b retrieves test/a's artifact (a set-user-ID file of
// another owner, a symbolic link) and a file from a loopback HTTP server, and ships its whole
// root (unpack) with copies of what was retrieved (/luetbuild itself is never shipped).
func retrieveTree(t *testing.T) string {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/hello.txt" {
			http.NotFound(w, r)
			return
		}
		fmt.Fprintln(w, "hello over http")
	}))
	t.Cleanup(srv.Close)
	dir := filepath.Join(t.TempDir(), "retrieveall")
	files := map[string]string{
		"a/definition.yaml": "name: a\ncategory: test\nversion: \"1.0\"\n",
		"a/build.yaml":      "image: busybox\nsteps:\n- mkdir -p /d && echo one > /d/f && chown 1234:5678 /d/f && chmod 4750 /d/f && ln -s f /d/l\n",
		"b/definition.yaml": "name: b\ncategory: test\nversion: \"1.0\"\n",
		"b/build.yaml": "image: busybox\nunpack: true\nrequires:\n- {category: test, name: a, version: \">=0\"}\n" +
			"retrieve:\n- a-test-1.0-*.package.tar.zst\n- " + srv.URL + "/hello.txt\n" +
			"steps:\n- cp -a /luetbuild/d /d2 && cp -a /luetbuild/hello.txt /hello.txt && stat -c '%u %g %a' /luetbuild/d/f > /seen && cat /hello.txt >> /seen\n",
	}
	writeFiles(t, dir, files)
	return dir
}

// joinRemoveTree is a tree whose test/c joins (requires_final_images, unpack) test/a's
// artifact and test/b's, which removes a directory and a file test/a made and replaces one:
// the merged root holds b's removals and files over a's.
func joinRemoveTree(t *testing.T) string {
	dir := filepath.Join(t.TempDir(), "joinremove")
	files := map[string]string{
		"a/definition.yaml": "name: a\ncategory: test\nversion: \"1.0\"\n",
		"a/build.yaml":      "image: busybox\nsteps:\n- mkdir -p /x/y /k && echo a > /x/y/f && echo a > /z && echo a > /k/f && echo a > /k/g\n",
		"b/definition.yaml": "name: b\ncategory: test\nversion: \"1.0\"\n",
		"b/build.yaml":      "requires:\n- {category: test, name: a, version: \">=0\"}\nsteps:\n- rm -rf /x /k/g && echo b > /z && echo b > /b\n",
		"c/definition.yaml": "name: c\ncategory: test\nversion: \"1.0\"\n",
		"c/build.yaml": "requires_final_images: true\nunpack: true\nrequires:\n- {category: test, name: a, version: \">=0\"}\n" +
			"- {category: test, name: b, version: \">=0\"}\n",
	}
	writeFiles(t, dir, files)
	return dir
}

// debianDistroTree is a tree whose package, built on the Debian image, changes files of the
// gzip package and writes its copyright file: its metadata's distro record (the package, its
// version, its license) is read from the build root's dpkg database.
func debianDistroTree(t *testing.T) string {
	dir := filepath.Join(t.TempDir(), "distro")
	if err := os.MkdirAll(filepath.Join(dir, "gz"), 0o755); err != nil {
		t.Fatal(err)
	}
	def := "name: gz\ncategory: test\nversion: \"1.0\"\n"
	build := "image: " + testRegistry() + "/debian:bookworm\nsteps:\n" +
		"- 'mkdir -p /usr/share/doc/gzip && printf \"Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/\\n\\nFiles: *\\nCopyright: x\\nLicense: GPL-3+\\n\" > /usr/share/doc/gzip/copyright'\n" +
		"- 'echo hi > /usr/bin/gzhello && printf x >> /usr/bin/gzip'\n"
	for f, body := range map[string]string{"definition.yaml": def, "build.yaml": build} {
		if err := os.WriteFile(filepath.Join(dir, "gz", f), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// buildkitd is a buildkitd a test started, with a state of its own.
type buildkitd struct {
	addr string
	cmd  *exec.Cmd
	log  *bytes.Buffer
}

// startBuildkitd starts a buildkitd on a free loopback TCP port with an empty state, serving
// platforms, trusting the loopback registry; it is stopped when the test ends.
func startBuildkitd(t *testing.T, platforms ...string) *buildkitd {
	t.Helper()
	bin := filepath.Join(filepath.Dir(buildctl(t)), "buildkitd")
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := "tcp://" + l.Addr().String()
	l.Close()
	dir := t.TempDir()
	conf := fmt.Sprintf("[worker.oci]\n  enabled = true\n  snapshotter = \"overlayfs\"\n  platforms = [%q]\n[worker.containerd]\n  enabled = false\n[registry.%q]\n  http = true\n  insecure = true\n",
		strings.Join(platforms, `", "`), testRegistry())
	if err := os.WriteFile(filepath.Join(dir, "buildkitd.toml"), []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	b := &buildkitd{addr: addr, log: &bytes.Buffer{}}
	b.cmd = exec.Command(bin, "--config", filepath.Join(dir, "buildkitd.toml"), "--root", filepath.Join(dir, "state"),
		"--addr", addr, "--group", "0")
	b.cmd.Stdout, b.cmd.Stderr = b.log, b.log
	if err := b.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		b.cmd.Process.Signal(os.Interrupt)
		done := make(chan struct{})
		go func() { b.cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(30 * time.Second):
			b.cmd.Process.Kill()
			<-done
		}
	})
	deadline := time.Now().Add(60 * time.Second)
	for {
		if err := exec.Command(buildctl(t), "--addr", addr, "debug", "workers").Run(); err == nil {
			return b
		}
		if time.Now().After(deadline) {
			t.Fatalf("buildkitd on %s did not come up in 60 s:\n%s", addr, b.log.String())
		}
		time.Sleep(250 * time.Millisecond)
	}
}

// TestBuildKitTwoBuilders: with one buildkitd serving only linux/amd64 and another only
// linux/arm64 (both on loopback TCP, fresh state), `--builder linux/amd64=…,linux/arm64=…`
// builds a chain and the example (examples/hello, its base images in the loopback registry) for
// both platforms, each platform's packages on its own builder (the progress names the builder of
// every package); the example's artifacts hold the greeter and busybox of each architecture.
func TestBuildKitTwoBuilders(t *testing.T) {
	a, b := startBuildkitd(t, "linux/amd64"), startBuildkitd(t, "linux/arm64")
	cmd := exec.Command(flavorBin(t), "--output-format", "json", "--engine", "buildkit", "build",
		"--tree", registryTree(t, luetFixtures("buildableseed")), "--tree", registryExample(t),
		"--destination", t.TempDir(), "--cache", t.TempDir(), "--progress", "json",
		"--builder", "linux/amd64="+a.addr+",linux/arm64="+b.addr, "test/d", "apps/hello", "base/busybox")
	cmd.Env = withoutEnv(os.Environ(), "BUILDKIT_HOST")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("flavor build: %v\n%s", err, stderr.String())
	}
	var rep cliBuildReport
	if err := json.Unmarshal(stdout.Bytes(), &rep); err != nil {
		t.Fatalf("decoding %q: %v", stdout.String(), err)
	}
	perPlatform := map[string]int{}
	for _, art := range rep.Artifacts {
		perPlatform[art.Platform]++
	}
	if perPlatform["linux/amd64"] == 0 || perPlatform["linux/amd64"] != perPlatform["linux/arm64"] {
		t.Fatalf("artifacts per platform %v, want the same non-zero number for linux/amd64 and linux/arm64", perPlatform)
	}
	if rep.Executed == 0 {
		t.Error("two fresh builders executed no stage")
	}
	// The example for both platforms: its greeter, and busybox of the platform's architecture
	// (ELF e_machine 62 x86-64, 183 AArch64).
	seen := map[string]bool{}
	for _, art := range rep.Artifacts {
		e := readArtifact(t, art.Artifact)
		switch art.Package {
		case "apps/hello@1.0.0":
			if !strings.Contains(e["bin/hello"].Body, "#!/bin/sh") {
				t.Errorf("%s for %s holds no greeter: %v", art.Package, art.Platform, names(e))
			}
		case "base/busybox@1.35.0":
			want := map[string]uint16{"linux/amd64": 62, "linux/arm64": 183}[art.Platform]
			b := e["bin/busybox"].Body
			if len(b) < 20 || b[:4] != "\x7fELF" || uint16(b[18])|uint16(b[19])<<8 != want {
				t.Errorf("%s for %s: bin/busybox is not an ELF for machine %d", art.Package, art.Platform, want)
			}
		default:
			continue
		}
		seen[art.Package+" "+art.Platform] = true
	}
	if len(seen) != 4 {
		t.Errorf("built %v of the example, want apps/hello and base/busybox for both platforms", seen)
	}
	builds := 0
	for _, line := range strings.Split(stderr.String(), "\n") {
		var ev struct{ Stage, Package, Platform, Line string }
		if json.Unmarshal([]byte(line), &ev) != nil || ev.Stage != "build" {
			continue
		}
		builds++
		want := a.addr
		if ev.Platform == "linux/arm64" {
			want = b.addr
		}
		if ev.Line != "on buildkitd at "+want {
			t.Errorf("%s for %s was built %q, want on %s", ev.Package, ev.Platform, ev.Line, want)
		}
	}
	if builds == 0 {
		t.Fatalf("no build events in the progress:\n%s", stderr.String())
	}
}

// TestBuildKitRegistryCache: a build on one fresh buildkitd exports its cache to the loopback
// registry; a second fresh buildkitd with an empty state and an empty artifact cache builds the
// same tree from that cache without executing a single prelude or step (counted from the
// solve's status: every run op reported cached), with byte-identical artifacts.
func TestBuildKitRegistryCache(t *testing.T) {
	tree := registryTree(t, luetFixtures("buildableseed"))
	// A step only this run has, so the first build cannot be served by any earlier cache.
	nonce := fmt.Sprint(time.Now().UnixNano())
	build := filepath.Join(tree, "c", "build.yaml")
	if _, err := os.Stat(build); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(build)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), "steps:\n") {
		t.Fatalf("%s has no steps: to add to:\n%s", build, b)
	}
	b = []byte(strings.Replace(string(b), "steps:\n", "steps:\n- echo "+nonce+" > /nonce\n", 1))
	if err := os.WriteFile(build, b, 0o644); err != nil {
		t.Fatal(err)
	}
	cache := testRegistry() + "/flavor-test/buildcache-" + nonce
	var reps []cliBuildReport
	var logs []string
	for i := 0; i < 2; i++ {
		d := startBuildkitd(t, "linux/amd64")
		rep, log := flavorBuild(t, "--engine", "buildkit", "build", "--tree", tree, "--destination", t.TempDir(),
			"--cache", t.TempDir(), "--builder", d.addr, "--buildkit-cache", cache, "--progress", "plain", "test/d")
		reps = append(reps, rep)
		logs = append(logs, log)
	}
	if reps[0].Executed == 0 {
		t.Fatal("the first build on a fresh builder executed no stage")
	}
	if reps[1].Executed != 0 {
		t.Errorf("the second fresh builder executed %d stages, want 0 (all from the registry cache):\n%s", reps[1].Executed, logs[1])
	}
	sameArtifacts(t, artifactFiles(reps[0]), artifactFiles(reps[1]), "first", "second")
}

// TestBuildKitKilled: a `flavor build --engine buildkit` stopped while its step runs leaves no
// running step on the daemon: SIGINT cancels the solve and exits 130; SIGKILL drops the
// connection, and buildkitd ends the solve it served. The step's process is found in /proc
// (buildkitd runs on this machine) by its odd sleep duration.
func TestBuildKitKilled(t *testing.T) {
	for _, tc := range []struct {
		sig   syscall.Signal
		sleep string
	}{{syscall.SIGINT, "1213"}, {syscall.SIGKILL, "1217"}} {
		t.Run(tc.sig.String(), func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "killed")
			writeFiles(t, dir, map[string]string{
				"s/definition.yaml": "name: s\ncategory: test\nversion: \"1.0\"\n",
				"s/build.yaml":      "image: busybox\nsteps:\n- echo started; sleep " + tc.sleep + "\n",
			})
			r := startFlavor(t, "--engine", "buildkit", "build", "--builder", "unix://"+buildkitSocket(),
				"--tree", registryTree(t, dir), "--destination", t.TempDir(), "--cache", t.TempDir(), "test/s")
			r.waitFor(t, "| started")
			waitFor(t, "the step's sleep in buildkitd", func() bool { return len(processesWithArgs(t, "sleep", tc.sleep)) > 0 })
			if err := r.cmd.Process.Signal(tc.sig); err != nil {
				t.Fatal(err)
			}
			code, rest := r.wait(t)
			if want := 128 + int(tc.sig); code != want {
				t.Errorf("exit code %d after %v, want %d; stderr:\n%s", code, tc.sig, want, rest)
			}
			waitFor(t, "the stopped build's step to end", func() bool { return len(processesWithArgs(t, "sleep", tc.sleep)) == 0 })
		})
	}
}

// TestBuildKitDockerContainerBuilder: a builder named as buildx's docker-container driver names
// its own (docker-container://NAME: flavor dials `docker exec -i NAME buildctl dial-stdio`)
// builds a tree. The container here runs setup.sh's buildctl with the host's buildkitd socket
// where buildctl looks by default, as a buildx builder container has its daemon.
func TestBuildKitDockerContainerBuilder(t *testing.T) {
	dockerEngine(t)
	name := fmt.Sprintf("flavor-test-buildx-%d", time.Now().UnixNano())
	run := exec.Command("docker", "run", "-d", "--name", name,
		"-v", buildctl(t)+":/usr/bin/buildctl:ro", "-v", filepath.Dir(buildkitSocket())+":/run/buildkit",
		testRegistry()+"/debian:bookworm", "sleep", "infinity")
	if out, err := run.CombinedOutput(); err != nil {
		t.Fatalf("starting the builder container: %v\n%s", err, out)
	}
	t.Cleanup(func() { exec.Command("docker", "rm", "-f", name).Run() })
	addr := "docker-container://" + name
	rep, log := flavorBuild(t, "--engine", "buildkit", "build", "--tree", registryTree(t, luetFixtures("buildableseed")),
		"--destination", t.TempDir(), "--cache", t.TempDir(), "--builder", addr, "--progress", "plain", "test/d")
	if len(rep.Artifacts) == 0 {
		t.Fatalf("no artifacts through %s:\n%s", addr, log)
	}
	if !strings.Contains(log, "on buildkitd at "+addr) {
		t.Errorf("the progress does not name the builder %s:\n%s", addr, log)
	}
}

// TestBuildKitArm64MatchesDocker: for linux/arm64 (qemu under both), a requires chain and a tree
// that adds, modifies and deletes give byte-identical artifacts and metadata through BuildKit
// (setup.sh's buildkitd, which lists linux/arm64) and Docker.
func TestBuildKitArm64MatchesDocker(t *testing.T) {
	d := dockerEngine(t)
	ensureBusybox(t, d)
	for _, tr := range []struct {
		tree string
		pkgs []string
	}{
		{luetFixtures("buildableseed"), []string{"test/d"}},
		{buildTrees("modify"), []string{"test/changed", "test/added"}},
	} {
		t.Run(filepath.Base(tr.tree), func(t *testing.T) {
			got := buildBothEngines(t, registryTree(t, tr.tree), platform.Platform{OS: "linux", Arch: "arm64"}, tr.pkgs)
			sameArtifacts(t, got["docker"], got["buildkit"], "docker", "buildkit")
		})
	}
}

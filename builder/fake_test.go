package builder

import (
	"archive/tar"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/mutate"

	"github.com/flavor-dev/flavor/engine"
	"github.com/flavor-dev/flavor/oci"
	"github.com/flavor-dev/flavor/platform"
)

// fakeEngine is an in-memory container engine over directories: each container has an upper
// directory on top of its image's layers, as overlay2 does, so the real delta code reads it.
// Commands are interpreted by a tiny language (see exec).
type fakeEngine struct {
	t    *testing.T
	root string

	mu         sync.Mutex
	images     map[string]*fakeImage // by id and by tag
	containers map[string]*fakeContainer
	seq        int
	created    int
	removed    int
	live       int // containers created and not removed
	running    int // commands running now
	maxRunning int
	started    chan string // receives each command as it starts, when set
	release    chan struct{}
	noEmulate  bool
	stale      []string
}

type fakeImage struct {
	id       string
	layers   []string // top first
	platform platform.Platform
}

type fakeContainer struct {
	id      string
	image   *fakeImage
	upper   string
	env     []string
	gone    bool
	started bool // false for a FilesOnly container: nothing can run in it
}

var (
	_ engine.Engine           = (*fakeEngine)(nil)
	_ engine.OverlayReader    = (*fakeEngine)(nil)
	_ engine.EmulationChecker = (*fakeEngine)(nil)
	_ engine.ContainerLister  = (*fakeEngine)(nil)
)

func (f *fakeEngine) Name() string { return "fake engine" }

// Platform is zero: builds default to the host platform, as on a local engine.
func (f *fakeEngine) Platform() platform.Platform { return platform.Platform{} }

func (f *fakeEngine) Close() error { return nil }

func newFakeEngine(t *testing.T) *fakeEngine {
	f := &fakeEngine{t: t, root: t.TempDir(), images: map[string]*fakeImage{}, containers: map[string]*fakeContainer{}}
	base := filepath.Join(f.root, "busybox")
	for _, d := range []string{"bin", "etc", "tmp"} {
		if err := os.MkdirAll(filepath.Join(base, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(base, "etc", "passwd"), []byte("root:x:0:0::/root:/bin/sh\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(base, "bin", "sh"), []byte("#!fake\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	img := &fakeImage{id: fakeID("busybox"), layers: []string{base}, platform: platform.MustParse("linux/amd64")}
	f.images[img.id] = img
	f.images["busybox"] = img
	return f
}

func fakeID(s string) string {
	return fmt.Sprintf("sha256:%x", sha256.Sum256([]byte(s)))
}

func (f *fakeEngine) Create(ctx context.Context, spec engine.ContainerSpec) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	img := f.images[spec.Image]
	if img == nil {
		return "", fmt.Errorf("%w: %s", oci.ErrImageNotFound, spec.Image)
	}
	if !spec.FilesOnly && !fakeHasShell(img.layers) {
		// Docker starts every other container with /bin/sh as its main process.
		return "", fmt.Errorf("fake engine: starting a container of %s: exec: \"/bin/sh\": no such file or directory", spec.Image)
	}
	f.seq++
	id := fmt.Sprintf("c%d", f.seq)
	upper := filepath.Join(f.root, id)
	if err := os.MkdirAll(upper, 0o755); err != nil {
		return "", err
	}
	f.containers[id] = &fakeContainer{id: id, image: img, upper: upper, env: spec.Env, started: !spec.FilesOnly}
	f.created++
	f.live++
	return id, nil
}

// fakeHasShell reports whether a stack of layers (top first) holds /bin/sh.
func fakeHasShell(layers []string) bool {
	for _, l := range layers {
		if _, err := os.Lstat(filepath.Join(l, "bin", "sh")); err == nil {
			return true
		}
	}
	return false
}

func (f *fakeEngine) container(id string) (*fakeContainer, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	c := f.containers[id]
	if c == nil || c.gone {
		return nil, fmt.Errorf("%w: %s", engine.ErrContainerNotFound, id)
	}
	return c, nil
}

// exec interprets one command line:
//
//	write PATH TEXT   writes TEXT and a newline to PATH
//	rm PATH           deletes PATH (an overlay whiteout)
//	say TEXT          prints TEXT
//	fail N            prints "failing" and exits N
//	block             waits until the context is cancelled
//	gate              reports the start on f.started and waits for f.release
//	env               prints the environment
//
// Several commands may be joined with " ; ".
func (f *fakeEngine) Exec(ctx context.Context, id string, spec engine.ExecSpec) (int, error) {
	c, err := f.container(id)
	if err != nil {
		return -1, err
	}
	if !c.started {
		return -1, fmt.Errorf("fake engine: container %s is not running (it was created FilesOnly)", id)
	}
	line := strings.TrimPrefix(spec.Cmd[len(spec.Cmd)-1], "exec 2>&1\n")
	f.mu.Lock()
	f.running++
	f.maxRunning = max(f.maxRunning, f.running)
	f.mu.Unlock()
	defer func() { f.mu.Lock(); f.running--; f.mu.Unlock() }()
	out := spec.Stdout
	if out == nil {
		out = io.Discard
	}
	for _, cmd := range strings.Split(line, " ; ") {
		word, rest, _ := strings.Cut(strings.TrimSpace(cmd), " ")
		switch word {
		case "write":
			p, text, _ := strings.Cut(rest, " ")
			full := filepath.Join(c.upper, p)
			if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
				return -1, err
			}
			if err := os.WriteFile(full, []byte(text+"\n"), 0o644); err != nil {
				return -1, err
			}
		case "rm":
			full := filepath.Join(c.upper, rest)
			os.MkdirAll(filepath.Dir(full), 0o755)
			os.RemoveAll(full)
			if err := mknodWhiteout(full); err != nil {
				return -1, err
			}
		case "say":
			fmt.Fprintln(out, rest)
		case "fail":
			fmt.Fprintln(out, "failing")
			n, _ := strconv.Atoi(rest)
			return n, nil
		case "block":
			<-ctx.Done()
			return -1, ctx.Err()
		case "gate":
			f.started <- id
			select {
			case <-f.release:
			case <-ctx.Done():
				return -1, ctx.Err()
			}
		case "env":
			for _, e := range append(append([]string(nil), c.env...), spec.Env...) {
				fmt.Fprintln(out, e)
			}
		}
	}
	return 0, nil
}

// merged finds p in the container's view: upper first, then the image's layers.
func (f *fakeEngine) merged(c *fakeContainer, p string) (string, bool) {
	for _, l := range append([]string{c.upper}, c.image.layers...) {
		full := filepath.Join(l, p)
		if _, err := os.Lstat(full); err == nil {
			return full, true
		}
	}
	return "", false
}

func (f *fakeEngine) CopyTo(ctx context.Context, id, dir string, r io.Reader) error {
	c, err := f.container(id)
	if err != nil {
		return err
	}
	tr := tar.NewReader(r)
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		full := filepath.Join(c.upper, dir, hdr.Name)
		switch hdr.Typeflag {
		case tar.TypeDir:
			if err := os.MkdirAll(full, 0o755); err != nil {
				return err
			}
		case tar.TypeReg:
			os.MkdirAll(filepath.Dir(full), 0o755)
			b, _ := io.ReadAll(tr)
			if err := os.WriteFile(full, b, os.FileMode(hdr.Mode)&0o777); err != nil {
				return err
			}
		}
	}
}

func (f *fakeEngine) CopyFrom(ctx context.Context, id, p string) (io.ReadCloser, error) {
	c, err := f.container(id)
	if err != nil {
		return nil, err
	}
	full, ok := f.merged(c, p)
	if !ok {
		return nil, fmt.Errorf("could not find the file %s in container %s", p, id)
	}
	pr, pw := io.Pipe()
	go func() {
		tw := tar.NewWriter(pw)
		err := filepath.Walk(full, func(q string, fi os.FileInfo, err error) error {
			if err != nil {
				return err
			}
			rel, _ := filepath.Rel(filepath.Dir(full), q)
			link, _ := os.Readlink(q) // "" unless q is a symbolic link
			hdr, _ := tar.FileInfoHeader(fi, link)
			hdr.Name = filepath.ToSlash(rel)
			if err := tw.WriteHeader(hdr); err != nil {
				return err
			}
			if fi.Mode().IsRegular() {
				b, _ := os.ReadFile(q)
				tw.Write(b)
			}
			return nil
		})
		if err == nil {
			err = tw.Close()
		}
		pw.CloseWithError(err)
	}()
	return pr, nil
}

func (f *fakeEngine) Commit(ctx context.Context, id string, spec engine.CommitSpec) (string, error) {
	c, err := f.container(id)
	if err != nil {
		return "", err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	// The build never writes to a container after committing it, so its upper directory can
	// be the image's top layer as it is.
	img := &fakeImage{id: fakeID(c.upper), layers: append([]string{c.upper}, c.image.layers...), platform: c.image.platform}
	f.images[img.id] = img
	if spec.Ref != "" {
		f.images[spec.Ref] = img
	}
	return img.id, nil
}

func (f *fakeEngine) Remove(ctx context.Context, id string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if c := f.containers[id]; c != nil && !c.gone {
		c.gone = true
		f.removed++
		f.live--
	}
	return nil
}

func (f *fakeEngine) InspectImage(ctx context.Context, ref string) (oci.ImageInfo, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	img := f.images[ref]
	if img == nil {
		return oci.ImageInfo{}, fmt.Errorf("%w: %s", oci.ErrImageNotFound, ref)
	}
	return oci.ImageInfo{ID: img.id, Platform: img.platform}, nil
}

// LoadImage keeps img's flattened filesystem as one layer, under its config digest and tag.
func (f *fakeEngine) LoadImage(ctx context.Context, img v1.Image, tag string, written func(int64)) error {
	id, err := img.ConfigName()
	if err != nil {
		return err
	}
	cf, err := img.ConfigFile()
	if err != nil {
		return err
	}
	dir := filepath.Join(f.root, "image-"+id.Hex)
	rc := mutate.Extract(img)
	defer rc.Close()
	tr := tar.NewReader(rc)
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return err
		}
		full := filepath.Join(dir, hdr.Name)
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			return err
		}
		switch hdr.Typeflag {
		case tar.TypeDir:
			err = os.MkdirAll(full, 0o755)
		case tar.TypeReg:
			b, _ := io.ReadAll(tr)
			err = os.WriteFile(full, b, os.FileMode(hdr.Mode)&0o777)
		case tar.TypeSymlink:
			err = os.Symlink(hdr.Linkname, full)
		}
		if err != nil {
			return err
		}
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	fi := &fakeImage{id: id.String(), layers: []string{dir}, platform: platform.Platform{OS: cf.OS, Arch: cf.Architecture, Variant: cf.Variant}}
	f.images[fi.id] = fi
	if tag != "" {
		f.images[tag] = fi
	}
	return nil
}

func (f *fakeEngine) TagImage(ctx context.Context, src, tag string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if img := f.images[src]; img != nil {
		f.images[tag] = img
		return nil
	}
	return fmt.Errorf("%w: %s", oci.ErrImageNotFound, src)
}

func (f *fakeEngine) RemoveImage(ctx context.Context, ref string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	delete(f.images, ref)
	return nil
}

func (f *fakeEngine) Changes(ctx context.Context, id string) ([]engine.Change, error) {
	return nil, errors.New("fake engine: Changes is not supported")
}

func (f *fakeEngine) OverlayDirs(ctx context.Context, id string) (engine.OverlayDirs, bool, error) {
	c, err := f.container(id)
	if err != nil {
		return engine.OverlayDirs{}, false, err
	}
	return engine.OverlayDirs{Upper: c.upper, Lower: c.image.layers}, true, nil
}

// Export writes the container's merged view: layers applied bottom to top, whiteouts (0/0
// character devices) removing what is below.
func (f *fakeEngine) Export(ctx context.Context, id string) (io.ReadCloser, error) {
	c, err := f.container(id)
	if err != nil {
		return nil, err
	}
	layers := append([]string{c.upper}, c.image.layers...)
	view := map[string]string{} // relative path → file holding it
	for i := len(layers) - 1; i >= 0; i-- {
		err := filepath.Walk(layers[i], func(p string, fi os.FileInfo, err error) error {
			if err != nil {
				return err
			}
			rel, _ := filepath.Rel(layers[i], p)
			if rel == "." {
				return nil
			}
			if fi.Mode()&os.ModeCharDevice != 0 {
				for k := range view {
					if k == rel || strings.HasPrefix(k, rel+"/") {
						delete(view, k)
					}
				}
				return nil
			}
			view[rel] = p
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	names := make([]string, 0, len(view))
	for k := range view {
		names = append(names, k)
	}
	sort.Strings(names)
	pr, pw := io.Pipe()
	go func() {
		tw := tar.NewWriter(pw)
		for _, n := range names {
			fi, err := os.Lstat(view[n])
			if err != nil {
				pw.CloseWithError(err)
				return
			}
			hdr, _ := tar.FileInfoHeader(fi, "")
			hdr.Name = n
			if fi.IsDir() {
				hdr.Name += "/"
			}
			tw.WriteHeader(hdr)
			if fi.Mode().IsRegular() {
				b, _ := os.ReadFile(view[n])
				tw.Write(b)
			}
		}
		pw.CloseWithError(tw.Close())
	}()
	return pr, nil
}

func (f *fakeEngine) CanRun(ctx context.Context, p platform.Platform, probe string) error {
	if f.noEmulate && p.Arch != "amd64" {
		return fmt.Errorf("%w: no binfmt handler for %s", engine.ErrNoEmulation, p)
	}
	return nil
}

// Managed lists the stale containers as stopped ones of another host, which RemoveStale removes.
func (f *fakeEngine) Managed(ctx context.Context, run string) ([]engine.ManagedContainer, error) {
	var out []engine.ManagedContainer
	for _, id := range f.stale {
		out = append(out, engine.ManagedContainer{ID: id, Owner: "elsewhere.invalid:1", State: "exited"})
	}
	return out, nil
}

func (f *fakeEngine) counts() (created, removed, live int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.created, f.removed, f.live
}

// fakeTree writes a spec tree: pkgs maps "category/name" to its build.yaml.
func fakeTree(t *testing.T, pkgs map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for id, spec := range pkgs {
		cat, name := path.Split(id)
		d := filepath.Join(dir, name)
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
		def := fmt.Sprintf("name: %q\ncategory: %q\nversion: \"1.0\"\n", name, strings.TrimSuffix(cat, "/"))
		if err := os.WriteFile(filepath.Join(d, "definition.yaml"), []byte(def), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(d, "build.yaml"), []byte(spec), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

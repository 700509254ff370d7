package packer

import (
	"archive/tar"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/flavor-dev/flavor/progress"
)

// ExtractSlot extracts slot i into the directory dest (created 0700 when missing) and returns
// the path it wrote: the directory a tar slot was unpacked into, or the file of a single-file
// slot. Target rules (pspf-2025.md §11.6, "{workenv}" stands for dest):
//
//   - A slot whose operations start with tar is unpacked at dest when its target is
//     "{workenv}", "." or empty, and otherwise into the parent of the target ("opt/app" unpacks
//     into dest/opt), like FlavorPack's Go launcher.
//   - Any other slot is one file written to dest/target with the descriptor's permissions (0 means
//     0600), parents created 0700; an empty or "." target means dest/slot_<i>_<id>. The file is
//     written under a temporary name and renamed once verified.
//
// Every entry is checked before it is written: absolute names, ".." components, symlinks or hard
// links resolving outside dest, entries through a symlink, device nodes and fifos are refused
// (ErrUnsafeEntry, naming slot and entry). Writes go through an os.Root, or through directory
// descriptors opened by it or from their parents without following links, so nothing lands
// outside dest even if dest changes meanwhile. Permission bits and the sticky bit are kept; setuid and
// setgid are stripped unless WithSetuid; owners are set only WithChown; mtimes are not restored.
// A slot is held to its declared size (the descriptor's original_size, signed): decoding past
// it, or tar entries declaring more, fails with ErrSlotSize before the excess is written.
//
// By default nothing is written before the slot's stored bytes are verified at the package's
// level (so no decompressor sees unverified bytes) and a tar slot has been read once with every
// entry checked. WithStagingDest, for a destination the caller discards on failure, reads the
// slot once instead and fails at the end on a checksum mismatch; a checksum mismatch is reported
// as such (ErrSlotChecksum) even when the damage also broke the decoder or the archive.
func (p *Package) ExtractSlot(ctx context.Context, i int, dest string, opts ...Option) (string, error) {
	o, err := makeOptions(opts)
	if err != nil {
		return "", err
	}
	d, err := p.Descriptor(i)
	if err != nil {
		return "", err
	}
	info, _ := p.SlotInfo(i)
	if err := os.MkdirAll(dest, 0o700); err != nil {
		return "", fmt.Errorf("extracting %s: %w", p.slotName(i), err)
	}
	root, err := os.OpenRoot(dest)
	if err != nil {
		return "", fmt.Errorf("extracting %s: %w", p.slotName(i), err)
	}
	defer root.Close()
	target := strings.ReplaceAll(strings.ReplaceAll(info.Target, "{workenv}/", ""), "{workenv}", "")
	if d.Chain().HasTar() {
		base := "."
		if target != "" && target != "." {
			rel, err := localPath(info.Target, target)
			if err != nil {
				return "", fmt.Errorf("extracting %s: target: %w", p.slotName(i), err)
			}
			base = path.Dir(rel)
		}
		if err := p.extractTar(ctx, i, root, base, o); err != nil {
			return "", err
		}
		return filepath.Join(dest, filepath.FromSlash(base)), nil
	}
	name := target
	if name == "" || name == "." {
		name = fmt.Sprintf("slot_%d_%s", i, info.ID)
	}
	rel, err := localPath(name, name)
	if err != nil || rel == "" {
		return "", fmt.Errorf("extracting %s: target %q: %w", p.slotName(i), info.Target, errors.Join(err, ErrUnsafeEntry))
	}
	if err := p.extractFile(ctx, i, root, rel, d, o); err != nil {
		return "", err
	}
	return filepath.Join(dest, filepath.FromSlash(rel)), nil
}

// ExtractAll extracts every slot into dest in index order (see ExtractSlot).
func (p *Package) ExtractAll(ctx context.Context, dest string, opts ...Option) error {
	for i := range p.descs {
		if _, err := p.ExtractSlot(ctx, i, dest, opts...); err != nil {
			return err
		}
	}
	return nil
}

// extractTar verifies the stored bytes, checks the whole archive (pass 1), then writes it
// (pass 2). Decompressors only see bytes that verified. Pass 2 hashes and checks every entry
// again, so an archive that changed between the passes still cannot escape. WithStagingDest
// makes it one pass (extractTarOnce).
func (p *Package) extractTar(ctx context.Context, i int, root *os.Root, base string, o *options) error {
	if o.staging {
		return p.extractTarOnce(ctx, i, root, base, o)
	}
	if err := p.VerifySlot(ctx, i); err != nil {
		return fmt.Errorf("extracting: %w", err)
	}
	rc, err := p.openSlot(ctx, i, false)
	if err != nil {
		return fmt.Errorf("extracting %s: %w", p.slotName(i), err)
	}
	err = scanTar(rc, newTarGuard(root, base), p.sizeBudget(i))
	rc.Close()
	if err != nil {
		return fmt.Errorf("extracting %s: %w", p.slotName(i), err)
	}
	if base != "." {
		if err := root.MkdirAll(base, 0o755); err != nil {
			return fmt.Errorf("extracting %s: %w", p.slotName(i), err)
		}
	}
	rc, err = p.OpenSlot(ctx, i)
	if err != nil {
		return fmt.Errorf("extracting %s: %w", p.slotName(i), err)
	}
	defer rc.Close()
	pw := &progressReader{r: rc, o: o, u: progress.Event{Stage: StageExtract, Index: i, Slot: p.meta.slotID(i)}}
	err = unpackTar(pw, root, newTarGuard(root, base), p.unpackRules(i, o))
	if err == nil {
		_, err = io.Copy(io.Discard, rc) // let the verifying reader finish
	}
	if err != nil {
		return fmt.Errorf("extracting %s: %w", p.slotName(i), err)
	}
	return nil
}

// extractTarOnce reads the slot once: the stored bytes are hashed on their way to the decoder,
// each entry is checked and written, and then the stored bytes the decoder did not need are
// hashed (not decoded) and the whole checked. A checksum mismatch wins over the decoder or
// archive error it may have caused.
func (p *Package) extractTarOnce(ctx context.Context, i int, root *os.Root, base string, o *options) error {
	sr, err := p.Stored(i)
	if err != nil {
		return err
	}
	var src io.Reader = ctxReader{ctx, sr}
	var ha *hashAside
	if p.verifiesSlots() {
		ha = newHashAside(src, sha256.New())
		defer ha.Close()
		src = ha
	}
	err = func() error {
		dec, err := p.decodeSlot(i, src)
		if err != nil {
			return err
		}
		defer dec.Close()
		if base != "." {
			if err := root.MkdirAll(base, 0o755); err != nil {
				return err
			}
		}
		pw := &progressReader{r: dec, o: o, u: progress.Event{Stage: StageExtract, Index: i, Slot: p.meta.slotID(i)}}
		return unpackTar(pw, root, newTarGuard(root, base), p.unpackRules(i, o))
	}()
	if ha != nil {
		if _, rerr := io.Copy(io.Discard, src); rerr != nil {
			return fmt.Errorf("reading %s: %w", p.slotName(i), rerr)
		}
		if verr := p.slotSums(i, ha.Sum()); verr != nil {
			return fmt.Errorf("extracting: %w", verr)
		}
	}
	if err != nil {
		return fmt.Errorf("extracting %s: %w", p.slotName(i), err)
	}
	return nil
}

func (m *Metadata) slotID(i int) string {
	if i < len(m.Slots) {
		return m.Slots[i].ID
	}
	return ""
}

// scanTar reads a whole tar stream, checking every header and the sizes it declares, then reads
// the stream to its end (so a verifying reader gets to check the slot). When the stream fails
// verification, that error wins over a tar or entry error it may have caused.
func scanTar(r io.Reader, g *tarGuard, b *sizeBudget) error {
	tr := tar.NewReader(r)
	var err error
	for {
		var h *tar.Header
		if h, err = tr.Next(); err == io.EOF {
			err = nil
			break
		}
		if err != nil {
			err = fmt.Errorf("reading tar: %w", err)
			break
		}
		if _, err = g.check(h); err != nil {
			break
		}
		if err = b.spend(h); err != nil {
			break
		}
	}
	if _, derr := io.Copy(io.Discard, r); derr != nil {
		return derr
	}
	return err
}

// unpackRules say how unpackTar writes entries.
type unpackRules struct {
	chown  bool        // set owners from the headers
	setid  bool        // keep setuid and setgid bits
	budget *sizeBudget // the slot's declared size; nil when it declares none
}

func (p *Package) unpackRules(i int, o *options) unpackRules {
	return unpackRules{chown: o.chown, setid: o.setid, budget: p.sizeBudget(i)}
}

// permBits are the mode bits extraction writes: setuid and setgid only when asked for.
func (r unpackRules) permBits() fs.FileMode {
	if r.setid {
		return fs.ModePerm | fs.ModeSetuid | fs.ModeSetgid | fs.ModeSticky
	}
	return fs.ModePerm | fs.ModeSticky
}

// unpackTar writes a tar stream under root, checking each entry with g and its size against the
// budget. Directory modes are applied last, deepest first, so read-only directories can be
// filled. It reads r up to the end of the archive; what follows is the caller's.
func unpackTar(r io.Reader, root *os.Root, g *tarGuard, rules unpackRules) error {
	tr := tar.NewReader(r)
	type dirMode struct {
		name string
		mode fs.FileMode
	}
	var dirs []dirMode
	ed := newEntryDirs(root)
	defer ed.close()
	if !rules.chown { // Lchown follows each entry at once
		if ed.files = newAsyncFiles(root); ed.files != nil {
			defer ed.files.stop() // before ed.close: no worker uses a descriptor once it is closed
		}
	}
	buf := make([]byte, 1<<20)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return fmt.Errorf("reading tar: %w", err)
		}
		name, err := g.check(h)
		if err != nil {
			return err
		}
		if err := rules.budget.spend(h); err != nil {
			return err
		}
		if name == "" {
			continue
		}
		mode := h.FileInfo().Mode() & rules.permBits()
		if f := ed.files; f != nil {
			// A file in flight fails the extraction at the next entry; one this entry replaces
			// or links to must be on disk first.
			if f.pending[name] || h.Typeflag == tar.TypeLink {
				err = f.wait()
			} else {
				err = f.failed()
			}
			if err != nil {
				return err
			}
		}
		if err := writeEntry(ed, name, h, tr, mode, buf, g.base); err != nil {
			return fmt.Errorf("entry %q: %w", h.Name, err)
		}
		if h.Typeflag == tar.TypeDir {
			g.madeDir(name)
			// A mode that leaves the owner every right is set now, on the directory's descriptor
			// (its entries are made through it next); any other once the directory is filled.
			if mode&^fs.ModePerm == 0 && mode&0o700 == 0o700 {
				err = ed.chmod(name, mode)
			} else {
				dirs = append(dirs, dirMode{name, mode})
			}
			if err != nil {
				return fmt.Errorf("entry %q: %w", h.Name, err)
			}
		}
		if rules.chown {
			if err := root.Lchown(name, h.Uid, h.Gid); err != nil {
				return fmt.Errorf("entry %q: %w", h.Name, err)
			}
		}
	}
	if ed.files != nil {
		if err := ed.files.wait(); err != nil {
			return err
		}
	}
	for i := len(dirs) - 1; i >= 0; i-- {
		if err := root.Chmod(dirs[i].name, dirs[i].mode); err != nil {
			return fmt.Errorf("entry %q: %w", dirs[i].name, err)
		}
	}
	return nil
}

// entryDirs is what an extraction knows of its directories: those it has made or checked (an
// entry in one costs no MkdirAll), and an open descriptor for each directory it recently made
// entries in (an entry is then made by one system call relative to it, not by walking its path
// from the top; see entryDir).
// Directories are never replaced during one extraction (a file or link over one is refused),
// so what it knows stays true.
type entryDirs struct {
	root *os.Root
	made map[string]bool
	open map[string]*entryDir
	// files, when set, makes small regular files on worker goroutines, which may be using a
	// descriptor: they finish before one is closed.
	files *asyncFiles
}

// maxOpenDirs bounds the directories an extraction holds open (a tree of thousands of
// directories must not run out of file descriptors).
const maxOpenDirs = 32

func newEntryDirs(root *os.Root) *entryDirs {
	return &entryDirs{root: root, made: map[string]bool{}, open: map[string]*entryDir{}}
}

// mkdirAll makes dir and its parents (dir "." is the root).
func (d *entryDirs) mkdirAll(dir string, perm fs.FileMode) error {
	if dir == "." || d.made[dir] {
		return nil
	}
	if err := d.root.MkdirAll(dir, perm); err != nil {
		return err
	}
	d.made[dir] = true
	return nil
}

// at returns dir (which exists) opened for making entries in: from its parent when that is open
// and dir is a real directory there, else through the Root.
func (d *entryDirs) at(dir string) (*entryDir, error) {
	if r, ok := d.open[dir]; ok {
		return r, nil
	}
	var r *entryDir
	if parent, ok := d.open[path.Dir(dir)]; ok && dir != "." {
		r, _ = parent.child(path.Base(dir))
	}
	if len(d.open) >= maxOpenDirs {
		if d.files != nil {
			if err := d.files.wait(); err != nil {
				if r != nil {
					r.Close()
				}
				return nil, err
			}
		}
		// Archives keep a directory's entries together: a small cache serves them. Its
		// ancestors stay open, so the directories below it open from their parent.
		for k, o := range d.open {
			if k != "." && !strings.HasPrefix(dir, k+"/") {
				o.Close()
				delete(d.open, k)
			}
		}
	}
	if r == nil {
		var err error
		if r, err = openEntryDir(d.root, dir); err != nil {
			return nil, err
		}
	}
	d.open[dir] = r
	return r, nil
}

// chmod sets the mode of dir, which exists, on its descriptor.
func (d *entryDirs) chmod(dir string, mode fs.FileMode) error {
	r, err := d.at(dir)
	if err != nil {
		return err
	}
	return r.chmod(mode)
}

func (d *entryDirs) close() {
	for _, r := range d.open {
		r.Close()
	}
}

// writeEntry writes one checked entry under root, relative to its open parent directory. A file
// is created exclusively, and only when something is in its way (an earlier entry, or a file of
// the destination) is that looked at and removed, as tar replaces it.
func writeEntry(d *entryDirs, name string, h *tar.Header, r io.Reader, mode fs.FileMode, buf []byte, base string) error {
	root := d.root
	dir, leaf := path.Dir(name), path.Base(name)
	if err := d.mkdirAll(dir, 0o755); err != nil {
		return err
	}
	if h.Typeflag == tar.TypeLink {
		if err := clearWay(root, name); err != nil {
			return err
		}
		target, _ := localPath(h.Name, h.Linkname)
		return root.Link(path.Join(base, target), name)
	}
	in, err := d.at(dir)
	if err != nil {
		return err
	}
	switch h.Typeflag {
	case tar.TypeDir:
		if err := in.mkdir(leaf); err != nil {
			return err
		}
		d.made[name] = true
		return nil
	case tar.TypeSymlink:
		err := in.symlink(h.Linkname, leaf)
		if errors.Is(err, fs.ErrExist) {
			if err := clearWay(root, name); err != nil {
				return err
			}
			err = in.symlink(h.Linkname, leaf)
		}
		return err
	}
	if d.files != nil && h.Typeflag == tar.TypeReg && h.Size <= asyncMax {
		return d.files.write(in, name, h.Name, r, h.Size, mode)
	}
	return makeFile(in, root, name, mode, func(f *os.File) error { return copyFull(f, r, buf) })
}

// makeFile creates the regular file name in its directory in (createIn), has write fill it, and
// sets its mode on the descriptor (no second walk of the path).
func makeFile(in *entryDir, root *os.Root, name string, mode fs.FileMode, write func(*os.File) error) error {
	f, err := createIn(in, root, name)
	if err != nil {
		return err
	}
	err = write(f)
	if err == nil {
		err = f.Chmod(mode)
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// createIn creates the file name, whose directory is in, exclusively; what is in the way is
// removed first (clearWay) when the create finds it.
func createIn(in *entryDir, root *os.Root, name string) (*os.File, error) {
	leaf := path.Base(name)
	f, err := in.create(leaf)
	if errors.Is(err, fs.ErrExist) {
		if err := clearWay(root, name); err != nil {
			return nil, err
		}
		f, err = in.create(leaf)
	}
	return f, err
}

// copyFull copies r to w in writes of len(buf) bytes (the last one shorter). io.Copy to an
// *os.File goes through its ReadFrom, which writes whatever each read returned, 32 KB at most:
// four times the write calls for a large file.
func copyFull(w io.Writer, r io.Reader, buf []byte) error {
	for {
		n := 0
		var err error
		for n < len(buf) && err == nil {
			var m int
			m, err = r.Read(buf[n:])
			n += m
		}
		if n > 0 {
			if _, werr := w.Write(buf[:n]); werr != nil {
				return werr
			}
		}
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err // io.ErrUnexpectedEOF from tar included: a truncated entry
		}
	}
}

// clearWay removes what is at name, unless it is a directory.
func clearWay(root *os.Root, name string) error {
	st, err := root.Lstat(name)
	if err != nil {
		return nil
	}
	if st.IsDir() {
		return fmt.Errorf("a directory is in the way")
	}
	return root.Remove(name)
}

// extractFile writes a single-file slot to a temporary name next to rel and renames it into place
// once the slot has verified.
func (p *Package) extractFile(ctx context.Context, i int, root *os.Root, rel string, d Descriptor, o *options) error {
	fail := func(err error) error { return fmt.Errorf("extracting %s to %q: %w", p.slotName(i), rel, err) }
	dir := path.Dir(rel)
	if dir != "." {
		g := newTarGuard(root, ".")
		if err := g.parentOnDisk(rel, dir); err != nil {
			return fail(err)
		}
		if err := root.MkdirAll(dir, 0o700); err != nil {
			return fail(err)
		}
	}
	if st, err := root.Lstat(rel); err == nil && st.IsDir() {
		return fail(errors.New("a directory is in the way"))
	}
	perm := fileModeFromUnix(uint32(d.Permissions)) & unpackRules{setid: o.setid}.permBits()
	if d.Permissions == 0 {
		perm = 0o600
	}
	var rnd [6]byte
	rand.Read(rnd[:])
	tmp := path.Join(dir, "."+path.Base(rel)+".tmp-"+hex.EncodeToString(rnd[:]))
	if !o.staging { // before any decompressor sees the bytes; else the temporary file is removed
		if err := p.VerifySlot(ctx, i); err != nil {
			return fmt.Errorf("extracting: %w", err)
		}
	}
	f, err := root.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return fail(err)
	}
	rc, err := p.OpenSlot(ctx, i)
	if err == nil {
		pw := &progressReader{r: rc, o: o, u: progress.Event{Stage: StageExtract, Index: i, Slot: p.meta.slotID(i)}}
		_, err = io.CopyBuffer(f, pw, make([]byte, 1<<20))
		rc.Close()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = root.Chmod(tmp, perm)
	}
	if err == nil {
		err = root.Rename(tmp, rel)
	}
	if err != nil {
		root.Remove(tmp)
		return fail(err)
	}
	return nil
}

// progressReader reports decoded bytes as they are read.
type progressReader struct {
	r     io.Reader
	o     *options
	u     progress.Event
	total int64
	next  int64
}

func (p *progressReader) Read(b []byte) (int, error) {
	n, err := p.r.Read(b)
	p.total += int64(n)
	if p.o.progress != nil && (p.total >= p.next || err == io.EOF) {
		p.u.Done = p.total
		p.o.report(p.u)
		p.next = p.total + progressStep
	}
	return n, err
}

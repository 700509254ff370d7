package packer

import (
	"archive/tar"
	"context"
	"errors"
	"fmt"
	"io"
	"path"
	"strings"
)

// The slot rule says what a tar slot may hold, so that what Write writes and Verify accepts is
// what the launcher and ExtractSlot unpack:
//
//   - regular files, directories, hard links to earlier regular files, and symlinks whose
//     target, resolved from the link's directory through the slot's own links, stays inside the
//     workenv;
//   - a symlink with an absolute target is the root filesystem's way of saying "this file of the
//     tree": Write rewrites it to the equivalent relative link (the tree's root is the slot's
//     TreeRoot inside the workenv) when the target is in the slot, and refuses it, naming the
//     link, its target and the fix, when it is not (the link would point at the host);
//   - no devices, fifos or sockets (the launcher cannot and will not create them).
//
// Extraction (ExtractSlot, the launcher) and Verify apply the same entry checks (tarGuard), so a
// slot Write accepted is never refused later, and a slot an older or foreign writer made with
// absolute links is refused everywhere, before anything is written.

// slotRule applies the rule to the entries of one slot as Write produces them.
type slotRule struct {
	guard *tarGuard
	root  string              // the slot's tree root inside the workenv ("." for the workenv)
	abs   []absLink           // rewritten absolute links, checked by finish
	names map[string]struct{} // every entry, and every parent directory of one
}

type absLink struct{ name, target string }

func newSlotRule(treeRoot string) (*slotRule, error) {
	root := "."
	if treeRoot != "" && treeRoot != "." {
		r, err := localPath(treeRoot, treeRoot)
		if err != nil {
			return nil, fmt.Errorf("slot tree root %q: %w", treeRoot, err)
		}
		root = r
	}
	return &slotRule{guard: newTarGuard(nil, "."), root: root, names: map[string]struct{}{".": {}}}, nil
}

// header checks one entry and rewrites an absolute symlink target in place.
func (r *slotRule) header(h *tar.Header) error {
	if h.Typeflag == tar.TypeSymlink && strings.HasPrefix(h.Linkname, "/") {
		name, err := localPath(h.Name, h.Name)
		if err != nil {
			return ruleError(h, err)
		}
		target := path.Join(r.root, path.Clean(h.Linkname))
		r.abs = append(r.abs, absLink{name: name, target: h.Linkname})
		h.Linkname = relativeLink(path.Dir(name), target)
	}
	name, err := r.guard.check(h)
	if err != nil {
		return ruleError(h, err)
	}
	for n := name; n != "" && n != "."; n = path.Dir(n) {
		if _, ok := r.names[n]; ok {
			break
		}
		r.names[n] = struct{}{}
	}
	return nil
}

// finish refuses the absolute links whose target is not in the slot: on the host they pointed at
// a file of the tree the packager did not include.
func (r *slotRule) finish() error {
	for _, l := range r.abs {
		resolved, ok := r.resolve(path.Dir(l.name), r.guard.symlinks[l.name])
		if ok {
			if _, found := r.names[resolved]; found {
				continue
			}
		}
		return fmt.Errorf("%s: symlink to the absolute path %q, which is not in the slot: include %s in the slot, or leave %s out: %w",
			l.name, l.target, strings.TrimPrefix(l.target, "/"), l.name, ErrSlotRule)
	}
	return nil
}

// resolve follows target from dir through the slot's symlinks and returns the workenv-relative
// path it ends at; false when it leaves the workenv or loops.
func (r *slotRule) resolve(dir, target string) (string, bool) {
	var stack []string
	if dir != "." {
		stack = strings.Split(dir, "/")
	}
	todo := strings.Split(target, "/")
	for hops := 0; len(todo) > 0; {
		c := todo[0]
		todo = todo[1:]
		switch c {
		case "", ".":
			continue
		case "..":
			if len(stack) == 0 {
				return "", false
			}
			stack = stack[:len(stack)-1]
			continue
		}
		stack = append(stack, c)
		link, ok := r.guard.symlinks[strings.Join(stack, "/")]
		if !ok {
			continue
		}
		if hops++; hops > 40 {
			return "", false
		}
		stack = stack[:len(stack)-1]
		todo = append(strings.Split(link, "/"), todo...)
	}
	if len(stack) == 0 {
		return ".", true
	}
	return strings.Join(stack, "/"), true
}

// relativeLink is the relative symlink target, written in dir, that names target (both
// workenv-relative and clean).
func relativeLink(dir, target string) string {
	var from, to []string
	if dir != "." {
		from = strings.Split(dir, "/")
	}
	if target != "." {
		to = strings.Split(target, "/")
	}
	common := 0
	for common < len(from) && common < len(to) && from[common] == to[common] {
		common++
	}
	parts := make([]string, 0, len(from)-common+len(to)-common)
	for range from[common:] {
		parts = append(parts, "..")
	}
	parts = append(parts, to[common:]...)
	if len(parts) == 0 {
		return "."
	}
	return strings.Join(parts, "/")
}

// ruleError turns the guard's refusal of an entry into a pack-time error that says how to fix
// the slot.
func ruleError(h *tar.Header, err error) error {
	fix := "leave it out of the slot"
	switch h.Typeflag {
	case tar.TypeSymlink:
		fix = fmt.Sprintf("point it at a file inside the package, include what %q names, or leave %s out of the slot", h.Linkname, strings.TrimSuffix(h.Name, "/"))
	case tar.TypeChar, tar.TypeBlock, tar.TypeFifo:
		fix = fmt.Sprintf("leave %s out of the slot: the launcher does not create devices or fifos (a root filesystem's /dev is made by whatever runs it)", strings.TrimSuffix(h.Name, "/"))
	case tar.TypeLink:
		fix = "put the file it links to earlier in the slot, or copy it"
	}
	return fmt.Errorf("%w: %s: %w", err, fix, ErrSlotRule)
}

// copyTarWithRule copies the tar stream r to w entry by entry, applying rule (which rewrites
// absolute links). Content is copied unchanged.
func copyTarWithRule(ctx context.Context, w io.Writer, r io.Reader, rule *slotRule) error {
	tr := tar.NewReader(r)
	tw := tar.NewWriter(w)
	buf := make([]byte, 1<<20)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return fmt.Errorf("reading the slot's tar stream: %w", err)
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := rule.header(h); err != nil {
			return err
		}
		if err := tw.WriteHeader(h); err != nil {
			return fmt.Errorf("entry %q: %w", h.Name, err)
		}
		if _, err := io.CopyBuffer(tw, tr, buf); err != nil {
			return fmt.Errorf("entry %q: %w", h.Name, err)
		}
	}
	if err := rule.finish(); err != nil {
		return err
	}
	if err := tw.Close(); err != nil {
		return err
	}
	_, err := io.Copy(io.Discard, r) // padding after the archive's end
	return err
}

// CheckEntries decodes tar slot i and checks every entry the way extraction does (the slot
// rule), without writing anything. It returns nil for a slot that is not a tar slot.
func (p *Package) CheckEntries(ctx context.Context, i int) error {
	if i < 0 || i >= len(p.descs) || !p.descs[i].Chain().HasTar() {
		return nil
	}
	rc, err := p.OpenSlot(ctx, i)
	if err != nil {
		return fmt.Errorf("checking the entries of %s: %w", p.slotName(i), err)
	}
	defer rc.Close()
	if err := scanTar(ctxReader{ctx, rc}, newTarGuard(nil, "."), p.sizeBudget(i)); err != nil {
		if errors.Is(err, ErrUnsafeEntry) {
			return fmt.Errorf("checking the entries of %s: %w (this package was not written by a flavor that applies the slot rule, or was changed after; pack it again)", p.slotName(i), err)
		}
		return fmt.Errorf("checking the entries of %s: %w", p.slotName(i), err)
	}
	return nil
}

package portable

import (
	"bytes"
	"debug/elf"
	"errors"
	"fmt"
	"path"
	"slices"
	"strings"
)

// ErrMissingLibrary: a library the program needs is not in the package.
var ErrMissingLibrary = errors.New("a library the program needs is not in the package")

// ErrNoLoader: the program's dynamic loader (PT_INTERP) is not in the package.
var ErrNoLoader = errors.New("the program's dynamic loader is not in the package")

// ErrNotDynamic: the program is not a dynamically linked ELF program.
var ErrNotDynamic = errors.New("not a dynamically linked ELF program")

// Program is how a dynamically linked program of the tree starts from the tree alone. Paths are
// workenv-relative.
type Program struct {
	Path        string   // the program as the command names it
	Interpreter string   // its PT_INTERP, as a path of the tree
	LibraryPath []string // directories holding its libraries, in search order
	Libraries   []string // every library of the closure, resolved, in the order found
}

// object is what the search reads of one ELF file.
type object struct {
	class   elf.Class
	machine elf.Machine
	interp  string
	needed  []string
	rpath   []string
	runpath []string
}

func (t *Tree) object(p string, e *entry) (*object, error) {
	ra, done, err := e.open()
	if err != nil {
		return nil, err
	}
	defer done()
	var magic [4]byte
	if _, err := ra.ReadAt(magic[:], 0); err != nil || string(magic[:]) != elf.ELFMAG {
		return nil, fmt.Errorf("%s: %w", p, ErrNotDynamic)
	}
	f, err := elf.NewFile(ra)
	if err != nil {
		return nil, fmt.Errorf("reading the ELF headers of %s: %w", p, err)
	}
	o := &object{class: f.Class, machine: f.Machine}
	for _, prog := range f.Progs {
		if prog.Type == elf.PT_INTERP {
			b := make([]byte, prog.Filesz)
			if _, err := prog.ReadAt(b, 0); err != nil {
				return nil, fmt.Errorf("reading the interpreter of %s: %w", p, err)
			}
			o.interp = string(bytes.TrimRight(b, "\x00"))
		}
	}
	if o.needed, err = f.DynString(elf.DT_NEEDED); err != nil {
		return nil, fmt.Errorf("reading the dynamic section of %s: %w", p, err)
	}
	rp, _ := f.DynString(elf.DT_RPATH)
	run, _ := f.DynString(elf.DT_RUNPATH)
	for _, s := range rp {
		o.rpath = append(o.rpath, strings.Split(s, ":")...)
	}
	for _, s := range run {
		o.runpath = append(o.runpath, strings.Split(s, ":")...)
	}
	return o, nil
}

// Program works out how the program at prog (workenv-relative, through links) starts from the
// tree: its interpreter and the directories of its DT_NEEDED closure. root is the tree root the
// ELF's absolute paths (interpreter, RPATH, ld.so.conf) mean. A program without PT_INTERP gives
// ErrNotDynamic; a needed library the tree lacks gives ErrMissingLibrary naming it, the object
// needing it and the fix.
func (t *Tree) Program(prog, root string) (*Program, error) {
	resolved, e, err := t.resolve(prog, root)
	if err != nil {
		return nil, fmt.Errorf("program %s: %w", prog, err)
	}
	if e.dir {
		return nil, fmt.Errorf("program %s is a directory: %w", prog, ErrNotDynamic)
	}
	exe, err := t.object(resolved, e)
	if err != nil {
		return nil, err
	}
	if exe.interp == "" {
		return nil, fmt.Errorf("%s has no PT_INTERP (a static program needs nothing): %w", prog, ErrNotDynamic)
	}
	p := &Program{Path: prog}
	_, ie, err := t.resolve(exe.interp, root)
	if err != nil || ie.dir {
		return nil, fmt.Errorf("%s: %w: %s: include it (and what it links to) in the package, e.g. with includes: ['^%s']",
			prog, ErrNoLoader, exe.interp, regexpQuote(exe.interp))
	}
	p.Interpreter = inTree(root, exe.interp)
	defaults := t.defaultDirs(exe.machine, root)
	type job struct {
		name, by string
		from     *object
		origin   string
	}
	var queue []job
	for _, n := range exe.needed {
		queue = append(queue, job{n, prog, exe, path.Dir(resolved)})
	}
	seen := map[string]bool{}
	for len(queue) > 0 {
		j := queue[0]
		queue = queue[1:]
		if seen[j.name] {
			continue
		}
		seen[j.name] = true
		var dirs []string
		if len(j.from.runpath) == 0 {
			dirs = append(dirs, j.from.rpath...)
			if j.from != exe {
				dirs = append(dirs, exe.rpath...)
			}
		}
		dirs = append(dirs, j.from.runpath...)
		found := false
		for _, d := range append(dirs, defaults...) {
			d = strings.ReplaceAll(strings.ReplaceAll(d, "${ORIGIN}", "$ORIGIN"), "$ORIGIN", "/"+rootRelative(j.origin, root))
			if !strings.HasPrefix(d, "/") {
				continue // a relative search path means the process's directory: not the package's
			}
			cand := path.Join(d, j.name)
			lib, le, err := t.resolve(cand, root)
			if err != nil || le.dir {
				continue
			}
			o, err := t.object(lib, le)
			if err != nil || o.class != exe.class || o.machine != exe.machine {
				continue
			}
			dir := inTree(root, d)
			if !slices.Contains(p.LibraryPath, dir) {
				p.LibraryPath = append(p.LibraryPath, dir)
			}
			p.Libraries = append(p.Libraries, lib)
			for _, n := range o.needed {
				queue = append(queue, job{n, lib, o, path.Dir(lib)})
			}
			found = true
			break
		}
		if !found {
			through := ""
			if j.by != prog {
				through = " (through " + j.by + ")"
			}
			// The includes example is single-quoted: YAML's double quotes would read \. as an escape.
			return nil, fmt.Errorf("%w: %s needs %s%s: include it in the package, e.g. with includes: ['%s'] in the spec that ships the program's runtime, or link it statically",
				ErrMissingLibrary, prog, j.name, through, "/"+regexpQuote(j.name)+"$")
		}
	}
	return p, nil
}

// inTree is the workenv-relative path of p, an absolute path of the tree rooted at root.
func inTree(root, p string) string {
	return strings.TrimPrefix(path.Join("/", root, p), "/")
}

// rootRelative turns a workenv-relative path into one relative to the tree root.
func rootRelative(p, root string) string {
	if root == "" || root == "." {
		return p
	}
	if p == root {
		return "."
	}
	return strings.TrimPrefix(p, root+"/")
}

// defaultDirs is the loader's search list without a cache: the tree's ld.so.conf, then the
// multiarch and plain system directories.
func (t *Tree) defaultDirs(m elf.Machine, root string) []string {
	dirs := t.ldSoConf(root, "/etc/ld.so.conf", 0)
	triplet := map[elf.Machine]string{elf.EM_X86_64: "x86_64-linux-gnu", elf.EM_AARCH64: "aarch64-linux-gnu", elf.EM_386: "i386-linux-gnu", elf.EM_ARM: "arm-linux-gnueabihf"}[m]
	if triplet != "" {
		dirs = append(dirs, "/lib/"+triplet, "/usr/lib/"+triplet)
	}
	return append(dirs, "/lib", "/usr/lib", "/lib64", "/usr/lib64")
}

// ldSoConf reads the directories of an ld.so.conf file of the tree, following include lines.
func (t *Tree) ldSoConf(root, file string, depth int) []string {
	b, err := t.readFile(file, root)
	if err != nil || depth > 8 {
		return nil
	}
	var dirs []string
	for _, line := range strings.Split(string(b), "\n") {
		line, _, _ = strings.Cut(line, "#")
		fields := strings.Fields(line)
		switch {
		case len(fields) == 0:
		case fields[0] == "include":
			for _, pat := range fields[1:] {
				if !strings.HasPrefix(pat, "/") {
					pat = path.Join(path.Dir(file), pat)
				}
				dir := path.Dir(pat)
				rdir, _, err := t.resolve(dir, root)
				if err != nil {
					continue
				}
				names := t.names(rdir)
				slices.Sort(names)
				for _, n := range names {
					if ok, _ := path.Match(path.Base(pat), n); ok {
						dirs = append(dirs, t.ldSoConf(root, path.Join(dir, n), depth+1)...)
					}
				}
			}
		case strings.HasPrefix(fields[0], "/"):
			dirs = append(dirs, fields[0])
		}
	}
	return dirs
}

// regexpQuote escapes the regexp metacharacters of s (for the includes hint).
func regexpQuote(s string) string {
	var b strings.Builder
	for _, r := range s {
		if strings.ContainsRune(`\.+*?()|[]{}^$`, r) {
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	return b.String()
}

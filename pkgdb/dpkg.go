package pkgdb

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"sort"
	"strings"
)

// paragraphs splits RFC 822-style control data (dpkg status, METADATA headers) into
// paragraphs of fields; a continuation line (starting with a space or tab) is appended to the
// field before it with a newline.
func paragraphs(r io.Reader, fn func(map[string]string) error) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 16<<20)
	para := map[string]string{}
	last := ""
	flush := func() error {
		if len(para) == 0 {
			return nil
		}
		err := fn(para)
		para, last = map[string]string{}, ""
		return err
	}
	for sc.Scan() {
		line := sc.Text()
		switch {
		case strings.TrimSpace(line) == "":
			if err := flush(); err != nil {
				return err
			}
		case line[0] == ' ' || line[0] == '\t':
			if last != "" {
				para[last] += "\n" + strings.TrimSpace(line)
			}
		default:
			k, v, ok := strings.Cut(line, ":")
			if !ok {
				continue // not a field; dpkg would refuse the file, we keep what parses
			}
			last = strings.TrimSpace(k)
			para[last] = strings.TrimSpace(v)
		}
	}
	if err := sc.Err(); err != nil {
		return err
	}
	return flush()
}

// ParseDpkgStatus reads var/lib/dpkg/status: the packages whose Status is "install ok
// installed" (or any state that left files: half-configured, unpacked …), without files.
func ParseDpkgStatus(r io.Reader) ([]Package, error) {
	var out []Package
	err := paragraphs(r, func(f map[string]string) error {
		name := f["Package"]
		if name == "" {
			return nil
		}
		st := strings.Fields(f["Status"])
		if len(st) == 3 && (st[2] == "not-installed" || st[2] == "config-files") {
			return nil
		}
		p := Package{Type: "deb", Name: name, Version: f["Version"], Arch: f["Architecture"]}
		if src := f["Source"]; src != "" {
			// "Source: zlib" or "Source: glibc (2.36-9)"
			s, v, _ := strings.Cut(src, " ")
			if s != name {
				p.Source = s
			}
			if v = strings.Trim(strings.TrimSpace(v), "()"); v != "" && v != p.Version {
				p.SourceVersion = v
			}
		}
		if d := f["Description"]; d != "" {
			p.Description, _, _ = strings.Cut(d, "\n")
		}
		out = append(out, p)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("reading the dpkg status: %w", err)
	}
	return out, nil
}

// DpkgListName returns the package and architecture an info/*.list file name stands for:
// "zlib1g:amd64.list" → ("zlib1g", "amd64"), "base-files.list" → ("base-files", "").
func DpkgListName(file string) (name, arch string, ok bool) {
	base, ok := strings.CutSuffix(file, ".list")
	if !ok || base == "" {
		return "", "", false
	}
	name, arch, _ = strings.Cut(base, ":")
	return name, arch, true
}

// ParseDpkgList reads one info/*.list file: the paths the package installed, one per line
// (directories included; "/." is skipped).
func ParseDpkgList(r io.Reader) ([]string, error) {
	var out []string
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 1<<20)
	for sc.Scan() {
		if l := strings.TrimSpace(sc.Text()); l != "" && l != "/." {
			out = append(out, l)
		}
	}
	return out, sc.Err()
}

// AttachDpkgFiles gives each status package the files of its .list (lists maps "name" or
// "name:arch" to the paths); a list for a package the status does not have is ignored.
func AttachDpkgFiles(pkgs []Package, lists map[string][]string) []Package {
	out := make([]Package, len(pkgs))
	for i, p := range pkgs {
		if files, ok := lists[p.Name+":"+p.Arch]; ok {
			p.Files = files
		} else {
			p.Files = lists[p.Name]
		}
		out[i] = p
	}
	return out
}

// ParseCopyright returns the license short names of a Debian copyright file in the
// machine-readable format (DEP-5): the first line of every License field, deduplicated, in
// order of appearance. A free-form copyright file gives nothing.
func ParseCopyright(b []byte) []string {
	if !bytes.HasPrefix(bytes.TrimSpace(b), []byte("Format:")) {
		return nil
	}
	var out []string
	seen := map[string]bool{}
	paragraphs(bytes.NewReader(b), func(f map[string]string) error {
		l, _, _ := strings.Cut(f["License"], "\n")
		if f["Files"] == "" && f["Format"] == "" && f["Upstream-Name"] == "" {
			// a stand-alone License paragraph only gives a license's text
			return nil
		}
		for _, part := range splitLicense(l) {
			if !seen[part] {
				seen[part] = true
				out = append(out, part)
			}
		}
		return nil
	})
	return out
}

// splitLicense splits a DEP-5 license expression ("GPL-2+ or Artistic") into its names.
func splitLicense(s string) []string {
	var out []string
	for _, f := range strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' || r == '(' || r == ')' }) {
		switch strings.ToLower(f) {
		case "or", "and", "with", "":
			continue
		}
		out = append(out, f)
	}
	return out
}

// ParseOSRelease reads etc/os-release: KEY=value lines, values unquoted.
func ParseOSRelease(b []byte) map[string]string {
	out := map[string]string{}
	for _, line := range strings.Split(string(b), "\n") {
		k, v, ok := strings.Cut(strings.TrimSpace(line), "=")
		if !ok || strings.HasPrefix(k, "#") {
			continue
		}
		out[k] = strings.Trim(v, `"'`)
	}
	return out
}

// ParseApkInstalled reads Alpine's lib/apk/db/installed: one paragraph per package with P
// (name), V (version), A (arch), L (license), o (origin), T (description), F (a directory) and
// R (a file in the last F) lines.
func ParseApkInstalled(r io.Reader) ([]Package, error) {
	var out []Package
	var cur *Package
	dir := ""
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 16<<20)
	for sc.Scan() {
		line := sc.Text()
		if line == "" {
			cur, dir = nil, ""
			continue
		}
		if len(line) < 2 || line[1] != ':' {
			continue
		}
		k, v := line[0], line[2:]
		if cur == nil {
			out = append(out, Package{Type: "apk"})
			cur = &out[len(out)-1]
		}
		switch k {
		case 'P':
			cur.Name = v
		case 'V':
			cur.Version = v
		case 'A':
			cur.Arch = v
		case 'L':
			cur.Licenses = splitLicense(v)
		case 'o':
			cur.Source = v
		case 'T':
			cur.Description = v
		case 'F':
			dir = v
		case 'R':
			if dir != "" {
				cur.Files = append(cur.Files, dir+"/"+v)
			} else {
				cur.Files = append(cur.Files, v)
			}
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("reading the apk database: %w", err)
	}
	kept := out[:0]
	for _, p := range out {
		if p.Name != "" {
			if p.Source == p.Name {
				p.Source = ""
			}
			kept = append(kept, p)
		}
	}
	sort.SliceStable(kept, func(i, j int) bool { return kept[i].Name < kept[j].Name })
	return kept, nil
}

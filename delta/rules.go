package delta

import (
	"archive/tar"
	"regexp"
	"strings"
)

// neverCounted are the paths a container engine provides at run time: they never belong to a
// delta, whatever the patterns say. Directories cover their contents. /.dockerenv is Docker's
// marker file, /run/.containerenv Podman's.
var neverCounted = []string{"/proc", "/sys", "/dev", "/etc/hosts", "/etc/hostname", "/etc/resolv.conf",
	"/.dockerenv", "/run/.containerenv"}

// engineRunDir reports whether the upper directory /run, absent from the image, holds nothing
// but Podman's /run/.containerenv: Podman made it at container start (Docker puts its marker
// in its init layer, below the container's change set), so it is not the build's.
func engineRunDir(abs string, names []string) bool {
	return abs == "/run" && len(names) == 1 && names[0] == ".containerenv"
}

// engineMtab reports whether e is the /etc/mtab → /proc/mounts symlink the engine adds to every
// container whose image has none: Docker in its init layer, which only a whole-filesystem export
// shows; Podman in the container's own upper directory. An image's own /etc/mtab still counts.
func engineMtab(abs string, e Entry) bool {
	return abs == "/etc/mtab" && e.Type == tar.TypeSymlink && e.Linkname == "/proc/mounts"
}

// rules decides which paths are kept. Paths are absolute and clean ("/a/b").
type rules struct {
	includes []*regexp.Regexp
	excludes []*regexp.Regexp
	// hidden are directories left out unless an include matches (build dir, /tmp).
	hidden []string
	// system applies neverCounted.
	system bool
}

func newRules(o *options, system, hideBuild bool) rules {
	r := rules{includes: o.includes, excludes: o.excludes, system: system}
	if hideBuild {
		r.hidden = []string{"/tmp"}
		if o.buildDir != "" && o.buildDir != "/" {
			r.hidden = append(r.hidden, o.buildDir)
		}
	}
	return r
}

// within reports whether p is dir or inside it ("/foobar" is not inside "/foo").
func within(p, dir string) bool {
	return p == dir || strings.HasPrefix(p, dir+"/")
}

// ignored reports whether the engine owns p (it never counts).
func (r rules) ignored(p string) bool {
	if !r.system {
		return false
	}
	for _, d := range neverCounted {
		if within(p, d) {
			return true
		}
	}
	return false
}

func (r rules) isHidden(p string) bool {
	for _, d := range r.hidden {
		if within(p, d) {
			return true
		}
	}
	return false
}

// matches applies the include/exclude decision table to the path patterns see.
func (r rules) matches(p string) bool {
	for _, re := range r.excludes {
		if re.MatchString(p) {
			return false
		}
	}
	if len(r.includes) == 0 {
		return true
	}
	return r.included(p)
}

func (r rules) included(p string) bool {
	for _, re := range r.includes {
		if re.MatchString(p) {
			return true
		}
	}
	return false
}

// keep decides for an entry at absolute path abs whose patterns see match (the same path,
// except in package_dir mode).
func (r rules) keep(abs, match string) bool {
	if r.ignored(abs) {
		return false
	}
	if r.isHidden(abs) && !r.included(match) {
		return false
	}
	return r.matches(match)
}

// skipTree reports whether nothing at or under directory abs can be kept, so a walk may skip
// it entirely.
func (r rules) skipTree(abs string) bool {
	if r.ignored(abs) {
		return true
	}
	return r.isHidden(abs) && len(r.includes) == 0
}

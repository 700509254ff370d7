package launcher

import (
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"github.com/flavor-dev/flavor/packer"
)

// class is what a slot's lifecycle means to the launcher.
type class int

const (
	// classOnce slots (runtime, cache, eager, config, dev, shutdown, platform and anything
	// unknown) are extracted with the tree and kept.
	classOnce class = iota
	// classFresh slots (startup, volatile, temporary) are extracted again on every run.
	classFresh
	// classInit slots are extracted with the tree and removed after the setup commands.
	classInit
	// classLazy slots are extracted only when a {slot:N} placeholder names them.
	classLazy
)

func classOf(lifecycle string) class {
	switch strings.ToLower(strings.TrimSpace(lifecycle)) {
	case "init":
		return classInit
	case "startup", "volatile", "temporary", "temp":
		return classFresh
	case "lazy":
		return classLazy
	}
	return classOnce
}

// slotPlan is one slot as the launcher sees it.
type slotPlan struct {
	pos    int // position in the slot table
	num    int // the metadata "slot" number {slot:N} refers to
	id     string
	target string
	class  class
	here   bool // its platform field matches this machine
}

// path is where the slot lives in the workenv: the workenv joined with its target.
func (s slotPlan) path(workenv string) string {
	t := strings.ReplaceAll(strings.ReplaceAll(s.target, "{workenv}/", ""), "{workenv}", "")
	if t == "" || t == "." {
		return workenv
	}
	return filepath.Join(workenv, filepath.FromSlash(t))
}

// plan is the part of the metadata the launcher acts on.
type plan struct {
	name, version string
	slots         []slotPlan
	byNum         map[int]int // metadata slot number → index in slots
	exec          packer.Execution
	rules         EnvRules
	dirs          []packer.WorkenvDir
	setup         []packer.SetupCommand
	shutdown      time.Duration
}

func newPlan(m *packer.Metadata, numSlots int) *plan {
	p := &plan{
		name: m.Package.Name, version: m.Package.Version, exec: m.Execution,
		setup: m.SetupCommands, shutdown: defaultShutdown, byNum: make(map[int]int, len(m.Slots)),
	}
	if m.Runtime != nil {
		r := m.Runtime.Env
		p.rules = EnvRules{Pass: r.Pass, Unset: r.Unset, Map: r.Map, Set: r.Set}
	}
	if m.Workenv != nil {
		p.dirs = m.Workenv.Directories
	}
	if s := m.Execution.Signals; s != nil && s.ShutdownTimeout > 0 {
		p.shutdown = time.Duration(s.ShutdownTimeout) * time.Second
	}
	for i, s := range m.Slots {
		if i >= numSlots {
			break
		}
		p.byNum[s.Slot] = len(p.slots)
		p.slots = append(p.slots, slotPlan{
			pos: i, num: s.Slot, id: s.ID, target: s.Target,
			class: classOf(s.Lifecycle), here: platformMatches(s.Platform, runtime.GOOS, runtime.GOARCH),
		})
	}
	return p
}

// env returns the execution environment: execution.env, or execution.environment for packages
// from builders that write only that.
func (p *plan) env() map[string]string {
	if p.exec.Env != nil {
		return p.exec.Env
	}
	return p.exec.Environment
}

// platformMatches reports whether a slot's platform field ("", "any", "linux", "linux/arm64",
// "linux_amd64", "darwin-arm64", "macos", "x86_64", …) includes goos/goarch.
func platformMatches(platform, goos, goarch string) bool {
	p := strings.ToLower(strings.TrimSpace(platform))
	if p == "" || p == "any" || p == "all" || p == "*" {
		return true
	}
	if a := normArch(p); a != "" {
		return a == goarch // an architecture alone
	}
	osPart, archPart := p, ""
	if i := strings.IndexAny(p, "/_-"); i >= 0 {
		osPart, archPart = p[:i], p[i+1:]
	}
	if normOS(osPart) != goos {
		return false
	}
	return archPart == "" || archPart == "any" || normArch(archPart) == goarch
}

func normOS(s string) string {
	switch s {
	case "macos", "osx", "mac":
		return "darwin"
	case "win", "win32", "win64":
		return "windows"
	}
	return s
}

// normArch returns the Go name of an architecture, or "" for something that is not one.
func normArch(s string) string {
	switch s {
	case "amd64", "x86_64", "x64":
		return "amd64"
	case "arm64", "aarch64":
		return "arm64"
	case "386", "i386", "i686", "x86":
		return "386"
	case "arm", "armv7", "armv7l", "armhf":
		return "arm"
	case "riscv64", "ppc64le", "s390x", "loong64", "mips64le":
		return s
	}
	return ""
}

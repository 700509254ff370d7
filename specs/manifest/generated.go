package manifest

import (
	"fmt"
	"maps"
	"slices"
)

// Generated is what a generator of spec trees (specs/pyproject) adds to a manifest it read.
type Generated struct {
	Trees      []string        // generated spec trees, appended to options.trees
	Install    []Install       // install entries building from them; their ids must be new
	Execution  Execution       // replaces [execution]
	GroupSlots map[string]Slot // slot settings (operations, purpose, lifecycle, priority) of pkg-groups
	DropSlots  []string        // ids of [[slots]] entries the generator took over (as GroupSlots)
}

// WithGenerated returns a copy of m with g added. The copy keeps m's digest: what was generated
// follows from the manifest (and the spec trees, which the lock pins by their own digests).
func (m *Manifest) WithGenerated(g Generated) (*Manifest, error) {
	out := *m
	out.options = m.Options()
	out.options.Trees = append(out.options.Trees, g.Trees...)
	out.install = m.Install()
	for _, in := range g.Install {
		if _, dup := m.InstallEntry(in.ID); dup {
			return nil, &Error{File: m.file, Key: "install." + in.ID, Msg: fmt.Sprintf("install id %q is taken by the generated build of %s; rename the entry", in.ID, m.file)}
		}
		if in.PkgGroup == "" {
			in.PkgGroup = DefaultPkgGroup
		}
		out.install = append(out.install, in.clone())
	}
	sortInstall(out.install)
	out.exec = g.Execution
	out.slots = nil
	for _, s := range m.slots {
		if !slices.Contains(g.DropSlots, s.ID) {
			out.slots = append(out.slots, s)
		}
	}
	out.groups = maps.Clone(g.GroupSlots)
	return &out, nil
}

// GroupSlot returns the slot settings a generator gave the slot of an [install] pkg-group.
func (m *Manifest) GroupSlot(group string) (Slot, bool) {
	s, ok := m.groups[group]
	s.Operations = slices.Clone(s.Operations)
	return s, ok
}

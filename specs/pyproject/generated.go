package pyproject

import (
	"slices"
	"strings"

	"github.com/flavor-dev/flavor/specs/manifest"
)

// The packed interpreter (a link to python3.X in the runtime slot) and its flags: no user site
// directory, no script directory on sys.path.
const (
	interpreter = "{workenv}/bin/python3"
	pythonFlags = "-s -P"
)

// generated is what Prepare adds to the manifest: the tree, the two install entries, the command
// and environment, and the runtime slot's settings from FlavorPack's venv/ slot entry.
func generated(m *manifest.Manifest, p *manifest.Python, dir string) manifest.Generated {
	g := manifest.Generated{
		Trees: []string{dir},
		Install: []manifest.Install{
			{ID: RuntimeID, PkgPath: "python/" + RuntimeName, PkgGroup: RuntimeGroup},
			{ID: AppID, PkgPath: "python/" + appName(p), PkgGroup: AppGroup},
		},
		Execution: execution(m.Execution(), p),
		GroupSlots: map[string]manifest.Slot{
			RuntimeGroup: {ID: RuntimeGroup, Purpose: "code", Lifecycle: "runtime", Priority: 128, Platform: "any"},
			AppGroup:     {ID: AppGroup, Purpose: "code", Lifecycle: "runtime", Priority: 128, Platform: "any"},
		},
	}
	for _, s := range m.Slots() {
		// FlavorPack's venv/ is the Python environment it builds: here, the runtime slot.
		if strings.TrimSuffix(strings.TrimPrefix(s.Source, "./"), "/") == "venv" {
			g.DropSlots = append(g.DropSlots, s.ID)
			s.ID = RuntimeGroup
			g.GroupSlots[RuntimeGroup] = s
		}
	}
	return g
}

// execution is the manifest's [execution] with the Python defaults: the entry point's script
// run by the packed interpreter unless a command is given; a command starting with python,
// python3 or python3.X runs the packed one. The environment keeps the host's Python out.
func execution(e manifest.Execution, p *manifest.Python) manifest.Execution {
	words := strings.Fields(e.Command)
	switch {
	case len(words) == 0:
		e.Command = interpreter + " " + pythonFlags + " {workenv}/bin/" + p.Script
	case isPythonWord(words[0]):
		e.Command = strings.Join(append([]string{interpreter, pythonFlags}, words[1:]...), " ")
	}
	if !slices.ContainsFunc(e.Env.Pass, func(s string) bool { return strings.HasPrefix(s, "PYTHON") }) {
		e.Env.Unset = append(e.Env.Unset, "PYTHON*")
	}
	set := map[string]string{
		"PYTHONHOME":              "{workenv}",
		"PYTHONPATH":              "{workenv}/app",
		"PYTHONDONTWRITEBYTECODE": "1",
		"PYTHONNOUSERSITE":        "1",
	}
	for k, v := range e.Env.Set {
		set[k] = v
	}
	e.Env.Set = set
	if e.Portable == nil {
		yes := true
		e.Portable = &yes
	}
	return e
}

func isPythonWord(w string) bool {
	w = strings.Trim(w, `"'`)
	if w == "python" || w == "python3" {
		return true
	}
	rest, ok := strings.CutPrefix(w, "python3.")
	return ok && rest != "" && strings.Trim(rest, "0123456789") == ""
}

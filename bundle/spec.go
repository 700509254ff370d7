package bundle

import (
	"path"
	"strings"

	"github.com/flavor-dev/flavor/packer"
	"github.com/flavor-dev/flavor/specs/manifest"
)

// baseSpec maps everything of the manifest that is the same on every platform: package,
// execution, environment, setup commands and metadata. Launcher, slots and the per-platform
// extras are filled in by packOne.
func baseSpec(m *manifest.Manifest, toolVersion string) packer.Spec {
	pkg := m.Package()
	ex := m.Execution()
	spec := packer.Spec{
		Name:        pkg.Name,
		Version:     pkg.Version,
		Description: pkg.Description,
		Execution: packer.Execution{
			Command:     commandLine(ex.Command, ex.Args),
			Cwd:         ex.Cwd,
			PathPrepend: ex.PathPrepend,
			PathAppend:  ex.PathAppend,
			Env:         varsEnv(m.Vars()),
			Signals:     &packer.Signals{Forward: ex.Signals.Forward, ShutdownTimeout: int(ex.Signals.ShutdownTimeout.Seconds())},
		},
		Runtime: packer.RuntimeEnv{
			Unset: ex.Env.Unset, Pass: ex.Env.Pass, Map: ex.Env.Map, Set: ex.Env.Set,
		},
		ToolVersion: toolVersion,
	}
	if h := m.Hook().OnActivate; strings.TrimSpace(h) != "" {
		spec.SetupCommands = []packer.SetupCommand{{Command: QuoteCommand("sh", "-c", h)}}
	}
	return spec
}

// commandLine appends the manifest's args to its command, quoted so the launcher's splitter
// gives them back word for word. The command itself is already in the splitter's syntax.
// FlavorPack's launchers read only execution.command, so the args go there and not in
// execution.args.
func commandLine(command string, args []string) string {
	command = strings.TrimSpace(command)
	if len(args) == 0 {
		return command
	}
	return command + " " + QuoteCommand(args...)
}

// varsEnv turns [vars] into the execution environment; nil when there are none.
func varsEnv(vars []manifest.Var) map[string]string {
	if len(vars) == 0 {
		return nil
	}
	env := make(map[string]string, len(vars))
	for _, v := range vars {
		env[v.Name] = v.Value
	}
	return env
}

// extras builds the top-level metadata keys of this project: "platform", "provenance" and, when
// the manifest has one, "metadata".
func extras(m *manifest.Manifest, platform, toolVersion string, slots []Slot) map[string]any {
	prov := map[string]any{
		"tool":            "flavor",
		"tool_version":    toolVersion,
		"manifest":        path.Base(strings.ReplaceAll(m.File(), "\\", "/")),
		"manifest_digest": m.Digest(),
	}
	if f := m.Options().Flavor.String(); f != "" {
		prov["flavor"] = f
	}
	perSlot := map[string]any{}
	for _, s := range slots {
		if len(s.Provenance) > 0 {
			perSlot[s.ID] = s.Provenance
		}
	}
	if len(perSlot) > 0 {
		prov["slots"] = perSlot
	}
	out := map[string]any{"platform": platform, "provenance": prov}
	if md := m.Metadata(); len(md) > 0 {
		out["metadata"] = md
	}
	return out
}

package manifest

import (
	"errors"
	"strings"
	"testing"
)

// base is a valid manifest; bad manifests are written by adding to it. Its lines 1–6 are fixed,
// so additions start at line 7.
const base = `schema-version = "1"
[package]
name = "hello"
version = "1.0.0"
[execution]
command = "{workenv}/bin/hello"
`

func TestBadManifests(t *testing.T) {
	tests := []struct {
		name string
		file string // default flavor.toml
		doc  string
		want string // the whole error text
	}{
		// Typo keys at every nesting level, with the nearest known key.
		{"top level", "", "pakage = 1\n" + base, `flavor.toml:1: unknown key "pakage"; did you mean "package"?`},
		// A required key next to an unknown one is most likely that key misspelled: the hint alone.
		{"in [execution]", "", strings.Replace(base, "command =", "comand =", 1), `flavor.toml:6: unknown key "comand" in [execution]; did you mean "command"?`},
		{"in [package]", "", strings.Replace(base, "\nversion =", "\nverison =", 1), `flavor.toml:4: unknown key "verison" in [package]; did you mean "version"?`},
		{"misspelled table", "", strings.Replace(base, "[package]", "[pakage]", 1), `flavor.toml:2: unknown key "pakage"; did you mean "package"?`},
		{"misspelled slot key", "", base + "[[slots]]\nid = \"a\"\nsoruce = \"a\"\n", `flavor.toml:9: unknown key "soruce" in slots[0]; did you mean "source"?`},
		// A typo elsewhere does not hide a key that is really missing.
		{"required beside a typo in another table", "", strings.Replace(strings.Replace(base, "command =", "comand =", 1), `name = "hello"`+"\n", "", 1),
			"flavor.toml:2: package.name: required: the package name, used in the .psp file name\n" +
				`flavor.toml:5: unknown key "comand" in [execution]; did you mean "command"?`},
		{"in [execution.runtime.env]", "", base + "[execution.runtime.env]\npas = [\"PATH\"]\n", `flavor.toml:8: unknown key "pas" in [execution.runtime.env]; did you mean "pass"?`},
		{"in [execution.signals]", "", base + "[execution.signals]\nshutdown-timeout = 3\n", `flavor.toml:8: unknown key "shutdown-timeout" in [execution.signals]; did you mean "shutdown_timeout"?`},
		{"in an install entry", "", base + "[install]\nhello.pkg-path = \"apps/hello\"\nhello.pkg_group = \"x\"\n", `flavor.toml:9: unknown key "pkg_group" in [install.hello]; did you mean "pkg-group"?`},
		{"in a slot", "", base + "[[slots]]\nid = \"a\"\nsource = \"a\"\n[[slots]]\nid = \"b\"\nsource = \"b\"\nlifecycel = \"cache\"\n", `flavor.toml:13: unknown key "lifecycel" in slots[1]; did you mean "lifecycle"?`},
		{"in [options]", "", base + "[options]\nsystem = [\"linux/amd64\"]\n", `flavor.toml:8: unknown key "system" in [options]; did you mean "systems"?`},
		{"in [signing]", "", base + "[signing]\nprivate_key = \"k\"\npublic-key = \"p\"\n", "flavor.toml:7: signing.private-key: required with public-key: the PEM (PKCS#8) private key written by flavor keygen\n" +
			`flavor.toml:8: unknown key "private_key" in [signing]; did you mean "private-key"?`},
		{"in [hook]", "", base + "[hook]\non-deactivate = \"x\"\n", `flavor.toml:8: unknown key "on-deactivate" in [hook]; did you mean "on-activate"?`},
		{"nothing close", "", base + "[profile]\ncommon = \"x\"\n", `flavor.toml:7: unknown key "profile"`},
		{"FlavorPack-only key", "", "entry_point = \"myapp:main\"\n" + base, `flavor.toml:1: key "entry_point" is FlavorPack's and flavor does not support it: Python applications are built from a pyproject.toml (entry_point under [tool.flavor] there); in a flavor.toml set [execution] command`},
		{"FlavorPack-only nested key", "", base + "use_mmap = true\n", `flavor.toml:7: key "use_mmap" in [execution] is FlavorPack's and flavor does not support it: the launcher chooses how it reads slots`},
		{"shell true", "", base + "shell = true\n", `flavor.toml:7: execution.shell: true cannot apply: the command runs directly, never through a shell; make a shell the command (command = "/bin/sh -c …") to get one`},
		{"in pyproject", "pyproject.toml", "[project]\nname = \"a\"\nversion = \"1\"\n[tool.flavor.execution]\ncomand = \"x\"\ncommand = \"y\"\n", `pyproject.toml:5: unknown key "comand" in [tool.flavor.execution]; did you mean "command"?`},

		// Wrong types.
		{"string for integer", "", base + "[execution.signals]\nshutdown_timeout = \"30\"\n", `flavor.toml:8: execution.signals.shutdown_timeout: expected an integer, got a string`},
		{"string for array", "", base + "args = \"--production\"\n", `flavor.toml:7: execution.args: expected an array of strings, got a string`},
		{"number in array", "", base + "args = [\"a\", 2]\n", `flavor.toml:7: execution.args: element 1: expected a string, got an integer`},
		{"table for string", "", base + "cwd = { a = 1 }\n", `flavor.toml:7: execution.cwd: expected a string, got a table`},
		{"integer for table", "", "hook = 1\n" + base, `flavor.toml:1: hook: expected a table, got an integer`},
		{"bool", "", base + "[execution.signals]\nforward = \"yes\"\n", `flavor.toml:8: execution.signals.forward: expected true or false, got a string`},
		{"env set value", "", base + "[execution.runtime.env]\nset = { A = 1 }\n", `flavor.toml:8: execution.runtime.env.set: "A": expected a string, got an integer`},
		{"slots not tables", "", strings.Replace(base, "[package]", "slots = [1]\n[package]", 1), `flavor.toml:2: slots: element 0: expected a table, got an integer`},
		{"install entry not a table", "", base + "[install]\nhello = \"apps/hello\"\n", `flavor.toml:8: install.hello: expected a table, got a string`},
		{"var not a string", "", base + "[vars]\nN = 1\n", `flavor.toml:8: vars.N: expected a string, got an integer`},
		{"TOML syntax", "", base + "args = [\n", `flavor.toml:7: invalid TOML: unexpected EOF; expected value`},

		// Values.
		{"schema version", "", strings.Replace(base, `"1"`, `"2"`, 1), `flavor.toml:1: schema-version: unsupported schema-version "2"; this flavor reads "1"`},
		{"empty name", "", strings.Replace(base, `name = "hello"`, `name = ""`, 1), `flavor.toml:3: package.name: required: the package name, used in the .psp file name`},
		{"bad name", "", strings.Replace(base, `name = "hello"`, `name = "hello world"`, 1), `flavor.toml:3: package.name: "hello world": use letters, digits and . _ + - (starting with a letter or digit)`},
		{"no package", "", "[execution]\ncommand = \"x\"\n", "flavor.toml: package.name: required: the package name, used in the .psp file name\n" +
			"flavor.toml: package.version: required: the package version, used in the .psp file name"},
		{"no execution", "", "[package]\nname = \"a\"\nversion = \"1\"\n", `flavor.toml: execution: required: [execution] command says what the package runs, e.g. command = "{workenv}/bin/hello"`},
		{"bad system", "", base + "[options]\nsystems = [\"linux/amd64\", \"linux/riscv64\"]\n", `flavor.toml:8: options.systems: no launcher is built for system "linux/riscv64"; want one of linux/amd64, linux/arm64, darwin/amd64, darwin/arm64, windows/amd64 (also written x86_64-linux or linux_amd64)`},
		{"repeated system", "", base + "[options]\nsystems = [\"linux/amd64\", \"x86_64-linux\"]\n", `flavor.toml:8: options.systems: system "x86_64-linux" is listed twice`},
		{"install system not in options", "", base + "[options]\nsystems = [\"linux/amd64\"]\n[install]\nhello.pkg-path = \"apps/hello\"\nhello.systems = [\"aarch64-linux\"]\n", `flavor.toml:11: install.hello.systems: system "aarch64-linux" is not in options.systems (linux/amd64); each package's systems must be a subset`},
		{"install systems without options", "", base + "[install]\nhello.pkg-path = \"apps/hello\"\nhello.systems = [\"linux/amd64\"]\n", `flavor.toml:9: install.hello.systems: options.systems must list the systems first; a package's systems are a subset of them`},
		{"bad options flavor", "", base + "[options]\nflavor = \"~ssl,,debug\"\n", `flavor.toml:8: options.flavor: parsing flavor "~ssl,,debug": column 6: expected a flag name, found ","`},
		{"bad install flavor", "", base + "[install.hello]\npkg-path = \"apps/hello\"\nflavor = \"is: x86(\"\n", `flavor.toml:9: install.hello.flavor: parsing flavor "is: x86(": column 9: expected a flag name, found end of flavor`},
		{"missing pkg-path", "", base + "[install.hello]\nversion = \"1\"\n", `flavor.toml:7: install.hello: pkg-path is required: the package's category/name in the trees, e.g. hello.pkg-path = "apps/hello"`},
		{"bad pkg-path", "", base + "[install]\nhello.pkg-path = \"hello\"\n", `flavor.toml:8: install.hello.pkg-path: "hello": want category/name, e.g. "apps/hello"`},
		{"bad install id", "", base + "[install]\n\"my pkg\".pkg-path = \"a/b\"\n", `flavor.toml:8: install.my pkg: install id "my pkg": use letters, digits, '_', and '.' or '-' after the first character`},
		{"vars cycle", "", base + "[vars]\nA = \"${B}\"\nB = \"${C}x\"\nC = \"${A}\"\n", `flavor.toml:8: vars.A: ${...} references form a cycle: A -> B -> C -> A`},
		{"vars self reference", "", base + "[vars]\nA = \"a${A}\"\n", `flavor.toml:8: vars.A: ${...} references form a cycle: A -> A`},
		{"vars unknown reference", "", base + "[vars]\nGREETING = \"${NAM}\"\nNAME = \"x\"\n", `flavor.toml:8: vars.GREETING: ${NAM} is not defined in [vars]; did you mean "NAME"?`},
		{"vars unclosed", "", base + "[vars]\nA = \"${B\"\n", `flavor.toml:8: vars.A: unclosed "${" at byte 0; write "$${" for a literal "${"`},
		{"vars bad name", "", base + "[vars]\n1A = \"x\"\n", `flavor.toml:8: vars.1A: "1A" is not a variable name: use letters, digits and '_', not starting with a digit`},
		{"duplicate slot ids", "", base + "[[slots]]\nid = \"a\"\nsource = \"a\"\n[[slots]]\nname = \"a\"\nsource = \"b\"\n", `flavor.toml:11: slots[1].name: slot id "a" is already used by slot 0; slot ids must be unique`},
		{"unknown lifecycle", "", base + "[[slots]]\nid = \"a\"\nsource = \"a\"\nlifecycle = \"cached\"\n", `flavor.toml:10: slots[0].lifecycle: unknown lifecycle "cached"; want one of init, startup, runtime, shutdown, cache, temporary, lazy, eager, dev, config, platform; did you mean "cache"?`},
		{"lifecycle typo", "", base + "[[slots]]\nid = \"a\"\nsource = \"a\"\nlifecycle = \"runtim\"\n", `flavor.toml:10: slots[0].lifecycle: unknown lifecycle "runtim"; want one of init, startup, runtime, shutdown, cache, temporary, lazy, eager, dev, config, platform; did you mean "runtime"?`},
		{"unknown purpose", "", base + "[[slots]]\nid = \"a\"\nsource = \"a\"\npurpose = \"configuration\"\n", `flavor.toml:10: slots[0].purpose: unknown purpose "configuration"; want data, code, config, media; did you mean "config"?`},
		{"priority out of range", "", base + "[[slots]]\nid = \"a\"\nsource = \"a\"\npriority = 256\n", `flavor.toml:10: slots[0].priority: 256 is out of range; want 0 to 255`},
		{"bad platform", "", base + "[[slots]]\nid = \"a\"\nsource = \"a\"\nplatform = \"linx\"\n", `flavor.toml:10: slots[0].platform: unknown platform "linx"; want any, linux, darwin, windows or a system such as linux/arm64; did you mean "linux"?`},
		{"bad operation", "", base + "[[slots]]\nid = \"a\"\nsource = \"a\"\noperations = \"tar.zstd2\"\n", `flavor.toml:10: slots[0].operations: parsing operations "tar.zstd2": unknown operation "zstd2" (did you mean "zstd"?) (want tar, gzip, bzip2, xz, zstd, or a chain such as tar.zst): invalid operations`},
		{"tar not first", "", base + "[[slots]]\nid = \"a\"\nsource = \"a\"\noperations = [\"gzip\", \"tar\"]\n", `flavor.toml:10: slots[0].operations: parsing operations "gzip,tar": tar must be the first operation, and only once: invalid operations`},
		{"named-only operation", "", base + "[[slots]]\nid = \"a\"\nsource = \"a\"\noperations = \"tar|zstd|aes256gcm\"\n", `flavor.toml:10: slots[0].operations: operation aes256gcm cannot be written by this flavor (want tar, gzip, bzip2, xz, zstd): unsupported operation`},
		{"nine operations", "", base + "[[slots]]\nid = \"a\"\nsource = \"a\"\noperations = \"tar|gz|gz|gz|gz|gz|gz|gz|gz\"\n", `flavor.toml:10: slots[0].operations: parsing operations "tar|gz|gz|gz|gz|gz|gz|gz|gz": 9 operations, at most 8: invalid operations`},
		{"bad permissions", "", base + "[[slots]]\nid = \"a\"\nsource = \"a\"\npermissions = \"rwx\"\n", `flavor.toml:10: slots[0].permissions: "rwx": want octal mode bits such as "0755"`},
		{"permissions range", "", base + "[[slots]]\nid = \"a\"\nsource = \"a\"\npermissions = 0o17777\n", `flavor.toml:10: slots[0].permissions: 017777 is out of range; want 0 to 07777`},
		{"slot without id or source", "", base + "[[slots]]\npurpose = \"data\"\n", "flavor.toml:7: slots[0]: id is required: a name for the slot, e.g. id = \"config\"\n" +
			"flavor.toml:7: slots[0]: source is required: the file or directory the slot is made from"},
		{"slot id and name differ", "", base + "[[slots]]\nid = \"a\"\nname = \"b\"\nsource = \"a\"\n", `flavor.toml:9: slots[0].name: give id or name (FlavorPack's spelling), not both`},
		{"slot target and extract_to differ", "", base + "[[slots]]\nid = \"a\"\nsource = \"a\"\ntarget = \"x\"\nextract_to = \"y\"\n", `flavor.toml:11: slots[0].extract_to: give extract_to or target, not both`},
		{"empty target", "", base + "[[slots]]\nid = \"a\"\nsource = \"a\"\ntarget = \"\"\n", `flavor.toml:10: slots[0].target: empty target; use "." for the workenv root`},
		{"empty slot id", "", base + "[[slots]]\nid = \"\"\nsource = \"a\"\n", `flavor.toml:8: slots[0].id: empty slot id`},
		{"bad slot id", "", base + "[[slots]]\nname = \"a b\"\nsource = \"a\"\n", `flavor.toml:8: slots[0].name: "a b": use letters, digits, '_', and '.' or '-' after the first character`},
		{"empty source", "", base + "[[slots]]\nid = \"a\"\nsource = \" \"\n", `flavor.toml:9: slots[0].source: empty path`},
		{"[slots] without entries", "", base + "[slots]\n", `flavor.toml:7: slots: a [slots] table lists its slots under entries: [[slots.entries]]; or write [[slots]]`},
		{"slot entries line", "", base + "[slots]\nentries = [\n  { name = \"a\", source = \"a\" },\n  { name = \"b\", source = \"b\", lifecycle = \"nope\" },\n]\n", `flavor.toml:10: slots.entries[1].lifecycle: unknown lifecycle "nope"; want one of init, startup, runtime, shutdown, cache, temporary, lazy, eager, dev, config, platform`},
		{"shutdown timeout range", "", base + "[execution.signals]\nshutdown_timeout = -1\n", `flavor.toml:8: execution.signals.shutdown_timeout: -1: want seconds from 0 to 3600`},
		{"bad env pattern", "", base + "[execution.runtime.env]\npass = [\"PA TH\"]\n", `flavor.toml:8: execution.runtime.env.pass: "PA TH": want a variable name, optionally with * or ? wildcards`},
		{"bad env map", "", base + "[execution.runtime.env]\nmap = { OLD = \"new-name\" }\n", `flavor.toml:8: execution.runtime.env.map: "OLD" = "new-name": both sides must be variable names`},
		{"seed and keys", "", base + "[signing]\nkey-seed = \"test123\"\nprivate-key = \"k\"\npublic-key = \"p\"\n", `flavor.toml:8: signing.key-seed: give key files or key-seed, not both`},
		{"empty path", "", base + "[options]\ntrees = [\"\"]\n", `flavor.toml:8: options.trees: element 0: empty path`},
		{"metadata NaN", "", base + "[metadata]\nx = nan\n", `flavor.toml: metadata: encoding the manifest for its digest: json: unsupported value: NaN`},
		{"pyproject slot entry", "pyproject.toml", "[project]\nname = \"a\"\nversion = \"1\"\n[tool.flavor.execution]\ncommand = \"x\"\n[tool.flavor.slots]\n[[tool.flavor.slots.entries]]\nname = \"a\"\nsource = \"a\"\nlifecycle = \"cached\"\n[[tool.flavor.slots.entries]]\nname = \"b\"\nsource = \"b\"\nlifecycle = \"cached\"\n",
			"pyproject.toml:10: tool.flavor.slots.entries[0].lifecycle: unknown lifecycle \"cached\"; want one of init, startup, runtime, shutdown, cache, temporary, lazy, eager, dev, config, platform; did you mean \"cache\"?\n" +
				`pyproject.toml:14: tool.flavor.slots.entries[1].lifecycle: unknown lifecycle "cached"; want one of init, startup, runtime, shutdown, cache, temporary, lazy, eager, dev, config, platform; did you mean "cache"?`},
		{"pyproject Python keys in a plain table", "pyproject.toml", "[project]\nname = \"a\"\nversion = \"1\"\n[tool.flavor.execution]\ncommand = \"x\"\npython_version = \"3.11\"\n",
			`pyproject.toml:6: unknown key "python_version" in [tool.flavor.execution]`},
		{"pyproject without tool.flavor", "pyproject.toml", "[project]\nname = \"a\"\n", `pyproject.toml: no [tool.flavor] table; the manifest goes there in a pyproject.toml`},
		{"pyproject project.name wrong type", "pyproject.toml", "[project]\nname = 1\n[tool.flavor.package]\nversion = \"1\"\n[tool.flavor.execution]\ncommand = \"x\"\n", "pyproject.toml:2: project.name: expected a string, got an integer\n" +
			"pyproject.toml:3: tool.flavor.package.name: required: the package name, used in the .psp file name"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			file := tt.file
			if file == "" {
				file = "flavor.toml"
			}
			m, err := Parse(file, []byte(tt.doc))
			if err == nil {
				t.Fatalf("decoded %+v", m)
			}
			if !errors.Is(err, ErrInvalid) {
				t.Errorf("error does not wrap ErrInvalid: %v", err)
			}
			if err.Error() != tt.want {
				t.Fatalf("error:\n%s\nwant:\n%s", err, tt.want)
			}
		})
	}
}

func TestManyErrorsAreCapped(t *testing.T) {
	var b strings.Builder
	b.WriteString(base)
	for i := 0; i < 30; i++ {
		b.WriteString("x")
		b.WriteString(strings.Repeat("y", i))
		b.WriteString(" = 1\n")
	}
	_, err := Parse("flavor.toml", []byte(b.String()))
	if err == nil || strings.Count(err.Error(), "\n") != maxErrors-1 {
		t.Fatalf("want %d errors, got %v", maxErrors, err)
	}
}

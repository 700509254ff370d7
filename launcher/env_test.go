package launcher

import (
	"reflect"
	"sort"
	"testing"
)

func TestBuildEnv(t *testing.T) {
	parent := []string{"HOME=/home/u", "PATH=/usr/bin:/bin", "LC_ALL=C", "LC_TIME=x", "SECRET=s",
		"OLD_NAME=v1", "KEEP_ME=k", "DROP_ME=d", "FLAVOR_WORKENV=/stale", "A1=1", "AB=2"}
	flavor := [][2]string{{"FLAVOR_WORKENV", "/w"}, {"FLAVOR_PACKAGE", "/p/hello.psp"},
		{"FLAVOR_COMMAND_NAME", "hello.psp"}, {"FLAVOR_ORIGINAL_COMMAND", "./hello.psp"}}
	tests := []struct {
		name string
		spec envSpec
		want map[string]string // exact result
	}{
		{
			name: "no rules keeps the parent and adds FLAVOR_* and PATH last",
			spec: envSpec{flavor: flavor, workenvBin: "/w/bin"},
			want: map[string]string{"HOME": "/home/u", "PATH": "/w/bin:/usr/bin:/bin", "LC_ALL": "C",
				"LC_TIME": "x", "SECRET": "s", "OLD_NAME": "v1", "KEEP_ME": "k", "DROP_ME": "d", "A1": "1",
				"AB": "2", "FLAVOR_WORKENV": "/w", "FLAVOR_PACKAGE": "/p/hello.psp",
				"FLAVOR_COMMAND_NAME": "hello.psp", "FLAVOR_ORIGINAL_COMMAND": "./hello.psp"},
		},
		{
			name: "unset * with pass globs keeps only passed; FLAVOR_* and PATH survive",
			spec: envSpec{rules: EnvRules{Unset: []string{"*"}, Pass: []string{"HOME", "LC_*"}},
				flavor: flavor, workenvBin: "/w/bin"},
			want: map[string]string{"HOME": "/home/u", "LC_ALL": "C", "LC_TIME": "x", "PATH": "/w/bin",
				"FLAVOR_WORKENV": "/w", "FLAVOR_PACKAGE": "/p/hello.psp",
				"FLAVOR_COMMAND_NAME": "hello.psp", "FLAVOR_ORIGINAL_COMMAND": "./hello.psp"},
		},
		{
			name: "unset * passing PATH keeps the caller's PATH after workenv/bin",
			spec: envSpec{rules: EnvRules{Unset: []string{"*"}, Pass: []string{"PATH"}}, workenvBin: "/w/bin"},
			want: map[string]string{"PATH": "/w/bin:/usr/bin:/bin"},
		},
		{
			name: "exact and glob unset, pass protects, ? matches one character",
			spec: envSpec{rules: EnvRules{Unset: []string{"DROP_ME", "KEEP_ME", "SECRET", "A?", "LC_*"},
				Pass: []string{"KEEP_ME", "LC_ALL"}}},
			want: map[string]string{"HOME": "/home/u", "PATH": "/usr/bin:/bin", "LC_ALL": "C",
				"OLD_NAME": "v1", "KEEP_ME": "k", "FLAVOR_WORKENV": "/stale"},
		},
		{
			name: "map renames only existing variables, then set, then execution env wins",
			spec: envSpec{rules: EnvRules{Unset: []string{"*"}, Pass: []string{"OLD_NAME", "MISSING"},
				Map: map[string]string{"OLD_NAME": "NEW_NAME", "MISSING": "NEVER"},
				Set: map[string]string{"EXTRA": "x", "MODE": "set"}},
				exec: map[string]string{"MODE": "exec", "DATA": "/w/data"}},
			want: map[string]string{"NEW_NAME": "v1", "EXTRA": "x", "MODE": "exec", "DATA": "/w/data"},
		},
		{
			name: "execution env cannot override FLAVOR_* or PATH",
			spec: envSpec{exec: map[string]string{"FLAVOR_WORKENV": "/evil", "PATH": "/evil"}, flavor: flavor[:1],
				workenvBin: "/w/bin"},
			want: map[string]string{"HOME": "/home/u", "PATH": "/w/bin:/evil", "LC_ALL": "C",
				"LC_TIME": "x", "SECRET": "s", "OLD_NAME": "v1", "KEEP_ME": "k", "DROP_ME": "d", "A1": "1",
				"AB": "2", "FLAVOR_WORKENV": "/w"},
		},
		{
			name: "path_prepend and path_append around workenv/bin and PATH",
			spec: envSpec{rules: EnvRules{Unset: []string{"*"}, Pass: []string{"PATH"}},
				pathPrepend: []string{"/w/tools", "/opt/a"}, workenvBin: "/w/bin", pathAppend: []string{"/late"}},
			want: map[string]string{"PATH": "/w/tools:/opt/a:/w/bin:/usr/bin:/bin:/late"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := toMap(t, buildEnvFor(parent, tt.spec, false))
			if !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("env =\n%v\nwant\n%v", got, tt.want)
			}
		})
	}
}

func TestBuildEnvWindows(t *testing.T) {
	parent := []string{"=C:=C:\\x", "Path=C:\\Windows", "SystemRoot=C:\\Windows", "windir=C:\\Windows",
		"TEMP=C:\\t", "TMP=C:\\t", "PATHEXT=.EXE", "ComSpec=cmd.exe", "Secret=s", "UserName=u"}
	spec := envSpec{rules: EnvRules{Unset: []string{"*"}, Pass: []string{"user*"}},
		flavor: [][2]string{{"FLAVOR_WORKENV", `C:\w`}}, workenvBin: `C:\w\bin`}
	got := buildEnvFor(parent, spec, true)
	want := []string{"SystemRoot=C:\\Windows", "windir=C:\\Windows", "TEMP=C:\\t", "TMP=C:\\t",
		"PATHEXT=.EXE", "ComSpec=cmd.exe", "UserName=u", `FLAVOR_WORKENV=C:\w`, `PATH=C:\w\bin`}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("env =\n%q\nwant\n%q", got, want)
	}
	// With Path passed, its spelling is kept and workenv\bin goes first.
	spec.rules.Pass = []string{"PATH"}
	got = buildEnvFor(parent, spec, true)
	if m := toMap(t, got); m["Path"] != `C:\w\bin;C:\Windows` || m["PATH"] != "" {
		t.Fatalf("Path not kept with its spelling: %q", got)
	}
}

func toMap(t *testing.T, env []string) map[string]string {
	t.Helper()
	m := map[string]string{}
	seen := map[string]bool{}
	for _, kv := range env {
		e := newEnviron([]string{kv}, false)
		if len(e.entries) != 1 {
			t.Fatalf("malformed entry %q", kv)
		}
		k := e.entries[0].name
		if seen[k] {
			keys := make([]string, 0, len(env))
			keys = append(keys, env...)
			sort.Strings(keys)
			t.Fatalf("variable %s appears twice: %q", k, keys)
		}
		seen[k] = true
		m[k] = e.entries[0].value
	}
	return m
}

package specs

import (
	"errors"
	"testing"

	"github.com/flavor-dev/flavor/platform"
)

// FuzzParseEntries feeds arbitrary bytes to the definition.yaml and collection.yaml reader: it
// must never panic, and every error must be a *SpecError naming the file.
func FuzzParseEntries(f *testing.F) {
	for _, s := range []string{
		defA,
		"name: a\nversion: 1.10\n",
		"name: a\nrequires:\n- name: b\n  category: c\n  version: \">=1\"\nflags: {ssl: true}\n",
		"packages:\n- name: x\n  version: \"1\"\n- name: y\n",
		"packages: {}\n",
		"- a\n- b\n",
		"name: [a\n",
		"&a [*a]",
		"name: a\nrequires:\n- &d {name: b}\n- <<: *d\n  name: c\n",
		"packages:\n- &p {name: a, version: \"1\"}\n- <<: [*p, {x: 1}]\n  name: b\n  name: c\n",
		"a: &a {<<: *a}\n",
		"<<: 3\n",
	} {
		f.Add([]byte(s), false)
		f.Add([]byte(s), true)
	}
	f.Fuzz(func(t *testing.T, data []byte, collection bool) {
		entries, _, err := parseEntries("fuzz.yaml", data, collection, false)
		isFileErr := func(err error) {
			var se *SpecError
			if !errors.As(err, &se) || se.File != "fuzz.yaml" || !errors.Is(err, ErrInvalidSpec) {
				t.Fatalf("error %v is not a SpecError about fuzz.yaml", err)
			}
		}
		if err != nil {
			isFileErr(err)
			return
		}
		for _, e := range entries {
			if e.err != nil {
				isFileErr(e.err)
				continue
			}
			if e.def.Name == "" {
				t.Fatalf("accepted an entry without a name: %q", data)
			}
		}
	})
}

// FuzzRenderBuild feeds arbitrary text to build.yaml templating and decoding: it must never
// panic, and every error must be a *SpecError.
func FuzzRenderBuild(f *testing.F) {
	for _, s := range []string{
		"image: busybox\nsteps:\n- echo {{ .Values.name }}\n",
		"requires:\n- name: b\n  category: t\n  version: \">=1.0, <2\"\nrequires_final_images: true\n",
		"includes: ['[']\n",
		"join: []\n",
		"{{ define \"x\" }}{{ include \"x\" . }}{{ end }}{{ include \"x\" . }}",
		"copy:\n- image: a\n  source: /a\n  destination: /b\nsubpackages:\n- name: s\n  excludes: [^/usr]\n",
		"{{ .Values.nope.deeper }}",
		"platforms: [linux/arm64, 'bad']\ndelta: added\n",
	} {
		f.Add(s)
	}
	r, errs := newRenderer(nil)
	if len(errs) > 0 {
		f.Fatal(errs[0])
	}
	f.Fuzz(func(t *testing.T, text string) {
		w, err := r.worker()
		if err != nil {
			t.Fatal(err)
		}
		src, err := w.parse("build.yaml", text)
		if err != nil {
			var se *SpecError
			if !errors.As(err, &se) {
				t.Fatalf("parse error %v is not a SpecError", err)
			}
			return
		}
		s := &source{c: src, path: "build.yaml", actions: true}
		data := &templateData{Values: map[string]any{"name": "a"}, Flavor: map[string]bool{}, Platform: platform.Platform{OS: "linux", Arch: "amd64"}}
		root, c, err := s.render(data, buildHints, false)
		if err != nil {
			var se *SpecError
			if !errors.As(err, &se) {
				t.Fatalf("render error %v is not a SpecError", err)
			}
			return
		}
		var b buildYAML
		if err := c.decode(root, &b, false); err != nil {
			var se *SpecError
			if !errors.As(err, &se) {
				t.Fatalf("decode error %v is not a SpecError", err)
			}
			return
		}
		spec := b.spec()
		if spec.Delta != DeltaAdded && spec.Delta != DeltaChanged {
			t.Fatalf("delta %q accepted", spec.Delta)
		}
	})
}

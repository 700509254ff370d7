package specs

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/flavor-dev/flavor/platform"
)

func fakeDigest(s string) string {
	sum := sha256.Sum256([]byte(s))
	return "sha256:" + hex.EncodeToString(sum[:])
}

// digester pretends every image name has a digest derived from its name and platform.
func digester(_ context.Context, image string, p platform.Platform) (string, error) {
	return fakeDigest(image + "@" + p.String()), nil
}

func baseInputs() CacheInputs {
	return CacheInputs{
		Spec:       []byte(`{"name":"a"}`),
		Files:      fakeDigest("files"),
		BaseImage:  fakeDigest("busybox"),
		CopyImages: []string{fakeDigest("c1"), fakeDigest("c2")},
		Platform:   platform.Platform{OS: "linux", Arch: "amd64"},
		Flavor:     "ssl",
		Deps:       []string{fakeDigest("dep1"), fakeDigest("dep2")},
	}
}

func TestCacheKeyStableAndSensitive(t *testing.T) {
	base, err := CacheKey(baseInputs())
	if err != nil {
		t.Fatal(err)
	}
	if !digestPattern.MatchString(base) {
		t.Fatalf("key %q is not sha256:<hex>", base)
	}
	again, _ := CacheKey(baseInputs())
	swapped := baseInputs()
	swapped.Deps = []string{swapped.Deps[1], swapped.Deps[0]}
	reordered, _ := CacheKey(swapped)
	if again != base || reordered != base {
		t.Fatalf("same inputs gave %s, %s and %s", base, again, reordered)
	}
	changes := map[string]func(*CacheInputs){
		"spec":             func(in *CacheInputs) { in.Spec = []byte(`{"name":"b"}`) },
		"files":            func(in *CacheInputs) { in.Files = fakeDigest("other files") },
		"base image":       func(in *CacheInputs) { in.BaseImage = fakeDigest("alpine") },
		"no base image":    func(in *CacheInputs) { in.BaseImage = "" },
		"copy image":       func(in *CacheInputs) { in.CopyImages[1] = fakeDigest("c3") },
		"copy image order": func(in *CacheInputs) { in.CopyImages[0], in.CopyImages[1] = in.CopyImages[1], in.CopyImages[0] },
		"platform arch":    func(in *CacheInputs) { in.Platform.Arch = "arm64" },
		"platform variant": func(in *CacheInputs) { in.Platform.Variant = "v8" },
		"flavor":           func(in *CacheInputs) { in.Flavor = "!ssl" },
		"a dependency":     func(in *CacheInputs) { in.Deps[0] = fakeDigest("dep3") },
		"one more dep":     func(in *CacheInputs) { in.Deps = append(in.Deps, fakeDigest("dep3")) },
		"one dep less":     func(in *CacheInputs) { in.Deps = in.Deps[:1] },
		"dep moved to copy": func(in *CacheInputs) {
			in.CopyImages = append(in.CopyImages, in.Deps[1])
			in.Deps = in.Deps[:1]
		},
	}
	seen := map[string]string{base: "base"}
	for name, change := range changes {
		t.Run(name, func(t *testing.T) {
			in := baseInputs()
			change(&in)
			k, err := CacheKey(in)
			if err != nil {
				t.Fatal(err)
			}
			if other, dup := seen[k]; dup {
				t.Fatalf("changing %s gives the same key as %s", name, other)
			}
			seen[k] = name
		})
	}
}

func TestCacheKeyRejectsBadInputs(t *testing.T) {
	for name, change := range map[string]func(*CacheInputs){
		"no spec":     func(in *CacheInputs) { in.Spec = nil },
		"files":       func(in *CacheInputs) { in.Files = "md5:abc" },
		"base image":  func(in *CacheInputs) { in.BaseImage = "busybox:latest" },
		"platform":    func(in *CacheInputs) { in.Platform = platform.Platform{} },
		"dep":         func(in *CacheInputs) { in.Deps = []string{"x"} },
		"copy digest": func(in *CacheInputs) { in.CopyImages = []string{"sha256:short"} },
	} {
		t.Run(name, func(t *testing.T) {
			in := baseInputs()
			change(&in)
			if _, err := CacheKey(in); err == nil || !strings.Contains(err.Error(), "computing cache key") {
				t.Fatalf("err = %v", err)
			}
		})
	}
}

// makeDir creates files in the given order, each with its own mtime.
func makeDir(t *testing.T, order []string, contents map[string]string, mtime time.Time) string {
	t.Helper()
	dir := t.TempDir()
	for i, p := range order {
		full := filepath.Join(dir, p)
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(contents[p]), 0o644); err != nil {
			t.Fatal(err)
		}
		mt := mtime.Add(time.Duration(i) * time.Hour)
		if err := os.Chtimes(full, mt, mt); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func TestDigestDir(t *testing.T) {
	ctx := context.Background()
	contents := map[string]string{"build.yaml": "image: x\n", "definition.yaml": "name: a\n", "sub/script.sh": "echo hi\n", "z": ""}
	a := makeDir(t, []string{"build.yaml", "definition.yaml", "sub/script.sh", "z"}, contents, time.Unix(1e9, 0))
	b := makeDir(t, []string{"z", "sub/script.sh", "definition.yaml", "build.yaml"}, contents, time.Unix(2e9, 0))
	da, err := DigestDir(ctx, a, nil)
	if err != nil {
		t.Fatal(err)
	}
	db, _ := DigestDir(ctx, b, nil)
	if da != db {
		t.Fatalf("same files created in another order with other mtimes: %s vs %s", da, db)
	}
	changes := map[string]func(dir string) error{
		"content":   func(d string) error { return os.WriteFile(filepath.Join(d, "z"), []byte("x"), 0o644) },
		"mode":      func(d string) error { return os.Chmod(filepath.Join(d, "sub/script.sh"), 0o755) },
		"setuid":    func(d string) error { return os.Chmod(filepath.Join(d, "z"), 0o644|os.ModeSetuid) },
		"empty dir": func(d string) error { return os.Mkdir(filepath.Join(d, "empty"), 0o755) },
		"rename":    func(d string) error { return os.Rename(filepath.Join(d, "z"), filepath.Join(d, "y")) },
		"symlink":   func(d string) error { return os.Symlink("z", filepath.Join(d, "link")) },
		"file → symlink": func(d string) error {
			os.Remove(filepath.Join(d, "z"))
			return os.Symlink("elsewhere", filepath.Join(d, "z"))
		},
	}
	seen := map[string]string{da: "original"}
	for name, change := range changes {
		t.Run(name, func(t *testing.T) {
			d := makeDir(t, []string{"build.yaml", "definition.yaml", "sub/script.sh", "z"}, contents, time.Unix(1e9, 0))
			if err := change(d); err != nil {
				t.Fatal(err)
			}
			got, err := DigestDir(ctx, d, nil)
			if err != nil {
				t.Fatal(err)
			}
			if other, dup := seen[got]; dup {
				t.Fatalf("%s gives the same digest as %s", name, other)
			}
			seen[got] = name
		})
	}
	t.Run("symlink target", func(t *testing.T) {
		d1 := makeDir(t, nil, nil, time.Now())
		d2 := makeDir(t, nil, nil, time.Now())
		os.Symlink("one", filepath.Join(d1, "l"))
		os.Symlink("two", filepath.Join(d2, "l"))
		x, _ := DigestDir(ctx, d1, nil)
		y, _ := DigestDir(ctx, d2, nil)
		if x == y {
			t.Fatal("symlink targets do not count")
		}
	})
	t.Run("skip", func(t *testing.T) {
		d := makeDir(t, []string{"build.yaml", "definition.yaml", "sub/script.sh", "z"}, contents, time.Unix(1e9, 0))
		os.WriteFile(filepath.Join(d, "sub/other"), []byte("x"), 0o644)
		got, _ := DigestDir(ctx, d, func(rel string) bool { return rel == "sub" })
		want, _ := DigestDir(ctx, a, func(rel string) bool { return strings.HasPrefix(rel, "sub") })
		if got != want {
			t.Fatal("skipping a directory does not leave it out")
		}
	})
	if _, err := DigestDir(ctx, filepath.Join(a, "missing"), nil); err == nil || !strings.Contains(err.Error(), "digesting directory") {
		t.Fatalf("missing dir: %v", err)
	}
}

func keysOf(t *testing.T, tr *Tree, ref string) map[string]string {
	t.Helper()
	res := buildOrder(t, tr, ref)
	keys, err := res.CacheKeys(context.Background(), digester)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for p, k := range keys {
		out[p.ID()] = k
	}
	return out
}

func TestCacheKeyIgnoresUnrelatedSiblings(t *testing.T) {
	// Luet #187: adding a package that requires both qt and gnome-common changed qt's image
	// tag. Here qt's key depends only on qt and its own dependencies.
	files := map[string]string{
		"base/definition.yaml": "name: base\ncategory: t\nversion: \"1\"\n", "base/build.yaml": "image: busybox\nsteps: [x]\n",
		"qt/definition.yaml": "name: qt\ncategory: t\nversion: \"1\"\n", "qt/build.yaml": "requires:\n- {name: base, category: t}\nsteps: [x]\n",
		"gc/definition.yaml": "name: gnome-common\ncategory: t\nversion: \"1\"\n", "gc/build.yaml": "requires:\n- {name: base, category: t}\nsteps: [x]\n",
	}
	root := writeTree(t, files)
	before := keysOf(t, loadTree(t, root), "t/qt")
	if err := os.MkdirAll(filepath.Join(root, "app"), 0o755); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(root, "app/definition.yaml"), []byte("name: app\ncategory: t\nversion: \"1\"\n"), 0o644)
	os.WriteFile(filepath.Join(root, "app/build.yaml"), []byte("requires:\n- {name: gnome-common, category: t}\n- {name: qt, category: t}\nsteps: [x]\n"), 0o644)
	tr := loadTree(t, root)
	after := keysOf(t, tr, "t/app")
	if before["t/qt@1"] == "" || after["t/qt@1"] != before["t/qt@1"] || after["t/base@1"] != before["t/base@1"] {
		t.Fatalf("qt's key changed when an unrelated package was added:\n%v\n%v", before, after)
	}
	// while a change in a dependency does reach its dependents
	os.WriteFile(filepath.Join(root, "base/build.yaml"), []byte("image: busybox\nsteps: [y]\n"), 0o644)
	changed := keysOf(t, loadTree(t, root), "t/app")
	for _, id := range []string{"t/base@1", "t/qt@1", "t/gnome-common@1", "t/app@1"} {
		if changed[id] == after[id] {
			t.Fatalf("%s kept its key after base changed", id)
		}
	}
}

func TestCacheKeyCollectionEntries(t *testing.T) {
	// Luet #287: editing one collection entry must not rebuild the others.
	col := func(xVer string) string {
		return "packages:\n- name: x\n  category: t\n  version: \"" + xVer + "\"\n  extra: 1\n- name: y\n  category: t\n  version: \"1\"\n"
	}
	root := writeTree(t, map[string]string{"c/collection.yaml": col("1"), "c/build.yaml": "image: busybox\nsteps:\n- echo {{ .Values.name }}\n"})
	ky := keysOf(t, loadTree(t, root), "t/y")
	kx := keysOf(t, loadTree(t, root), "t/x")
	os.WriteFile(filepath.Join(root, "c/collection.yaml"), []byte(col("2")), 0o644)
	tr := loadTree(t, root)
	if got := keysOf(t, tr, "t/y"); got["t/y@1"] != ky["t/y@1"] {
		t.Fatal("editing entry x changed y's key")
	}
	if got := keysOf(t, tr, "t/x"); got["t/x@2"] == kx["t/x@1"] {
		t.Fatal("editing entry x kept x's key")
	}
	// a file next to the collection is an input of every member
	os.WriteFile(filepath.Join(root, "c/patch.diff"), []byte("+1\n"), 0o644)
	if got := keysOf(t, loadTree(t, root), "t/y"); got["t/y@1"] == ky["t/y@1"] {
		t.Fatal("a new file in the directory did not change y's key")
	}
}

func TestCacheKeyFollowsRenderedSpec(t *testing.T) {
	// Luet #207: values files change the key through the rendered spec; platform and flavor
	// change it too, but a flag the package does not declare does not.
	root := writeTree(t, map[string]string{
		"a/definition.yaml": "name: a\ncategory: t\nversion: \"1\"\nflags: {ssl: true}\n",
		"a/build.yaml":      "image: busybox\nsteps:\n- echo {{ .Values.greeting }}\n",
		"v1.yaml":           "greeting: hello\n",
		"v2.yaml":           "greeting: bonjour\n",
		"v3.yaml":           "greeting: hello\nunused: 1\n",
	})
	key := func(opts ...Option) string {
		return keysOf(t, loadTree(t, root, opts...), "t/a")["t/a@1"]
	}
	amd := WithPlatform(platform.Platform{OS: "linux", Arch: "amd64"})
	base := key(amd, WithValuesFiles(filepath.Join(root, "v1.yaml")))
	if key(amd, WithValuesFiles(filepath.Join(root, "v1.yaml"))) != base {
		t.Fatal("the same inputs gave another key")
	}
	if key(amd, WithValuesFiles(filepath.Join(root, "v3.yaml"))) != base {
		t.Fatal("a value the spec does not use changed the key")
	}
	if key(amd, WithValuesFiles(filepath.Join(root, "v1.yaml")), WithFlavor("other")) != base {
		t.Fatal("a flag the package does not declare changed the key")
	}
	for name, opts := range map[string][]Option{
		"values":   {amd, WithValuesFiles(filepath.Join(root, "v2.yaml"))},
		"platform": {WithPlatform(platform.Platform{OS: "linux", Arch: "arm64"}), WithValuesFiles(filepath.Join(root, "v1.yaml"))},
		"flavor":   {amd, WithValuesFiles(filepath.Join(root, "v1.yaml")), WithFlavor("!ssl")},
	} {
		if key(opts...) == base {
			t.Errorf("changing the %s kept the key", name)
		}
	}
}

func TestCanonicalIgnoresFormatting(t *testing.T) {
	a := loadTree(t, writeTree(t, map[string]string{"a/definition.yaml": defA, "a/build.yaml": "image: busybox\nsteps: [x, y]\n"}))
	b := loadTree(t, writeTree(t, map[string]string{"a/definition.yaml": "# comment\nversion: '1.0'\ncategory: test\nname: a\n", "a/build.yaml": "# built\nsteps:\n  - x\n  - y\nimage: 'busybox'\n"}))
	ca, cb := mustLookup(t, a, "test/a").Canonical(), mustLookup(t, b, "test/a").Canonical()
	if string(ca) != string(cb) {
		t.Fatalf("canonical forms differ:\n%s\n%s", ca, cb)
	}
}

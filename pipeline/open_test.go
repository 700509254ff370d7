package pipeline

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/flavor-dev/flavor/engine"
	"github.com/flavor-dev/flavor/specs/manifest"
)

// closedEngine records its Close; every other method is the nil interface's (never called).
type closedEngine struct {
	engine.Engine
	closed chan struct{}
}

func (e *closedEngine) Close() error { close(e.closed); return nil }

// installManifest writes a manifest with one [install] entry naming pkg, and a tree holding
// cat/app and others more packages.
func installManifest(t testing.TB, pkg string, others int) *manifest.Manifest {
	t.Helper()
	dir := t.TempDir()
	files := map[string]string{
		"packages/cat/app/definition.yaml": "name: app\ncategory: cat\nversion: \"1\"\n",
		"packages/cat/app/build.yaml":      "image: busybox:latest\nsteps:\n- true\n",
		"flavor.toml": "schema-version = \"1\"\n[package]\nname = \"p\"\nversion = \"1\"\n[options]\nsystems = [\"linux/amd64\"]\n" +
			"trees = [\"packages\"]\n[install]\napp.pkg-path = \"" + pkg + "\"\n[execution]\ncommand = \"true\"\n",
	}
	for i := range others {
		d := fmt.Sprintf("packages/other/p%d/", i)
		files[d+"definition.yaml"] = fmt.Sprintf("name: p%d\ncategory: other\nversion: \"1.%d\"\nrequires:\n- category: cat\n  name: app\n", i, i)
		files[d+"build.yaml"] = "image: busybox:latest\nsteps:\n- echo {{ .Values.name }}\n"
	}
	for name, body := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	m, err := manifest.Load(context.Background(), filepath.Join(dir, "flavor.toml"))
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// TestLockOpensTheEngineWhilePlanning: the engine is opened beside resolving the trees. A
// mistake in the manifest is reported without waiting for the engine, and an engine that opens
// anyway is closed; an engine that fails to open is the error once the plan stands.
func TestLockOpensTheEngineWhilePlanning(t *testing.T) {
	t.Run("plan fails", func(t *testing.T) {
		called := make(chan struct{})
		eng := &closedEngine{closed: make(chan struct{})}
		open := func(ctx context.Context) (engine.Engine, error) {
			close(called)
			<-ctx.Done() // an engine that answers only after the plan failed
			return eng, nil
		}
		_, err := Lock(context.Background(), installManifest(t, "cat/missing", 0), WithEngine(open), WithLauncher(countingLauncher{}))
		if err == nil || !strings.Contains(err.Error(), "cat/missing") {
			t.Fatalf("error %v; want the plan's, naming the missing package", err)
		}
		for name, ch := range map[string]chan struct{}{"opened": called, "closed": eng.closed} {
			select {
			case <-ch:
			case <-time.After(10 * time.Second):
				t.Fatalf("the engine was not %s", name)
			}
		}
	})
	t.Run("engine fails", func(t *testing.T) {
		down := errors.New("engine down")
		open := func(context.Context) (engine.Engine, error) { return nil, down }
		_, err := Lock(context.Background(), installManifest(t, "cat/app", 0), WithEngine(open), WithLauncher(countingLauncher{}))
		if !errors.Is(err, down) {
			t.Fatalf("error %v; want the engine's", err)
		}
	})
}

// BenchmarkLockEngineOpen is the time until Lock holds its engine when opening it takes 40 ms
// (a ping and the engine's info on a loaded machine), for a tree of 300 packages: opened beside
// reading the lock and resolving the trees, against the obvious alternative, opening it after them (what Lock did
// before). bench/pack.sh prints the ratio.
func BenchmarkLockEngineOpen(b *testing.B) {
	m := installManifest(b, "cat/app", 300)
	stop := errors.New("stop") // Lock returns once it has the engine: nothing is built
	run := func(b *testing.B, open func(context.Context) (engine.Engine, error), after time.Duration) {
		for i := 0; i < b.N; i++ {
			if _, err := Lock(context.Background(), m, WithEngine(open), WithLauncher(countingLauncher{})); !errors.Is(err, stop) {
				b.Fatal(err)
			}
			time.Sleep(after)
		}
	}
	b.Run("beside planning", func(b *testing.B) {
		run(b, func(context.Context) (engine.Engine, error) { time.Sleep(40 * time.Millisecond); return nil, stop }, 0)
	})
	b.Run("after planning", func(b *testing.B) {
		run(b, func(context.Context) (engine.Engine, error) { return nil, stop }, 40*time.Millisecond)
	})
}

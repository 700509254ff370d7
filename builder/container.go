package builder

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os"
	"sort"
	"strings"

	"github.com/flavor-dev/flavor/delta"
	"github.com/flavor-dev/flavor/engine"
	"github.com/flavor-dev/flavor/progress"
	"github.com/flavor-dev/flavor/specs"
)

// workDir is where the package directory is copied and where commands run (Luet's /luetbuild).
const workDir = delta.DefaultBuildDir

// runContainers builds n in containers. With out set it writes n's artifacts there (and
// commits n's package image when a dependent of this build needs it); with out empty it only
// makes the package image (a dependent needs it and the artifact came from the cache).
//
// The builder stage is a container of its own, committed as the baseline of the delta, only
// when the baseline must differ from the build root: in delta mode, when prelude, copy or
// retrieve put files there that must not ship (or includes could pick out context files).
// Otherwise the steps run in the builder container itself: the build context in /luetbuild and
// the environment never count in a delta, and unpack and package_dir have no baseline.
func (b *builder) runContainers(ctx context.Context, n *node, out string) error {
	root, err := b.rootImage(ctx, n)
	if err != nil {
		return err
	}
	st := &stage{b: b, n: n, root: root}
	defer st.cleanup()
	if err := st.builder(ctx, root); err != nil {
		return err
	}
	if n.pkg.Spec.Empty() {
		// An image-only seed: its builder image is its package image.
		return st.commit(ctx, st.builderID, n.pkgTag())
	}
	if oneStage(n.pkg.Spec) {
		st.packageID, st.builderID = st.builderID, ""
	} else if err := st.commit(ctx, st.builderID, ""); err != nil {
		return err
	}
	if err := st.steps(ctx); err != nil {
		return err
	}
	if out != "" {
		if err := st.extract(ctx, out); err != nil {
			return err
		}
	}
	if out == "" || n.users > 0 {
		if out != "" {
			// Same key, same inputs: an image already tagged with it (an earlier build whose
			// artifact has since left the cache) serves as well, and keeps the engine tidy.
			if ok, err := b.imageExists(ctx, n.pkgTag()); err == nil && ok {
				return nil
			}
		}
		return st.commit(ctx, st.packageID, n.pkgTag())
	}
	return nil
}

// oneStage reports whether a package's steps can run in its builder container (see
// runContainers).
func oneStage(spec *specs.Spec) bool {
	if spec.Unpack || spec.PackageDir != "" {
		return true
	}
	return len(spec.Prelude) == 0 && len(spec.Copy) == 0 && len(spec.Retrieve) == 0 && len(spec.Includes) == 0
}

// stage holds the containers and images of one package's build until cleanup.
type stage struct {
	b          *builder
	n          *node
	env        []string // container environment (fixed part and the spec's env, expanded)
	builderID  string   // builder-stage container
	root       string   // the build root image
	builderImg string   // committed builder image id; "" when the steps run in the builder container
	packageID  string   // package-stage container
	baseID     string   // a container of the builder image, for reading base paths remotely
	committed  bool     // a package image was committed on top of the builder image
}

// cleanup removes every container of the stage (with a context that is not cancelled, so it
// also runs after Ctrl-C) and the builder image unless a package image sits on it. It runs in
// the background, off the path to the next package; Build returns only once it is done.
func (s *stage) cleanup() {
	ids := []string{s.packageID, s.baseID, s.builderID}
	img := ""
	if s.builderImg != "" && !s.committed {
		img = s.builderImg
	}
	s.packageID, s.baseID, s.builderID = "", "", ""
	s.b.background(func() {
		ctx := context.WithoutCancel(context.Background())
		for _, id := range ids {
			if id != "" {
				if err := s.b.eng.Remove(ctx, id); err != nil {
					s.b.o.logger.Warn("removing a build container", "id", id, "err", err)
				}
			}
		}
		if img != "" {
			if err := s.b.eng.RemoveImage(ctx, img); err != nil {
				s.b.o.logger.Debug("removing a builder image", "id", img, "err", err)
			}
		}
	})
}

// create starts a build container of image with the stage's environment. With run false
// nothing will run in it (see engine.ContainerSpec.FilesOnly).
func (s *stage) create(ctx context.Context, image string, run bool) (string, error) {
	id, err := s.b.eng.Create(ctx, engine.ContainerSpec{
		Image: image, Platform: s.n.platform, Env: s.env, WorkDir: workDir, Package: s.n.id(), FilesOnly: !run,
	})
	if err != nil {
		return "", fmt.Errorf("building %s for %s: %w", s.n.id(), s.n.platform, err)
	}
	s.b.containers.Add(1)
	return id, nil
}

// builder runs the builder stage: context, env, copy, retrieve, prelude.
func (s *stage) builder(ctx context.Context, root string) error {
	n, spec := s.n, s.n.pkg.Spec
	s.env = fixedEnv(n)
	var err error
	// The steps run in this container too when the build has one stage.
	run := len(spec.Prelude) > 0 || envNeedsRoot(spec.Env) || (oneStage(spec) && len(spec.Steps) > 0)
	if s.builderID, err = s.create(ctx, root, run); err != nil {
		return err
	}
	if len(spec.Env) > 0 {
		if s.env, err = s.expandEnv(ctx, spec.Env); err != nil {
			return err
		}
	}
	if err := s.copyContext(ctx); err != nil {
		return err
	}
	for i, c := range spec.Copy {
		if err := s.copyEntry(ctx, i, c.Source, c.Destination, c.Image); err != nil {
			return err
		}
	}
	for _, r := range spec.Retrieve {
		if err := s.b.retrieve(ctx, s.n, r, s.copyStream); err != nil {
			return err
		}
	}
	for i, line := range spec.Prelude {
		if err := s.exec(ctx, s.builderID, StagePrelude, i, len(spec.Prelude), line); err != nil {
			return err
		}
	}
	return nil
}

// commit commits container id, as tag when set, and removes the container. Committing the
// builder container records the builder image; the package container, the package image.
func (s *stage) commit(ctx context.Context, id, tag string) error {
	b, n := s.b, s.n
	img, err := b.eng.Commit(ctx, id, engine.CommitSpec{
		Ref: tag, Comment: "flavor build of " + n.id() + " for " + n.platform.String(),
		Labels: map[string]string{"dev.flavor.package": n.id(), "dev.flavor.cache-key": n.key},
	})
	if err != nil {
		return fmt.Errorf("building %s for %s: %w", n.id(), n.platform, err)
	}
	if id == s.builderID && tag == "" {
		s.builderImg = img
		if err := b.eng.Remove(ctx, id); err != nil {
			return fmt.Errorf("building %s for %s: %w", n.id(), n.platform, err)
		}
		s.builderID = ""
	} else {
		s.committed = true
	}
	return nil
}

// steps runs the package stage: each step in turn in a container of the builder image (or in
// the builder container itself, see oneStage).
func (s *stage) steps(ctx context.Context) error {
	if s.packageID == "" {
		var err error
		if s.packageID, err = s.create(ctx, s.builderImg, len(s.n.pkg.Spec.Steps) > 0); err != nil {
			return err
		}
	}
	steps := s.n.pkg.Spec.Steps
	for i, line := range steps {
		if err := s.exec(ctx, s.packageID, StageStep, i, len(steps), line); err != nil {
			return err
		}
	}
	return nil
}

// exec runs one prelude line or step with /bin/sh -c, streaming its output (stderr joined to
// stdout) as updates.
func (s *stage) exec(ctx context.Context, id string, st progress.Stage, i, count int, line string) error {
	n := s.n
	pkg, plat := n.id(), n.platform.String()
	s.b.rep.send(progress.Event{Stage: st, Package: pkg, Platform: plat, Done: int64(i + 1), Total: int64(count), Message: line})
	lw := &lineWriter{emit: func(l string) {
		s.b.rep.send(progress.Event{Stage: StageOutput, Package: pkg, Platform: plat, Message: l})
	}}
	// The engine copies stdout and stderr separately, so their lines would interleave at
	// random; joining them in the shell keeps the order they were written in.
	cmd := []string{"/bin/sh", "-c", "exec 2>&1\n" + line}
	code, err := s.b.eng.Exec(ctx, id, engine.ExecSpec{Cmd: cmd, Env: s.env, Stdout: lw, Stderr: lw})
	lw.flush()
	if err != nil {
		if ctx.Err() != nil {
			return fmt.Errorf("building %s for %s: %s %d of %d `%s` stopped: %w", pkg, plat, st, i+1, count, line, context.Cause(ctx))
		}
		return fmt.Errorf("building %s for %s: %s %d of %d `%s`: %w", pkg, plat, st, i+1, count, line, err)
	}
	if code != 0 {
		return &StepError{Package: pkg, Platform: plat, Stage: st, Index: i + 1, Count: count,
			Command: line, ExitCode: code, Output: lw.lastLines()}
	}
	return nil
}

// fixedEnv is the environment every build container of n gets: the package's identity, the
// target platform as Docker builds name it, and one FLAVOR_<FLAG>=1|0 per flavor flag.
func fixedEnv(n *node) []string {
	p, pl := n.pkg, n.platform
	env := []string{
		"PACKAGE_NAME=" + p.Name, "PACKAGE_VERSION=" + p.Version, "PACKAGE_CATEGORY=" + p.Category,
		"TARGETPLATFORM=" + pl.String(), "TARGETOS=" + pl.OS, "TARGETARCH=" + pl.Arch,
	}
	if pl.Variant != "" {
		env = append(env, "TARGETVARIANT="+pl.Variant)
	}
	flags := make([]string, 0, len(p.Flavor))
	for f := range p.Flavor {
		flags = append(flags, f)
	}
	sort.Strings(flags)
	for _, f := range flags {
		v := "0"
		if p.Flavor[f] {
			v = "1"
		}
		env = append(env, "FLAVOR_"+flavorEnvName(f)+"="+v)
	}
	return env
}

// flavorEnvName upper-cases a flag for an environment variable name, "-" becoming "_".
func flavorEnvName(f string) string {
	return strings.ToUpper(strings.ReplaceAll(f, "-", "_"))
}

// envNeedsRoot reports whether an env entry refers to a variable, which expandEnv reads from
// the build root with its shell.
func envNeedsRoot(entries []string) bool {
	for _, e := range entries {
		if strings.Contains(e, "$") {
			return true
		}
	}
	return false
}

// needsShell reports whether building spec runs commands in its build root, which then must
// have /bin/sh: a prelude, steps, or env values that refer to variables.
func needsShell(spec *specs.Spec) bool {
	return len(spec.Prelude) > 0 || len(spec.Steps) > 0 || envNeedsRoot(spec.Env)
}

// expandEnv adds the spec's env entries to the stage's environment, expanding $VAR and ${VAR}
// in each value against the root image's environment and the entries before it, as Docker's
// ENV does. The root's environment is read from the builder container only when a value refers
// to a variable.
func (s *stage) expandEnv(ctx context.Context, entries []string) ([]string, error) {
	vars := map[string]string{}
	if envNeedsRoot(entries) {
		var out bytes.Buffer
		code, err := s.b.eng.Exec(ctx, s.builderID, engine.ExecSpec{Cmd: []string{"/bin/sh", "-c", "env"}, Stdout: &out})
		if err != nil || code != 0 {
			return nil, fmt.Errorf("building %s for %s: reading the build root's environment for env: (exit %d): %v", s.n.id(), s.n.platform, code, err)
		}
		sc := bufio.NewScanner(&out)
		for sc.Scan() {
			if k, v, ok := strings.Cut(sc.Text(), "="); ok {
				vars[k] = v
			}
		}
	}
	env := append([]string(nil), s.env...)
	for _, e := range env {
		k, v, _ := strings.Cut(e, "=")
		vars[k] = v
	}
	for _, e := range entries {
		k, v, ok := strings.Cut(e, "=")
		if !ok || k == "" {
			return nil, fmt.Errorf("building %s for %s: env entry %q: want KEY=VALUE", s.n.id(), s.n.platform, e)
		}
		v = os.Expand(v, func(name string) string { return vars[name] })
		vars[k] = v
		env = append(env, k+"="+v)
	}
	return env, nil
}

package bundle

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"path"
	"strings"
	"sync"
	"time"

	"github.com/flavor-dev/flavor/ops"
	"github.com/flavor-dev/flavor/packer"
	"github.com/flavor-dev/flavor/sbom"
	"github.com/flavor-dev/flavor/specs/manifest"
)

// sbomRun gathers, while one package is written, what its SBOM says: the packer's slot tap
// scans every content slot as it is encoded, and the document slots, written last, hold the
// documents rendered from those scans. Rendering starts once the last content slot's scan is
// done, beside the encoder's last frames, or else on the first read of a document slot.
type sbomRun struct {
	ctx   context.Context
	desc  sbom.Description
	slots []Slot

	mu      sync.Mutex
	taps    map[int]*sbom.Tap
	ids     map[int]packer.TapSlot
	scanned int // taps closed
	once    sync.Once
	docs    map[string][]byte
	err     error
	start   time.Time
}

func (o *options) newSBOMRun(ctx context.Context, m *manifest.Manifest, platform string, slots []Slot, launcher []byte) *sbomRun {
	pkg := m.Package()
	d := sbom.Description{
		Name: pkg.Name, Version: pkg.Version, Description: pkg.Description, Platform: platform,
		Flavor: m.Options().Flavor.String(), ToolVersion: o.toolVersion, Created: o.epoch,
	}
	if l, ok := m.Metadata()["license"].(string); ok {
		d.License = l
	}
	if pub, ok := o.signer.Public().(ed25519.PublicKey); ok {
		d.PublicKey = hex.EncodeToString(pub)
	}
	sum := sha256.Sum256(launcher)
	d.Build = sbom.Build{
		Manifest: path.Base(strings.ReplaceAll(m.File(), "\\", "/")), ManifestDigest: m.Digest(),
		Engine: o.build.Engine, LockDigest: o.build.LockDigest,
		Launcher: packer.FormatSHA256(sum),
	}
	seen := map[string]bool{}
	for _, s := range slots {
		for _, c := range s.Components {
			if !seen[c.Ref] {
				seen[c.Ref] = true
				d.Components = append(d.Components, c)
			}
		}
		d.Notes = append(d.Notes, s.Notes...)
	}
	return &sbomRun{ctx: ctx, desc: d, slots: slots, taps: map[int]*sbom.Tap{}, ids: map[int]packer.TapSlot{}, start: time.Now()}
}

// tap is the packer's slot tap: a scanner for each content slot.
func (r *sbomRun) tap(ts packer.TapSlot) io.WriteCloser {
	if sbom.IsEmbeddedSlot(ts.ID) {
		return nil
	}
	t := sbom.NewTap(r.ctx, ts.Tar, ts.Target)
	r.mu.Lock()
	r.taps[ts.Index], r.ids[ts.Index] = t, ts
	r.mu.Unlock()
	return &scanTap{Tap: t, run: r}
}

// scanTap is a content slot's tap; closing the last one starts rendering the documents.
type scanTap struct {
	*sbom.Tap
	run *sbomRun
}

func (t *scanTap) Close() error {
	err := t.Tap.Close()
	r := t.run
	r.mu.Lock()
	r.scanned++
	last := err == nil && r.scanned == len(r.slots)
	r.mu.Unlock()
	if last {
		go r.render() // the document slots' reads wait for it
	}
	return err
}

// documentSlots are the slots holding the documents, after every content slot.
func (r *sbomRun) documentSlots() []packer.Slot {
	var out []packer.Slot
	for _, es := range sbom.EmbeddedSlots {
		out = append(out, packer.Slot{
			ID: es.ID, Reader: &lazyDoc{run: r, format: es.Format}, Source: "sbom " + es.Format,
			Target: es.Target, Operations: ops.Chain{ops.Gzip}, Purpose: "data", Lifecycle: sbom.Lifecycle,
			Permissions: 0o644,
		})
	}
	return out
}

// render makes the documents once, from the scans of every content slot (all encoded by the
// time the first document slot is read).
func (r *sbomRun) render() (map[string][]byte, error) {
	r.once.Do(func() {
		r.mu.Lock()
		defer r.mu.Unlock()
		d := r.desc
		owners := map[string]string{}
		for _, s := range r.slots {
			for p, ref := range s.FileOwners {
				owners[s.ID+"\x00"+p] = ref
			}
		}
		for i := 0; i < len(r.ids); i++ {
			ts, ok := r.ids[i]
			if !ok {
				r.err = fmt.Errorf("slot %d was not scanned", i)
				return
			}
			res := r.taps[i].Result()
			slot := sbom.Slot{Index: i, ID: ts.ID, Target: ts.Target, Content: res.Content}
			for _, f := range res.Files {
				f.Owner = owners[ts.ID+"\x00"+f.Path]
				slot.Files = append(slot.Files, f)
			}
			// Python distributions found in the tree own their files and sit inside the spec
			// package that ships their METADATA.
			for _, py := range res.Python {
				c := sbom.FromPkgdb(py, ts.ID)
				own := map[string]bool{}
				for _, f := range py.Files {
					own[f] = true
				}
				var parent string
				for j, f := range slot.Files {
					if own[f.Path] {
						if parent == "" && strings.HasSuffix(f.Path, ".dist-info/METADATA") {
							parent = f.Owner
						}
						slot.Files[j].Owner = c.Ref
					}
				}
				d.Components = append(d.Components, c)
				for k := range d.Components {
					if d.Components[k].Ref == parent {
						d.Components[k].Contains = append(d.Components[k].Contains, c.Ref)
					}
				}
			}
			d.Slots = append(d.Slots, slot)
		}
		if d.Created != nil {
			start, end := r.start, time.Now()
			d.Build.Started, d.Build.Finished = &start, &end
		}
		r.docs, r.err = renderDocuments(&d)
	})
	return r.docs, r.err
}

// renderDocuments renders every format's document of d, all at once (each only reads d); the
// error is the first format's in sbom.Formats order.
func renderDocuments(d *sbom.Description) (map[string][]byte, error) {
	docs := make([][]byte, len(sbom.Formats))
	errs := make([]error, len(sbom.Formats))
	var wg sync.WaitGroup
	for i, f := range sbom.Formats {
		wg.Add(1)
		go func() {
			defer wg.Done()
			docs[i], errs[i] = d.Document(f)
		}()
	}
	wg.Wait()
	out := map[string][]byte{}
	for i, f := range sbom.Formats {
		if errs[i] != nil {
			return nil, errs[i]
		}
		out[f] = docs[i]
	}
	return out, nil
}

// lazyDoc reads one document, rendering them all on the first read.
type lazyDoc struct {
	run    *sbomRun
	format string
	r      *bytes.Reader
}

func (l *lazyDoc) Read(p []byte) (int, error) {
	if l.r == nil {
		docs, err := l.run.render()
		if err != nil {
			return 0, fmt.Errorf("making the SBOM: %w", err)
		}
		l.r = bytes.NewReader(docs[l.format])
	}
	return l.r.Read(p)
}

// BuildInfo is what the provenance records about the build around Pack: the engine the
// [install] packages were built with and the lock's digest. Whether the lock was used as it is
// (--locked) is left out: a package packed with and without --locked from the same lock must
// have the same bytes.
type BuildInfo struct {
	Engine     string // "docker"; "" when nothing was built
	LockDigest string // "sha256:<hex>" of flavor.lock
}

// WithBuildInfo records b in every package's provenance. Several calls add up: a field set by a
// later call replaces the earlier value.
func WithBuildInfo(b BuildInfo) Option {
	return func(o *options) error {
		if b.Engine != "" {
			o.build.Engine = b.Engine
		}
		if b.LockDigest != "" {
			o.build.LockDigest = b.LockDigest
		}
		return nil
	}
}

// WithoutSBOM leaves the SBOM and provenance slots out of every package (see package sbom).
func WithoutSBOM() Option {
	return func(o *options) error { o.noSBOM = true; return nil }
}

// SBOMFiles is the sink that writes the package's documents beside it: <package>.spdx.json,
// <package>.cdx.json and <package>.intoto.json for the formats asked for. The SBOMs are the
// bytes inside the package; the provenance sidecar names the .psp file itself as its first
// subject, then the slots.
func SBOMFiles(formats ...string) Sink { return sbomFiles{formats: formats} }

type sbomFiles struct{ formats []string }

func (s sbomFiles) Name() string { return "SBOM files (" + strings.Join(s.formats, ", ") + ")" }

// SidecarName is the sidecar file of a format beside package path.
func SidecarName(pkgPath, format string) string {
	switch format {
	case sbom.FormatSPDX:
		return pkgPath + ".spdx.json"
	case sbom.FormatCycloneDX:
		return pkgPath + ".cdx.json"
	}
	return pkgPath + ".intoto.json"
}

func (s sbomFiles) Emit(ctx context.Context, _ *manifest.Manifest, out Output) ([]string, error) {
	p, err := packer.Open(ctx, out.Path)
	if err != nil {
		return nil, err
	}
	defer p.Close()
	var written []string
	for _, f := range s.formats {
		doc, err := sbom.Embedded(ctx, p, f)
		if err != nil {
			return written, err
		}
		if f == sbom.FormatProvenance {
			if doc, err = fileSubject(doc, out); err != nil {
				return written, err
			}
		}
		path := SidecarName(out.Path, f)
		if err := writeFileAtomic(path, doc); err != nil {
			return written, err
		}
		written = append(written, path)
	}
	return written, nil
}

// fileSubject puts the .psp file first among a statement's subjects.
func fileSubject(doc []byte, out Output) ([]byte, error) {
	var st sbom.Statement
	if err := json.Unmarshal(doc, &st); err != nil {
		return nil, fmt.Errorf("reading the embedded provenance: %w", err)
	}
	sum, ok := strings.CutPrefix(out.SHA256, "sha256:")
	if !ok {
		return nil, fmt.Errorf("the package has no SHA-256 (%q)", out.SHA256)
	}
	st.Subject = append([]sbom.Subject{{Name: path.Base(strings.ReplaceAll(out.Path, "\\", "/")), Digest: map[string]string{"sha256": sum}}}, st.Subject...)
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(st); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

package pipeline

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"

	"github.com/flavor-dev/flavor/bundle"
	"github.com/flavor-dev/flavor/specs/manifest"
)

// PackResult is what [Pack] wrote: the packages (those written before a failure too), and for a
// manifest with [install] entries what [Lock] did for them (nil otherwise).
type PackResult struct {
	Packages []bundle.Output
	Install  *LockResult
}

// Pack writes one signed .psp per platform for m (see bundle.Pack for the platforms, slots and
// checks), then runs the sinks of bundle.WithSinks on each. [install] entries are first locked
// and built as [Lock] does (writing flavor.lock when it changed, unless [WithFrozen]), one slot
// per pkg-group. A signer (bundle.WithSigner through [WithPackOptions]) is required.
func Pack(ctx context.Context, m *manifest.Manifest, opts ...Option) (*PackResult, error) {
	if m == nil {
		return nil, errors.New("packing: nil manifest")
	}
	o, err := makeOptions(opts)
	if err != nil {
		return nil, fmt.Errorf("packing %s: %w", m.File(), err)
	}
	o.launchers = once(o.launchers)
	popts := append([]bundle.Option{bundle.WithLauncher(o.launchers)}, o.packOpts...)
	for _, p := range o.platforms {
		popts = append(popts, bundle.WithPlatforms(p))
	}
	res := &PackResult{}
	if !m.PackOnly() {
		in, err := o.lock(ctx, m, o.packSystems(m))
		if err != nil {
			return nil, err
		}
		defer in.Close()
		res.Install = in
		src, err := bundle.NewInstallSource(ctx, in.Result, "")
		if err != nil {
			return res, err
		}
		defer src.Close()
		popts = append(popts, bundle.WithInstall(src))
		if in.Lock != nil {
			b, err := in.Lock.Encode()
			if err != nil {
				return res, fmt.Errorf("packing %s: encoding the lock: %w", m.File(), err)
			}
			sum := sha256.Sum256(b)
			popts = append(popts, bundle.WithBuildInfo(bundle.BuildInfo{
				LockDigest: "sha256:" + hex.EncodeToString(sum[:]),
			}))
		}
	}
	res.Packages, err = bundle.Pack(ctx, m, popts...)
	return res, err
}

// packSystems are the systems Pack locks: the platforms asked for, else (when the manifest lists
// no options.systems) those of a launcher source with fixed platforms, as bundle.Pack picks.
func (o *options) packSystems(m *manifest.Manifest) []string {
	if len(o.platforms) > 0 || len(m.Options().Systems) > 0 {
		return o.platforms
	}
	if l, ok := o.launchers.(interface{ Platforms() []string }); ok {
		return l.Platforms()
	}
	return nil
}

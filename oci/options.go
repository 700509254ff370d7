package oci

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"time"

	"github.com/flavor-dev/flavor/progress"
	"github.com/google/go-containerregistry/pkg/authn"
)

// Option configures the constructors and operations of this package ([NewResolver],
// [NewBaseImage], [PushArtifact], …). Each documents the options it reads; others are ignored.
type Option func(*options) error

type options struct {
	logger    *slog.Logger
	keychain  authn.Keychain
	transport http.RoundTripper
	epoch     *time.Time
	progress  progress.Func
}

func makeOptions(opts []Option) (*options, error) {
	o := &options{
		logger:   slog.New(slog.NewTextHandler(io.Discard, nil)),
		keychain: authn.DefaultKeychain,
	}
	for _, opt := range opts {
		if opt == nil {
			continue
		}
		if err := opt(o); err != nil {
			return nil, err
		}
	}
	return o, nil
}

// The stages of long operations reported through WithProgress, in [progress.Event]s: Done and
// Total are bytes (Total 0 when unknown), Message the image, artifact or layer file concerned.
const (
	StageLayer progress.Stage = "layer" // writing a layer of a root directory
	StageLoad  progress.Stage = "load"  // loading an image into the engine
	StagePush  progress.Stage = "push"  // pushing an image or artifact
)

// WithLogger logs through l (debug-level detail of lookups and engine calls). The default
// discards everything.
func WithLogger(l *slog.Logger) Option {
	return func(o *options) error {
		if l == nil {
			return errors.New("WithLogger: nil logger")
		}
		o.logger = l
		return nil
	}
}

// WithKeychain authenticates to registries with k. The default is authn.DefaultKeychain (the
// Docker config file, $DOCKER_CONFIG/config.json, and its credential helpers).
func WithKeychain(k authn.Keychain) Option {
	return func(o *options) error {
		if k == nil {
			return errors.New("WithKeychain: nil keychain")
		}
		o.keychain = k
		return nil
	}
}

// WithTransport sends registry requests through t (tests, proxies). The default is
// remote.DefaultTransport.
func WithTransport(t http.RoundTripper) Option {
	return func(o *options) error { o.transport = t; return nil }
}

// WithSourceDateEpoch clamps file times in base images to t and sets the image's creation time
// to t. The default is the Unix epoch (0).
func WithSourceDateEpoch(t time.Time) Option {
	return func(o *options) error {
		if t.Before(time.Unix(0, 0)) {
			return fmt.Errorf("WithSourceDateEpoch: %s is before 1970", t)
		}
		t = t.UTC().Truncate(time.Second)
		o.epoch = &t
		return nil
	}
}

// WithProgress calls fn with progress events. fn must return quickly.
func WithProgress(fn progress.Func) Option {
	return func(o *options) error { o.progress = fn; return nil }
}

func (o *options) report(p progress.Event) {
	if o.progress != nil {
		o.progress(p)
	}
}

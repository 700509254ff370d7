package docker

import (
	"errors"
	"io"
	"log/slog"
)

// Option configures [New].
type Option func(*options) error

type options struct {
	logger    *slog.Logger
	host      string
	tls       *tlsSettings
	version   string
	runID     string
	binfmtDir string
	podman    bool
}

func makeOptions(opts []Option) (*options, error) {
	o := &options{
		logger:    slog.New(slog.NewTextHandler(io.Discard, nil)),
		binfmtDir: "/proc/sys/fs/binfmt_misc",
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

// WithLogger logs through l (debug-level detail of engine calls). The default discards
// everything.
func WithLogger(l *slog.Logger) Option {
	return func(o *options) error {
		if l == nil {
			return errors.New("WithLogger: nil logger")
		}
		o.logger = l
		return nil
	}
}

// WithHost connects to the engine at host ("unix:///var/run/docker.sock", "tcp://h:2376")
// instead of the default: the Docker client's local socket, or Podman's ([PodmanSocket]) with
// [WithPodman]. An empty host keeps the default. The package reads no environment: the caller
// passes $DOCKER_HOST (or Podman's $CONTAINER_HOST) here.
func WithHost(host string) Option {
	return func(o *options) error { o.host = host; return nil }
}

// tlsSettings are the client certificate files [WithTLS] names.
type tlsSettings struct {
	certDir string
	verify  bool
}

// WithTLS talks TLS to the engine with the client certificate in certDir (ca.pem, cert.pem and
// key.pem, the layout of the docker CLI's $DOCKER_CERT_PATH); verify checks the engine's
// certificate against ca.pem ($DOCKER_TLS_VERIFY). Without it the connection is plain, as the
// host's scheme says.
func WithTLS(certDir string, verify bool) Option {
	return func(o *options) error {
		if certDir == "" {
			return errors.New("WithTLS: empty certificate directory")
		}
		o.tls = &tlsSettings{certDir: certDir, verify: verify}
		return nil
	}
}

// WithAPIVersion speaks this Docker API version ("1.43", the docker CLI's $DOCKER_API_VERSION)
// instead of negotiating one with the engine. An empty version keeps the negotiation.
func WithAPIVersion(version string) Option {
	return func(o *options) error { o.version = version; return nil }
}

// WithRunID labels every container [Docker] creates with this run id instead of a random one,
// so one run's containers can be listed and removed together.
func WithRunID(id string) Option {
	return func(o *options) error {
		if id == "" {
			return errors.New("WithRunID: empty run id")
		}
		o.runID = id
		return nil
	}
}

// WithBinfmtDir reads binfmt_misc handlers from dir instead of /proc/sys/fs/binfmt_misc (tests).
func WithBinfmtDir(dir string) Option {
	return func(o *options) error { o.binfmtDir = dir; return nil }
}

// WithPodman connects to Podman's Docker-compatible service instead of Docker: at host when
// [WithHost] gives one, else at Podman's default socket ([PodmanSocket] of no runtime
// directory). New fails when the engine there is not Podman.
func WithPodman() Option {
	return func(o *options) error { o.podman = true; return nil }
}

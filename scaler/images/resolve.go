package images

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"slices"
	"sync"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
	"golang.org/x/time/rate"
)

// ResolverOptions bound the Resolver.
type ResolverOptions struct {
	// Timeout bounds one image's resolution, every request included (the
	// wait for the registry's rate limit is not).
	Timeout time.Duration
	// MaxResponseBytes bounds each response body (manifest, index,
	// config, token).
	MaxResponseBytes int64
	// RegistryRate and RegistryBurst bound the resolutions per registry.
	RegistryRate  rate.Limit
	RegistryBurst int
	// MaxRegistries bounds the rate limiters kept; beyond it they are
	// started afresh.
	MaxRegistries int
	// Transport is the HTTP transport under the limits; nil is
	// NewTransport().
	Transport http.RoundTripper
}

// DefaultResolverOptions are the shipped bounds.
var DefaultResolverOptions = ResolverOptions{
	Timeout: 10 * time.Second, MaxResponseBytes: 4 << 20,
	RegistryRate: 2, RegistryBurst: 5, MaxRegistries: 256,
}

// Resolver reads the platforms an image offers from its registry.
type Resolver struct {
	opts      ResolverOptions
	transport http.RoundTripper

	mu       sync.Mutex
	limiters map[string]*rate.Limiter
}

// NewResolver returns a Resolver bounded by opts.
func NewResolver(opts ResolverOptions) *Resolver {
	t := opts.Transport
	if t == nil {
		t = NewTransport()
	}
	return &Resolver{opts: opts, transport: &limitedTransport{next: t, max: opts.MaxResponseBytes}, limiters: map[string]*rate.Limiter{}}
}

// Registry returns the registry host of ref ("index.docker.io" for
// Docker Hub), or "" when ref does not parse.
func Registry(ref string) string {
	r, err := name.ParseReference(ref)
	if err != nil {
		return ""
	}
	return r.Context().RegistryStr()
}

// Resolve returns the platforms ref offers, sorted: each entry of a
// manifest list or OCI index (attestation entries, unknown/unknown, left
// out), or the config's platform of a single-platform image. kc gives the
// credentials; it is asked for the registry's only.
func (r *Resolver) Resolve(ctx context.Context, ref string, kc authn.Keychain) ([]string, error) {
	parsed, err := name.ParseReference(ref)
	if err != nil {
		return nil, fmt.Errorf("parsing image reference: %w", err)
	}
	// The wait for the registry's rate is not part of the timeout: a
	// queue of images for one registry is not its failure.
	if err := r.limiter(parsed.Context().RegistryStr()).Wait(ctx); err != nil {
		return nil, fmt.Errorf("waiting for the registry's rate limit: %w", err)
	}
	ctx, cancel := context.WithTimeout(ctx, r.opts.Timeout)
	defer cancel()
	desc, err := remote.Get(parsed, remote.WithContext(ctx), remote.WithAuthFromKeychain(kc),
		remote.WithTransport(r.transport), remote.WithRetryBackoff(remote.Backoff{Steps: 1}))
	if err != nil {
		return nil, err
	}
	switch {
	case desc.MediaType.IsIndex():
		return indexPlatforms(desc)
	case desc.MediaType.IsImage():
		return imagePlatform(desc)
	}
	return nil, fmt.Errorf("unsupported media type %q", desc.MediaType)
}

func indexPlatforms(desc *remote.Descriptor) ([]string, error) {
	idx, err := desc.ImageIndex()
	if err != nil {
		return nil, fmt.Errorf("reading index: %w", err)
	}
	m, err := idx.IndexManifest()
	if err != nil {
		return nil, fmt.Errorf("reading index manifest: %w", err)
	}
	var out []string
	for _, d := range m.Manifests {
		if d.Platform == nil || d.Platform.OS == "" || d.Platform.OS == "unknown" || d.Platform.Architecture == "" {
			continue
		}
		if p := platformString(d.Platform); !slices.Contains(out, p) {
			out = append(out, p)
		}
	}
	if len(out) == 0 {
		return nil, errors.New("index lists no platform")
	}
	slices.Sort(out)
	return out, nil
}

func imagePlatform(desc *remote.Descriptor) ([]string, error) {
	img, err := desc.Image()
	if err != nil {
		return nil, fmt.Errorf("reading image: %w", err)
	}
	cf, err := img.ConfigFile()
	if err != nil {
		return nil, fmt.Errorf("reading image config: %w", err)
	}
	if cf.OS == "" || cf.Architecture == "" {
		return nil, errors.New("image config names no os/architecture")
	}
	return []string{platformString(&v1.Platform{OS: cf.OS, Architecture: cf.Architecture, Variant: cf.Variant})}, nil
}

func platformString(p *v1.Platform) string {
	s := p.OS + "/" + p.Architecture
	if p.Variant != "" {
		s += "/" + p.Variant
	}
	return s
}

func (r *Resolver) limiter(registry string) *rate.Limiter {
	r.mu.Lock()
	defer r.mu.Unlock()
	l, ok := r.limiters[registry]
	if !ok {
		if len(r.limiters) >= r.opts.MaxRegistries {
			clear(r.limiters)
		}
		l = rate.NewLimiter(r.opts.RegistryRate, r.opts.RegistryBurst)
		r.limiters[registry] = l
	}
	return l
}

// Reason is a short, credential-free reason for a failure, kept in the
// cache and used as a metric label's neighbour in logs: the registry's
// HTTP status, a timeout, or the kind of error.
func Reason(err error) string {
	var (
		te *transport.Error
		ne net.Error
	)
	switch {
	case errors.As(err, &te):
		return fmt.Sprintf("registry answered %d", te.StatusCode)
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &ne) && ne.Timeout():
		return "timeout"
	case errors.Is(err, errTooLarge):
		return "response too large"
	}
	return "error"
}

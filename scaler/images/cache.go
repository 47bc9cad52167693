package images

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"jobfit.dev/jobfit/policy"
	"jobfit.dev/jobfit/policy/api/v1alpha1"
)

// StateKey is the ConfigMap data key of the resolver's bookkeeping (when
// each image was resolved and used, failures and their back-off), beside
// v1alpha1.ImagePlatformsKey, which is what the webhook reads.
const StateKey = "state.json"

// Entry is what the cache knows of one image reference. It holds no
// credential: only platforms, times and a short failure reason.
type Entry struct {
	// Platforms are "os/arch[/variant]"; empty while unknown.
	Platforms []string `json:"platforms,omitempty"`
	// Resolved is when Platforms were read from the registry.
	Resolved time.Time `json:"resolved,omitzero"`
	// Used is when a job pod was last seen with the image (to the hour:
	// the LRU order needs no more, and the ConfigMap changes less).
	Used time.Time `json:"used"`
	// Failures counts the failures since the last success; RetryAt is
	// when the back-off lets the resolver try again.
	Failures int       `json:"failures,omitempty"`
	RetryAt  time.Time `json:"retryAt,omitzero"`
	// Error is the last failure's reason, e.g. "registry answered 401".
	Error string `json:"error,omitempty"`
}

// Limits bound the cache.
type Limits struct {
	// MaxEntries is the LRU bound on images kept.
	MaxEntries int
	// MaxBytes bounds the encoded documents together, under a ConfigMap's
	// 1 MiB.
	MaxBytes int
	// TagTTL is how long platforms read through a tag stay fresh; a
	// reference by digest never changes and has no TTL.
	TagTTL time.Duration
	// BackoffBase and BackoffMax bound the wait after failures: base,
	// doubled per failure, up to max.
	BackoffBase, BackoffMax time.Duration
}

// DefaultLimits are the shipped bounds.
var DefaultLimits = Limits{
	MaxEntries: 2000, MaxBytes: 900 << 10, TagTTL: 24 * time.Hour,
	BackoffBase: time.Minute, BackoffMax: time.Hour,
}

// usedGranularity is the precision of Entry.Used.
const usedGranularity = time.Hour

// Cache is the resolver's view of image platforms. It is not safe for
// concurrent use: the controller owns it.
type Cache struct {
	limits  Limits
	entries map[string]*Entry
}

// NewCache returns an empty cache with limits.
func NewCache(limits Limits) *Cache {
	return &Cache{limits: limits, entries: map[string]*Entry{}}
}

// Len is the number of images kept.
func (c *Cache) Len() int { return len(c.entries) }

// Get returns the entry of ref.
func (c *Cache) Get(ref string) (Entry, bool) {
	e, ok := c.entries[ref]
	if !ok {
		return Entry{}, false
	}
	return *e, true
}

// Touch records that a job pod names ref now, adding it as unknown if new.
// It reports whether the cache changed. A reference too long to be an
// image is ignored.
func (c *Cache) Touch(ref string, now time.Time) bool {
	if ref == "" || len(ref) > policy.MaxImageRefLength {
		return false
	}
	used := now.UTC().Truncate(usedGranularity)
	if e, ok := c.entries[ref]; ok {
		if !e.Used.Before(used) {
			return false
		}
		e.Used = used
		return true
	}
	c.entries[ref] = &Entry{Used: used}
	c.evict(c.limits.MaxEntries)
	return true
}

// Due returns the references to resolve at now, at most max of them, the
// most recently used first: unknown ones, tags past their TTL, and
// failures past their back-off.
func (c *Cache) Due(now time.Time, limit int) []string {
	var due []string
	for ref, e := range c.entries {
		if now.Before(e.RetryAt) {
			continue
		}
		if len(e.Platforms) == 0 || (!isDigest(ref) && !now.Before(e.Resolved.Add(c.limits.TagTTL))) {
			due = append(due, ref)
		}
	}
	slices.SortFunc(due, func(a, b string) int {
		if d := c.entries[b].Used.Compare(c.entries[a].Used); d != 0 {
			return d
		}
		return strings.Compare(a, b)
	})
	if len(due) > limit {
		due = due[:limit]
	}
	return due
}

// Record stores the outcome of resolving ref at now. A failure keeps the
// platforms already known (a registry outage does not forget them) and
// backs off; a success clears the failures.
func (c *Cache) Record(ref string, platforms []string, err error, now time.Time) {
	e, ok := c.entries[ref]
	if !ok {
		return // evicted while it was being resolved
	}
	if err != nil {
		e.Failures++
		e.Error = Reason(err)
		e.RetryAt = now.Add(c.backoff(e.Failures))
		return
	}
	e.Platforms, e.Resolved = platforms, now.UTC()
	e.Failures, e.Error, e.RetryAt = 0, "", time.Time{}
}

func (c *Cache) backoff(failures int) time.Duration {
	d := c.limits.BackoffBase
	for i := 1; i < failures && d < c.limits.BackoffMax; i++ {
		d *= 2
	}
	return min(d, c.limits.BackoffMax)
}

// Platforms is the document the webhook reads: the images whose platforms
// are known.
func (c *Cache) Platforms() policy.ImagePlatforms {
	ip := policy.ImagePlatforms{}
	for ref, e := range c.entries {
		if len(e.Platforms) > 0 {
			ip[ref] = e.Platforms
		}
	}
	return ip
}

// Data encodes the cache as ConfigMap data, evicting the least recently
// used entries until it fits in MaxBytes.
func (c *Cache) Data() (map[string]string, error) {
	for {
		platforms, err := c.Platforms().Marshal()
		if err != nil {
			return nil, err
		}
		state, err := json.Marshal(c.entries)
		if err != nil {
			return nil, fmt.Errorf("encoding image cache state: %w", err)
		}
		if len(platforms)+len(state) <= c.limits.MaxBytes || len(c.entries) == 0 {
			return map[string]string{v1alpha1.ImagePlatformsKey: string(platforms), StateKey: string(state)}, nil
		}
		c.evict(len(c.entries) * 9 / 10)
	}
}

// Load replaces the cache's content with what data holds (the ConfigMap a
// previous leader wrote). Entries that do not decode are dropped, not
// trusted: the resolver will read them again.
func (c *Cache) Load(data map[string]string) error {
	entries := map[string]*Entry{}
	if raw := data[StateKey]; raw != "" {
		if err := json.Unmarshal([]byte(raw), &entries); err != nil {
			return fmt.Errorf("decoding image cache state: %w", err)
		}
	}
	c.entries = map[string]*Entry{}
	for ref, e := range entries {
		if e == nil || ref == "" || len(ref) > policy.MaxImageRefLength || !validPlatforms(e.Platforms) {
			continue
		}
		c.entries[ref] = e
	}
	c.evict(c.limits.MaxEntries)
	return nil
}

func validPlatforms(ps []string) bool {
	return !slices.ContainsFunc(ps, func(p string) bool { return !policy.ValidPlatform(p) })
}

// evict drops the least recently used entries until at most n remain.
func (c *Cache) evict(n int) {
	if len(c.entries) <= n {
		return
	}
	refs := make([]string, 0, len(c.entries))
	for ref := range c.entries {
		refs = append(refs, ref)
	}
	slices.SortFunc(refs, func(a, b string) int {
		if d := c.entries[a].Used.Compare(c.entries[b].Used); d != 0 {
			return d
		}
		return strings.Compare(a, b)
	})
	for _, ref := range refs[:len(refs)-n] {
		delete(c.entries, ref)
	}
}

// isDigest reports whether ref names an image by digest, which never
// changes.
func isDigest(ref string) bool { return strings.Contains(ref, "@sha256:") }

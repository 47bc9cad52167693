package images_test

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"jobfit.dev/jobfit/policy"
	"jobfit.dev/jobfit/policy/api/v1alpha1"
	"jobfit.dev/jobfit/scaler/images"
)

var t0 = time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC)

func testLimits() images.Limits {
	return images.Limits{MaxEntries: 3, MaxBytes: 900 << 10, TagTTL: time.Hour, BackoffBase: time.Minute, BackoffMax: 4 * time.Minute}
}

// TestCacheDue: unknown images are due, a tag again after its TTL, a
// digest never, a failure after its back-off (doubling up to the max).
func TestCacheDue(t *testing.T) {
	c := images.NewCache(testLimits())
	const tag, digest = "maven:3.9", "maven@sha256:0000000000000000000000000000000000000000000000000000000000000000"
	c.Touch(tag, t0)
	c.Touch(digest, t0)
	assert.ElementsMatch(t, []string{tag, digest}, c.Due(t0, 10))

	both := []string{"linux/amd64", "linux/arm64"}
	c.Record(tag, both, nil, t0)
	c.Record(digest, both, nil, t0)
	assert.Empty(t, c.Due(t0.Add(59*time.Minute), 10))
	assert.Equal(t, []string{tag}, c.Due(t0.Add(time.Hour), 10), "a tag is read again after its TTL, a digest never")

	fail := errors.New("boom")
	c.Record(tag, nil, fail, t0.Add(time.Hour))
	e, _ := c.Get(tag)
	assert.Equal(t, both, e.Platforms, "a failure keeps what was known")
	assert.Equal(t, 1, e.Failures)
	assert.Empty(t, c.Due(t0.Add(time.Hour+59*time.Second), 10))
	assert.Equal(t, []string{tag}, c.Due(t0.Add(time.Hour+time.Minute), 10))
	for range 5 {
		c.Record(tag, nil, fail, t0.Add(time.Hour))
	}
	e, _ = c.Get(tag)
	assert.Equal(t, t0.Add(time.Hour+4*time.Minute), e.RetryAt, "back-off capped at BackoffMax")
	c.Record(tag, both, nil, t0.Add(2*time.Hour))
	e, _ = c.Get(tag)
	assert.Zero(t, e.Failures)
	assert.Empty(t, e.Error)
}

// TestCacheIsBounded: the least recently used images go first, by count
// and by encoded size; the document the webhook reads parses.
func TestCacheIsBounded(t *testing.T) {
	c := images.NewCache(testLimits())
	for i := range 5 {
		c.Touch(fmt.Sprintf("app:%d", i), t0.Add(time.Duration(i)*time.Hour))
	}
	assert.Equal(t, 3, c.Len())
	_, ok := c.Get("app:0")
	assert.False(t, ok, "least recently used evicted")
	_, ok = c.Get("app:4")
	assert.True(t, ok)

	big := images.NewCache(images.Limits{MaxEntries: 100000, MaxBytes: 64 << 10, TagTTL: time.Hour, BackoffBase: time.Minute, BackoffMax: time.Hour})
	for i := range 10000 {
		ref := fmt.Sprintf("registry.example.com/a/rather/long/repository/name/number/%06d:tag", i)
		big.Touch(ref, t0.Add(time.Duration(i)*time.Hour))
		big.Record(ref, []string{"linux/amd64", "linux/arm64/v8"}, nil, t0)
	}
	data, err := big.Data()
	require.NoError(t, err)
	assert.LessOrEqual(t, len(data[v1alpha1.ImagePlatformsKey])+len(data[images.StateKey]), 64<<10)
	ip, err := policy.ParseImagePlatforms([]byte(data[v1alpha1.ImagePlatformsKey]))
	require.NoError(t, err)
	assert.NotEmpty(t, ip)
	assert.Contains(t, ip, "registry.example.com/a/rather/long/repository/name/number/009999:tag", "the most recent kept")

	assert.False(t, c.Touch(string(make([]byte, policy.MaxImageRefLength+1)), t0), "an over-long reference is no image")
}

// TestCacheSurvivesRestart: a new leader loads what the last one wrote,
// and drops entries that do not decode rather than trusting them.
func TestCacheSurvivesRestart(t *testing.T) {
	c := images.NewCache(testLimits())
	c.Touch("maven:3.9", t0)
	c.Record("maven:3.9", []string{"linux/amd64"}, nil, t0)
	c.Touch("private/app:1", t0)
	c.Record("private/app:1", nil, errors.New("401"), t0)
	data, err := c.Data()
	require.NoError(t, err)

	next := images.NewCache(testLimits())
	require.NoError(t, next.Load(data))
	assert.Equal(t, c.Platforms(), next.Platforms())
	e, ok := next.Get("private/app:1")
	require.True(t, ok)
	assert.Equal(t, 1, e.Failures)
	assert.Equal(t, "error", e.Error)

	bad := images.NewCache(testLimits())
	require.NoError(t, bad.Load(map[string]string{images.StateKey: `{"x:1": {"platforms": ["amd64"]}, "y:1": {"platforms": ["linux/arm64"]}}`}))
	assert.Equal(t, policy.ImagePlatforms{"y:1": {"linux/arm64"}}, bad.Platforms())
	require.Error(t, bad.Load(map[string]string{images.StateKey: `[]`}))
}

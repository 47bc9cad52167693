package images_test

import (
	"context"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	k8schain "github.com/google/go-containerregistry/pkg/authn/kubernetes"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"

	"jobfit.dev/jobfit/scaler/images"
	"jobfit.dev/jobfit/test/registry"
)

func testResolver() *images.Resolver {
	o := images.DefaultResolverOptions
	o.Timeout = 2 * time.Second
	o.MaxResponseBytes = 1 << 20
	o.RegistryRate, o.RegistryBurst = 1000, 1000
	return images.NewResolver(o)
}

// TestResolve reads each kind of image the in-process registry serves.
func TestResolve(t *testing.T) {
	reg := registry.Start(t)
	secret := reg.PullSecret("gitlab-runner", "registry-credentials")
	withSecret, err := k8schain.NewFromPullSecrets(context.Background(), []corev1.Secret{*secret})
	require.NoError(t, err)
	anonymous := authn.NewMultiKeychain()
	cases := []struct {
		name    string
		ref     string
		kc      authn.Keychain
		want    []string
		wantErr string // images.Reason of the failure
	}{
		{"index with amd64 only", reg.Ref(registry.AMD64Only), anonymous, []string{"linux/amd64"}, ""},
		{"index with both arches, attestation left out", reg.Ref(registry.BothArches), anonymous, []string{"linux/amd64", "linux/arm64/v8"}, ""},
		{"single-platform image: its config's platform", reg.Ref(registry.SinglePlatform), anonymous, []string{"linux/arm64"}, ""},
		{"private without credentials", reg.Ref(registry.Private), anonymous, nil, "registry answered 401"},
		{"private with the pod's pull secret", reg.Ref(registry.Private), withSecret, []string{"linux/amd64", "linux/arm64/v8"}, ""},
		{"unknown tag", reg.Ref("ci/both:2"), anonymous, nil, "registry answered 404"},
		{"slow registry times out", reg.Ref(registry.Slow), anonymous, nil, "timeout"},
		{"garbage manifest", reg.Ref(registry.Garbage), anonymous, nil, "error"},
		{"endless manifest", reg.Ref(registry.Endless), anonymous, nil, "response too large"},
	}
	r := testResolver()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := r.Resolve(context.Background(), tc.ref, tc.kc)
			if tc.wantErr != "" {
				require.Error(t, err)
				assert.Equal(t, tc.wantErr, images.Reason(err), "%v", err)
				assert.NotContains(t, err.Error(), registry.Password, "no credential in an error")
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.want, got)
		})
	}
}

// TestHostileRegistryIsBounded: a registry that streams an endless
// manifest gets the resolver to read at most its response limit (plus
// what the connection buffers), however often it is asked.
func TestHostileRegistryIsBounded(t *testing.T) {
	reg := registry.Start(t)
	r := testResolver()
	const tries = 5
	for range tries {
		_, err := r.Resolve(context.Background(), reg.Ref(registry.Endless), authn.NewMultiKeychain())
		require.Error(t, err)
		assert.Equal(t, "response too large", images.Reason(err))
	}
	// The server writes ahead of the reader only as far as the socket
	// buffers let it: far less than the 1 GiB it would send.
	assert.Less(t, reg.EndlessBytes.Load(), int64(tries*(1<<20+16<<20)), "the resolver kept reading")
}

func TestRegistry(t *testing.T) {
	assert.Equal(t, "index.docker.io", images.Registry("maven:3.9"))
	assert.Equal(t, "registry.example.com:5000", images.Registry("registry.example.com:5000/team/app@sha256:"+
		"0000000000000000000000000000000000000000000000000000000000000000"))
	assert.Empty(t, images.Registry("not a reference"))
}

// TestRateLimitQueuesNotFails: images waiting for one registry's rate are
// resolved in turn, none failed for having waited.
func TestRateLimitQueuesNotFails(t *testing.T) {
	reg := registry.Start(t)
	o := images.DefaultResolverOptions
	o.Timeout = 2 * time.Second
	o.RegistryRate, o.RegistryBurst = 0.4, 1 // the second call waits 2.5 s for its token, longer than Timeout
	r := images.NewResolver(o)
	for range 2 {
		got, err := r.Resolve(context.Background(), reg.Ref(registry.AMD64Only), authn.NewMultiKeychain())
		require.NoError(t, err)
		assert.Equal(t, []string{"linux/amd64"}, got)
	}
}

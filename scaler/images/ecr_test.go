package images_test

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	k8schain "github.com/google/go-containerregistry/pkg/authn/kubernetes"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"

	"jobfit.dev/jobfit/scaler/images"
	"jobfit.dev/jobfit/test/registry"
)

const ecrHost = "123456789012.dkr.ecr.eu-west-1.amazonaws.com"

// TestIsECRHost: only Amazon ECR hosts are ever sent to the ECR helper.
func TestIsECRHost(t *testing.T) {
	cases := []struct {
		host string
		want bool
	}{
		{ecrHost, true},
		{ecrHost + ":443", true},
		{"123456789012.dkr.ecr-fips.us-gov-west-1.amazonaws.com", true},
		{"123456789012.dkr.ecr.cn-north-1.amazonaws.com.cn", true},
		{"123456789012.dkr-ecr.eu-west-1.on.aws", true},
		{"public.ecr.aws", true},
		{"", false},
		{"index.docker.io", false},
		{"registry.gitlab.com", false},
		{"127.0.0.1:5000", false},
		{"dkr.ecr.eu-west-1.amazonaws.com", false},
		{"12345.dkr.ecr.eu-west-1.amazonaws.com", false},
		{ecrHost + ".evil.example", false},
		{"evil.example/" + ecrHost, false},
		{"public.ecr.aws.evil.example", false},
	}
	for _, tc := range cases {
		t.Run(tc.host, func(t *testing.T) {
			assert.Equal(t, tc.want, images.IsECRHost(tc.host))
		})
	}
}

// countingHelper is a credential helper that counts its calls and answers
// with fixed credentials or an error.
type countingHelper struct {
	calls atomic.Int32
	err   error
}

func (h *countingHelper) Get(string) (string, string, error) {
	h.calls.Add(1)
	if h.err != nil {
		return "", "", h.err
	}
	return "AWS", "ecr-token", nil
}

func (h *countingHelper) fn() images.ECRHelper {
	return func(context.Context) authn.Helper { return h }
}

func resource(t *testing.T, ref string) authn.Resource {
	t.Helper()
	r, err := name.ParseReference(ref)
	require.NoError(t, err)
	return r.Context()
}

func basic(t *testing.T, a authn.Authenticator) authn.AuthConfig {
	t.Helper()
	cfg, err := a.Authorization()
	require.NoError(t, err)
	return *cfg
}

// TestECRKeychain: ECR hosts get the helper's token, asked once per host
// and pass; other hosts never reach the helper; a failing helper is
// anonymous access, not an error.
func TestECRKeychain(t *testing.T) {
	ctx := context.Background()
	t.Run("ECR host: the helper's token, asked once", func(t *testing.T) {
		h := &countingHelper{}
		kc := images.NewECRKeychain(h.fn())
		for _, ref := range []string{ecrHost + "/ci/maven:3.9", ecrHost + "/ci/postgres:16"} {
			a, err := kc.ResolveContext(ctx, resource(t, ref))
			require.NoError(t, err)
			assert.Equal(t, authn.AuthConfig{Username: "AWS", Password: "ecr-token"}, basic(t, a))
		}
		assert.Equal(t, int32(1), h.calls.Load())
	})
	t.Run("other hosts never reach the helper", func(t *testing.T) {
		h := &countingHelper{}
		kc := images.NewECRKeychain(h.fn())
		for _, ref := range []string{"maven:3.9", "registry.gitlab.com/group/app:1", "127.0.0.1:5000/ci/x:1"} {
			a, err := kc.ResolveContext(ctx, resource(t, ref))
			require.NoError(t, err)
			assert.Equal(t, authn.Anonymous, a)
		}
		assert.Zero(t, h.calls.Load())
	})
	t.Run("a failing helper falls through to anonymous", func(t *testing.T) {
		h := &countingHelper{err: errors.New("no EC2 IMDS role found")}
		kc := images.NewECRKeychain(h.fn())
		a, err := kc.ResolveContext(ctx, resource(t, ecrHost+"/ci/maven:3.9"))
		require.NoError(t, err)
		assert.Equal(t, authn.Anonymous, a)
		a, err = kc.ResolveContext(ctx, resource(t, ecrHost+"/ci/other:1"))
		require.NoError(t, err)
		assert.Equal(t, authn.Anonymous, a)
		assert.Equal(t, int32(1), h.calls.Load(), "a failure is remembered for the pass")
	})
}

// TestWithECRKeychainOrder: the pod's pull secrets come first, as the
// kubelet's do; the ECR helper is asked only for ECR hosts they do not
// cover.
func TestWithECRKeychainOrder(t *testing.T) {
	ctx := context.Background()
	secret := &corev1.Secret{
		Type: corev1.SecretTypeDockerConfigJson,
		Data: map[string][]byte{corev1.DockerConfigJsonKey: []byte(
			`{"auths":{"` + ecrHost + `":{"username":"from-secret","password":"pod-pull-secret"}}}`)},
	}
	pod, err := k8schain.NewFromPullSecrets(ctx, []corev1.Secret{*secret})
	require.NoError(t, err)
	other := "210987654321.dkr.ecr.eu-west-1.amazonaws.com"
	cases := []struct {
		name      string
		first     authn.Keychain
		ref       string
		want      authn.AuthConfig
		anonymous bool
		calls     int32
	}{
		{"the pod's secret wins for its host", pod, ecrHost + "/ci/maven:3.9",
			authn.AuthConfig{Username: "from-secret", Password: "pod-pull-secret"}, false, 0},
		{"another ECR host: the helper", pod, other + "/ci/maven:3.9",
			authn.AuthConfig{Username: "AWS", Password: "ecr-token"}, false, 1},
		{"no pod keychain: the helper", nil, ecrHost + "/ci/maven:3.9",
			authn.AuthConfig{Username: "AWS", Password: "ecr-token"}, false, 1},
		{"not ECR, not in the secret: anonymous", pod, "registry.gitlab.com/group/app:1", authn.AuthConfig{}, true, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h := &countingHelper{}
			a, err := authn.Resolve(ctx, images.WithECR(tc.first, images.NewECRKeychain(h.fn())), resource(t, tc.ref))
			require.NoError(t, err)
			if tc.anonymous {
				assert.Equal(t, authn.Anonymous, a)
			} else {
				assert.Equal(t, tc.want, basic(t, a))
			}
			assert.Equal(t, tc.calls, h.calls.Load())
		})
	}
}

// TestECRHelperWithoutAWS runs the real ECR credential helper where there
// is no AWS environment at all: an ECR host gets anonymous access, and
// the other registries resolve as before.
func TestECRHelperWithoutAWS(t *testing.T) {
	home := t.TempDir()
	for k, v := range map[string]string{
		"HOME": home, "AWS_CONFIG_FILE": home + "/none", "AWS_SHARED_CREDENTIALS_FILE": home + "/none",
		"AWS_EC2_METADATA_DISABLED": "true", "AWS_ACCESS_KEY_ID": "", "AWS_SECRET_ACCESS_KEY": "",
		"AWS_SESSION_TOKEN": "", "AWS_PROFILE": "", "AWS_WEB_IDENTITY_TOKEN_FILE": "", "AWS_ROLE_ARN": "",
		"AWS_CONTAINER_CREDENTIALS_FULL_URI": "", "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI": "",
	} {
		t.Setenv(k, v)
	}
	ecr := images.NewECRKeychain(images.NewECRHelper())
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	a, err := ecr.ResolveContext(ctx, resource(t, ecrHost+"/ci/maven:3.9"))
	require.NoError(t, err)
	assert.Equal(t, authn.Anonymous, a)

	reg := registry.Start(t)
	got, err := testResolver().Resolve(ctx, reg.Ref(registry.BothArches), images.WithECR(authn.NewMultiKeychain(), ecr))
	require.NoError(t, err)
	assert.Equal(t, []string{"linux/amd64", "linux/arm64/v8"}, got)
}

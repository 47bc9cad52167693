// Package registry serves container images from an in-process registry
// (go-containerregistry's pkg/registry behind httptest) for the tests of
// the image-platform resolver: indexes of one or two arches, a
// single-platform image, a repository behind basic auth, and misbehaving
// repositories (slow, garbage, endless) on the same host.
package registry

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/types"
	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Repositories the registry serves, under Host().
const (
	// AMD64Only is an OCI index with linux/amd64 only.
	AMD64Only = "ci/amd64-only:1"
	// BothArches is an OCI index with linux/amd64 and linux/arm64/v8, and
	// an attestation manifest (unknown/unknown) as BuildKit writes.
	BothArches = "ci/both:1"
	// SinglePlatform is a plain image whose config says linux/arm64.
	SinglePlatform = "ci/single-arm64:1"
	// Private is an index of both arches that needs User/Password.
	Private = "private/both:1"
	// Slow never answers: it waits until the client gives up.
	Slow = "slow/never:1"
	// Garbage answers every manifest request with bytes that are not JSON.
	Garbage = "garbage/junk:1"
	// Endless streams an endless index body.
	Endless = "endless/stream:1"
)

// Credentials of the Private repository.
const (
	User     = "ci-puller"
	Password = "s3cret-pull-token"
)

// Registry is a running in-process registry.
type Registry struct {
	srv *httptest.Server
	// EndlessBytes counts the bytes the Endless repository managed to send.
	EndlessBytes atomic.Int64
}

// Start serves the repositories until the test ends.
func Start(t testing.TB) *Registry {
	t.Helper()
	r := &Registry{}
	reg := registry.New(registry.Logger(nilLogger()))
	r.srv = httptest.NewServer(r.route(reg))
	t.Cleanup(r.srv.Close)
	host := r.Host()
	push := func(repo string, img v1.Image) {
		ref, err := name.ParseReference(host + "/" + repo)
		require.NoError(t, err)
		require.NoError(t, remote.Write(ref, img))
	}
	pushIndex := func(repo string, platforms ...v1.Platform) {
		auth := remote.WithAuth(&authn.Basic{Username: User, Password: Password})
		idx := v1.ImageIndex(empty.Index)
		for _, p := range platforms {
			img := image(t, p)
			idx = mutate.AppendManifests(idx, mutate.IndexAddendum{Add: img, Descriptor: v1.Descriptor{Platform: &p}})
		}
		ref, err := name.ParseReference(host + "/" + repo)
		require.NoError(t, err)
		require.NoError(t, remote.WriteIndex(ref, mutate.IndexMediaType(idx, types.OCIImageIndex), auth))
	}
	amd64, arm64 := AMD64, ARM64
	pushIndex(AMD64Only, amd64)
	pushIndex(BothArches, amd64, arm64, v1.Platform{OS: "unknown", Architecture: "unknown"})
	pushIndex(Private, amd64, arm64)
	push(SinglePlatform, image(t, v1.Platform{OS: "linux", Architecture: "arm64"}))
	return r
}

// Platforms the registry's indexes list.
var (
	AMD64 = v1.Platform{OS: "linux", Architecture: "amd64"}
	ARM64 = v1.Platform{OS: "linux", Architecture: "arm64", Variant: "v8"}
)

// PushIndex serves repo (a repository and tag) as an OCI index of one
// small image per platform.
func (r *Registry) PushIndex(t testing.TB, repo string, platforms ...v1.Platform) {
	t.Helper()
	idx := v1.ImageIndex(empty.Index)
	for _, p := range platforms {
		idx = mutate.AppendManifests(idx, mutate.IndexAddendum{Add: image(t, p), Descriptor: v1.Descriptor{Platform: &p}})
	}
	ref, err := name.ParseReference(r.Ref(repo))
	require.NoError(t, err)
	require.NoError(t, remote.WriteIndex(ref, mutate.IndexMediaType(idx, types.OCIImageIndex)))
}

// Host is the registry's host:port (a loopback address, which
// go-containerregistry reaches over plain HTTP).
func (r *Registry) Host() string { return strings.TrimPrefix(r.srv.URL, "http://") }

// Ref is repo on this registry.
func (r *Registry) Ref(repo string) string { return r.Host() + "/" + repo }

// PullSecret is a kubernetes.io/dockerconfigjson Secret for the Private
// repository, as `kubectl create secret docker-registry` writes it.
func (r *Registry) PullSecret(namespace, secretName string) *corev1.Secret {
	auth := base64.StdEncoding.EncodeToString([]byte(User + ":" + Password))
	cfg, _ := json.Marshal(map[string]any{"auths": map[string]any{r.Host(): map[string]string{
		"username": User, "password": Password, "auth": auth,
	}}})
	return &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: secretName},
		Type:       corev1.SecretTypeDockerConfigJson,
		Data:       map[string][]byte{corev1.DockerConfigJsonKey: cfg},
	}
}

func image(t testing.TB, p v1.Platform) v1.Image {
	t.Helper()
	img, err := random.Image(64, 1)
	require.NoError(t, err)
	cf, err := img.ConfigFile()
	require.NoError(t, err)
	cf = cf.DeepCopy()
	cf.OS, cf.Architecture, cf.Variant = p.OS, p.Architecture, p.Variant
	img, err = mutate.ConfigFile(img, cf)
	require.NoError(t, err)
	return img
}

// route puts the misbehaving repositories and basic auth in front of reg.
func (r *Registry) route(reg http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		p := req.URL.Path
		switch {
		case strings.HasPrefix(p, "/v2/slow/"):
			<-req.Context().Done()
		case strings.HasPrefix(p, "/v2/garbage/"):
			w.Header().Set("Content-Type", string(types.OCIImageIndex))
			_, _ = w.Write([]byte("\x00\xffnot a manifest{{{"))
		case strings.HasPrefix(p, "/v2/endless/"):
			r.endless(w, req)
		case strings.HasPrefix(p, "/v2/private/") && !authorized(req):
			w.Header().Set("WWW-Authenticate", `Basic realm="test"`)
			http.Error(w, `{"errors":[{"code":"UNAUTHORIZED"}]}`, http.StatusUnauthorized)
		default:
			reg.ServeHTTP(w, req)
		}
	})
}

func authorized(req *http.Request) bool {
	u, p, ok := req.BasicAuth()
	return ok && u == User && p == Password
}

// endless sends an index that never ends, without a Content-Length, until
// the client stops reading.
func (r *Registry) endless(w http.ResponseWriter, req *http.Request) {
	w.Header().Set("Content-Type", string(types.OCIImageIndex))
	if req.Method == http.MethodHead {
		w.Header().Set("Docker-Content-Digest", "sha256:"+strings.Repeat("0", 64))
		return
	}
	chunk := make([]byte, 32<<10)
	_, _ = rand.Read(chunk)
	for req.Context().Err() == nil {
		n, err := w.Write(chunk)
		r.EndlessBytes.Add(int64(n))
		if err != nil {
			return
		}
	}
}

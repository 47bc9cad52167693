package main

import (
	"archive/tar"
	"bufio"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestBuiltImage checks the image `make image` wrote. It needs the layout
// (JOBFIT_IMAGE) and the version it was built with (JOBFIT_IMAGE_VERSION):
// building two platforms is too slow for every `go test ./...`, so `make
// image` builds and then runs this test.
func TestBuiltImage(t *testing.T) {
	dir, version := os.Getenv("JOBFIT_IMAGE"), os.Getenv("JOBFIT_IMAGE_VERSION")
	if dir == "" || version == "" {
		t.Skip("JOBFIT_IMAGE and JOBFIT_IMAGE_VERSION unset: run make image")
	}
	idx, err := layout.ImageIndexFromPath(dir)
	require.NoError(t, err)
	im, err := idx.IndexManifest()
	require.NoError(t, err)
	require.Len(t, im.Manifests, 1, "the layout holds one index")
	inner, err := idx.ImageIndex(im.Manifests[0].Digest)
	require.NoError(t, err)
	manifest, err := inner.IndexManifest()
	require.NoError(t, err)

	var platforms []string
	for _, m := range manifest.Manifests {
		require.NotNil(t, m.Platform)
		p := m.Platform.OS + "/" + m.Platform.Architecture
		platforms = append(platforms, p)
		t.Run(p, func(t *testing.T) {
			img, err := inner.Image(m.Digest)
			require.NoError(t, err)
			checkImage(t, img, *m.Platform, version)
		})
	}
	assert.ElementsMatch(t, []string{"linux/amd64", "linux/arm64"}, platforms)
}

func checkImage(t *testing.T, img v1.Image, p v1.Platform, version string) {
	cfg, err := img.ConfigFile()
	require.NoError(t, err)
	assert.Equal(t, p.OS, cfg.OS)
	assert.Equal(t, p.Architecture, cfg.Architecture)
	assert.Equal(t, "65532:65532", cfg.Config.User, "runs as the nonroot user the manifests require")
	assert.Equal(t, []string{"/jobfit"}, cfg.Config.Entrypoint)
	assert.Empty(t, cfg.Config.Cmd)
	assert.Equal(t, version, cfg.Config.Labels["org.opencontainers.image.version"])

	files := extract(t, img, t.TempDir())
	for _, shell := range []string{"bin/sh", "bin/bash", "bin/busybox", "usr/bin/sh"} {
		assert.NotContains(t, files, shell, "the image has no shell")
	}
	assert.Contains(t, readFile(t, files["etc/passwd"]), "nonroot:x:65532:65532:", "the user resolves by id")
	assert.Contains(t, readFile(t, files["etc/group"]), "nonroot:x:65532:")
	require.Contains(t, files, "jobfit")

	if p.Architecture != runtime.GOARCH || p.OS != runtime.GOOS {
		return
	}
	out, err := exec.Command(files["jobfit"], "version").CombinedOutput()
	require.NoError(t, err, string(out))
	assert.True(t, strings.HasPrefix(string(out), "jobfit "+version+" "), "version output %q", out)
}

// extract writes the image's flattened filesystem to dir and returns its
// regular files by path.
func extract(t *testing.T, img v1.Image, dir string) map[string]string {
	t.Helper()
	rc := mutate.Extract(img)
	defer func() { _ = rc.Close() }()
	files := map[string]string{}
	tr := tar.NewReader(rc)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return files
		}
		require.NoError(t, err)
		name := strings.TrimPrefix(filepath.Clean(h.Name), "/")
		if h.Typeflag == tar.TypeSymlink || h.Typeflag == tar.TypeLink {
			files[name] = h.Linkname
			continue
		}
		if h.Typeflag != tar.TypeReg {
			continue
		}
		path := filepath.Join(dir, name)
		require.NoError(t, os.MkdirAll(filepath.Dir(path), 0o755))
		f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY, os.FileMode(h.Mode)&0o755)
		require.NoError(t, err)
		_, err = io.Copy(f, tr)
		require.NoError(t, err)
		require.NoError(t, f.Close())
		files[name] = path
	}
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	return string(b)
}

// TestDockerfileAgrees keeps the Dockerfile, for users with Docker, in step
// with this builder: same user, entrypoint and build flags.
func TestDockerfileAgrees(t *testing.T) {
	f, err := os.Open("../../Dockerfile")
	require.NoError(t, err)
	defer func() { _ = f.Close() }()
	var users, entrypoints []string
	var text strings.Builder
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		text.WriteString(line + "\n")
		if v, ok := strings.CutPrefix(line, "USER "); ok {
			users = append(users, v)
		}
		if v, ok := strings.CutPrefix(line, "ENTRYPOINT "); ok {
			entrypoints = append(entrypoints, v)
		}
	}
	require.NoError(t, sc.Err())
	assert.Equal(t, []string{user}, users)
	assert.Equal(t, []string{`["` + entry + `"]`}, entrypoints)
	df := text.String()
	assert.Contains(t, df, `-ldflags "`+ldflags("${VERSION}")+`"`)
	assert.Contains(t, df, "go build -trimpath -buildvcs=false")
	assert.Contains(t, df, "CGO_ENABLED=0")
	assert.Contains(t, df, `org.opencontainers.image.source="`+source+`"`)
}

func TestParsePlatform(t *testing.T) {
	cases := []struct {
		name, in string
		want     v1.Platform
		wantErr  bool
	}{
		{"amd64", "linux/amd64", v1.Platform{OS: "linux", Architecture: "amd64"}, false},
		{"spaces", " linux/arm64 ", v1.Platform{OS: "linux", Architecture: "arm64"}, false},
		{"no arch", "linux", v1.Platform{}, true},
		{"variant unsupported", "linux/arm/v7", v1.Platform{}, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := parsePlatform(tc.in)
			if tc.wantErr {
				require.ErrorContains(t, err, "is not os/arch")
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.want, got)
		})
	}
}

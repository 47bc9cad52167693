package certs

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"sigs.k8s.io/controller-runtime/pkg/certwatcher"
)

var testDNSNames = []string{"jobfit-webhook.jobfit-system.svc", "jobfit-webhook.jobfit-system.svc.cluster.local"}

func TestWriteKeyPairLayout(t *testing.T) {
	dir := t.TempDir()
	_, certPEM, keyPEM := issue(t, testDNSNames, time.Now().Add(time.Hour))

	changed, err := WriteKeyPair(dir, certPEM, keyPEM)
	require.NoError(t, err)
	assert.True(t, changed)

	for _, name := range []string{"tls.crt", "tls.key"} {
		target, err := os.Readlink(filepath.Join(dir, name))
		require.NoError(t, err, name+" is a symlink")
		assert.Equal(t, filepath.Join("..data", name), target)
	}
	gotCert, gotKey, err := readKeyPair(dir)
	require.NoError(t, err)
	assert.Equal(t, certPEM, gotCert)
	assert.Equal(t, keyPEM, gotKey)
	info, err := os.Stat(filepath.Join(dir, "tls.key"))
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o600), info.Mode().Perm(), "the key is private")

	changed, err = WriteKeyPair(dir, certPEM, keyPEM)
	require.NoError(t, err)
	assert.False(t, changed, "writing the same pair again is a no-op")
}

func TestWriteKeyPairReplacesAndCleansUp(t *testing.T) {
	dir := t.TempDir()
	for range 3 {
		_, certPEM, keyPEM := issue(t, testDNSNames, time.Now().Add(time.Hour))
		_, err := WriteKeyPair(dir, certPEM, keyPEM)
		require.NoError(t, err)
		gotCert, _, err := readKeyPair(dir)
		require.NoError(t, err)
		assert.Equal(t, certPEM, gotCert)
	}
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	assert.Len(t, names, 4, "only ..data, one version directory and the two links remain: %v", names)
}

// The point of the layout: controller-runtime's certwatcher, as the webhook
// server runs it, picks up a rotated pair without a restart.
func TestWriteKeyPairReloadsCertwatcher(t *testing.T) {
	dir := t.TempDir()
	_, firstCert, firstKey := issue(t, testDNSNames, time.Now().Add(time.Hour))
	_, err := WriteKeyPair(dir, firstCert, firstKey)
	require.NoError(t, err)

	cw, err := certwatcher.New(filepath.Join(dir, "tls.crt"), filepath.Join(dir, "tls.key"))
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	go func() { _ = cw.Start(ctx) }()
	require.Equal(t, firstCert, servedPEM(t, cw))

	_, secondCert, secondKey := issue(t, testDNSNames, time.Now().Add(time.Hour))
	_, err = WriteKeyPair(dir, secondCert, secondKey)
	require.NoError(t, err)
	// fsnotify delivers the change within milliseconds; 5 s stays below
	// the certwatcher's 10 s poll, so this proves the event path works.
	require.Eventually(t, func() bool {
		return string(servedPEM(t, cw)) == string(secondCert)
	}, 5*time.Second, 20*time.Millisecond)
}

func servedPEM(t *testing.T, cw *certwatcher.CertWatcher) []byte {
	t.Helper()
	c, err := cw.GetCertificate(nil)
	require.NoError(t, err)
	return pemCert(c.Certificate[0])
}

func TestEnsureBootstrapKeyPair(t *testing.T) {
	t.Run("empty directory gets a self-signed pair", func(t *testing.T) {
		dir := filepath.Join(t.TempDir(), "serving-certs")
		require.NoError(t, ensureBootstrapKeyPair(dir, testDNSNames))
		certPEM, keyPEM, err := readKeyPair(dir)
		require.NoError(t, err)
		pair, err := tls.X509KeyPair(certPEM, keyPEM)
		require.NoError(t, err)
		cert, err := x509.ParseCertificate(pair.Certificate[0])
		require.NoError(t, err)
		assert.Equal(t, "jobfit-webhook-bootstrap", cert.Subject.CommonName)
		assert.Equal(t, testDNSNames, cert.DNSNames)
	})
	t.Run("a usable pair survives a restart", func(t *testing.T) {
		dir := t.TempDir()
		_, certPEM, keyPEM := issue(t, testDNSNames, time.Now().Add(time.Hour))
		_, err := WriteKeyPair(dir, certPEM, keyPEM)
		require.NoError(t, err)
		require.NoError(t, ensureBootstrapKeyPair(dir, testDNSNames))
		got, _, err := readKeyPair(dir)
		require.NoError(t, err)
		assert.Equal(t, certPEM, got)
	})
	t.Run("a broken pair is replaced", func(t *testing.T) {
		dir := t.TempDir()
		require.NoError(t, os.WriteFile(filepath.Join(dir, "tls.crt"), []byte("garbage"), 0o600))
		require.NoError(t, os.WriteFile(filepath.Join(dir, "tls.key"), []byte("garbage"), 0o600))
		require.NoError(t, ensureBootstrapKeyPair(dir, testDNSNames))
		certPEM, keyPEM, err := readKeyPair(dir)
		require.NoError(t, err)
		_, err = tls.X509KeyPair(certPEM, keyPEM)
		require.NoError(t, err)
	})
}

func pemCert(der []byte) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
}

package webhook

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"net"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"jobfit.dev/jobfit/webhook/certs"
)

func TestSetCertificateExpiry(t *testing.T) {
	certPEM, keyPEM, err := certs.SelfSignedKeyPair([]string{"jobfit.example"}, time.Unix(1_800_000_000, 0))
	require.NoError(t, err)
	pair, err := tls.X509KeyPair(certPEM, keyPEM)
	require.NoError(t, err)
	block, _ := pem.Decode(certPEM)
	parsed, err := x509.ParseCertificate(block.Bytes)
	require.NoError(t, err)
	withoutLeaf := pair
	withoutLeaf.Leaf = nil

	tests := []struct {
		name    string
		cert    tls.Certificate
		want    float64
		wantErr string
	}{
		{name: "leaf parsed by X509KeyPair", cert: pair, want: float64(parsed.NotAfter.Unix())},
		{name: "leaf parsed from DER", cert: withoutLeaf, want: float64(parsed.NotAfter.Unix())},
		{name: "no certificate", cert: tls.Certificate{}, wantErr: "holds no certificate"},
		{name: "garbage DER", cert: tls.Certificate{Certificate: [][]byte{[]byte("nope")}}, wantErr: "parsing serving certificate"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			certificateExpiry.Set(-1)
			err := setCertificateExpiry(tt.cert)
			if tt.wantErr != "" {
				require.ErrorContains(t, err, tt.wantErr)
				assert.Equal(t, float64(-1), testutil.ToFloat64(certificateExpiry), "a bad certificate leaves the gauge alone")
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, testutil.ToFloat64(certificateExpiry))
		})
	}
}

// TestServerReportsServedCertificateExpiry starts the real server on a cert
// directory and replaces the key pair the way package certs' syncer does:
// the gauge follows the certificate served.
func TestServerReportsServedCertificateExpiry(t *testing.T) {
	dir := t.TempDir()
	first := time.Unix(1_800_000_000, 0)
	certPEM, keyPEM, err := certs.SelfSignedKeyPair([]string{"localhost"}, first)
	require.NoError(t, err)
	_, err = certs.WriteKeyPair(dir, certPEM, keyPEM)
	require.NoError(t, err)

	runServer(t, dir, nil)
	assert.Equal(t, float64(first.Add(24*time.Hour).Unix()), testutil.ToFloat64(certificateExpiry))

	second := first.Add(30 * 24 * time.Hour)
	certPEM, keyPEM, err = certs.SelfSignedKeyPair([]string{"localhost"}, second)
	require.NoError(t, err)
	_, err = certs.WriteKeyPair(dir, certPEM, keyPEM)
	require.NoError(t, err)
	require.Eventually(t, func() bool {
		return testutil.ToFloat64(certificateExpiry) == float64(second.Add(24*time.Hour).Unix())
	}, 30*time.Second, 50*time.Millisecond, "the gauge follows the reloaded certificate")
}

// runServer runs the real admission server (NewServer) on the key pair in
// dir, serving h at Path when h is set, until the test ends, and returns
// its address once it completes TLS handshakes.
func runServer(t *testing.T, dir string, h http.Handler) string {
	t.Helper()
	port := freePort(t)
	srv := NewServer(ServerOptions{Host: "127.0.0.1", Port: port, CertDir: dir})
	if h != nil {
		srv.Register(Path, h)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Start(ctx) }()
	t.Cleanup(func() {
		cancel()
		require.NoError(t, <-done)
	})
	started := srv.StartedChecker()
	require.Eventually(t, func() bool { return started(nil) == nil }, 30*time.Second, 50*time.Millisecond)
	return net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
}

func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

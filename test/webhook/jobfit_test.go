package integration

import (
	"bufio"
	"context"
	"crypto/tls"
	"fmt"
	"net"
	"net/http"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"k8s.io/client-go/rest"

	"jobfit.dev/jobfit/hack/stack"
)

// jobfit is one in-process webhook replica, wired as `jobfit webhook` wires
// it (cmd/jobfit/app/webhook.go).
type jobfit struct {
	port, probePort, metricsPort int
	certDir                      string
	cancel                       context.CancelFunc
	done                         chan error
	// exitErr is what the manager returned when stopped (nil when it stopped cleanly).
	exitErr error
}

func freePort(t *testing.T) int {
	t.Helper()
	port, err := stack.FreePort()
	require.NoError(t, err)
	return port
}

// startJobfit starts a replica serving on port on every interface.
func startJobfit(t *testing.T, cfg *rest.Config, port int) *jobfit {
	t.Helper()
	j := &jobfit{port: port, probePort: freePort(t), metricsPort: freePort(t),
		certDir: filepath.Join(t.TempDir(), "serving-certs"), done: make(chan error, 1)}
	mgr, err := stack.NewManager(cfg, stack.Replica{
		Port: port, CertDir: j.certDir,
		MetricsAddr: fmt.Sprintf("127.0.0.1:%d", j.metricsPort),
		ProbeAddr:   fmt.Sprintf("127.0.0.1:%d", j.probePort),
	})
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	j.cancel = cancel
	go func() { j.done <- mgr.Start(ctx) }()
	t.Cleanup(j.stop)
	return j
}

// stop stops the replica and waits until it no longer serves.
func (j *jobfit) stop() {
	if j.cancel == nil {
		return
	}
	j.cancel()
	j.cancel = nil
	select {
	case j.exitErr = <-j.done:
	case <-time.After(30 * time.Second):
		j.exitErr = fmt.Errorf("manager did not stop within 30s")
	}
}

// ready reports whether /readyz passes.
func (j *jobfit) ready() bool {
	resp, err := http.Get(fmt.Sprintf("http://127.0.0.1:%d/readyz", j.probePort))
	if err != nil {
		return false
	}
	defer resp.Body.Close()
	return resp.StatusCode == http.StatusOK
}

// metricsUp reports whether the replica's /metrics endpoint answers.
func (j *jobfit) metricsUp() bool {
	resp, err := http.Get(fmt.Sprintf("http://127.0.0.1:%d/metrics", j.metricsPort))
	if err != nil {
		return false
	}
	resp.Body.Close()
	return resp.StatusCode == http.StatusOK
}

// metric returns the value of one series from /metrics, or -1.
func (j *jobfit) metric(t *testing.T, series string) float64 {
	t.Helper()
	resp, err := http.Get(fmt.Sprintf("http://127.0.0.1:%d/metrics", j.metricsPort))
	require.NoError(t, err)
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), series+" "); ok {
			f, err := strconv.ParseFloat(v, 64)
			require.NoError(t, err)
			return f
		}
	}
	return -1
}

// servedCert returns the leaf certificate the replica presents for the
// Service's name.
func (j *jobfit) servedCert() []byte {
	conn, err := tls.Dial("tcp", net.JoinHostPort(hostIP, strconv.Itoa(j.port)), &tls.Config{
		ServerName:         "jobfit-webhook.jobfit-system.svc",
		InsecureSkipVerify: true, //nolint:gosec // the test compares the certificate itself
	})
	if err != nil {
		return nil
	}
	defer conn.Close()
	return conn.ConnectionState().PeerCertificates[0].Raw
}

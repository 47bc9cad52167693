package webhook

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/http"
	"path/filepath"
	"strconv"
	"sync/atomic"
	"time"

	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/controller-runtime/pkg/certwatcher"
	"sigs.k8s.io/controller-runtime/pkg/healthz"
	"sigs.k8s.io/controller-runtime/pkg/log"
	ctrlwebhook "sigs.k8s.io/controller-runtime/pkg/webhook"

	"jobfit.dev/jobfit/webhook/certs"
)

// Read and write deadlines of the admission server. The API server calls
// jobfit with a 3 s timeout (timeoutSeconds in the webhook configuration)
// and sends the whole request at once, so a request still arriving after
// these was not sent by it: the connection is cut and whatever the request
// held of the in-flight budget (review.go) is freed.
const (
	// headerTimeout bounds the TLS handshake and the request's headers.
	headerTimeout = 1500 * time.Millisecond
	// requestTimeout bounds the whole request, headers and body.
	requestTimeout = 2 * time.Second
	// writeTimeout bounds handling the request and writing the response.
	writeTimeout = 5 * time.Second
	// idleTimeout is how long a kept-alive connection waits for the next request.
	idleTimeout = 90 * time.Second
	// maxHeaderBytes is far more than an AdmissionReview request's headers.
	maxHeaderBytes = 64 << 10
)

// server is controller-runtime's webhook server (its mux, its Register
// with the controller_runtime_webhook_* metrics) served by an http.Server
// of jobfit's own, for two reasons controller-runtime offers no option for:
//   - deadlines: controller-runtime gives a client 32 s to send its headers
//     and no limit on the body, so a client that trickles a request holds a
//     connection, and its share of the in-flight budget, far longer than
//     the API server would ever wait;
//   - a certificate watcher of its own, so that every reload of tls.crt (by
//     package certs in self-managed mode, by the kubelet under cert-manager)
//     sets jobfit_webhook_certificate_expiry_timestamp_seconds from the
//     certificate actually served.
type server struct {
	*ctrlwebhook.DefaultServer
	started atomic.Bool
}

var _ ctrlwebhook.Server = (*server)(nil)

// Start loads the key pair in the cert directory, which exists by now (Setup writes a
// bootstrap pair; cert-manager's Secret is mounted), then serves with it
// until ctx ends. The watcher cannot be made earlier: NewServer runs before Setup.
func (s *server) Start(ctx context.Context) error {
	dir := s.Options.CertDir
	if dir == "" {
		dir = certs.DefaultCertDir
	}
	watcher, err := certwatcher.New(filepath.Join(dir, corev1.TLSCertKey), filepath.Join(dir, corev1.TLSPrivateKeyKey))
	if err != nil {
		return fmt.Errorf("loading serving certificate from %s: %w", dir, err)
	}
	watcher.RegisterCallback(func(cert tls.Certificate) {
		if err := setCertificateExpiry(cert); err != nil {
			log.FromContext(ctx).Error(err, "reading the serving certificate's expiry")
		}
	})
	go func() {
		if err := watcher.Start(ctx); err != nil {
			log.FromContext(ctx).Error(err, "serving certificate watcher failed")
		}
	}()
	cfg := &tls.Config{MinVersion: tls.VersionTLS12}
	for _, op := range s.Options.TLSOpts {
		op(cfg)
	}
	cfg.GetCertificate = watcher.GetCertificate
	ln, err := tls.Listen("tcp", net.JoinHostPort(s.Options.Host, strconv.Itoa(s.Options.Port)), cfg)
	if err != nil {
		return fmt.Errorf("listening for admission requests: %w", err)
	}
	return s.serve(ctx, newHTTPServer(s.Options.WebhookMux), ln)
}

// newHTTPServer is the admission http.Server with jobfit's deadlines.
func newHTTPServer(h http.Handler) *http.Server {
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: headerTimeout,
		ReadTimeout:       requestTimeout,
		WriteTimeout:      writeTimeout,
		IdleTimeout:       idleTimeout,
		MaxHeaderBytes:    maxHeaderBytes,
	}
}

// serve serves srv on ln until ctx ends, then shuts it down gracefully.
func (s *server) serve(ctx context.Context, srv *http.Server, ln net.Listener) error {
	log.FromContext(ctx).Info("serving admission requests", "address", ln.Addr().String())
	closed := make(chan struct{})
	go func() {
		defer close(closed)
		<-ctx.Done()
		shutdown, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if err := srv.Shutdown(shutdown); err != nil {
			log.FromContext(ctx).Error(err, "shutting down the admission server")
		}
	}()
	s.started.Store(true)
	if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	<-closed
	return nil
}

// StartedChecker passes once the server is serving and completes a TLS
// handshake, as controller-runtime's does.
func (s *server) StartedChecker() healthz.Checker {
	addr := net.JoinHostPort(s.Options.Host, strconv.Itoa(s.Options.Port))
	return func(_ *http.Request) error {
		if !s.started.Load() {
			return errors.New("webhook server has not been started yet")
		}
		d := &net.Dialer{Timeout: 10 * time.Second}
		conn, err := tls.DialWithDialer(d, "tcp", addr, &tls.Config{InsecureSkipVerify: true})
		if err != nil {
			return fmt.Errorf("webhook server is not reachable: %w", err)
		}
		return conn.Close()
	}
}

// setCertificateExpiry sets the expiry gauge to the leaf's NotAfter.
func setCertificateExpiry(cert tls.Certificate) error {
	leaf := cert.Leaf
	if leaf == nil {
		if len(cert.Certificate) == 0 {
			return fmt.Errorf("key pair holds no certificate")
		}
		var err error
		if leaf, err = x509.ParseCertificate(cert.Certificate[0]); err != nil {
			return fmt.Errorf("parsing serving certificate: %w", err)
		}
	}
	certificateExpiry.Set(float64(leaf.NotAfter.Unix()))
	return nil
}

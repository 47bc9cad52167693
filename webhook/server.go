package webhook

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"path/filepath"

	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/controller-runtime/pkg/certwatcher"
	"sigs.k8s.io/controller-runtime/pkg/log"
	ctrlwebhook "sigs.k8s.io/controller-runtime/pkg/webhook"
)

// server is controller-runtime's webhook server with a certificate watcher
// of its own. controller-runtime creates one only when TLSOpts set no
// GetCertificate, and offers no hook on it; owning it lets every reload of
// tls.crt (by certsync.go in self-managed mode, by the kubelet under
// cert-manager) set jobfit_webhook_certificate_expiry_timestamp_seconds
// from the certificate actually served.
type server struct {
	*ctrlwebhook.DefaultServer
}

// Start loads the key pair in the cert directory, which exists by now (Setup writes a
// bootstrap pair; cert-manager's Secret is mounted), then serves with it.
// The watcher cannot be made earlier: NewServer runs before Setup.
func (s *server) Start(ctx context.Context) error {
	dir := s.Options.CertDir
	if dir == "" {
		dir = DefaultCertDir
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
	s.Options.TLSOpts = append(s.Options.TLSOpts, func(c *tls.Config) { c.GetCertificate = watcher.GetCertificate })
	go func() {
		if err := watcher.Start(ctx); err != nil {
			log.FromContext(ctx).Error(err, "serving certificate watcher failed")
		}
	}()
	return s.DefaultServer.Start(ctx)
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

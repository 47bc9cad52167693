package certs

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"sync"
	"time"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/ptr"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"
	"sigs.k8s.io/controller-runtime/pkg/source"
)

var _ reconcile.Reconciler = (*certSyncer)(nil)

// certSyncer copies the serving key pair from the Secret into CertDir on
// every replica and decides when the replica is ready to serve.
type certSyncer struct {
	reader        client.Reader
	secret        types.NamespacedName
	webhookConfig string
	certDir       string
	dnsName       string

	ready     chan struct{}
	readyOnce sync.Once
}

// ReplicaCache is a cache that the manager starts on every replica, elected
// or not: implementing GetCache puts it in the manager's cache group. The
// certificate syncer, the policy watcher and the reference caches run on
// every replica.
type ReplicaCache struct{ cache.Cache }

// GetCache returns the wrapped cache.
func (c ReplicaCache) GetCache() cache.Cache { return c.Cache }

func addCertSyncer(mgr ctrl.Manager, o Options, name string) (<-chan struct{}, cache.Cache, error) {
	// A cache of its own, narrowed by field selectors to the one Secret and
	// the one webhook configuration: the manager's cache would need every
	// Secret in the cluster.
	c, err := cache.New(mgr.GetConfig(), cache.Options{
		Scheme: mgr.GetScheme(),
		Mapper: mgr.GetRESTMapper(),
		ByObject: map[client.Object]cache.ByObject{
			&corev1.Secret{}: {
				Namespaces: map[string]cache.Config{o.Namespace: {}},
				Field:      fields.OneTermEqualSelector("metadata.name", o.SecretName),
			},
			&admissionregistrationv1.MutatingWebhookConfiguration{}: {
				Field: fields.OneTermEqualSelector("metadata.name", o.WebhookConfigName),
			},
		},
	})
	if err != nil {
		return nil, nil, fmt.Errorf("creating cache: %w", err)
	}
	if err := mgr.Add(ReplicaCache{Cache: c}); err != nil {
		return nil, nil, fmt.Errorf("registering cache: %w", err)
	}
	s := &certSyncer{
		reader:        c,
		secret:        o.secretKey(),
		webhookConfig: o.WebhookConfigName,
		certDir:       o.CertDir,
		dnsName:       o.DNSNames()[0],
		ready:         make(chan struct{}),
	}
	ctl, err := controller.NewUnmanaged(name, controller.Options{
		Reconciler:         s,
		NeedLeaderElection: ptr.To(false),
		SkipNameValidation: mgr.GetControllerOptions().SkipNameValidation,
		Logger:             mgr.GetLogger(),
	})
	if err != nil {
		return nil, nil, err
	}
	// Both objects map to one request: there is one thing to reconcile.
	toSecret := func(context.Context, client.Object) []reconcile.Request {
		return []reconcile.Request{{NamespacedName: s.secret}}
	}
	for _, obj := range []client.Object{&corev1.Secret{}, &admissionregistrationv1.MutatingWebhookConfiguration{}} {
		if err := ctl.Watch(source.Kind(c, obj, handler.EnqueueRequestsFromMapFunc(toSecret))); err != nil {
			return nil, nil, fmt.Errorf("watching %T: %w", obj, err)
		}
	}
	if err := mgr.Add(ctl); err != nil {
		return nil, nil, err
	}
	return s.ready, c, nil
}

// Reconcile writes the Secret's key pair to disk when it changed, then
// checks readiness.
func (s *certSyncer) Reconcile(ctx context.Context, _ reconcile.Request) (reconcile.Result, error) {
	logger := log.FromContext(ctx)
	secret := &corev1.Secret{}
	if err := s.reader.Get(ctx, s.secret, secret); err != nil {
		if apierrors.IsNotFound(err) {
			// The elected replica recreates it (heal.go); this replica
			// keeps serving what is on disk meanwhile.
			logger.Info("serving certificate secret not found; waiting for the elected replica to recreate it", "secret", s.secret)
			return reconcile.Result{}, nil
		}
		return reconcile.Result{}, fmt.Errorf("reading secret %s: %w", s.secret, err)
	}
	certPEM, keyPEM := secret.Data[corev1.TLSCertKey], secret.Data[corev1.TLSPrivateKeyKey]
	if _, err := tls.X509KeyPair(certPEM, keyPEM); err != nil {
		// Not issued yet, or being re-issued: keep serving what is on disk.
		logger.V(1).Info("waiting for the elected replica to issue a serving certificate", "reason", err.Error())
		return reconcile.Result{}, nil
	}
	changed, err := WriteKeyPair(s.certDir, certPEM, keyPEM)
	if err != nil {
		return reconcile.Result{}, fmt.Errorf("writing serving certificate to %s: %w", s.certDir, err)
	}
	if changed {
		logger.Info("serving certificate written", "dir", s.certDir)
	}
	return reconcile.Result{}, s.checkReady(ctx, certPEM)
}

// checkReady closes ready once the kube-apiserver would accept the
// certificate on disk: every webhook's caBundle verifies it. A missing
// webhook configuration counts as ready, as it does for cert-controller:
// nothing calls the webhook then, and readiness must not depend on it.
func (s *certSyncer) checkReady(ctx context.Context, certPEM []byte) error {
	select {
	case <-s.ready:
		return nil
	default:
	}
	mwc := &admissionregistrationv1.MutatingWebhookConfiguration{}
	err := s.reader.Get(ctx, types.NamespacedName{Name: s.webhookConfig}, mwc)
	switch {
	case apierrors.IsNotFound(err):
		log.FromContext(ctx).Info("webhook configuration not found; ready without checking its caBundle", "name", s.webhookConfig)
	case err != nil:
		return fmt.Errorf("reading webhook configuration %s: %w", s.webhookConfig, err)
	default:
		for _, wh := range mwc.Webhooks {
			if err := verifyServingCert(wh.ClientConfig.CABundle, certPEM, s.dnsName, time.Now()); err != nil {
				// The elected replica patches the caBundle after it writes the
				// Secret; the watch on the configuration brings us back.
				log.FromContext(ctx).V(1).Info("caBundle does not trust the serving certificate yet", "webhook", wh.Name, "reason", err.Error())
				return nil
			}
		}
	}
	s.readyOnce.Do(func() { close(s.ready) })
	log.FromContext(ctx).Info("serving certificate ready")
	return nil
}

// verifyServingCert checks certPEM the way the kube-apiserver will: a TLS
// server certificate for dnsName, chaining to a CA in caBundle at now.
func verifyServingCert(caBundle, certPEM []byte, dnsName string, now time.Time) error {
	roots := x509.NewCertPool()
	if !roots.AppendCertsFromPEM(caBundle) {
		return errors.New("caBundle holds no certificate")
	}
	block, _ := pem.Decode(certPEM)
	if block == nil {
		return errors.New("serving certificate is not PEM")
	}
	cert, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		return fmt.Errorf("parsing serving certificate: %w", err)
	}
	_, err = cert.Verify(x509.VerifyOptions{
		DNSName:     dnsName,
		Roots:       roots,
		CurrentTime: now,
		KeyUsages:   []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	})
	return err
}

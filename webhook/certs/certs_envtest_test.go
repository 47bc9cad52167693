package certs

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/rest"
	"k8s.io/utils/ptr"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/config"
	"sigs.k8s.io/controller-runtime/pkg/envtest"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"
	ctrlwebhook "sigs.k8s.io/controller-runtime/pkg/webhook"
)

// TestCertRotationAgainstAPIServer runs two webhook replicas against a real
// kube-apiserver: one is elected and issues certificates, both serve them,
// and both follow forced rotations. It needs KUBEBUILDER_ASSETS
// (hack/build-control-plane.sh) and is skipped without it.
func TestCertRotationAgainstAPIServer(t *testing.T) {
	if os.Getenv("KUBEBUILDER_ASSETS") == "" {
		t.Skip("KUBEBUILDER_ASSETS is not set; see hack/build-control-plane.sh")
	}
	env := &envtest.Environment{}
	cfg, err := env.Start()
	require.NoError(t, err)
	t.Cleanup(func() { _ = env.Stop() })
	c, err := client.New(cfg, client.Options{})
	require.NoError(t, err)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)

	opts := Options{Namespace: "jobfit-system"}.Default()
	require.NoError(t, c.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: opts.Namespace}}))
	require.NoError(t, c.Create(ctx, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: opts.Namespace, Name: opts.SecretName}}))
	require.NoError(t, c.Create(ctx, webhookConfiguration(opts)))

	var replicas []replica
	for i := range 2 {
		replicas = append(replicas, startReplica(ctx, t, cfg, opts, fmt.Sprintf("replica-%d", i)))
	}
	for _, r := range replicas {
		select {
		case <-r.ready:
		case <-ctx.Done():
			t.Fatalf("%s never became ready", r.name)
		}
	}

	caBundle := currentCABundle(ctx, t, c, opts)
	secret := &corev1.Secret{}
	require.NoError(t, c.Get(ctx, opts.secretKey(), secret))
	require.Equal(t, secret.Data[caCertKey], caBundle, "the caBundle is the CA in the Secret")
	for _, r := range replicas {
		assert.Equal(t, secret.Data["tls.crt"], r.served(t, caBundle), "%s serves the issued certificate", r.name)
	}

	t.Run("serving certificate rotation keeps the CA", func(t *testing.T) {
		old := secret.Data["tls.crt"]
		require.NoError(t, ForceRotation(ctx, c, opts, RotateServingCert))
		rotated := waitForNewCert(ctx, t, c, opts, old)
		assert.Equal(t, caBundle, currentCABundle(ctx, t, c, opts))
		for _, r := range replicas {
			require.Eventually(t, func() bool { return string(r.served(t, caBundle)) == string(rotated) },
				15*time.Second, 50*time.Millisecond, "%s serves the rotated certificate", r.name)
		}
	})

	t.Run("CA rotation re-patches the caBundle", func(t *testing.T) {
		require.NoError(t, c.Get(ctx, opts.secretKey(), secret))
		require.NoError(t, ForceRotation(ctx, c, opts, RotateCA))
		rotated := waitForNewCert(ctx, t, c, opts, secret.Data["tls.crt"])
		var newBundle []byte
		require.Eventually(t, func() bool {
			newBundle = currentCABundle(ctx, t, c, opts)
			return string(newBundle) != string(caBundle)
		}, 15*time.Second, 50*time.Millisecond)
		for _, r := range replicas {
			require.Eventually(t, func() bool { return string(r.served(t, newBundle)) == string(rotated) },
				15*time.Second, 50*time.Millisecond, "%s serves a certificate from the new CA", r.name)
		}
	})
}

type replica struct {
	name  string
	port  int
	ready <-chan struct{}
	opts  Options
}

func startReplica(ctx context.Context, t *testing.T, cfg *rest.Config, o Options, name string) replica {
	t.Helper()
	o.CertDir = filepath.Join(t.TempDir(), "serving-certs")
	port := freePort(t)
	mgr, err := ctrl.NewManager(cfg, ctrl.Options{
		Metrics:                       metricsserver.Options{BindAddress: "0"},
		HealthProbeBindAddress:        "0",
		LeaderElection:                true,
		LeaderElectionID:              LeaderElectionID,
		LeaderElectionNamespace:       o.Namespace,
		LeaderElectionReleaseOnCancel: true,
		Controller:                    config.Controller{SkipNameValidation: ptr.To(true)},
		WebhookServer: ctrlwebhook.NewServer(ctrlwebhook.Options{
			Host: "127.0.0.1", Port: port, CertDir: o.CertDir,
			TLSOpts: []func(*tls.Config){DisableHTTP2},
		}),
	})
	require.NoError(t, err)
	ready, err := Setup(mgr, o)
	require.NoError(t, err)
	mgr.GetWebhookServer().Register("/ping", http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(http.StatusNoContent)
	}))
	go func() {
		if err := mgr.Start(ctx); err != nil {
			t.Errorf("%s: manager: %v", name, err)
		}
	}()
	return replica{name: name, port: port, ready: ready, opts: o}
}

// served returns the certificate the replica presents, verified as the
// kube-apiserver verifies it.
func (r replica) served(t *testing.T, caBundle []byte) []byte {
	t.Helper()
	roots := x509.NewCertPool()
	require.True(t, roots.AppendCertsFromPEM(caBundle))
	conn, err := tls.Dial("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(r.port)),
		&tls.Config{RootCAs: roots, ServerName: r.opts.DNSNames()[0], MinVersion: tls.VersionTLS12})
	if err != nil {
		return nil
	}
	defer conn.Close()
	assert.Equal(t, "", conn.ConnectionState().NegotiatedProtocol, "no HTTP/2")
	return pemCert(conn.ConnectionState().PeerCertificates[0].Raw)
}

func waitForNewCert(ctx context.Context, t *testing.T, c client.Client, o Options, old []byte) []byte {
	t.Helper()
	var got []byte
	require.Eventually(t, func() bool {
		s := &corev1.Secret{}
		require.NoError(t, c.Get(ctx, o.secretKey(), s))
		got = s.Data["tls.crt"]
		return len(got) > 0 && string(got) != string(old)
	}, 15*time.Second, 50*time.Millisecond, "the elected replica re-issues")
	return got
}

func currentCABundle(ctx context.Context, t *testing.T, c client.Client, o Options) []byte {
	t.Helper()
	mwc := &admissionregistrationv1.MutatingWebhookConfiguration{}
	require.NoError(t, c.Get(ctx, client.ObjectKey{Name: o.WebhookConfigName}, mwc))
	return mwc.Webhooks[0].ClientConfig.CABundle
}

func webhookConfiguration(o Options) *admissionregistrationv1.MutatingWebhookConfiguration {
	return &admissionregistrationv1.MutatingWebhookConfiguration{
		ObjectMeta: metav1.ObjectMeta{Name: o.WebhookConfigName},
		Webhooks: []admissionregistrationv1.MutatingWebhook{{
			Name: "pods.jobfit.dev",
			ClientConfig: admissionregistrationv1.WebhookClientConfig{
				Service: &admissionregistrationv1.ServiceReference{
					Namespace: o.Namespace, Name: o.ServiceName, Path: ptr.To("/mutate-v1-pod"),
				},
			},
			// Nothing matches: this test is about certificates, not admission.
			NamespaceSelector:       &metav1.LabelSelector{MatchLabels: map[string]string{"jobfit.dev/test": "none"}},
			SideEffects:             ptr.To(admissionregistrationv1.SideEffectClassNone),
			AdmissionReviewVersions: []string{"v1"},
		}},
	}
}

func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

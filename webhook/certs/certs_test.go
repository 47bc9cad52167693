package certs

import (
	"context"
	"crypto/x509"
	"testing"
	"time"

	"github.com/open-policy-agent/cert-controller/pkg/rotator"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"
)

func TestCertOptionsDefault(t *testing.T) {
	got := Options{Namespace: "jobfit-system"}.Default()
	assert.Equal(t, Options{
		Namespace:             "jobfit-system",
		SecretName:            "jobfit-webhook-tls",
		ServiceName:           "jobfit-webhook",
		WebhookConfigName:     "jobfit",
		CertDir:               "/tmp/k8s-webhook-server/serving-certs",
		CAValidity:            10 * 365 * 24 * time.Hour,
		CertValidity:          365 * 24 * time.Hour,
		LookAhead:             90 * 24 * time.Hour,
		RotationCheckInterval: time.Hour,
	}, got)
	assert.Empty(t, got.Validate())

	set := Options{Namespace: "ns", SecretName: "s", CertValidity: time.Minute, LookAhead: time.Second}.Default()
	assert.Equal(t, "s", set.SecretName, "set values are kept")
	assert.Equal(t, time.Minute, set.CertValidity)
	assert.Equal(t, time.Second, set.LookAhead)
}

func TestCertOptionsValidate(t *testing.T) {
	valid := func(mutate func(*Options)) Options {
		o := Options{Namespace: "jobfit-system"}.Default()
		mutate(&o)
		return o
	}
	tests := []struct {
		name string
		opts Options
		want []string // field paths with errors
	}{
		{"defaults", valid(func(*Options) {}), nil},
		{"short validities for rotation tests", valid(func(o *Options) {
			o.CertValidity, o.LookAhead, o.RotationCheckInterval = 2*time.Minute, time.Minute, 5*time.Second
		}), nil},
		{"namespace required", Options{}.Default(), []string{"namespace"}},
		{"names must be DNS subdomains", valid(func(o *Options) {
			o.Namespace, o.SecretName, o.ServiceName, o.WebhookConfigName = "Jobfit", "a_b", "-svc", "x/y"
		}), []string{"namespace", "secretName", "serviceName", "webhookConfigName"}},
		{"negative durations", valid(func(o *Options) {
			o.RotationCheckInterval = -time.Second
		}), []string{"rotationCheckInterval"}},
		{"cert outlives CA", valid(func(o *Options) {
			o.CAValidity = 24 * time.Hour
		}), []string{"certValidity"}},
		{"look-ahead not shorter than validity would renew in a loop", valid(func(o *Options) {
			o.CertValidity, o.LookAhead = time.Hour, time.Hour
		}), []string{"lookAhead"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.ElementsMatch(t, tt.want, errorPaths(tt.opts.Validate()))
		})
	}
}

func errorPaths(errs field.ErrorList) []string {
	var paths []string
	for _, e := range errs {
		paths = append(paths, e.Field)
	}
	return paths
}

func TestCertOptionsDNSNames(t *testing.T) {
	o := Options{Namespace: "ci"}.Default()
	assert.Equal(t, []string{"jobfit-webhook.ci.svc", "jobfit-webhook.ci.svc.cluster.local"}, o.DNSNames())
}

func TestSetupCertRotationRejectsInvalidOptions(t *testing.T) {
	_, err := Setup(nil, Options{CertDir: t.TempDir()})
	require.ErrorContains(t, err, "namespace: Required value")
}

func TestCertsReadyCheck(t *testing.T) {
	ready := make(chan struct{})
	check := ReadyCheck(ready)
	require.Error(t, check(nil))
	close(ready)
	require.NoError(t, check(nil))
}

func TestForceRotation(t *testing.T) {
	full := map[string][]byte{"ca.crt": []byte("ca"), "ca.key": []byte("cakey"), "tls.crt": []byte("crt"), "tls.key": []byte("key")}
	tests := []struct {
		name     string
		rotation Rotation
		wantKeys []string
	}{
		{"serving cert keeps the CA", RotateServingCert, []string{"ca.crt", "ca.key"}},
		{"CA removes everything", RotateCA, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			secret := &corev1.Secret{
				ObjectMeta: metav1.ObjectMeta{Namespace: "jobfit-system", Name: "jobfit-webhook-tls"},
				Data:       full,
			}
			c := fake.NewClientBuilder().WithObjects(secret).Build()
			ctx := context.Background()
			require.NoError(t, ForceRotation(ctx, c, Options{Namespace: "jobfit-system"}, tt.rotation))

			got := &corev1.Secret{}
			require.NoError(t, c.Get(ctx, client.ObjectKeyFromObject(secret), got))
			var keys []string
			for k := range got.Data {
				keys = append(keys, k)
			}
			assert.ElementsMatch(t, tt.wantKeys, keys)
		})
	}
	t.Run("unknown rotation", func(t *testing.T) {
		err := ForceRotation(context.Background(), fake.NewClientBuilder().Build(), Options{Namespace: "x"}, Rotation(7))
		require.ErrorContains(t, err, "unknown rotation")
	})
}

// issue creates a CA and a serving certificate the way cert-controller does.
func issue(t *testing.T, dnsNames []string, notAfter time.Time) (caPEM, certPEM, keyPEM []byte) {
	t.Helper()
	cr := &rotator.CertRotator{
		CAName: "jobfit-ca", CAOrganization: "jobfit",
		DNSName: dnsNames[0], ExtraDNSNames: dnsNames[1:],
		ExtKeyUsages: &[]x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	begin := time.Now().Add(-time.Hour)
	ca, err := cr.CreateCACert(begin, notAfter)
	require.NoError(t, err)
	certPEM, keyPEM, err = cr.CreateCertPEM(ca, begin, notAfter)
	require.NoError(t, err)
	return ca.CertPEM, certPEM, keyPEM
}

func TestVerifyServingCert(t *testing.T) {
	names := Options{Namespace: "jobfit-system"}.Default().DNSNames()
	now := time.Now()
	caPEM, certPEM, _ := issue(t, names, now.Add(time.Hour))
	otherCA, _, _ := issue(t, names, now.Add(time.Hour))

	tests := []struct {
		name     string
		caBundle []byte
		dnsName  string
		at       time.Time
		wantErr  string
	}{
		{"trusted", caPEM, names[0], now, ""},
		{"trusted for the long name", caPEM, names[1], now, ""},
		{"bundle with the old and new CA", append(append([]byte{}, otherCA...), caPEM...), names[0], now, ""},
		{"empty caBundle", nil, names[0], now, "no certificate"},
		{"other CA", otherCA, names[0], now, "unknown authority"},
		{"wrong service name", caPEM, "other.jobfit-system.svc", now, "certificate is valid for"},
		{"expired", caPEM, names[0], now.Add(2 * time.Hour), "expired"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := verifyServingCert(tt.caBundle, certPEM, tt.dnsName, tt.at)
			if tt.wantErr == "" {
				require.NoError(t, err)
				return
			}
			require.ErrorContains(t, err, tt.wantErr)
		})
	}
}

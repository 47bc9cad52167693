package app

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

var now = time.Date(2026, 12, 2, 12, 0, 0, 0, time.UTC)

func certPEM(t *testing.T, isCA bool, notBefore, notAfter time.Time) []byte {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "jobfit-ca"},
		NotBefore: notBefore, NotAfter: notAfter, IsCA: isCA, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	require.NoError(t, err)
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
}

func TestParseCABundle(t *testing.T) {
	valid := certPEM(t, true, now.Add(-time.Hour), now.Add(time.Hour))
	cases := []struct {
		name    string
		bundle  []byte
		problem string
		certs   int
	}{
		{"valid CA", valid, "", 1},
		{"empty", nil, "caBundle is empty", 0},
		{"not PEM", []byte("hello"), "holds no PEM certificate", 0},
		{"bad DER", pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: []byte{1, 2, 3}}), "does not parse", 0},
		{"expired", certPEM(t, true, now.Add(-2*time.Hour), now.Add(-time.Hour)), "no certificate in caBundle is a CA valid now", 1},
		{"not yet valid", certPEM(t, true, now.Add(time.Hour), now.Add(2*time.Hour)), "no certificate in caBundle is a CA valid now", 1},
		{"not a CA", certPEM(t, false, now.Add(-time.Hour), now.Add(time.Hour)), "no certificate in caBundle is a CA valid now", 1},
		{"expired then valid (rotation)", append(certPEM(t, true, now.Add(-2*time.Hour), now.Add(-time.Hour)), valid...), "", 2},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			certs, problem := parseCABundle(tc.bundle, now)
			assert.Len(t, certs, tc.certs)
			if tc.problem == "" {
				assert.Empty(t, problem)
				return
			}
			assert.Contains(t, problem, tc.problem)
		})
	}
}

func TestWebhookStatusMissing(t *testing.T) {
	s := webhookStatus(nil, "jobfit", now)
	assert.False(t, s.Exists)
	require.Len(t, s.Problems, 1)
	assert.Contains(t, s.Problems[0], "MutatingWebhookConfiguration jobfit does not exist")
}

func TestSelection(t *testing.T) {
	mwc := &admissionregistrationv1.MutatingWebhookConfiguration{Webhooks: []admissionregistrationv1.MutatingWebhook{{
		Name:              "pods.jobfit.dev",
		NamespaceSelector: &metav1.LabelSelector{MatchLabels: map[string]string{"jobfit.dev/inject": "enabled"}},
		ObjectSelector: &metav1.LabelSelector{MatchExpressions: []metav1.LabelSelectorRequirement{
			{Key: "jobfit.dev/headroom", Operator: metav1.LabelSelectorOpDoesNotExist},
		}},
	}}}
	optedIn := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "runners", Labels: map[string]string{"jobfit.dev/inject": "enabled"}}}
	other := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "other"}}
	job := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"pod": "runner-x"}}}
	placeholder := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"jobfit.dev/headroom": "amd64"}}}
	cases := []struct {
		name string
		mwc  *admissionregistrationv1.MutatingWebhookConfiguration
		ns   *corev1.Namespace
		pod  *corev1.Pod
		want string
	}{
		{"selected", mwc, optedIn, job, ""},
		{"namespace not opted in", mwc, other, job, "namespace other is not selected by the namespaceSelector (jobfit.dev/inject=enabled)"},
		{"headroom placeholder excluded", mwc, optedIn, placeholder, "the pod is excluded by the objectSelector (!jobfit.dev/headroom)"},
		{"no configuration", nil, optedIn, job, "the MutatingWebhookConfiguration does not exist"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := selection(tc.mwc, tc.ns, tc.pod)
			require.NoError(t, err)
			assert.Equal(t, tc.want, got)
		})
	}
}

package rbac

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	corev1 "k8s.io/api/core/v1"
	schedulingv1 "k8s.io/api/scheduling/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"jobfit.dev/jobfit/test/webhookenv"
)

func as(t *testing.T, sa string) client.Client {
	t.Helper()
	c, err := client.New(webhookenv.AsServiceAccount(cfg, jobfitNS, sa), client.Options{})
	require.NoError(t, err)
	return c
}

// TestEscalationChainIsBroken replays the audit's escalation chain, and the
// writes RBAC alone cannot limit, as jobfit's own ServiceAccounts.
func TestEscalationChainIsBroken(t *testing.T) {
	ctx := context.Background()
	scaler, webhook := as(t, "jobfit-scaler"), as(t, "jobfit-webhook")
	pod := func(ns, sa string) *corev1.Pod {
		return &corev1.Pod{
			ObjectMeta: metav1.ObjectMeta{GenerateName: "escalate-", Namespace: ns},
			Spec: corev1.PodSpec{ServiceAccountName: sa, Containers: []corev1.Container{{Name: "c", Image: "registry.k8s.io/pause:3.10",
				SecurityContext: &corev1.SecurityContext{AllowPrivilegeEscalation: ptr.To(false), RunAsNonRoot: ptr.To(true), RunAsUser: ptr.To[int64](65535),
					Capabilities: &corev1.Capabilities{Drop: []corev1.Capability{"ALL"}}, SeccompProfile: &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeRuntimeDefault}}}}},
		}
	}
	cases := []struct {
		name    string
		do      func() error
		blocked func(error) bool
	}{
		{"scaler runs a pod as the webhook in jobfit-system", func() error {
			return scaler.Create(ctx, pod(jobfitNS, "jobfit-webhook"))
		}, apierrors.IsForbidden},
		{"scaler runs a pod as the webhook in the headroom namespace", func() error {
			return scaler.Create(ctx, pod(headroomNS, "jobfit-webhook"))
		}, func(err error) bool { return err != nil }},
		{"scaler creates a PriorityClass", func() error {
			return scaler.Create(ctx, &schedulingv1.PriorityClass{ObjectMeta: metav1.ObjectMeta{Name: "escalate"}, Value: 1e9, GlobalDefault: true})
		}, apierrors.IsForbidden},
		{"scaler edits the cluster policy", func() error {
			cm := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: jobfitNS, Name: "jobfit-cluster-policy"}}
			return scaler.Patch(ctx, cm, client.RawPatch("application/merge-patch+json", []byte(`{"data":{"policy.yaml":"x"}}`)))
		}, apierrors.IsForbidden},
		{"scaler creates a cluster policy", func() error {
			return scaler.Create(ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: jobfitNS, Name: "evil",
				Labels: map[string]string{"jobfit.dev/policy": "cluster"}}})
		}, apierrors.IsInvalid},
		{"webhook creates another Secret", func() error {
			return webhook.Create(ctx, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: jobfitNS, Name: "evil"}})
		}, apierrors.IsInvalid},
		{"webhook mints a token for the scaler", func() error {
			return webhook.Create(ctx, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: jobfitNS, Name: "jobfit-webhook-tls",
				Annotations: map[string]string{corev1.ServiceAccountNameKey: "jobfit-scaler"}}, Type: corev1.SecretTypeServiceAccountToken})
		}, apierrors.IsInvalid},
		{"webhook points its webhook elsewhere", func() error {
			return editWebhook(ctx, webhook, func(w *admissionregistrationv1.MutatingWebhook) {
				w.ClientConfig.Service = nil
				w.ClientConfig.URL = ptr.To("https://attacker.example.com/")
			})
		}, apierrors.IsInvalid},
		{"webhook widens its rules to Secrets", func() error {
			return editWebhook(ctx, webhook, func(w *admissionregistrationv1.MutatingWebhook) {
				w.Rules[0].Resources = append(w.Rules[0].Resources, "secrets")
			})
		}, apierrors.IsInvalid},
		{"webhook lists namespaces", func() error {
			return webhook.List(ctx, &corev1.NamespaceList{})
		}, apierrors.IsForbidden},
		{"webhook reads Secrets elsewhere", func() error {
			return webhook.List(ctx, &corev1.SecretList{}, client.InNamespace(runnerNS))
		}, apierrors.IsForbidden},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.do()
			assert.True(t, tc.blocked(err), "not blocked as expected: %v", err)
		})
	}

	t.Run("webhook may still write the caBundle", func(t *testing.T) {
		require.NoError(t, editWebhook(ctx, webhook, func(w *admissionregistrationv1.MutatingWebhook) {
			w.ClientConfig.CABundle = []byte("-----BEGIN CERTIFICATE-----\n")
		}))
	})
	t.Run("webhook may recreate its Secret", func(t *testing.T) {
		require.NoError(t, k8s.Delete(ctx, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: jobfitNS, Name: "jobfit-webhook-tls"}}))
		require.NoError(t, webhook.Create(ctx, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: jobfitNS, Name: "jobfit-webhook-tls"}, Type: corev1.SecretTypeOpaque}))
	})
	t.Run("scaler may create headroom placeholders and the capacity status", func(t *testing.T) {
		require.NoError(t, scaler.Create(ctx, pod(headroomNS, "")))
		require.NoError(t, scaler.Create(ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: jobfitNS, Name: "jobfit-capacity-status"}}))
		require.NoError(t, scaler.Create(ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: headroomNS, Name: "jobfit-headroom"}}))
	})
}

// editWebhook updates the MutatingWebhookConfiguration jobfit with c.
func editWebhook(ctx context.Context, c client.Client, edit func(*admissionregistrationv1.MutatingWebhook)) error {
	mwc := &admissionregistrationv1.MutatingWebhookConfiguration{}
	if err := c.Get(ctx, client.ObjectKey{Name: "jobfit"}, mwc); err != nil {
		return err
	}
	edit(&mwc.Webhooks[0])
	return c.Update(ctx, mwc)
}

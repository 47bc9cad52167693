package rbac

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	coordinationv1 "k8s.io/api/coordination/v1"
	corev1 "k8s.io/api/core/v1"
	schedulingv1 "k8s.io/api/scheduling/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"jobfit.dev/jobfit/hack/stack"
)

func as(t *testing.T, sa string) client.Client {
	t.Helper()
	c, err := client.New(stack.AsServiceAccount(cfg, jobfitNS, sa), client.Options{})
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

// TestNoServiceAccountCanPlantAPolicy replays the audit's plant as the
// scaler: the capacity status created already labelled as a cluster
// policy, the label added by an update, a policy.yaml added by an update;
// and the webhook creating a labelled ConfigMap. The ValidatingAdmissionPolicy
// jobfit-policy-configmaps refuses each; the scaler still writes its status.
func TestNoServiceAccountCanPlantAPolicy(t *testing.T) {
	ctx := context.Background()
	scaler, webhook := as(t, "jobfit-scaler"), as(t, "jobfit-webhook")
	policyDoc := "apiVersion: jobfit.dev/v1alpha1\nkind: Policy\narch: {helperImageMap: {x: y}}\n"
	status := func() *corev1.ConfigMap {
		return &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: jobfitNS, Name: "jobfit-capacity-status"}}
	}
	// Start from no capacity status, as on a fresh install.
	require.NoError(t, client.IgnoreNotFound(k8s.Delete(ctx, status())))

	t.Run("create it already labelled as the cluster policy", func(t *testing.T) {
		cm := status()
		cm.Labels = map[string]string{"jobfit.dev/policy": "cluster"}
		cm.Data = map[string]string{"policy.yaml": policyDoc}
		err := scaler.Create(ctx, cm)
		assert.True(t, apierrors.IsInvalid(err), "not refused: %v", err)
	})
	require.NoError(t, scaler.Create(ctx, status()), "the scaler may still create its capacity status")
	cases := []struct {
		name  string
		patch string
	}{
		{"add the policy label by update", `{"metadata":{"labels":{"jobfit.dev/policy":"cluster"}}}`},
		{"add policy.yaml by update", `{"data":{"policy.yaml":` + strconv.Quote(policyDoc) + `}}`},
		{"relabel it as a scaler policy", `{"metadata":{"labels":{"jobfit.dev/policy":"scaler"}}}`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := scaler.Patch(ctx, status(), client.RawPatch(types.MergePatchType, []byte(tc.patch)))
			assert.True(t, apierrors.IsInvalid(err), "not refused: %v", err)
		})
	}
	t.Run("the webhook creates a labelled ConfigMap", func(t *testing.T) {
		err := webhook.Create(ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: jobfitNS, Name: "evil",
			Labels: map[string]string{"jobfit.dev/policy": "cluster"}}})
		assert.True(t, apierrors.IsForbidden(err) || apierrors.IsInvalid(err), "not refused: %v", err)
	})
	t.Run("the scaler still updates its status", func(t *testing.T) {
		require.NoError(t, scaler.Patch(ctx, status(), client.RawPatch(types.MergePatchType, []byte(`{"data":{"status.yaml":"degraded: []\n"}}`))))
	})
}

// TestLeasesCannotBeSquatted: each component may create and update only
// its own leader-election Lease (RBAC cannot limit create to a name).
func TestLeasesCannotBeSquatted(t *testing.T) {
	ctx := context.Background()
	scaler, webhook := as(t, "jobfit-scaler"), as(t, "jobfit-webhook")
	lease := func(name string) *coordinationv1.Lease {
		return &coordinationv1.Lease{ObjectMeta: metav1.ObjectMeta{Namespace: jobfitNS, Name: name},
			Spec: coordinationv1.LeaseSpec{HolderIdentity: ptr.To("squatter"), LeaseDurationSeconds: ptr.To[int32](3600)}}
	}
	for _, tc := range []struct {
		name string
		c    client.Client
		obj  string
	}{
		{"the scaler squats the webhook's certificate Lease", scaler, "jobfit-webhook-certs"},
		{"the webhook squats the scaler's Lease", webhook, "jobfit-scaler"},
		{"the scaler creates another Lease", scaler, "anything"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			require.NoError(t, client.IgnoreNotFound(k8s.Delete(ctx, lease(tc.obj))))
			err := tc.c.Create(ctx, lease(tc.obj))
			assert.True(t, apierrors.IsInvalid(err), "not refused: %v", err)
		})
	}
	t.Run("each may still write its own", func(t *testing.T) {
		for name, c := range map[string]client.Client{"jobfit-scaler": scaler, "jobfit-webhook-certs": webhook} {
			require.NoError(t, client.IgnoreNotFound(k8s.Delete(ctx, lease(name))))
			require.NoError(t, c.Create(ctx, lease(name)), name)
			l := &coordinationv1.Lease{}
			require.NoError(t, c.Get(ctx, client.ObjectKey{Namespace: jobfitNS, Name: name}, l))
			l.Spec.HolderIdentity = ptr.To("me")
			require.NoError(t, c.Update(ctx, l), name)
		}
	})
}

// TestPackingSchedulerKeepsToItsLease: the packing scheduler has the
// upstream system:kube-scheduler role, which lets it create Leases anywhere
// and update kube-system/kube-scheduler; holding that Lease would stop the
// cluster's default scheduler, and writing jobfit's would stop jobfit's
// components. The ValidatingAdmissionPolicy jobfit-binpack-scheduler-leases
// refuses all but its own Lease, which it may still write.
func TestPackingSchedulerKeepsToItsLease(t *testing.T) {
	ctx := context.Background()
	binpack := as(t, "jobfit-binpack-scheduler")
	lease := func(ns, name string) *coordinationv1.Lease {
		return &coordinationv1.Lease{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
			Spec: coordinationv1.LeaseSpec{HolderIdentity: ptr.To("squatter"), LeaseDurationSeconds: ptr.To[int32](3600)}}
	}
	// The API server loads new ValidatingAdmissionPolicies in the
	// background; wait until this one is enforced.
	require.Eventually(t, func() bool {
		return apierrors.IsInvalid(binpack.Create(ctx, lease("kube-system", "probe"), client.DryRunAll))
	}, 30*time.Second, 200*time.Millisecond, "jobfit-binpack-scheduler-leases is enforced")
	defaultScheduler := lease("kube-system", "kube-scheduler")
	require.NoError(t, client.IgnoreAlreadyExists(k8s.Create(ctx, defaultScheduler.DeepCopy())))
	t.Run("the default scheduler's Lease", func(t *testing.T) {
		l := &coordinationv1.Lease{}
		require.NoError(t, binpack.Get(ctx, client.ObjectKeyFromObject(defaultScheduler), l), "the upstream role reads it")
		l.Spec.HolderIdentity = ptr.To("jobfit-binpack")
		assert.True(t, apierrors.IsInvalid(binpack.Update(ctx, l)), "updating kube-system/kube-scheduler is refused")
	})
	for _, l := range []*coordinationv1.Lease{lease("kube-system", "other"), lease(jobfitNS, "jobfit-scaler"), lease(jobfitNS, "jobfit-webhook-certs"), lease(runnerNS, "jobfit-binpack")} {
		t.Run("create "+l.Namespace+"/"+l.Name, func(t *testing.T) {
			require.NoError(t, client.IgnoreNotFound(k8s.Delete(ctx, l.DeepCopy())))
			err := binpack.Create(ctx, l.DeepCopy())
			assert.True(t, apierrors.IsInvalid(err), "refused: %v", err)
		})
	}
	t.Run("its own Lease", func(t *testing.T) {
		own := lease(jobfitNS, "jobfit-binpack")
		require.NoError(t, client.IgnoreNotFound(k8s.Delete(ctx, own.DeepCopy())))
		require.NoError(t, binpack.Create(ctx, own))
		own.Spec.HolderIdentity = ptr.To("jobfit-binpack-7d9f8c6b5-x2x9q")
		require.NoError(t, binpack.Update(ctx, own))
	})
}

// TestWebhookCannotRelabelItsConfiguration: the webhook may write the
// caBundle, and nothing of its configuration's metadata.
func TestWebhookCannotRelabelItsConfiguration(t *testing.T) {
	ctx := context.Background()
	webhook := as(t, "jobfit-webhook")
	for _, tc := range []struct {
		name string
		edit func(*admissionregistrationv1.MutatingWebhookConfiguration)
	}{
		{"a label", func(m *admissionregistrationv1.MutatingWebhookConfiguration) {
			m.Labels["app.kubernetes.io/part-of"] = "evil"
		}},
		{"an annotation", func(m *admissionregistrationv1.MutatingWebhookConfiguration) {
			m.Annotations = map[string]string{"argocd.argoproj.io/sync-options": "Prune=false"}
		}},
		{"a finalizer", func(m *admissionregistrationv1.MutatingWebhookConfiguration) {
			m.Finalizers = []string{"example.com/keep"}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			mwc := &admissionregistrationv1.MutatingWebhookConfiguration{}
			require.NoError(t, webhook.Get(ctx, client.ObjectKey{Name: "jobfit"}, mwc))
			tc.edit(mwc)
			err := webhook.Update(ctx, mwc)
			assert.True(t, apierrors.IsInvalid(err), "not refused: %v", err)
		})
	}
}

package integration

import (
	"context"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"jobfit.dev/jobfit/hack/stack"
	"jobfit.dev/jobfit/policy/api/v1alpha1"
	"jobfit.dev/jobfit/webhook/certs"
)

// healWithin is the stated bound for admission to mutate again after the
// certificate Secret is deleted: the elected replica sees the deletion
// through its watch, recreates the Secret, and cert-controller issues and
// injects a new CA, all in a few seconds; the rest is slack for a shared
// machine.
const healWithin = 30 * time.Second

// installAsShipped installs jobfit's webhook objects, its ServiceAccount,
// RBAC and ValidatingAdmissionPolicies from manifests/, an opted-in runner
// namespace and the example cluster policy, and returns the webhook's
// ServiceAccount credentials: replicas started with them are authorized
// and admitted exactly as the real pods are.
func installAsShipped(ctx context.Context, t *testing.T, cfg *rest.Config, c client.Client, port int) *rest.Config {
	t.Helper()
	require.NoError(t, stack.Manifests{}.Install(ctx, c, hostIP, port))
	require.NoError(t, stack.Manifests{}.ApplyFiles(ctx, c, stack.WebhookRBACFiles()...))
	require.NoError(t, c.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: runners, Labels: map[string]string{v1alpha1.InjectLabel: v1alpha1.InjectEnabled}}}))
	applyConfigMap(ctx, t, c, jobfitNamespace, clusterCM, clusterLabels, clusterPolicy(t, "", ""))
	return stack.AsServiceAccount(cfg, jobfitNamespace, "jobfit-webhook")
}

// TestLostCertificateSecretHeals deletes the serving certificate Secret
// under load, as the webhook's own ServiceAccount with the shipped RBAC:
// the elected replica recreates it, new certificates are issued, and pods
// are mutated again within healWithin. A replica restarted while the
// Secret is missing stays up and heals it instead of exiting.
func TestLostCertificateSecretHeals(t *testing.T) {
	ctx := context.Background()
	cfg := startAPIServer(t)
	c, err := client.New(cfg, client.Options{})
	require.NoError(t, err)
	port := freePort(t)
	saCfg := installAsShipped(ctx, t, cfg, c, port)
	secretKey := types.NamespacedName{Namespace: jobfitNamespace, Name: certs.DefaultSecretName}

	j := startJobfit(t, saCfg, port)
	require.Eventually(t, j.ready, timeout, poll)
	require.Eventually(t, func() bool {
		return mutated(createDryRun(ctx, t, c, jobPod(t, runners, "runner-zx8kqw2nv-project-4711-concurrent-0-heal0000")))
	}, timeout, poll)

	// Load: pods keep coming while the Secret is lost. None may fail to be
	// created (failurePolicy Ignore); some go unmutated while certificates
	// are reissued.
	var created, failed atomic.Int64
	loadCtx, stopLoad := context.WithCancel(ctx)
	defer stopLoad()
	go func() {
		for loadCtx.Err() == nil {
			pod := jobPod(t, runners, "")
			pod.Name, pod.GenerateName = "", "runner-zx8kqw2nv-project-4711-concurrent-0-"
			if err := c.Create(loadCtx, pod, client.DryRunAll); err != nil && loadCtx.Err() == nil {
				failed.Add(1)
			}
			created.Add(1)
			time.Sleep(20 * time.Millisecond)
		}
	}()

	outer := t
	t.Run("deleted while running", func(t *testing.T) {
		old := &corev1.Secret{}
		require.NoError(t, c.Get(ctx, secretKey, old))
		require.NoError(t, c.Delete(ctx, old))
		healed := &corev1.Secret{}
		require.Eventually(t, func() bool {
			return c.Get(ctx, secretKey, healed) == nil && len(healed.Data["ca.crt"]) > 0 && len(healed.Data[corev1.TLSCertKey]) > 0
		}, healWithin, poll, "the elected replica recreates the Secret and issues new certificates")
		assert.NotEqual(t, string(old.Data["ca.crt"]), string(healed.Data["ca.crt"]), "a new CA")
		require.Eventually(t, func() bool {
			return mutated(createDryRun(ctx, t, c, jobPod(t, runners, "runner-zx8kqw2nv-project-4711-concurrent-0-heal0001")))
		}, healWithin, poll, "pods are mutated again")
		mwc := &admissionregistrationv1.MutatingWebhookConfiguration{}
		require.NoError(t, c.Get(ctx, types.NamespacedName{Name: certs.DefaultWebhookConfigName}, mwc))
		assert.Equal(t, string(healed.Data["ca.crt"]), string(mwc.Webhooks[0].ClientConfig.CABundle))
		assert.NotEmpty(t, eventFor2(ctx, t, c, "Secret", certs.DefaultSecretName, certs.ReasonSecretRecreated))
	})

	t.Run("deleted while the elected replica restarts", func(t *testing.T) {
		j.stop()
		require.NoError(t, j.exitErr)
		require.NoError(t, c.Delete(ctx, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: secretKey.Namespace, Name: secretKey.Name}}))
		j = startJobfit(outer, saCfg, port) // runs on into the next subtest
		require.Eventually(t, func() bool {
			return mutated(createDryRun(ctx, t, c, jobPod(t, runners, "runner-zx8kqw2nv-project-4711-concurrent-0-heal0002")))
		}, healWithin, poll, "the restarted replica recreates the Secret and serves")
		assert.True(t, j.ready())
		select {
		case err := <-j.done:
			t.Fatalf("the replica exited: %v", err)
		default:
		}
	})

	t.Run("cannot be recreated: stays up, says why, retries", func(t *testing.T) {
		// Take create on Secrets away from the webhook's Role.
		role := &rbacv1.Role{}
		require.NoError(t, c.Get(ctx, types.NamespacedName{Namespace: jobfitNamespace, Name: "jobfit-webhook-certs"}, role))
		kept := role.Rules[:0]
		for _, r := range role.Rules {
			if !slices.Contains(r.Resources, "secrets") || !slices.Contains(r.Verbs, "create") {
				kept = append(kept, r)
			}
		}
		role.Rules = kept
		require.NoError(t, c.Update(ctx, role))
		require.NoError(t, c.Delete(ctx, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: secretKey.Namespace, Name: secretKey.Name}}))
		require.Eventually(t, func() bool {
			return eventFor2(ctx, t, c, "Secret", certs.DefaultSecretName, certs.ReasonSecretMissing) != ""
		}, healWithin, poll, "a Warning Event says the Secret is missing and why")
		assert.Contains(t, eventFor2(ctx, t, c, "Secret", certs.DefaultSecretName, certs.ReasonSecretMissing), "forbidden")
		select {
		case err := <-j.done:
			t.Fatalf("the replica exited: %v", err)
		default:
		}
		// The shipped RBAC back: the next retry heals.
		require.NoError(t, stack.Manifests{}.ApplyFiles(ctx, c, "default/rbac.yaml"))
		// The healer retries every 30 s; a loaded machine (CI runs the
		// integration suites side by side) can slow the API server, so allow
		// several retries, and say what the last one reported.
		if !assert.Eventually(t, func() bool {
			return c.Get(ctx, secretKey, &corev1.Secret{}) == nil
		}, 3*time.Minute, poll, "recreated at a retry (every 30 s) once allowed") {
			t.Fatalf("last %s event: %q", certs.ReasonSecretMissing, eventFor2(ctx, t, c, "Secret", certs.DefaultSecretName, certs.ReasonSecretMissing))
		}
		// cert-controller then issues; after the failures above its retries
		// back off, so on a loaded machine this can take a while.
		require.Eventually(t, func() bool {
			s := &corev1.Secret{}
			return c.Get(ctx, secretKey, s) == nil && len(s.Data[corev1.TLSCertKey]) > 0
		}, 3*time.Minute, poll, "certificates issued into the recreated Secret")
		require.Eventually(t, func() bool {
			return mutated(createDryRun(ctx, t, c, jobPod(t, runners, "runner-zx8kqw2nv-project-4711-concurrent-0-heal0003")))
		}, healWithin, poll, "pods are mutated again")
	})

	stopLoad()
	assert.Zero(t, failed.Load(), "no pod creation failed among %d", created.Load())
}

// eventFor2 returns the message of an event about the object of kind and
// name in jobfit's namespace, or "".
func eventFor2(ctx context.Context, t *testing.T, c client.Client, kind, name, reason string) string {
	t.Helper()
	list := &corev1.EventList{}
	require.NoError(t, c.List(ctx, list, client.InNamespace(jobfitNamespace)))
	for _, e := range list.Items {
		if e.InvolvedObject.Kind == kind && e.InvolvedObject.Name == name && e.Reason == reason {
			return e.Message
		}
	}
	return ""
}

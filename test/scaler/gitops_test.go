package scaler_test

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"jobfit.dev/jobfit/policy/api/v1alpha1"
)

// TestGitOpsCoexistence: a GitOps tool re-applies the example NodePool
// ci-on-demand with server-side apply after the scaler tuned it, the ways
// docs/install.md ("GitOps: Argo CD and Flux") describes, and the scaler's
// decision when another manager forces one of its fields: it does not
// yield. The ScalerPolicy is the declared intent for limits, weight and
// consolidateAfter of the pools it lists; the next pass takes the field
// back. To hand a field back, remove the pool from the ScalerPolicy.
func TestGitOpsCoexistence(t *testing.T) {
	ctx := t.Context()
	applyExamples(ctx, t)
	h := newHarness(ctx, t, limitsPolicy)
	for range 10 {
		unschedulable(ctx, t, h.jobPod(ctx, t, "amd64", v1alpha1.CapacityOnDemand, "8"), h.clock.Now())
	}
	h.pass(ctx, t)
	require.Equal(t, "80", cpu(ctx, t, "ci-on-demand"), "the scaler raised the limit from the manifest's 64")
	manifest := func() *unstructured.Unstructured {
		for _, u := range readObjects(t, examplesDir+"/nodepool-ci-on-demand.yaml") {
			return u
		}
		t.Fatal("no NodePool in the example")
		return nil
	}
	apply := func(u *unstructured.Unstructured, manager string, opts ...client.ApplyOption) error {
		return k8s.Apply(ctx, client.ApplyConfigurationFromUnstructured(u), append(opts, client.FieldOwner(manager))...)
	}

	t.Run("a plain re-apply of the manifest conflicts", func(t *testing.T) {
		err := apply(manifest(), "argocd-controller")
		require.True(t, apierrors.IsConflict(err), "expected a conflict with jobfit-scaler, got %v", err)
		assert.Contains(t, err.Error(), "jobfit-scaler")
	})

	t.Run("Flux: the manifest without the scaler's fields applies cleanly", func(t *testing.T) {
		// What the Flux Kustomization in docs/install.md sends: a field the
		// snippet forgot to remove would conflict here.
		require.NoError(t, apply(fluxPatched(t, manifest()), "kustomize-controller"))
		assert.Equal(t, "80", cpu(ctx, t, "ci-on-demand"), "the scaler's value stays")
	})

	t.Run("Argo CD: live values for ignored fields apply cleanly", func(t *testing.T) {
		// With RespectIgnoreDifferences=true, Argo CD sends the live value of
		// every field its ignoreDifferences rule (managedFieldsManagers:
		// [jobfit-scaler]) ignores.
		live := nodePool(ctx, t, "ci-on-demand")
		owned := map[string]bool{}
		for _, mf := range live.ManagedFields {
			if mf.Manager != v1alpha1.ScalerFieldManager {
				continue
			}
			var fields map[string]any
			require.NoError(t, json.Unmarshal(mf.FieldsV1.Raw, &fields))
			for _, l := range leaves("", fields) {
				owned[l] = true
			}
		}
		require.True(t, owned[".spec.limits.cpu"], "the scaler owns limits.cpu: %v", owned)
		u := manifest()
		liveCPU := live.Spec.Limits[corev1.ResourceCPU]
		require.NoError(t, unstructured.SetNestedField(u.Object, liveCPU.String(), "spec", "limits", "cpu"))
		if owned[".spec.weight"] {
			require.NoError(t, unstructured.SetNestedField(u.Object, int64(*live.Spec.Weight), "spec", "weight"))
		}
		if owned[".spec.disruption.consolidateAfter"] {
			require.NoError(t, unstructured.SetNestedField(u.Object, live.Spec.Disruption.ConsolidateAfter.String(), "spec", "disruption", "consolidateAfter"))
		}
		require.NoError(t, apply(u, "argocd-controller"))
		assert.Equal(t, "80", cpu(ctx, t, "ci-on-demand"))
	})

	t.Run("a forced apply is taken back on the next pass", func(t *testing.T) {
		require.NoError(t, apply(manifest(), "argocd-controller", client.ForceOwnership))
		require.Equal(t, "64", cpu(ctx, t, "ci-on-demand"), "the force took the field")
		h.clock.Step(30 * 1e9)
		h.pass(ctx, t)
		assert.Equal(t, "80", cpu(ctx, t, "ci-on-demand"), "the scaler does not yield a field of a pool its policy lists")
	})
}

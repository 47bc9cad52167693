package webhook

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"k8s.io/apimachinery/pkg/types"

	"jobfit.dev/jobfit/policy/api/v1alpha1"
)

const nsPolicyLargeBuild = `apiVersion: jobfit.dev/v1alpha1
kind: Policy
metadata: {name: team-a}
resources:
  defaults:
    build:
      requests: {cpu: "2", memory: 4Gi}
`

const nsPolicyOverCap = `apiVersion: jobfit.dev/v1alpha1
kind: Policy
metadata: {name: team-a}
resources:
  defaults:
    build:
      requests: {cpu: "16", memory: 4Gi}
`

const nsPolicyForbiddenSection = `apiVersion: jobfit.dev/v1alpha1
kind: Policy
metadata: {name: team-a}
capacity: {default: on-demand}
`

func TestStore(t *testing.T) {
	cluster := loadPolicy(t)
	src := types.NamespacedName{Namespace: "team-a", Name: "jobfit-policy"}

	t.Run("not ready before a cluster policy", func(t *testing.T) {
		s := NewStore()
		_, ok := s.Lookup("team-a")
		assert.False(t, ok)
		assert.Error(t, s.ReadyCheck(nil))
	})

	t.Run("a namespace without policy gets the cluster policy", func(t *testing.T) {
		s := NewStore()
		s.SetCluster(cluster)
		eff, ok := s.Lookup("team-a")
		require.True(t, ok)
		assert.Same(t, cluster, eff.Policy)
		assert.NoError(t, s.ReadyCheck(nil))
	})

	t.Run("a namespace policy merges with the cluster policy", func(t *testing.T) {
		s := NewStore()
		s.SetCluster(cluster)
		eff, warns, errs := s.SetNamespace(src, []byte(nsPolicyLargeBuild))
		require.Empty(t, errs)
		assert.Empty(t, warns)
		got, _ := s.Lookup("team-a")
		assert.Same(t, eff, got.Policy)
		other, _ := s.Lookup("team-b")
		assert.Same(t, cluster, other.Policy)
	})

	t.Run("values above the cluster caps are clamped with a warning", func(t *testing.T) {
		s := NewStore()
		s.SetCluster(cluster)
		_, warns, errs := s.SetNamespace(src, []byte(nsPolicyOverCap))
		require.Empty(t, errs)
		require.NotEmpty(t, warns)
		assert.Contains(t, warns[0], "resources.defaults.build.requests.cpu")
		got, _ := s.Lookup("team-a")
		assert.Equal(t, warns, got.Warnings)
	})

	t.Run("an invalid namespace policy keeps the last good one", func(t *testing.T) {
		s := NewStore()
		s.SetCluster(cluster)
		good, _, errs := s.SetNamespace(src, []byte(nsPolicyLargeBuild))
		require.Empty(t, errs)
		_, _, errs = s.SetNamespace(src, []byte(nsPolicyForbiddenSection))
		require.NotEmpty(t, errs)
		assert.Equal(t, "capacity", errs[0].Field)
		got, _ := s.Lookup("team-a")
		assert.Same(t, good, got.Policy)
	})

	t.Run("a namespace policy before the cluster policy is merged once it arrives", func(t *testing.T) {
		s := NewStore()
		eff, _, errs := s.SetNamespace(src, []byte(nsPolicyLargeBuild))
		require.Empty(t, errs)
		assert.Nil(t, eff)
		s.SetCluster(cluster)
		got, _ := s.Lookup("team-a")
		assert.NotSame(t, cluster, got.Policy)
		assert.Equal(t, "2", got.Policy.Resources.Defaults.Build.Requests["cpu"].String())
	})

	t.Run("deleting the namespace policy returns to the cluster policy", func(t *testing.T) {
		s := NewStore()
		s.SetCluster(cluster)
		_, _, _ = s.SetNamespace(src, []byte(nsPolicyLargeBuild))
		s.DeleteNamespace(types.NamespacedName{Namespace: "team-a", Name: "another"})
		got, _ := s.Lookup("team-a")
		assert.NotSame(t, cluster, got.Policy, "only the ConfigMap in force removes it")
		s.DeleteNamespace(src)
		got, _ = s.Lookup("team-a")
		assert.Same(t, cluster, got.Policy)
	})

	t.Run("capacity status", func(t *testing.T) {
		s := NewStore()
		s.SetCluster(cluster)
		st := v1alpha1.CapacityStatus{Degraded: []v1alpha1.DegradedCapacity{{Arch: "arm64", CapacityType: v1alpha1.CapacitySpot}}}
		s.SetStatus(st)
		got, _ := s.Lookup("team-a")
		assert.True(t, got.Status.IsDegraded("arm64", v1alpha1.CapacitySpot))
	})
}

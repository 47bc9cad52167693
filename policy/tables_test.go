package policy

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"jobfit.dev/jobfit/policy/api/v1alpha1"
)

// TestPlatforms: every platform of the API has its row here, with a
// capacity step wherever the platform chooses a capacity type, and a
// loaded policy finds it.
func TestPlatforms(t *testing.T) {
	require.Len(t, platforms, len(v1alpha1.Platforms))
	for _, spec := range v1alpha1.Platforms {
		t.Run(string(spec.Name), func(t *testing.T) {
			pl := platformOf(spec.Name)
			require.NotNil(t, pl, "no engine row for platform %s", spec.Name)
			assert.Same(t, spec, pl.PlatformSpec)
			if pl.ChoosesCapacity {
				assert.NotNil(t, pl.capacity)
			}
			p := &Policy{Policy: v1alpha1.Policy{APIVersion: v1alpha1.GroupVersion, Kind: v1alpha1.KindPolicy, Platform: spec.Name}}
			require.Empty(t, Prepare(p))
			assert.Same(t, pl, p.idx.platform)
		})
	}
}

// TestStepOrder holds Apply's order to the one docs/development.md
// explains (arch and capacity feed what follows; resources feed the
// platform step; the record lists every decision).
func TestStepOrder(t *testing.T) {
	var names []string
	for _, s := range steps {
		names = append(names, s.name)
	}
	assert.Equal(t, []string{"arch", "capacity", "scheduling", "disruption", "resources", "docker", "platform", "caches", "secrets", "metadata", "record"}, names)
}

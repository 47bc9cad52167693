package policy

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestTraitKinds holds the trait rows to what defaulting, validation and
// resolution expect of them: a row that names a section, field or label
// that does not exist would silently never apply.
func TestTraitKinds(t *testing.T) {
	p := &Policy{}
	SetDefaults(p)
	js, err := json.Marshal(p.Traits)
	require.NoError(t, err)
	var shape struct {
		Variables map[string]any `json:"variables"`
	}
	require.NoError(t, json.Unmarshal(js, &shape))
	seen := map[string]bool{}
	for _, k := range TraitKinds {
		t.Run(k.Name, func(t *testing.T) {
			assert.False(t, seen[k.Name], "duplicate trait")
			seen[k.Name] = true
			assert.Contains(t, overridableSections, k.Section)
			assert.True(t, strings.HasPrefix(k.Key, "jobfit.dev/"), k.Key)
			assert.Contains(t, shape.Variables, k.Name, "traits.variables.%s is the row's JSON key", k.Name)
			assert.Equal(t, k.DefaultVariables, *k.Variables(&p.Traits.Variables))
			assert.NotNil(t, k.Known)
			assert.Equal(t, k.Name, TraitKinds[traitIndex(k.Name)].Name)
		})
	}
}

// TestPlatforms holds the platform rows together: unique names, a section
// only where it is an overridable section, and a capacity step wherever
// the platform chooses a capacity type.
func TestPlatforms(t *testing.T) {
	var names []Platform
	for _, pl := range platforms {
		t.Run(string(pl.name), func(t *testing.T) {
			assert.NotContains(t, names, pl.name, "duplicate platform")
			names = append(names, pl.name)
			if pl.section != "" {
				assert.Contains(t, overridableSections, pl.section)
				assert.NotNil(t, pl.sectionSet)
			}
			if pl.choosesCapacity {
				assert.NotNil(t, pl.capacity)
			}
			p := &Policy{APIVersion: GroupVersion, Kind: KindPolicy, Platform: pl.name}
			require.Empty(t, Prepare(p), "the platform's defaults validate")
			assert.Same(t, pl, p.idx.platform)
		})
	}
	assert.True(t, slices.Contains(names, PlatformGeneric), "generic is the default platform")
}

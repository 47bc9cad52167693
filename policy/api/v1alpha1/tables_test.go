package v1alpha1

import (
	"encoding/json"
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
	p.SetDefaults()
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
			assert.Contains(t, OverridableSections, k.Section)
			assert.True(t, strings.HasPrefix(k.Key, "jobfit.dev/"), k.Key)
			assert.Contains(t, shape.Variables, k.Name, "traits.variables.%s is the row's JSON key", k.Name)
			assert.Equal(t, k.DefaultVariables, *k.Variables(&p.Traits.Variables))
			assert.NotNil(t, k.Known)
			assert.Equal(t, k.Name, TraitKinds[TraitIndex(k.Name)].Name)
		})
	}
}

// TestPlatformSpecs holds the platform rows together: unique names, a
// section only where it is an overridable section, and defaults that
// validate.
func TestPlatformSpecs(t *testing.T) {
	var names []Platform
	for _, pl := range Platforms {
		t.Run(string(pl.Name), func(t *testing.T) {
			assert.NotContains(t, names, pl.Name, "duplicate platform")
			names = append(names, pl.Name)
			if pl.Section != "" {
				assert.Contains(t, OverridableSections, pl.Section)
				assert.NotNil(t, pl.SectionOf)
			}
			p := &Policy{APIVersion: GroupVersion, Kind: KindPolicy, Platform: pl.Name}
			p.SetDefaults()
			assert.Empty(t, p.Validate(), "the platform's defaults validate")
		})
	}
	assert.Same(t, Generic, PlatformOf((&Policy{}).defaulted().Platform), "generic is the default platform")
}

func (p *Policy) defaulted() *Policy {
	p.SetDefaults()
	return p
}

package app

import (
	"bytes"
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestMutateRefusesWhatTheAPIServerRefuses: the preview must not accept a
// pod that `kubectl create` would be refused, here an annotation YAML reads
// as a number.
func TestMutateRefusesWhatTheAPIServerRefuses(t *testing.T) {
	raw, err := os.ReadFile(examplePod)
	require.NoError(t, err)
	quoted := `before_sha: "0000000000000000000000000000000000000000"`
	require.Contains(t, string(raw), quoted)
	bad := strings.Replace(string(raw), quoted, "before_sha: 0000000000000000000000000000000000000000", 1)

	var out bytes.Buffer
	err = runMutate(&MutateOptions{PolicyFile: examplePolicy, PodFile: "-", Output: "yaml", In: strings.NewReader(bad), Out: &out})
	require.ErrorContains(t, err, "metadata.annotations")
	require.Empty(t, out.String(), "nothing is printed for a refused pod")
}

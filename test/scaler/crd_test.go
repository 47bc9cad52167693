package scaler_test

import (
	"crypto/sha256"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestVendoredEC2NodeClassCRDMatchesModule keeps testdata's copy of the
// EC2NodeClass CRD identical to the one in the provider module.
func TestVendoredEC2NodeClassCRDMatchesModule(t *testing.T) {
	out, err := exec.Command("go", "mod", "download", "-json", "github.com/aws/karpenter-provider-aws@v1.14.1").Output()
	if err != nil {
		t.Skipf("cannot download github.com/aws/karpenter-provider-aws@v1.14.1: %v", err)
	}
	var mod struct{ Dir string }
	require.NoError(t, json.Unmarshal(out, &mod))
	want, err := os.ReadFile(filepath.Join(mod.Dir, "pkg", "apis", "crds", "karpenter.k8s.aws_ec2nodeclasses.yaml"))
	require.NoError(t, err)
	got, err := os.ReadFile(filepath.Join("testdata", "karpenter.k8s.aws_ec2nodeclasses.yaml"))
	require.NoError(t, err)
	require.Equal(t, sha256.Sum256(want), sha256.Sum256(got), "testdata/karpenter.k8s.aws_ec2nodeclasses.yaml differs from the module; copy it again")
}

package app

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// knownObjects is a policy.References over fixed sets, standing in for
// the cluster (explain.LiveReferences is exercised against a real API server by the
// webhook's reference cache tests, which share policy.CheckReferences).
type knownObjects struct{ classes, claims, schedulers map[string]bool }

func (k knownObjects) SchedulerRunning(name string) bool { return k.schedulers[name] }

func (k knownObjects) PriorityClassExists(name string) bool { return k.classes[name] }
func (k knownObjects) ClaimUsable(namespace, name string) bool {
	return k.claims[namespace+"/"+name]
}

// TestValidateCluster: with --cluster, a Policy naming a PriorityClass or
// claim the cluster does not have gets a warning line, and the file still
// validates (exit 0): the webhook admits pods without the object.
func TestValidateCluster(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "policy.yaml")
	require.NoError(t, os.WriteFile(file, []byte(`apiVersion: jobfit.dev/v1alpha1
kind: Policy
platform: karpenter
scheduling: {priorityClassName: ci-jobs, schedulerName: jobfit-binpack}
caches: [{name: shared, claimName: gitlab-shared, mountPath: /cache}]
`), 0o600))
	var out bytes.Buffer
	require.NoError(t, runValidate(&ValidateOptions{Files: []string{file}, Out: &out, Cluster: true, Namespace: "gitlab-runner", Refs: knownObjects{}}))
	assert.Contains(t, out.String(), file+": warning: PriorityClass ci-jobs (scheduling.priorityClassName) does not exist in the cluster")
	assert.Contains(t, out.String(), file+": warning: PersistentVolumeClaim gitlab-runner/gitlab-shared (caches[shared].claimName) does not exist in the cluster")
	assert.Contains(t, out.String(), file+": warning: Scheduler jobfit-binpack (scheduling.schedulerName) is not running in the cluster (no held Lease jobfit-system/jobfit-binpack)")

	out.Reset()
	all := knownObjects{classes: map[string]bool{"ci-jobs": true}, claims: map[string]bool{"gitlab-runner/gitlab-shared": true}, schedulers: map[string]bool{"jobfit-binpack": true}}
	require.NoError(t, runValidate(&ValidateOptions{Files: []string{file}, Out: &out, Cluster: true, Namespace: "gitlab-runner", Refs: all}))
	assert.NotContains(t, out.String(), "warning")

	out.Reset()
	require.NoError(t, runValidate(&ValidateOptions{Files: []string{file}, Out: &out, Refs: knownObjects{}}))
	assert.NotContains(t, out.String(), "warning", "without --cluster nothing is checked")
}

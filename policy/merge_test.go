package policy_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"

	"jobfit.dev/jobfit/policy"
)

const clusterForMerge = header + `platform: karpenter
resources:
  defaults: {build: {requests: {cpu: 500m}}}
  max: {cpu: "8", memory: 32Gi}
namespaceOverrides: [resources, caches]
`

func TestMergeNamespacePolicy(t *testing.T) {
	cluster := mustLoad(clusterForMerge)
	cases := []struct {
		name      string
		ns        string
		wantErr   string
		wantWarn  string
		wantCPU   string
		wantMaxCP string
	}{
		{"allowed override", "apiVersion: jobfit.dev/v1alpha1\nkind: Policy\nmetadata: {name: team-a}\nresources: {defaults: {build: {requests: {cpu: \"2\"}}}}\n", "", "", "2", "8"},
		{"defaults above the cluster cap are clamped", "apiVersion: jobfit.dev/v1alpha1\nkind: Policy\nresources: {defaults: {build: {requests: {cpu: \"16\"}}}}\n", "", "clamped to the cluster cap 8", "8", "8"},
		{"a namespace may not raise the cap", "apiVersion: jobfit.dev/v1alpha1\nkind: Policy\nresources: {max: {cpu: \"64\"}}\n", "", "the cluster cap applies", "", "8"},
		{"a namespace may lower the cap", "apiVersion: jobfit.dev/v1alpha1\nkind: Policy\nresources: {max: {cpu: \"4\"}}\n", "", "", "", "4"},
		{"section not opened by the cluster", "apiVersion: jobfit.dev/v1alpha1\nkind: Policy\ncapacity: {default: on-demand}\n", "capacity: Forbidden", "", "", ""},
		{"platform is cluster-only", "apiVersion: jobfit.dev/v1alpha1\nkind: Policy\nplatform: eci\n", "platform: Forbidden", "", "", ""},
		{"invalid document", "apiVersion: jobfit.dev/v1alpha1\nkind: Policy\nresources: {max: {cpu: lots}}\n", "resources.max[cpu]", "", "", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			eff, warns, errs := policy.Merge(cluster, []byte(tc.ns))
			if tc.wantErr != "" {
				require.NotEmpty(t, errs)
				assert.Contains(t, errs.ToAggregate().Error(), tc.wantErr)
				assert.Nil(t, eff)
				return
			}
			require.Empty(t, errs)
			require.True(t, eff.Loaded())
			if tc.wantWarn != "" {
				require.NotEmpty(t, warns)
				assert.Contains(t, warns[0], tc.wantWarn)
			}
			if tc.wantCPU != "" {
				q := eff.Resources.Defaults.Build.Requests[corev1.ResourceCPU]
				assert.Equal(t, tc.wantCPU, q.String())
			}
			q := eff.Resources.Max[corev1.ResourceCPU]
			assert.Equal(t, tc.wantMaxCP, q.String())
			assert.Equal(t, "8", cluster.Resources.Max[corev1.ResourceCPU].String(), "the cluster policy is never modified")
		})
	}
}

func TestMergedPolicyName(t *testing.T) {
	cluster := mustLoad(clusterForMerge)
	eff, _, errs := policy.Merge(cluster, []byte("apiVersion: jobfit.dev/v1alpha1\nkind: Policy\nmetadata: {name: team-a}\n"))
	require.Empty(t, errs)
	assert.Equal(t, "t.team-a", eff.Name())
	assert.NotEqual(t, cluster.Hash(), "")
}

const clusterWithScheduling = header + `platform: karpenter
scheduling:
  tolerations: [{key: ci.example.com/runner, operator: Equal, value: "true", effect: NoSchedule}]
  allowedTolerations: [{key: nvidia.com/gpu, operator: Exists}]
  allowedPriorityClassNames: [ci-high]
namespaceOverrides: [scheduling]
`

// TestMergeNamespaceScheduling: a namespace may rearrange the cluster's
// tolerations and use the ones the cluster allows, never invent one.
func TestMergeNamespaceScheduling(t *testing.T) {
	cluster := mustLoad(clusterWithScheduling)
	ns := "apiVersion: jobfit.dev/v1alpha1\nkind: Policy\nmetadata: {name: team-a}\n"
	cases := []struct {
		name    string
		doc     string
		wantErr string
	}{
		{"the cluster's own toleration", ns + "scheduling: {tolerations: [{key: ci.example.com/runner, value: \"true\", effect: NoSchedule}]}\n", ""},
		{"an allowed toleration, narrower than allowed", ns + "scheduling: {tolerations: [{key: nvidia.com/gpu, value: a100, effect: NoSchedule}]}\n", ""},
		{"an allowed priority class", ns + "scheduling: {priorityClassName: ci-high}\n", ""},
		{"a toleration the cluster does not allow", ns + "scheduling: {tolerations: [{key: dedicated, value: payments, effect: NoSchedule}]}\n",
			"scheduling.tolerations[0]: Forbidden: toleration dedicated=payments:NoSchedule is not in the cluster policy's scheduling section"},
		{"broader than the cluster's", ns + "scheduling: {byArch: {arm64: {tolerations: [{key: ci.example.com/runner, operator: Exists}]}}}\n",
			"scheduling.byArch[arm64].tolerations[0]: Forbidden"},
		{"another scheduler than the cluster's", ns + "scheduling: {schedulerName: my-scheduler}\n", "scheduling.schedulerName: Forbidden"},
		{"a priority class the cluster does not allow", ns + "scheduling: {priorityClassName: system-node-critical}\n", "scheduling.priorityClassName: Forbidden"},
		{"allowed lists are the cluster's", ns + "scheduling: {allowedTolerations: [{key: x, operator: Exists}]}\n", "scheduling.allowedTolerations: Forbidden"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			eff, _, errs := policy.Merge(cluster, []byte(tc.doc))
			if tc.wantErr != "" {
				require.NotEmpty(t, errs)
				assert.Contains(t, errs.ToAggregate().Error(), tc.wantErr)
				return
			}
			require.Empty(t, errs)
			assert.Equal(t, cluster.Scheduling.AllowedTolerations, eff.Scheduling.AllowedTolerations, "what namespaces may use stays the cluster's")
		})
	}
	closed := mustLoad(clusterForMerge)
	_, _, errs := policy.Merge(closed, []byte(ns+"scheduling: {priorityClassName: ci-high}\n"))
	require.NotEmpty(t, errs)
	assert.Contains(t, errs.ToAggregate().Error(), "scheduling: Forbidden: the cluster policy does not let namespaces override scheduling")
}

func TestMergeKeepsTheClusterJobVariablesSwitch(t *testing.T) {
	cluster := mustLoad(clusterForMerge)
	on := mustLoad(header + "platform: karpenter\nresources: {jobVariables: true, max: {cpu: \"8\"}}\nnamespaceOverrides: [resources]\n")
	ns := "apiVersion: jobfit.dev/v1alpha1\nkind: Policy\n"
	cases := []struct {
		name    string
		cluster *policy.Policy
		doc     string
		want    bool
	}{
		{"unset in the namespace: the cluster's on", on, ns + "resources: {defaults: {build: {requests: {cpu: \"1\"}}}}\n", true},
		{"unset in the namespace: the cluster's off", cluster, ns + "resources: {defaults: {build: {requests: {cpu: \"1\"}}}}\n", false},
		{"the namespace turns it off", on, ns + "resources: {jobVariables: false}\n", false},
		{"the namespace turns it on, within the cluster's caps", cluster, ns + "resources: {jobVariables: true}\n", true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			eff, _, errs := policy.Merge(tc.cluster, []byte(tc.doc))
			require.Empty(t, errs)
			assert.Equal(t, tc.want, eff.Resources.JobVariables != nil && *eff.Resources.JobVariables)
			assert.Equal(t, "8", eff.Resources.Max[corev1.ResourceCPU].String(), "the cluster's cap stays")
		})
	}
}

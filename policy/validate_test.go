package policy_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"jobfit.dev/jobfit/policy"
	"jobfit.dev/jobfit/policy/api/v1alpha1"
)

const header = "apiVersion: jobfit.dev/v1alpha1\nkind: Policy\nmetadata: {name: t}\n"

// TestValidateRejects lists invalid policies, each rejected at the field a
// user would edit.
func TestValidateRejects(t *testing.T) {
	cases := []struct {
		name    string
		doc     string
		field   string
		message string
	}{
		{"unknown top-level field", header + "platfrom: karpenter\n", "platfrom", "unknown field"},
		{"unknown nested field", header + "traits: {sauces: [label]}\n", "traits.sauces", "unknown field"},
		{"wrong type: list expected", header + "traits: {sources: label}\n", "traits.sources", "must be a list"},
		{"wrong type: bool expected", header + "podOptOut: maybe\n", "podOptOut", "must be a boolean"},
		{"wrong type: mapping expected", header + "arch: amd64\n", "arch", "must be a mapping"},
		{"duplicate key", header + "platform: eci\nplatform: karpenter\n", "", "line 5: key \"platform\" already set"},
		{"missing apiVersion", "kind: Policy\n", "apiVersion", "Required"},
		{"wrong apiVersion", "apiVersion: jobfit.dev/v1\nkind: Policy\n", "apiVersion", "Unsupported value"},
		{"wrong kind", "apiVersion: jobfit.dev/v1alpha1\nkind: Policies\n", "kind", "Unsupported value"},
		{"unknown platform", header + "platform: gke\n", "platform", "Unsupported value"},
		{"unknown trait source", header + "traits: {sources: [label, podName]}\n", "traits.sources[1]", "Unsupported value"},
		{"duplicate trait source", header + "traits: {sources: [label, label]}\n", "traits.sources[1]", "Duplicate"},
		{"bad variable name", header + "traits: {variables: {arch: [JOBFIT-ARCH]}}\n", "traits.variables.arch[0]", "Invalid value"},
		{"empty alias list", header + "traits: {tags: {arch: {amd64: [amd64], arm64: []}}}\n", "traits.tags.arch[arm64]", "alias list must not be empty"},
		{"alias conflict", header + "traits: {tags: {arch: {amd64: [amd64, x86], arm64: [arm64, X86]}}}\n", "traits.tags.arch[arm64][1]", "alias conflict"},
		{"value used as alias of another", header + "traits: {tags: {arch: {amd64: [amd64, arm64], arm64: [aarch64]}}}\n", "traits.tags.arch[amd64]", "alias conflict"},
		{"unknown arch", header + "traits: {tags: {arch: {amd64: [x86], sparc: [sparc]}}}\n", "traits.tags.arch[sparc]", "Kubernetes arch"},
		{"unknown capacity type", header + "traits: {tags: {capacityType: {preemptible: [pre]}}}\n", "traits.tags.capacityType[preemptible]", "spot or on-demand"},
		{"size alias without class", header + "traits: {tags: {size: {huge: [xl]}}}\n", "traits.tags.size[huge]", "size class"},
		{"default arch not in tags", header + "arch: {default: arm64}\ntraits: {tags: {arch: {amd64: [x86]}}}\n", "arch.default", "traits.tags.arch"},
		{"bad os", header + "arch: {os: darwin}\n", "arch.os", "Unsupported value"},
		{"bad helperImage mode", header + "arch: {helperImage: replace}\n", "arch.helperImage", "Unsupported value"},
		{"preferred arch not in tags", header + "arch: {preferred: [riscv64, amd64]}\n", "arch.preferred[0]", "traits.tags.arch"},
		{"preferred arch twice", header + "arch: {preferred: [arm64, amd64, arm64]}\n", "arch.preferred[2]", "Duplicate"},
		{"fromImages not a boolean", header + "arch: {fromImages: yes please}\n", "arch.fromImages", "must be a boolean"},
		{"helper map with one arch", header + "arch: {helperImageMap: [{amd64: reg/h:amd}]}\n", "arch.helperImageMap[0]", "at least two arches"},
		{"bad capacity default", header + "capacity: {default: reserved}\n", "capacity.default", "Unsupported value"},
		{"bad enforcement", header + "capacity: {enforcement: strict}\n", "capacity.enforcement", "Unsupported value"},
		{"bad fallback", header + "capacity: {fallback: always}\n", "capacity.fallback", "Unsupported value"},
		{"toleration bad operator", header + "scheduling: {tolerations: [{key: a, operator: In, value: b}]}\n", "scheduling.tolerations[0].operator", "Unsupported value"},
		{"toleration bad effect", header + "scheduling: {tolerations: [{key: a, value: b, effect: NoRun}]}\n", "scheduling.tolerations[0].effect", "Unsupported value"},
		{"toleration Exists with value", header + "scheduling: {tolerations: [{key: a, operator: Exists, value: b}]}\n", "scheduling.tolerations[0].value", "must be empty when operator is Exists"},
		{"toleration without key", header + "scheduling: {tolerations: [{operator: Exists}]}\n", "scheduling.tolerations[0].key", "tolerates every taint"},
		{"toleration bad key", header + "scheduling: {tolerations: [{key: \"bad key\", value: b}]}\n", "scheduling.tolerations[0].key", "Invalid value"},
		{"toleration bad value", header + "scheduling: {tolerations: [{key: a, value: \"not valid!\"}]}\n", "scheduling.tolerations[0].value", "Invalid value"},
		{"toleration seconds without NoExecute", header + "scheduling: {tolerations: [{key: a, value: b, effect: NoSchedule, tolerationSeconds: 30}]}\n", "scheduling.tolerations[0].tolerationSeconds", "NoExecute"},
		{"toleration duplicate (empty operator is Equal)", header + "scheduling: {tolerations: [{key: a, value: b}, {key: a, operator: Equal, value: b}]}\n", "scheduling.tolerations[1]", "Duplicate"},
		{"toleration wrong type", header + "scheduling: {tolerations: {key: a}}\n", "scheduling.tolerations", "must be a list"},
		{"toleration unknown field", header + "scheduling: {tolerations: [{key: a, efect: NoSchedule}]}\n", "scheduling.tolerations[0].efect", "unknown field"},
		{"byArch unknown arch", header + "scheduling: {byArch: {sparc: {tolerations: [{key: a, operator: Exists}]}}}\n", "scheduling.byArch[sparc]", "traits.tags.arch"},
		{"byArch bad toleration", header + "scheduling: {byArch: {arm64: {tolerations: [{key: a, operator: Gt}]}}}\n", "scheduling.byArch[arm64].tolerations[0].operator", "Unsupported value"},
		{"byCapacityType unknown type", header + "platform: karpenter\nscheduling: {byCapacityType: {reserved: {tolerations: [{key: a, operator: Exists}]}}}\n", "scheduling.byCapacityType[reserved]", "Unsupported value"},
		{"byCapacityType on generic", header + "scheduling: {byCapacityType: {spot: {tolerations: [{key: a, operator: Exists}]}}}\n", "scheduling.byCapacityType[spot]", "places no capacity type"},
		{"bad priorityClassName", header + "scheduling: {priorityClassName: High_Priority}\n", "scheduling.priorityClassName", "Invalid value"},
		{"headroom priorityClassName", header + "scheduling: {priorityClassName: jobfit-headroom}\n", "scheduling.priorityClassName", "headroom"},
		{"bad schedulerName", header + "scheduling: {schedulerName: Bin_Pack}\n", "scheduling.schedulerName", "Invalid value"},
		{"schedulerName default-scheduler", header + "scheduling: {schedulerName: default-scheduler}\n", "scheduling.schedulerName", "leave schedulerName out"},
		{"schedulerName on fargate", header + "platform: fargate\nscheduling: {schedulerName: jobfit-binpack}\n", "scheduling.schedulerName", "Forbidden"},
		{"schedulerName on eci", header + "platform: eci\nscheduling: {schedulerName: jobfit-binpack}\n", "scheduling.schedulerName", "Forbidden"},
		{"bad allowed toleration", header + "scheduling: {allowedTolerations: [{key: a, operator: Exists, value: x}]}\n", "scheduling.allowedTolerations[0].value", "Exists"},
		{"duplicate allowed priority class", header + "scheduling: {allowedPriorityClassNames: [ci, ci]}\n", "scheduling.allowedPriorityClassNames[1]", "Duplicate"},
		{"unknown section in namespaceOverrides", header + "namespaceOverrides: [tolerations]\n", "namespaceOverrides[0]", "Unsupported value"},
		{"overrideRunnerPin not a bool", header + "capacity: {overrideRunnerPin: sometimes}\n", "capacity.overrideRunnerPin", "must be a boolean"},
		{"jobVariables not a bool", header + "resources: {jobVariables: \"yes\"}\n", "resources.jobVariables", "must be a boolean"},
		{"bad doNotDisrupt", header + "disruption: {doNotDisrupt: forever}\n", "disruption.doNotDisrupt", "Unsupported value"},
		{"bad margin", header + "disruption: {margin: 15 minutes}\n", "disruption.margin", "Go duration"},
		{"bad quantity", header + "resources: {max: {cpu: eight}}\n", "resources.max[cpu]", "quantity"},
		{"bad quantity in defaults", header + "resources: {defaults: {build: {requests: {memory: 1GB}}}}\n", "resources.defaults.build.requests[memory]", "quantity"},
		{"negative quantity", header + "resources: {defaults: {helper: {requests: {cpu: -1}}}}\n", "resources.defaults.helper.requests[cpu]", "negative"},
		{"cap below default", header + "resources: {defaults: {build: {requests: {cpu: \"16\"}}}, max: {cpu: \"8\"}}\n", "resources.max[cpu]", "cap is below resources.defaults.build.requests[cpu]"},
		{"cap below size", header + "resources: {sizes: {large: {build: {limits: {memory: 64Gi}}}}, max: {memory: 32Gi}}\n", "resources.max[memory]", "resources.sizes[large].build.limits[memory]"},
		{"request above limit", header + "resources: {defaults: {build: {requests: {memory: 4Gi}, limits: {memory: 2Gi}}}}\n", "resources.defaults.build.requests[memory]", "must not exceed the limit"},
		{"empty size class", header + "resources: {sizes: {large: {}}}\n", "resources.sizes[large]", "must set some"},
		{"bad size name", header + "resources: {sizes: {Large: {build: {requests: {cpu: \"4\"}}}}}\n", "resources.sizes[Large]", "Invalid value"},
		{"cache without name", header + "caches: [{claimName: c, mountPath: /cache}]\n", "caches[0].name", "Required"},
		{"cache unknown placeholder", header + "caches: [{name: c, claimName: \"cache-{branch}\", mountPath: /cache}]\n", "caches[0].claimName", "unknown placeholder {branch}"},
		{"cache unterminated placeholder", header + "caches: [{name: c, claimName: \"cache-{arch\", mountPath: /cache}]\n", "caches[0].claimName", "unknown placeholder"},
		{"cache template expands badly", header + "caches: [{name: c, claimName: \"Cache_{arch}\", mountPath: /cache}]\n", "caches[0].claimName", "invalid claim name"},
		{"cache relative mount", header + "caches: [{name: c, claimName: c, mountPath: cache}]\n", "caches[0].mountPath", "absolute"},
		{"cache duplicate mount", header + "caches: [{name: a, claimName: a, mountPath: /cache}, {name: b, claimName: b, mountPath: /cache}]\n", "caches[1].mountPath", "Duplicate"},
		{"cache duplicate name", header + "caches: [{name: a, claimName: a, mountPath: /a}, {name: a, claimName: b, mountPath: /b}]\n", "caches[1].name", "Duplicate"},
		{"cache bad container", header + "caches: [{name: a, claimName: a, mountPath: /a, containers: [sidecar]}]\n", "caches[0].containers[0]", "Unsupported value"},
		{"secret without mode", header + "secrets: [{secretName: s}]\n", "secrets[0].defaultMode", "Required"},
		{"secret mode too large", header + "secrets: [{secretName: s, defaultMode: 1000}]\n", "secrets[0].defaultMode", "0777"},
		{"bad label key", header + "labels: {\"bad key\": x}\n", "labels[bad key]", "Invalid value"},
		{"reserved label prefix", header + "labels: {jobfit.dev/arch: arm64}\n", "labels[jobfit.dev/arch]", "reserved"},
		{"reserved annotation", header + "annotations: {jobfit.dev/applied: x}\n", "annotations[jobfit.dev/applied]", "Forbidden"},
		{"eci section on karpenter", header + "platform: karpenter\neci: {imageCache: auto}\n", "eci", "only used with platform: eci"},
		{"bad eci image cache", header + "platform: eci\neci: {imageCache: always}\n", "eci.imageCache", "Unsupported value"},
		{"eci price limit without strategy", header + "platform: eci\neci: {spot: {strategy: SpotWithPriceLimit}}\n", "eci.spot.priceLimit", "positive hourly price"},
		{"eci bad duration", header + "platform: eci\neci: {spot: {duration: 6}}\n", "eci.spot.duration", "Unsupported value"},
		{"fargate bad unsupported", header + "platform: fargate\nfargate: {unsupported: ignore}\n", "fargate.unsupported", "Unsupported value"},
		{"fargate arm64 default", header + "platform: fargate\narch: {default: arm64}\n", "arch.default", "only amd64"},
		{"bad namespace override", header + "namespaceOverrides: [platform]\n", "namespaceOverrides[0]", "Unsupported value"},
		{"bad selector entry", header + "selector: {runnerIDs: [\"\"]}\n", "selector.runnerIDs[0]", "Required"},
		{"several YAML documents", header + "platform: karpenter\n---\n" + header + "platform: eci\n", "", "holds 2 documents"},
		{"several YAML documents in a ConfigMap", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\ndata:\n  policy.yaml: |\n    apiVersion: jobfit.dev/v1alpha1\n    kind: Policy\n    ---\n    podOptOut: true\n", "", "holds 2 documents"},
		{"document over the size limit", header + "labels: {a: \"" + strings.Repeat("x", policy.MaxDocumentSize) + "\"}\n", "document", "may not be more than 131072 bytes"},
	}
	require.GreaterOrEqual(t, len(cases), 20)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p, errs := policy.Load([]byte(tc.doc))
			require.Nil(t, p, "an invalid policy must never be returned")
			require.NotEmpty(t, errs)
			var found []string
			for _, e := range errs {
				found = append(found, e.Error())
				if e.Field == tc.field && strings.Contains(e.Error(), tc.message) {
					return
				}
			}
			t.Fatalf("no error at %q containing %q; got:\n%s", tc.field, tc.message, strings.Join(found, "\n"))
		})
	}
}

func TestLoadConfigMapAndBareDocument(t *testing.T) {
	bare := header + "platform: karpenter\n"
	cm := "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: jobfit-cluster-policy\n  labels: {jobfit.dev/policy: cluster}\ndata:\n  policy.yaml: |\n" +
		"    apiVersion: jobfit.dev/v1alpha1\n    kind: Policy\n    platform: karpenter\n"
	p1, errs := policy.Load([]byte(bare))
	require.Empty(t, errs)
	assert.Equal(t, "t", p1.Name())
	p2, errs := policy.Load([]byte(cm))
	require.Empty(t, errs)
	assert.Equal(t, "jobfit-cluster-policy", p2.Name(), "a policy without a name takes its ConfigMap's")
	assert.Equal(t, v1alpha1.PlatformKarpenter, p2.Platform)
	assert.Len(t, p1.Hash(), 12)

	_, errs = policy.Load([]byte("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\ndata: {other.yaml: x}\n"))
	require.Len(t, errs, 1)
	assert.Equal(t, "data[policy.yaml]", errs[0].Field)
}

func TestDefaults(t *testing.T) {
	p, errs := policy.Load([]byte(header))
	require.Empty(t, errs)
	assert.Equal(t, v1alpha1.PlatformGeneric, p.Platform)
	assert.Equal(t, v1alpha1.DefaultSources, p.Traits.Sources)
	assert.Equal(t, []string{"JOBFIT_ARCH"}, p.Traits.Variables.Arch)
	assert.Equal(t, "amd64", p.Arch.Default)
	assert.Equal(t, "linux", p.Arch.OS)
	assert.Equal(t, v1alpha1.CapacitySpot, p.Capacity.Default)
	assert.Equal(t, v1alpha1.DoNotDisruptJobTimeout, p.Disruption.DoNotDisrupt)
	assert.Equal(t, "15m", p.Disruption.Margin)

	eci, errs := policy.Load([]byte(header + "platform: eci\n"))
	require.Empty(t, errs)
	assert.Equal(t, "auto", eci.ECI.ImageCache)
	assert.Equal(t, "SpotAsPriceGo", eci.ECI.Spot.Strategy)
	assert.True(t, *eci.ECI.VirtualNode)
}

func TestHashFollowsContent(t *testing.T) {
	a, _ := policy.Load([]byte(header + "platform: karpenter\n"))
	b, _ := policy.Load([]byte(header + "platform: karpenter\n"))
	c, _ := policy.Load([]byte(header + "platform: karpenter\ncapacity: {default: on-demand}\n"))
	assert.Equal(t, a.Hash(), b.Hash())
	assert.NotEqual(t, a.Hash(), c.Hash())
}

func TestLoadAcceptsSeparatorsAroundOneDocument(t *testing.T) {
	for name, doc := range map[string]string{
		"leading separator":         "---\n" + header,
		"trailing separator":        header + "---\n",
		"comment after a separator": header + "---\n# nothing else\n",
		"separator inside a string": header + "labels: {note: \"a---b\"}\n",
	} {
		t.Run(name, func(t *testing.T) {
			_, errs := policy.Load([]byte(doc))
			require.Empty(t, errs)
		})
	}
}

// TestLoadCapsErrors: a document full of invalid names reports the first
// MaxErrors errors and a count of the rest, not one error per entry.
func TestLoadCapsErrors(t *testing.T) {
	var b strings.Builder
	b.WriteString(header + "labels:\n")
	n := 0
	for b.Len() < policy.MaxDocumentSize-100 {
		fmt.Fprintf(&b, "  \"bad label %d!\": x\n", n)
		n++
	}
	_, errs := policy.Load([]byte(b.String()))
	require.Len(t, errs, policy.MaxErrors+1)
	assert.Contains(t, errs[0].Error(), "labels")
	assert.Contains(t, errs[policy.MaxErrors].Error(), fmt.Sprintf("and %d more errors", n-policy.MaxErrors))
}

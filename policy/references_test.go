package policy_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"

	"jobfit.dev/jobfit/policy"
)

// cluster is what a References answers: the PriorityClasses and the usable
// claims (namespace/name) that exist.
type cluster struct {
	classes    map[string]bool
	claims     map[string]bool
	schedulers map[string]bool
}

func (c cluster) SchedulerRunning(name string) bool { return c.schedulers[name] }

func (c cluster) PriorityClassExists(name string) bool { return c.classes[name] }
func (c cluster) ClaimUsable(namespace, name string) bool {
	return c.claims[namespace+"/"+name]
}

const referencesPolicy = schedulingPolicy + `caches:
  - {name: jobfit-cache, claimName: "gitlab-cache-{arch}", mountPath: /cache, containers: [build, helper]}
`

// TestReferencesToMissingObjects: a PriorityClass or cache claim that does
// not exist is left out, with a warning and a Missing entry, so that the
// API server never refuses the pod (no such PriorityClass) and the pod
// never waits for a claim that is not there; once the object exists, the
// next pod gets the reference. Offline (no References) every reference is
// added.
func TestReferencesToMissingObjects(t *testing.T) {
	p := mustLoad(referencesPolicy)
	ns := "gitlab-runner"
	everything := cluster{classes: map[string]bool{"ci-jobs": true}, claims: map[string]bool{ns + "/gitlab-cache-amd64": true}}
	cases := []struct {
		name        string
		refs        policy.References
		wantClass   string
		wantCache   bool
		wantMissing []string
	}{
		{"offline: every reference assumed to exist", nil, "ci-jobs", true, nil},
		{"both exist", everything, "ci-jobs", true, nil},
		{"no PriorityClass", cluster{claims: everything.claims}, "", true,
			[]string{"PriorityClass ci-jobs (scheduling.priorityClassName)"}},
		{"no claim", cluster{classes: everything.classes}, "ci-jobs", false,
			[]string{"PersistentVolumeClaim gitlab-runner/gitlab-cache-amd64 (caches[jobfit-cache].claimName)"}},
		{"a claim of another namespace does not count", cluster{classes: everything.classes, claims: map[string]bool{"other/gitlab-cache-amd64": true}}, "ci-jobs", false,
			[]string{"PersistentVolumeClaim gitlab-runner/gitlab-cache-amd64 (caches[jobfit-cache].claimName)"}},
		{"neither", cluster{}, "", false, []string{
			"PriorityClass ci-jobs (scheduling.priorityClassName)",
			"PersistentVolumeClaim gitlab-runner/gitlab-cache-amd64 (caches[jobfit-cache].claimName)"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			in := jobPod().build()
			in.Namespace = ns
			priority := int32(0)
			in.Spec.Priority = &priority // as the Priority admission plugin sets it
			out, dec := policy.ApplyInCluster(in, p, policy.Cluster{Refs: tc.refs})
			assert.Equal(t, tc.wantClass, out.Spec.PriorityClassName)
			if tc.wantClass == "" {
				assert.Equal(t, &priority, out.Spec.Priority, "the priority the API server computed is kept")
			}
			hasCache := hasVolume(out, "jobfit-cache")
			assert.Equal(t, tc.wantCache, hasCache)
			for _, c := range out.Spec.Containers {
				for _, m := range c.VolumeMounts {
					assert.True(t, hasCache || m.Name != "jobfit-cache", "no mount without its volume")
				}
			}
			var missing []string
			for _, m := range dec.Missing {
				missing = append(missing, m.String())
				assert.Contains(t, dec.Warnings, m.String()+" does not exist or cannot be used; left out so that the pod is not refused or stranded")
			}
			assert.Equal(t, tc.wantMissing, missing)

			again, dec2 := policy.ApplyInCluster(out, p, policy.Cluster{Refs: tc.refs})
			assert.Equal(t, out, again, "idempotent")
			assert.Empty(t, dec2.Changed())
		})
	}
}

// TestReferenceAppearsLater: once the PriorityClass is created, the next
// pass (a reinvocation, or the runner's next pod) adds it.
func TestReferenceAppearsLater(t *testing.T) {
	p := mustLoad(referencesPolicy)
	in := jobPod().build()
	in.Namespace = "gitlab-runner"
	out, _ := policy.ApplyInCluster(in, p, policy.Cluster{Refs: cluster{}})
	require.Empty(t, out.Spec.PriorityClassName)
	out, dec := policy.ApplyInCluster(out, p, policy.Cluster{Refs: cluster{classes: map[string]bool{"ci-jobs": true}}})
	assert.Equal(t, "ci-jobs", out.Spec.PriorityClassName)
	assert.Nil(t, out.Spec.Priority)
	for _, m := range dec.Missing {
		assert.NotEqual(t, policy.RefPriorityClass, m.Kind, "the class is no longer missing")
	}
}

func hasVolume(pod *corev1.Pod, name string) bool {
	for _, v := range pod.Spec.Volumes {
		if v.Name == name {
			return true
		}
	}
	return false
}

// TestCheckReferences: what the policy watcher and `policy validate
// --cluster` report without a pod.
func TestCheckReferences(t *testing.T) {
	p := mustLoad(schedulingPolicy + `  allowedPriorityClassNames: [ci-jobs, ci-urgent]
caches:
  - {name: per-arch, claimName: "gitlab-cache-{arch}", mountPath: /cache, containers: [build]}
  - {name: shared, claimName: gitlab-shared, mountPath: /shared, containers: [build]}
`)
	var names []string
	for _, m := range policy.CheckReferences(p, "gitlab-runner", cluster{classes: map[string]bool{"ci-jobs": true}}) {
		names = append(names, m.String())
	}
	assert.Equal(t, []string{
		"PriorityClass ci-urgent (scheduling.allowedPriorityClassNames[1])",
		"PersistentVolumeClaim gitlab-runner/gitlab-shared (caches[shared].claimName)",
	}, names, "the templated claim cannot be checked without a pod")
	assert.Empty(t, policy.CheckReferences(p, "", cluster{classes: map[string]bool{"ci-jobs": true, "ci-urgent": true}}))
}

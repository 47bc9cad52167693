package replay

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"jobfit.dev/jobfit/hack/sim/trace"
	"jobfit.dev/jobfit/policy"
)

func TestClock(t *testing.T) {
	start := time.Date(2026, 1, 5, 7, 0, 0, 0, time.UTC)
	wall0 := time.Date(2026, 12, 2, 4, 0, 0, 0, time.UTC)
	c := Clock{Start: start, Wall0: wall0, Speed: 8}
	assert.Equal(t, 5*time.Second, c.Wall(40*time.Second), "boot 40s plays in 5s")
	assert.Equal(t, 2*time.Hour, c.Trace(15*time.Minute), "15 wall minutes are two trace hours")
	assert.Equal(t, wall0.Add(15*time.Minute), c.WallAt(start.Add(2*time.Hour)))
	assert.InDelta(t, 7200, c.TraceSeconds(wall0.Add(15*time.Minute)), 1e-6)
	// Round trip at a speed that does not divide evenly.
	c.Speed = 7
	got := c.TraceSeconds(c.WallAt(start.Add(1234567 * time.Millisecond)))
	assert.InDelta(t, 1234.567, got, 1e-6)
}

func TestPodFactory(t *testing.T) {
	f, err := NewPodFactory("../../../manifests/examples/pods/gitlab-runner-18.11-arm64-job.yaml",
		"../../../manifests/examples/policies/eks-karpenter.yaml")
	require.NoError(t, err)
	for _, tc := range []struct {
		name string
		tags []string
		want Intent
	}{
		{"no arch tag: the policy's default", []string{"kubernetes"}, Intent{Arch: "amd64", Capacity: "spot"}},
		{"arm64 tag", []string{"kubernetes", "arm64"}, Intent{Arch: "arm64", Capacity: "spot"}},
		{"alias and capacity tags", []string{"graviton", "on-demand"}, Intent{Arch: "arm64", Capacity: "on-demand"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			job := trace.Job{ID: 42, Name: "test:unit", Stage: "test", PipelineID: 6, ProjectID: 4711, Tags: tc.tags}
			pod, intent := f.Pod(3, job, "gitlab-runner")
			assert.Equal(t, tc.want, intent)
			assert.Equal(t, "gitlab-runner", pod.Namespace)
			assert.Equal(t, "42", pod.Annotations["job.runner.gitlab.com/id"])
			assert.Equal(t, "test:unit", pod.Annotations["job.runner.gitlab.com/name"])
			env := map[string]string{}
			for _, e := range pod.Spec.Containers[0].Env {
				env[e.Name] = e.Value
			}
			assert.Equal(t, RunnerTags(tc.tags), env["CI_RUNNER_TAGS"])
			assert.Equal(t, "6", env["CI_PIPELINE_ID"])
			assert.Equal(t, "test", env["CI_JOB_STAGE"])
			assert.Equal(t, "4711", env["CI_PROJECT_ID"])
			assert.NotContains(t, env, "KUBERNETES_CPU_REQUEST", "the example job's own request is not every job's")
			ok, _ := policy.IsJobPod(pod)
			assert.True(t, ok, "still a GitLab job pod")
			assert.Empty(t, pod.Spec.NodeSelector, "the webhook, not the replay, places the pod")
		})
	}
	a, _ := f.Pod(1, trace.Job{ID: 1}, "ns")
	b, _ := f.Pod(2, trace.Job{ID: 1}, "ns")
	assert.NotEqual(t, a.Name, b.Name, "pod names are unique per job")
	assert.Empty(t, a.Spec.SchedulerName, "the default scheduler unless the runner names one")
	f.SchedulerName = "jobfit-binpack"
	c, intent := f.Pod(3, trace.Job{ID: 3, Tags: []string{"arm64"}}, "ns")
	assert.Equal(t, "jobfit-binpack", c.Spec.SchedulerName, "config.toml scheduler_name")
	assert.Equal(t, Intent{Arch: "arm64", Capacity: "spot"}, intent)
	assert.Equal(t, `["arm64", "kubernetes"]`, RunnerTags([]string{"arm64", "kubernetes"}))
}

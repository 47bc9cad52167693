package policy_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"

	"jobfit.dev/jobfit/policy"
	"jobfit.dev/jobfit/policy/api/v1alpha1"
)

// retryPod is a retry of build:arm64 in pipeline 55501 of project 4711: a
// new job id, the same name.
func retryPod() *podBuilder {
	b := jobPod().env("CI_PIPELINE_ID", "55501").env("CI_JOB_NAME", "build:arm64")
	b.pod.Annotations["job.runner.gitlab.com/name"] = "build:arm64"
	b.pod.Annotations["job.runner.gitlab.com/id"] = "987654399"
	return b
}

func interruptedStatus(jobs ...v1alpha1.InterruptedJob) v1alpha1.CapacityStatus {
	return v1alpha1.CapacityStatus{InterruptedJobs: jobs}
}

var interruptedAt = time.Date(2026, 12, 7, 10, 42, 13, 0, time.UTC)

func interrupted(project, pipeline, job string) v1alpha1.InterruptedJob {
	return v1alpha1.InterruptedJob{JobRef: v1alpha1.JobRef{Project: project, Pipeline: pipeline, Job: job}, Arch: "amd64",
		CapacityType: "spot", Node: "ip-10-0-1-7", Cause: "SpotInterruption", At: interruptedAt, Until: interruptedAt.Add(time.Hour)}
}

func TestJobRefOf(t *testing.T) {
	cases := []struct {
		name string
		pod  *corev1.Pod
		want v1alpha1.JobRef
		ok   bool
	}{
		{"runner annotations and CI_PIPELINE_ID", retryPod().build(), v1alpha1.JobRef{Project: "4711", Pipeline: "55501", Job: "build:arm64"}, true},
		{"name from CI_JOB_NAME without the annotation", func() *corev1.Pod {
			p := jobPod().env("CI_PIPELINE_ID", "7").env("CI_JOB_NAME", "lint").build()
			return p
		}(), v1alpha1.JobRef{Project: "4711", Pipeline: "7", Job: "lint"}, true},
		{"no pipeline id", jobPod().env("CI_JOB_NAME", "lint").build(), v1alpha1.JobRef{Project: "4711", Job: "lint"}, false},
		{"no job name", jobPod().env("CI_PIPELINE_ID", "7").build(), v1alpha1.JobRef{Project: "4711", Pipeline: "7"}, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := policy.JobRefOf(tc.pod)
			assert.Equal(t, tc.ok, ok)
			assert.Equal(t, tc.want, got)
		})
	}
}

func TestInterruptedJobRetriesOnDemand(t *testing.T) {
	p := mustLoad(karpenterPolicy)
	noFallback := mustLoad(karpenterPolicy + "capacity: {fallback: none}\n")
	cases := []struct {
		name       string
		p          *policy.Policy
		pod        *corev1.Pod
		status     v1alpha1.CapacityStatus
		want       string
		wantSource string
		wantWarn   bool
	}{
		{"retry of an interrupted job goes on-demand", p, retryPod().build(), interruptedStatus(interrupted("4711", "55501", "build:arm64")),
			"on-demand", "retry of a job interrupted on spot at 10:42 (was default)", false},
		{"the job's own spot ask gives way too", p, retryPod().env("JOBFIT_CAPACITY_TYPE", "spot").build(),
			interruptedStatus(interrupted("4711", "55501", "build:arm64")),
			"on-demand", "retry of a job interrupted on spot at 10:42 (was variable JOBFIT_CAPACITY_TYPE)", false},
		{"another job of the pipeline stays on spot", p, retryPod().build(), interruptedStatus(interrupted("4711", "55501", "test")),
			"spot", "default", false},
		{"the same job name in another pipeline stays on spot", p, retryPod().build(), interruptedStatus(interrupted("4711", "55502", "build:arm64")),
			"spot", "default", false},
		{"the same name in another project stays on spot", p, retryPod().build(), interruptedStatus(interrupted("4712", "55501", "build:arm64")),
			"spot", "default", false},
		{"fallback none ignores the status", noFallback, retryPod().build(), interruptedStatus(interrupted("4711", "55501", "build:arm64")),
			"spot", "default", false},
		{"a runner pin wins, with a warning", p, retryPod().nodeSelector("karpenter.sh/capacity-type", "spot").build(),
			interruptedStatus(interrupted("4711", "55501", "build:arm64")),
			"spot", "nodeSelector karpenter.sh/capacity-type", true},
		{"a pod without a pipeline id is never taken for a retry", p, jobPod().env("CI_JOB_NAME", "build:arm64").build(),
			interruptedStatus(v1alpha1.InterruptedJob{JobRef: v1alpha1.JobRef{Project: "4711", Job: "build:arm64"}, CapacityType: "spot"}),
			"spot", "default", false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			out, dec := policy.Apply(tc.pod, tc.p, tc.status)
			assert.Equal(t, tc.want, out.Spec.NodeSelector["karpenter.sh/capacity-type"])
			d, ok := decision(dec, policy.MutCapacity)
			require.True(t, ok)
			assert.Equal(t, tc.wantSource, d.Source)
			if tc.wantWarn {
				require.Len(t, dec.PinConflicts, 1)
				assert.Equal(t, "on-demand", dec.PinConflicts[0].Wanted)
				assert.Contains(t, dec.PinConflicts[0].WantedSource, "retry of a job interrupted on spot")
			} else {
				assert.Empty(t, dec.PinConflicts)
			}
			again, _ := policy.Apply(out, tc.p, tc.status)
			assert.Equal(t, out, again, "idempotent")
		})
	}
}

func TestInterruptedLatestWins(t *testing.T) {
	first := interrupted("4711", "55501", "build")
	second := first
	second.At, second.CapacityType = first.At.Add(20*time.Minute), "on-demand"
	got, ok := interruptedStatus(first, second).Interrupted(first.JobRef)
	require.True(t, ok)
	assert.Equal(t, second, got)
	_, ok = interruptedStatus(first).Interrupted(v1alpha1.JobRef{Project: "4711", Pipeline: "55501", Job: "test"})
	assert.False(t, ok)
}

func TestParseCapacityStatusInterruptedJobs(t *testing.T) {
	st := interruptedStatus(interrupted("4711", "55501", "build:arm64"))
	body, err := st.Marshal()
	require.NoError(t, err)
	assert.Contains(t, string(body), "pipeline: \"55501\"")
	got, err := v1alpha1.ParseCapacityStatus(body)
	require.NoError(t, err)
	assert.Equal(t, st, got)
	for name, doc := range map[string]string{
		"no pipeline":       "interruptedJobs:\n- {project: '1', job: build, capacityType: spot}\n",
		"bad capacity type": "interruptedJobs:\n- {project: '1', pipeline: '2', job: build, capacityType: cheap}\n",
	} {
		_, err := v1alpha1.ParseCapacityStatus([]byte(doc))
		assert.ErrorContains(t, err, "interruptedJobs[0]", name)
	}
}

// TestInterruptedRetryWhileSpotDegraded: the interruption that listed the
// job usually degrades its arch's spot too; the retry says why it is on
// on-demand in the more specific terms.
func TestInterruptedRetryWhileSpotDegraded(t *testing.T) {
	st := interruptedStatus(interrupted("4711", "55501", "build:arm64"))
	st.Degraded = []v1alpha1.DegradedCapacity{{Arch: "amd64", CapacityType: "spot"}}
	out, dec := policy.Apply(retryPod().build(), mustLoad(karpenterPolicy), st)
	assert.Equal(t, "on-demand", out.Spec.NodeSelector["karpenter.sh/capacity-type"])
	d, _ := decision(dec, policy.MutCapacity)
	assert.Equal(t, "retry of a job interrupted on spot at 10:42 (was default)", d.Source)
	require.NotNil(t, dec.Retry)
}

package policy

import (
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"

	"jobfit.dev/jobfit/policy/api/v1alpha1"
)

// Job variables that name a job across its retries: GitLab's retry is a new
// job (a new id) of the same name in the same pipeline.
const (
	VarPipelineID = "CI_PIPELINE_ID"
	VarJobName    = "CI_JOB_NAME"
)

// AnnotationJobName is the job's name, as GitLab Runner annotates it (15.9+).
const AnnotationJobName = "job.runner.gitlab.com/name"

// JobRef names a GitLab job across retries: its project, its pipeline and
// its name (not its id, which every retry changes).
type JobRef struct {
	Project  string `json:"project"`
	Pipeline string `json:"pipeline"`
	Job      string `json:"job"`
}

// JobRefOf reads a job pod's JobRef: the project from the runner's label or
// annotation or CI_PROJECT_ID, the pipeline from CI_PIPELINE_ID and the name
// from the runner's annotation or CI_JOB_NAME. It reports false when any part
// is missing, so that no two unrelated jobs are ever taken for retries of
// each other.
func JobRefOf(pod *corev1.Pod) (JobRef, bool) {
	return jobRef(pod, jobEnv(pod, jobRefVars))
}

var jobRefVars = map[string]bool{VarProjectID: true, VarPipelineID: true, VarJobName: true}

func jobRef(pod *corev1.Pod, env map[string]string) (JobRef, bool) {
	r := JobRef{Project: projectID(pod, env), Pipeline: env[VarPipelineID], Job: pod.Annotations[AnnotationJobName]}
	if r.Job == "" {
		r.Job = env[VarJobName]
	}
	return r, r.Project != "" && r.Pipeline != "" && r.Job != ""
}

// InterruptedJob is a job that was running on a node that went away under
// it (a spot interruption, a node repair, a NodeClaim deleted while the job
// ran). The scaler lists it for a while (Until) so that the webhook places
// its retry on on-demand capacity.
type InterruptedJob struct {
	JobRef `json:",inline"`
	// Arch and CapacityType are where the job ran.
	Arch         string `json:"arch,omitempty"`
	CapacityType string `json:"capacityType"`
	// Node is the node that went away, and Cause why (SpotInterruption,
	// NodeDeleted).
	Node  string `json:"node,omitempty"`
	Cause string `json:"cause,omitempty"`
	// At is when the node went away; Until is when the scaler forgets the
	// entry (the webhook has no clock: it follows the list as it is).
	At    time.Time `json:"at"`
	Until time.Time `json:"until"`
}

// Interrupted returns the latest interruption of the job ref names.
func (s CapacityStatus) Interrupted(ref JobRef) (InterruptedJob, bool) {
	var found InterruptedJob
	ok := false
	for _, j := range s.InterruptedJobs {
		if j.JobRef == ref && (!ok || j.At.After(found.At)) {
			found, ok = j, true
		}
	}
	return found, ok
}

// Describe is how explain says it: "retry of a job interrupted on spot at
// 10:42".
func (j InterruptedJob) Describe() string {
	return fmt.Sprintf("retry of a job interrupted on %s at %s", j.CapacityType, j.At.UTC().Format("15:04"))
}

func validateInterrupted(jobs []InterruptedJob) error {
	for i, j := range jobs {
		switch {
		case j.Project == "" || j.Pipeline == "" || j.Job == "":
			return fmt.Errorf("interruptedJobs[%d]: needs a project, a pipeline and a job", i)
		case j.CapacityType != v1alpha1.CapacitySpot && j.CapacityType != v1alpha1.CapacityOnDemand:
			return fmt.Errorf("interruptedJobs[%d].capacityType: must be spot or on-demand, not %q", i, j.CapacityType)
		}
	}
	return nil
}

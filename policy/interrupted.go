package policy

import (
	corev1 "k8s.io/api/core/v1"

	"jobfit.dev/jobfit/policy/api/v1alpha1"
)

// JobRefOf reads a job pod's JobRef: the project from the runner's label or
// annotation or CI_PROJECT_ID, the pipeline from CI_PIPELINE_ID and the name
// from the runner's annotation or CI_JOB_NAME. It reports false when any part
// is missing, so that no two unrelated jobs are ever taken for retries of
// each other.
func JobRefOf(pod *corev1.Pod) (v1alpha1.JobRef, bool) {
	return jobRef(pod, jobEnv(pod, jobRefVars))
}

var jobRefVars = map[string]bool{v1alpha1.VarProjectID: true, v1alpha1.VarPipelineID: true, v1alpha1.VarJobName: true}

func jobRef(pod *corev1.Pod, env map[string]string) (v1alpha1.JobRef, bool) {
	r := v1alpha1.JobRef{Project: projectID(pod, env), Pipeline: env[v1alpha1.VarPipelineID], Job: pod.Annotations[v1alpha1.AnnotationJobName]}
	if r.Job == "" {
		r.Job = env[v1alpha1.VarJobName]
	}
	return r, r.Project != "" && r.Pipeline != "" && r.Job != ""
}

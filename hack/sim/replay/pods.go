package replay

import (
	"fmt"
	"os"
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/yaml"

	"jobfit.dev/jobfit/hack/sim/trace"
	"jobfit.dev/jobfit/policy"
	"jobfit.dev/jobfit/policy/api/v1alpha1"
)

// Intent is what a job asks for through its tags, as the policy reads
// them with no capacity degraded: what the replay checks the node against.
type Intent struct {
	Arch, Capacity string
}

// PodFactory makes GitLab Runner 18.11-shaped job pods from the shipped
// example pod.
type PodFactory struct {
	// SchedulerName, when set, is the pods' spec.schedulerName, as a
	// runner's config.toml scheduler_name sets it.
	SchedulerName string
	template      *corev1.Pod
	policy        *policy.Policy
}

// NewPodFactory reads the example pod and the cluster policy.
func NewPodFactory(podFile, policyFile string) (*PodFactory, error) {
	raw, err := os.ReadFile(podFile)
	if err != nil {
		return nil, fmt.Errorf("reading the example pod: %w", err)
	}
	pod := &corev1.Pod{}
	if err := yaml.UnmarshalStrict(raw, pod); err != nil {
		return nil, fmt.Errorf("decoding the example pod %s: %w", podFile, err)
	}
	raw, err = os.ReadFile(policyFile)
	if err != nil {
		return nil, fmt.Errorf("reading the policy: %w", err)
	}
	p, errs := policy.Load(raw)
	if len(errs) > 0 {
		return nil, fmt.Errorf("loading the policy %s: %w", policyFile, errs.ToAggregate())
	}
	return &PodFactory{template: pod, policy: p}, nil
}

// RunnerTags writes tags as GitLab 17+ passes the runner's tags in
// CI_RUNNER_TAGS (Ruby's Array#to_s).
func RunnerTags(tags []string) string {
	q := make([]string, len(tags))
	for i, t := range tags {
		q[i] = strconv.Quote(t)
	}
	return "[" + strings.Join(q, ", ") + "]"
}

// Pod returns the pod the runner would create for job number i in
// namespace, and what the job asks for.
func (f *PodFactory) Pod(i int, job trace.Job, namespace string) (*corev1.Pod, Intent) {
	pod := f.template.DeepCopy()
	project := strconv.FormatInt(job.ProjectID, 10)
	jobID := strconv.FormatInt(job.ID, 10)
	unique := fmt.Sprintf("runner-simreplay-project-%s-concurrent-%d", project, i)
	pod.Name = fmt.Sprintf("%s-%08x", unique, uint32(job.ID))
	pod.Namespace = namespace
	pod.Labels["pod"] = unique
	pod.Labels["job.runner.gitlab.com/pod"] = unique
	pod.Labels["project.runner.gitlab.com/id"] = project
	pod.Annotations["job.runner.gitlab.com/id"] = jobID
	pod.Annotations["job.runner.gitlab.com/name"] = job.Name
	pod.Annotations["project.runner.gitlab.com/id"] = project
	pod.Annotations["job.runner.gitlab.com/url"] = fmt.Sprintf("https://gitlab.example.com/project-%s/-/jobs/%s", project, jobID)
	vars := map[string]string{
		"CI_JOB_ID": jobID, "CI_JOB_NAME": job.Name, "CI_JOB_STAGE": job.Stage,
		"CI_PIPELINE_ID": strconv.FormatInt(job.PipelineID, 10), "CI_PROJECT_ID": project,
		"CI_RUNNER_TAGS": RunnerTags(job.Tags), "CI_JOB_URL": pod.Annotations["job.runner.gitlab.com/url"],
	}
	for _, cs := range [][]corev1.Container{pod.Spec.InitContainers, pod.Spec.Containers} {
		for c := range cs {
			env := cs[c].Env[:0]
			for _, e := range cs[c].Env {
				// The example job's own overwrite variables (its
				// KUBERNETES_CPU_REQUEST: "2") are not in a jobs export:
				// replayed jobs get the policy's default requests.
				if strings.HasPrefix(e.Name, "KUBERNETES_") {
					continue
				}
				if v, ok := vars[e.Name]; ok {
					e.Value = v
				}
				env = append(env, e)
			}
			cs[c].Env = env
		}
	}
	if f.SchedulerName != "" {
		pod.Spec.SchedulerName = f.SchedulerName
	}
	mutated, _ := policy.Apply(pod.DeepCopy(), f.policy, v1alpha1.CapacityStatus{})
	return pod, Intent{Arch: mutated.Spec.NodeSelector[corev1.LabelArchStable], Capacity: mutated.Spec.NodeSelector[v1alpha1.LabelCapacityType]}
}

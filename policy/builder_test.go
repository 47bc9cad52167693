package policy_test

import (
	"fmt"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"jobfit.dev/jobfit/policy"
)

const helper1811 = "registry.gitlab.com/gitlab-org/gitlab-runner/gitlab-runner-helper:x86_64-v18.11.4"

// podBuilder builds GitLab Runner 18.x job pods for tests.
type podBuilder struct{ pod *corev1.Pod }

// jobPod returns an 18.11-shaped job pod: labels, annotations, the
// init-permissions init container, build, helper and one service.
func jobPod() *podBuilder {
	mounts := []corev1.VolumeMount{
		{Name: "scripts", MountPath: "/scripts-4711-987654321"},
		{Name: "logs", MountPath: "/logs-4711-987654321"},
		{Name: "repo", MountPath: "/builds"},
	}
	sc := &corev1.SecurityContext{Capabilities: &corev1.Capabilities{Drop: []corev1.Capability{"NET_RAW"}}}
	helperRes := corev1.ResourceRequirements{Requests: corev1.ResourceList{
		corev1.ResourceCPU: resource.MustParse("100m"), corev1.ResourceMemory: resource.MustParse("128Mi"),
	}}
	deadline := int64(3601)
	return &podBuilder{pod: &corev1.Pod{
		TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "Pod"},
		ObjectMeta: metav1.ObjectMeta{
			Name:      "runner-zx8kqw2nv-project-4711-concurrent-0-h3k9x2qa",
			Namespace: "gitlab-runner",
			Labels: map[string]string{
				"pod":                          "runner-zx8kqw2nv-project-4711-concurrent-0",
				"project.runner.gitlab.com/id": "4711",
				"project.runner.gitlab.com/root-namespace": "acme",
				"job.runner.gitlab.com/pod":                "runner-zx8kqw2nv-project-4711-concurrent-0",
				"manager.runner.gitlab.com/id-short":       "Zx8kQw2Nv",
			},
			Annotations: map[string]string{
				"job.runner.gitlab.com/id":      "987654321",
				"job.runner.gitlab.com/timeout": "1h0m0s",
				"project.runner.gitlab.com/id":  "4711",
			},
		},
		Spec: corev1.PodSpec{
			RestartPolicy:         corev1.RestartPolicyNever,
			ActiveDeadlineSeconds: &deadline,
			InitContainers: []corev1.Container{{
				Name: "init-permissions", Image: helper1811, Command: []string{"sh", "-c", "touch /logs-4711-987654321/output.log"},
				Resources: helperRes, SecurityContext: sc, VolumeMounts: mounts,
			}},
			Containers: []corev1.Container{
				{Name: "build", Image: "node:20", Command: []string{"sh", "-c", "exec /bin/bash"}, Stdin: true,
					Env: []corev1.EnvVar{
						{Name: "CI_JOB_ID", Value: "987654321"}, {Name: "CI_PROJECT_ID", Value: "4711"},
						{Name: "CI_RUNNER_ID", Value: "42"}, {Name: "CI_JOB_TIMEOUT", Value: "3600"},
						{Name: "CI_RUNNER_TAGS", Value: `["kubernetes"]`},
					},
					Resources: corev1.ResourceRequirements{Requests: corev1.ResourceList{
						corev1.ResourceCPU: resource.MustParse("500m"), corev1.ResourceMemory: resource.MustParse("1Gi"),
					}},
					SecurityContext: sc, VolumeMounts: mounts},
				{Name: "helper", Image: helper1811, Command: []string{"sh", "-c", "exec /bin/bash"}, Stdin: true,
					Resources: helperRes, SecurityContext: sc, VolumeMounts: mounts},
				{Name: "db", Image: "postgres:16", Stdin: true, SecurityContext: sc, VolumeMounts: mounts,
					Env: []corev1.EnvVar{{Name: "POSTGRES_PASSWORD", Value: "test"}}},
			},
			Volumes: []corev1.Volume{
				{Name: "repo", VolumeSource: corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{}}},
				{Name: "scripts", VolumeSource: corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{}}},
				{Name: "logs", VolumeSource: corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{}}},
			},
		},
	}}
}

func (b *podBuilder) env(name, value string) *podBuilder {
	c := &b.pod.Spec.Containers[0]
	for i := range c.Env {
		if c.Env[i].Name == name {
			c.Env[i].Value = value
			return b
		}
	}
	c.Env = append(c.Env, corev1.EnvVar{Name: name, Value: value})
	return b
}

// padEnv adds n realistic-looking job variables to build and the service.
func (b *podBuilder) padEnv(n int) *podBuilder {
	for i := 0; i < n; i++ {
		v := corev1.EnvVar{Name: fmt.Sprintf("CI_VAR_%04d", i), Value: fmt.Sprintf("value-%d-of-a-realistic-length", i)}
		b.pod.Spec.Containers[0].Env = append(b.pod.Spec.Containers[0].Env, v)
		b.pod.Spec.Containers[2].Env = append(b.pod.Spec.Containers[2].Env, v)
	}
	return b
}

func (b *podBuilder) label(k, v string) *podBuilder {
	b.pod.Labels[k] = v
	return b
}

func (b *podBuilder) nodeSelector(k, v string) *podBuilder {
	if b.pod.Spec.NodeSelector == nil {
		b.pod.Spec.NodeSelector = map[string]string{}
	}
	b.pod.Spec.NodeSelector[k] = v
	return b
}

func (b *podBuilder) build() *corev1.Pod { return b.pod }

// mustLoad loads a policy document for tests.
func mustLoad(doc string) *policy.Policy {
	p, errs := policy.Load([]byte(doc))
	if len(errs) > 0 {
		panic(errs.ToAggregate())
	}
	return p
}

func decision(dec policy.Decisions, mutation string) (policy.Decision, bool) {
	for _, d := range dec.Items {
		if d.Mutation == mutation {
			return d, true
		}
	}
	return policy.Decision{}, false
}

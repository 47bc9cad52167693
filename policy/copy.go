package policy

import corev1 "k8s.io/api/core/v1"

// copyPod deep-copies a pod for mutation, except the containers' env, which
// is shared with the input: Apply never changes env, and copying a job's
// hundreds of variables was the largest cost of an admission. Callers must
// treat the returned pod's env slices as read-only.
func copyPod(in *corev1.Pod) *corev1.Pod {
	out := &corev1.Pod{TypeMeta: in.TypeMeta}
	in.ObjectMeta.DeepCopyInto(&out.ObjectMeta)
	in.Status.DeepCopyInto(&out.Status)
	spec := in.Spec
	spec.Containers, spec.InitContainers = nil, nil
	spec.DeepCopyInto(&out.Spec)
	out.Spec.Containers = copyContainers(in.Spec.Containers)
	out.Spec.InitContainers = copyContainers(in.Spec.InitContainers)
	return out
}

func copyContainers(in []corev1.Container) []corev1.Container {
	if in == nil {
		return nil
	}
	out := make([]corev1.Container, len(in))
	for i := range in {
		c := in[i]
		env := c.Env
		c.Env = nil
		c.DeepCopyInto(&out[i])
		out[i].Env = env[:len(env):len(env)]
	}
	return out
}

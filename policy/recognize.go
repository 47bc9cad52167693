package policy

import (
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"jobfit.dev/jobfit/policy/api/v1alpha1"
)

// IsJobPod reports whether pod is a job pod created by GitLab Runner's
// Kubernetes executor (runner 15.9 to 19.x), with the reason for the answer:
// which marker matched, or why the pod was skipped.
//
// A job pod carries the annotation job.runner.gitlab.com/id (15.9+), the
// label job.runner.gitlab.com/pod (17.9+), or the legacy label pod together
// with containers named build and helper. The runner's pause pods, the
// runner manager, controller-owned pods and jobfit's own headroom pods are
// not job pods.
func IsJobPod(pod *corev1.Pod) (bool, string) {
	if pod == nil {
		return false, "no pod"
	}
	labels := pod.Labels
	if labels[v1alpha1.LabelPausePod] == "true" {
		return false, "runner pause pod (" + v1alpha1.LabelPausePod + ")"
	}
	if _, ok := labels[v1alpha1.HeadroomLabel]; ok {
		return false, "jobfit headroom pod (" + v1alpha1.HeadroomLabel + ")"
	}
	if owner := metav1.GetControllerOfNoCopy(pod); owner != nil {
		return false, "owned by " + owner.Kind + " " + owner.Name + "; job pods have no controller"
	}
	if _, ok := pod.Annotations[v1alpha1.AnnotationJobID]; ok {
		return true, "annotation " + v1alpha1.AnnotationJobID
	}
	if _, ok := labels[v1alpha1.LabelJobPod]; ok {
		return true, "label " + v1alpha1.LabelJobPod
	}
	if _, ok := labels[v1alpha1.LabelLegacyPod]; ok {
		if hasContainer(pod.Spec.Containers, v1alpha1.ContainerBuild) && hasContainer(pod.Spec.Containers, v1alpha1.ContainerHelper) {
			return true, "label pod with build and helper containers"
		}
		return false, "label pod without both build and helper containers"
	}
	return false, "no GitLab Runner job markers (" + v1alpha1.AnnotationJobID + ", " + v1alpha1.LabelJobPod + " or pod label)"
}

func hasContainer(cs []corev1.Container, name string) bool {
	return containerIndex(cs, name) >= 0
}

func containerIndex(cs []corev1.Container, name string) int {
	for i := range cs {
		if cs[i].Name == name {
			return i
		}
	}
	return -1
}

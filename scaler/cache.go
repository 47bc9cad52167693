package scaler

import (
	"strings"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/cache"

	"jobfit.dev/jobfit/policy"
	"jobfit.dev/jobfit/policy/api/v1alpha1"
)

var _ cache.TransformFunc = TransformPod

// TransformPod strips a pod down to what the scaler reads before it enters
// the informer cache: labels, the job id, job name and project id
// annotations, the jobfit.dev/applied record when it holds an image
// arch conflict, the job variables that name the job across retries
// (policy.JobRefOf), owner references, scheduling constraints, container
// names, images and requests, the pull secrets' names and the
// ServiceAccount (for the image-platform resolver), phase and the
// PodScheduled condition, and the claim names of PVC volumes (for the
// volumes controller). Env (the bulk of a GitLab job pod), commands, args,
// other volumes, managedFields and container statuses are dropped,
// so that 10,000 job pods cost little memory. Objects other than pods pass
// through unchanged.
func TransformPod(obj any) (any, error) {
	pod, ok := obj.(*corev1.Pod)
	if !ok {
		return obj, nil
	}
	out := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{
			Name: pod.Name, Namespace: pod.Namespace, UID: pod.UID, ResourceVersion: pod.ResourceVersion,
			CreationTimestamp: pod.CreationTimestamp, DeletionTimestamp: pod.DeletionTimestamp,
			Labels: pod.Labels, OwnerReferences: pod.OwnerReferences,
		},
		Spec: corev1.PodSpec{
			NodeName: pod.Spec.NodeName, NodeSelector: pod.Spec.NodeSelector, Tolerations: pod.Spec.Tolerations,
			PriorityClassName: pod.Spec.PriorityClassName,
			ImagePullSecrets:  pod.Spec.ImagePullSecrets, ServiceAccountName: pod.Spec.ServiceAccountName,
			Containers: slimContainers(pod.Spec.Containers), InitContainers: slimContainers(pod.Spec.InitContainers),
			Volumes: claimVolumes(pod.Spec.Volumes),
		},
		Status: corev1.PodStatus{Phase: pod.Status.Phase, StartTime: pod.Status.StartTime},
	}
	for _, k := range keptAnnotations {
		if v, ok := pod.Annotations[k]; ok {
			if out.Annotations == nil {
				out.Annotations = map[string]string{}
			}
			out.Annotations[k] = v
		}
	}
	if v := pod.Annotations[v1alpha1.AppliedAnnotation]; strings.Contains(v, conflictMarker) {
		if out.Annotations == nil {
			out.Annotations = map[string]string{}
		}
		out.Annotations[v1alpha1.AppliedAnnotation] = v
	}
	keepJobRefEnv(pod, out)
	if a := pod.Spec.Affinity; a != nil && a.NodeAffinity != nil {
		out.Spec.Affinity = &corev1.Affinity{NodeAffinity: a.NodeAffinity}
	}
	for _, c := range pod.Status.Conditions {
		if c.Type == corev1.PodScheduled {
			out.Status.Conditions = []corev1.PodCondition{{Type: c.Type, Status: c.Status, Reason: c.Reason, LastTransitionTime: c.LastTransitionTime}}
		}
	}
	return out, nil
}

// TransformEvent keeps of an Event what signals.KarpenterGaveUp reads: the
// pod it is about, its reason, its source and its times. Messages, which
// can be long, are dropped.
func TransformEvent(obj any) (any, error) {
	e, ok := obj.(*corev1.Event)
	if !ok {
		return obj, nil
	}
	return &corev1.Event{
		ObjectMeta: metav1.ObjectMeta{
			Name: e.Name, Namespace: e.Namespace, UID: e.UID, ResourceVersion: e.ResourceVersion,
			CreationTimestamp: e.CreationTimestamp,
		},
		InvolvedObject: corev1.ObjectReference{Kind: e.InvolvedObject.Kind, Namespace: e.InvolvedObject.Namespace,
			Name: e.InvolvedObject.Name, UID: e.InvolvedObject.UID},
		Reason: e.Reason, Source: e.Source, ReportingController: e.ReportingController,
		FirstTimestamp: e.FirstTimestamp, LastTimestamp: e.LastTimestamp, EventTime: e.EventTime,
	}, nil
}

// conflictMarker is how an applied record that holds an image arch
// conflict reads; only such a record is kept, for the conflict Event
// (scaler/controllers/imageplatforms).
var conflictMarker = `"mutation":"` + policy.MutImageArchConflict + `"`

// keptAnnotations are the annotations the slim pod keeps.
var keptAnnotations = []string{v1alpha1.AnnotationJobID, v1alpha1.AnnotationJobName, v1alpha1.AnnotationProjectID}

// jobRefVars are the build container's variables that policy.JobRefOf
// reads, so that an interrupted job can be named from the cache.
var jobRefVars = map[string]bool{v1alpha1.VarProjectID: true, v1alpha1.VarPipelineID: true, v1alpha1.VarJobName: true}

// keepJobRefEnv copies jobRefVars from the build container of pod to the
// slim pod's.
func keepJobRefEnv(pod, out *corev1.Pod) {
	for i := range pod.Spec.Containers {
		if pod.Spec.Containers[i].Name != v1alpha1.ContainerBuild {
			continue
		}
		var env []corev1.EnvVar
		for _, e := range pod.Spec.Containers[i].Env {
			if jobRefVars[e.Name] && e.ValueFrom == nil {
				env = append(env, corev1.EnvVar{Name: e.Name, Value: e.Value})
			}
		}
		out.Spec.Containers[i].Env = env
		return
	}
}

func slimContainers(cs []corev1.Container) []corev1.Container {
	if len(cs) == 0 {
		return nil
	}
	out := make([]corev1.Container, len(cs))
	for i := range cs {
		out[i] = corev1.Container{Name: cs[i].Name, Image: cs[i].Image, Resources: corev1.ResourceRequirements{Requests: cs[i].Resources.Requests}}
	}
	return out
}

// claimVolumes keeps the PVC volumes, with their claim names only.
func claimVolumes(vs []corev1.Volume) []corev1.Volume {
	var out []corev1.Volume
	for _, v := range vs {
		if v.PersistentVolumeClaim != nil {
			out = append(out, corev1.Volume{Name: v.Name, VolumeSource: corev1.VolumeSource{
				PersistentVolumeClaim: &corev1.PersistentVolumeClaimVolumeSource{ClaimName: v.PersistentVolumeClaim.ClaimName}}})
		}
	}
	return out
}

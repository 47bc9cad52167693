package scaler_test

import (
	"os"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/yaml"

	"jobfit.dev/jobfit/policy"
	"jobfit.dev/jobfit/policy/api/v1alpha1"
	"jobfit.dev/jobfit/scaler"
	"jobfit.dev/jobfit/scaler/pressure"
	"jobfit.dev/jobfit/scaler/signals"
	"jobfit.dev/jobfit/scaler/volumes"
)

func TestTransformPodKeepsWhatTheScalerReads(t *testing.T) {
	data, err := os.ReadFile("../policy/testdata/v18-11-arm64-runner-tags.golden.yaml")
	require.NoError(t, err)
	pod := &corev1.Pod{}
	require.NoError(t, yaml.Unmarshal(data, pod))
	pod.Status.Conditions = []corev1.PodCondition{{Type: corev1.PodReady}, {Type: corev1.PodScheduled, Status: corev1.ConditionFalse, Reason: corev1.PodReasonUnschedulable}}
	require.NotEmpty(t, pod.Spec.Containers[0].Env, "the test pod carries env")

	out, err := scaler.TransformPod(pod.DeepCopy())
	require.NoError(t, err)
	slim := out.(*corev1.Pod)

	isJob, _ := policy.IsJobPod(slim)
	assert.True(t, isJob, "still recognised as a job pod")
	assert.Equal(t, pod.Spec.NodeSelector, slim.Spec.NodeSelector)
	assert.Equal(t, pod.Spec.Tolerations, slim.Spec.Tolerations)
	assert.Equal(t, pod.Labels, slim.Labels)
	assert.Equal(t, map[string]string{
		v1alpha1.AnnotationJobID: pod.Annotations[v1alpha1.AnnotationJobID], v1alpha1.AnnotationJobName: pod.Annotations[v1alpha1.AnnotationJobName],
		v1alpha1.AnnotationProjectID: pod.Annotations[v1alpha1.AnnotationProjectID],
	}, slim.Annotations)
	ref, ok := policy.JobRefOf(pod)
	require.True(t, ok)
	slimRef, ok := policy.JobRefOf(slim)
	require.True(t, ok, "the job is still named across retries")
	assert.Equal(t, ref, slimRef)
	require.Len(t, slim.Spec.Containers[0].Env, 3, "only the variables that name the job")
	cpu, mem := pressure.Requests(pod)
	slimCPU, slimMem := pressure.Requests(slim)
	assert.Equal(t, cpu, slimCPU)
	assert.Equal(t, mem, slimMem)
	assert.Equal(t, pressure.PodPhase(pod), pressure.PodPhase(slim))
	assert.Equal(t, pressure.PendingSince(pod), pressure.PendingSince(slim))
	require.Len(t, slim.Status.Conditions, 1)

	for _, c := range append(slim.Spec.Containers[1:], slim.Spec.InitContainers...) {
		assert.Empty(t, c.Env, c.Name)
		assert.Empty(t, c.Command, c.Name)
		assert.Empty(t, c.Args, c.Name)
		assert.Empty(t, c.VolumeMounts, c.Name)
	}
	require.NotEmpty(t, volumes.ClaimNames(pod), "the test pod mounts a cache claim")
	assert.Equal(t, volumes.ClaimNames(pod), volumes.ClaimNames(slim), "claim names stay for the volumes controller")
	for _, v := range slim.Spec.Volumes {
		assert.NotNil(t, v.PersistentVolumeClaim, "only PVC volumes stay: %s", v.Name)
	}
	assert.Equal(t, policy.JobImages(pod), policy.JobImages(slim), "the image-platform resolver reads the images")
	assert.Equal(t, pod.Spec.ImagePullSecrets, slim.Spec.ImagePullSecrets)
	assert.Empty(t, slim.ManagedFields)

	other := &corev1.ConfigMap{}
	same, err := scaler.TransformPod(other)
	require.NoError(t, err)
	assert.Same(t, other, same, "other objects pass through")
}

func TestTransformEventKeepsWhatTheFallbackReads(t *testing.T) {
	at := metav1.NewTime(time.Date(2026, 3, 2, 9, 12, 31, 0, time.UTC))
	e := &corev1.Event{
		ObjectMeta:     metav1.ObjectMeta{Name: "runner-x.18a", Namespace: "ci", UID: "e1", ResourceVersion: "7", Labels: map[string]string{"a": "b"}},
		InvolvedObject: corev1.ObjectReference{Kind: "Pod", Namespace: "ci", Name: "runner-x", UID: "p1", FieldPath: "spec"},
		Reason:         signals.ReasonFailedScheduling,
		Message:        strings.Repeat("incompatible with nodepool ", 100),
		Source:         corev1.EventSource{Component: signals.KarpenterComponent},
		FirstTimestamp: at, LastTimestamp: at, Count: 3, Type: corev1.EventTypeWarning,
	}
	out, err := scaler.TransformEvent(e.DeepCopy())
	require.NoError(t, err)
	slim := out.(*corev1.Event)
	assert.Empty(t, slim.Message, "messages are dropped")
	assert.Equal(t, signals.KarpenterGaveUp([]corev1.Event{*e}), signals.KarpenterGaveUp([]corev1.Event{*slim}))
	assert.Equal(t, signals.EventTime(e), signals.EventTime(slim))
	assert.Equal(t, e.ResourceVersion, slim.ResourceVersion, "the informer needs it")

	other := &corev1.ConfigMap{}
	passed, err := scaler.TransformEvent(other)
	require.NoError(t, err)
	assert.Same(t, other, passed, "other objects pass through")
}

// TestTransformPodKeepsAnImageArchConflict: the applied record stays only
// when it holds an image arch conflict, for the Event on the pod.
func TestTransformPodKeepsAnImageArchConflict(t *testing.T) {
	for file, keep := range map[string]bool{
		"images-explicit-arm64-conflict.golden.yaml": true,
		"images-all-arm64.golden.yaml":               false,
	} {
		t.Run(file, func(t *testing.T) {
			data, err := os.ReadFile("../policy/testdata/" + file)
			require.NoError(t, err)
			pod := &corev1.Pod{}
			require.NoError(t, yaml.Unmarshal(data, pod))
			require.Contains(t, pod.Annotations, v1alpha1.AppliedAnnotation)
			out, err := scaler.TransformPod(pod.DeepCopy())
			require.NoError(t, err)
			got, ok := out.(*corev1.Pod).Annotations[v1alpha1.AppliedAnnotation]
			assert.Equal(t, keep, ok)
			if keep {
				assert.Equal(t, pod.Annotations[v1alpha1.AppliedAnnotation], got)
			}
		})
	}
}

package integration

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"jobfit.dev/jobfit/policy/api/v1alpha1"
)

// pauseDeployment is shaped like the Deployment GitLab Runner 18.10+ keeps
// its pause pods in ([runners.kubernetes.autoscaler]): named
// runner-pause-<short token>-<system id>, selecting and labelling its pods
// runner.gitlab.com/pause-pod=true with the manager's labels, the
// registry.k8s.io/pause image, the priority class from the runner's config
// and the runner's node_selector and tolerations (here none: jobfit's
// policy tolerates the CI pools' taint).
func pauseDeployment(namespace string, replicas int32) *appsv1.Deployment {
	labels := map[string]string{
		v1alpha1.LabelPausePod: "true", v1alpha1.LabelManagerIDShort: "Zx8kQw2Nv", "manager.runner.gitlab.com/system-id": "r_Ab12Cd34Ef56",
	}
	return &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: "runner-pause-zx8kqw2nv-rab12cd34ef56", Namespace: namespace, Labels: labels},
		Spec: appsv1.DeploymentSpec{
			Replicas: ptr.To(replicas),
			Selector: &metav1.LabelSelector{MatchLabels: labels},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: labels},
				Spec: corev1.PodSpec{
					PriorityClassName:             "gitlab-runner-idle-capacity",
					TerminationGracePeriodSeconds: ptr.To(int64(0)),
					Containers: []corev1.Container{{Name: "pause", Image: "registry.k8s.io/pause:3.10",
						Resources: corev1.ResourceRequirements{Requests: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("100m"), corev1.ResourceMemory: resource.MustParse("64Mi")}}}},
				},
			},
		},
	}
}

// createPausePods creates the Deployment and, as its ReplicaSet controller
// would (this API server runs no kube-controller-manager), a ReplicaSet
// owned by it and n pods of its template owned by the ReplicaSet, each
// through admission.
func createPausePods(ctx context.Context, t *testing.T, c client.Client, d *appsv1.Deployment, n int) []*corev1.Pod {
	t.Helper()
	require.NoError(t, c.Create(ctx, d))
	const hash = "6d8f9c7b54"
	tmpl := d.Spec.Template.DeepCopy()
	tmpl.Labels = map[string]string{appsv1.DefaultDeploymentUniqueLabelKey: hash}
	for k, v := range d.Spec.Template.Labels {
		tmpl.Labels[k] = v
	}
	rs := &appsv1.ReplicaSet{
		ObjectMeta: metav1.ObjectMeta{Name: d.Name + "-" + hash, Namespace: d.Namespace, Labels: tmpl.Labels,
			OwnerReferences: []metav1.OwnerReference{*metav1.NewControllerRef(d, appsv1.SchemeGroupVersion.WithKind("Deployment"))}},
		Spec: appsv1.ReplicaSetSpec{Replicas: d.Spec.Replicas, Selector: &metav1.LabelSelector{MatchLabels: tmpl.Labels}, Template: *tmpl},
	}
	require.NoError(t, c.Create(ctx, rs))
	pods := make([]*corev1.Pod, 0, n)
	for range n {
		pod := &corev1.Pod{
			ObjectMeta: metav1.ObjectMeta{GenerateName: rs.Name + "-", Namespace: d.Namespace, Labels: tmpl.Labels,
				OwnerReferences: []metav1.OwnerReference{*metav1.NewControllerRef(rs, appsv1.SchemeGroupVersion.WithKind("ReplicaSet"))}},
			Spec: *tmpl.Spec.DeepCopy(),
		}
		require.NoError(t, c.Create(ctx, pod))
		pods = append(pods, pod)
	}
	return pods
}

// testPausePods: GitLab Runner's pause pods get the arch/capacity mix of
// their runner's recent jobs (from the capacity status the scaler writes)
// and the policy's tolerations, and pod-level requests of one job's default
// room, which the API server accepts; their container is the runner's.
func testPausePods(ctx context.Context, t *testing.T, c client.Client) {
	status := map[string]string{v1alpha1.CapacityStatusKey: "runnerMixes:\n- runner: Zx8kQw2Nv\n  jobs:\n" +
		"  - {arch: arm64, capacityType: spot, percent: 75}\n  - {arch: amd64, capacityType: on-demand, percent: 25}\n"}
	applyConfigMap(ctx, t, c, jobfitNamespace, v1alpha1.CapacityStatusName, nil, status)
	t.Cleanup(func() {
		_ = c.Delete(context.Background(), &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: jobfitNamespace, Name: v1alpha1.CapacityStatusName}})
	})
	require.Eventually(t, func() bool {
		pod := createDryRun(ctx, t, c, pausePod(t, runners))
		return pod.Spec.NodeSelector["kubernetes.io/arch"] != "" && pod.Spec.NodeSelector["karpenter.sh/capacity-type"] != "spot" ||
			pod.Spec.NodeSelector["kubernetes.io/arch"] == "arm64"
	}, timeout, poll, "the webhook has read the runner's mix")

	d := pauseDeployment(runners, 40)
	pods := createPausePods(ctx, t, c, d, 40)
	placed := map[string]int{}
	for _, pod := range pods {
		require.True(t, mutated(pod), "pause pod %s carries the applied record", pod.Name)
		cell := pod.Spec.NodeSelector["kubernetes.io/arch"] + "/" + pod.Spec.NodeSelector["karpenter.sh/capacity-type"]
		placed[cell]++
		assert.Equal(t, d.Spec.Template.Spec.Containers[0].Image, pod.Spec.Containers[0].Image, "the container is the runner's")
		assert.Equal(t, "gitlab-runner-idle-capacity", pod.Spec.PriorityClassName, "the runner's priority class stays")
		require.NotNil(t, pod.Spec.Resources, "pod-level requests, stored by the API server")
		assert.Equal(t, "600m", ptr.To(pod.Spec.Resources.Requests[corev1.ResourceCPU]).String(), "build + helper defaults")
		assert.Equal(t, "1152Mi", ptr.To(pod.Spec.Resources.Requests[corev1.ResourceMemory]).String())
		assert.Contains(t, pod.Spec.Tolerations, corev1.Toleration{Key: "ci.example.com/runner", Operator: corev1.TolerationOpEqual, Value: "true",
			Effect: corev1.TaintEffectNoSchedule}, "the policy's toleration of the CI pools")
		assert.Equal(t, d.Spec.Template.Labels[v1alpha1.LabelPausePod], pod.Labels[v1alpha1.LabelPausePod])
	}
	assert.Equal(t, 40, placed["arm64/spot"]+placed["amd64/on-demand"], "every pause pod in a cell of the mix: %v", placed)
	assert.Positive(t, placed["arm64/spot"], "%v", placed)
	assert.Positive(t, placed["amd64/on-demand"], "%v", placed)

	other := pauseDeployment(unlabeled, 1)
	outside := createPausePods(ctx, t, c, other, 1)
	assert.False(t, mutated(outside[0]), "a namespace not opted in is left alone")
	assert.Nil(t, outside[0].Spec.Resources)

	notPause := pausePod(t, runners)
	notPause.Labels[v1alpha1.LabelPausePod] = "false"
	require.NoError(t, c.Create(ctx, notPause))
	assert.False(t, mutated(notPause), "only runner.gitlab.com/pause-pod=true")
}

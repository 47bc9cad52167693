package signals_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	karpv1 "sigs.k8s.io/karpenter/pkg/apis/v1"

	"jobfit.dev/jobfit/policy/api/v1alpha1"
	"jobfit.dev/jobfit/scaler/signals"
)

func jobOn(uid, node, name string, phase corev1.PodPhase) *corev1.Pod {
	return &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{UID: types.UID(uid), Annotations: map[string]string{
			v1alpha1.AnnotationJobName: name, v1alpha1.AnnotationProjectID: "4711"}},
		Spec: corev1.PodSpec{NodeName: node, Containers: []corev1.Container{{Name: "build",
			Env: []corev1.EnvVar{{Name: "CI_PIPELINE_ID", Value: "55501"}}}}},
		Status: corev1.PodStatus{Phase: phase},
	}
}

func TestInterruptedJobs(t *testing.T) {
	claim := func(node, ct string) *karpv1.NodeClaim {
		return &karpv1.NodeClaim{
			ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{corev1.LabelArchStable: "arm64", karpv1.CapacityTypeLabelKey: ct}},
			Status:     karpv1.NodeClaimStatus{NodeName: node},
		}
	}
	deletedEarlier := jobOn("d", "n1", "deploy", corev1.PodRunning)
	deletedEarlier.DeletionTimestamp = &metav1.Time{Time: t0.Add(-time.Minute)}
	deletedWith := jobOn("w", "n1", "e2e", corev1.PodRunning)
	deletedWith.DeletionTimestamp = &metav1.Time{Time: t0.Add(time.Second)}
	pods := []*corev1.Pod{
		jobOn("a", "n1", "build", corev1.PodRunning),
		jobOn("b", "n1", "lint", corev1.PodSucceeded),
		jobOn("c", "n2", "test", corev1.PodRunning),
		deletedEarlier, deletedWith,
		{ObjectMeta: metav1.ObjectMeta{UID: "x"}, Spec: corev1.PodSpec{NodeName: "n1"}, Status: corev1.PodStatus{Phase: corev1.PodRunning}},
	}
	cases := []struct {
		name string
		nc   *karpv1.NodeClaim
		want []string
	}{
		{"the running jobs of the node, and those evicted with it", claim("n1", "spot"), []string{"a", "w"}},
		{"on-demand nodes too", claim("n2", "on-demand"), []string{"c"}},
		{"a claim that never got a node", claim("", "spot"), nil},
		{"a node without a capacity type", claim("n1", ""), nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := signals.InterruptedJobs(tc.nc, pods, signals.CauseSpotInterruption, t0, time.Hour)
			var uids []string
			for _, g := range got {
				uids = append(uids, string(g.Pod))
				assert.Equal(t, tc.nc.Labels[karpv1.CapacityTypeLabelKey], g.Job.CapacityType)
				assert.Equal(t, "arm64", g.Job.Arch)
				assert.Equal(t, t0, g.Job.At)
				assert.Equal(t, t0.Add(time.Hour), g.Job.Until)
				assert.Equal(t, "55501", g.Job.Pipeline)
			}
			assert.Equal(t, tc.want, uids)
		})
	}
}

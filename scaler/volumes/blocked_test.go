package volumes_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"jobfit.dev/jobfit/scaler/volumes"
)

func pod(name, node string, claims ...string) *corev1.Pod {
	p := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "ci"}, Spec: corev1.PodSpec{NodeName: node}}
	for _, c := range claims {
		p.Spec.Volumes = append(p.Spec.Volumes, corev1.Volume{Name: "v-" + c,
			VolumeSource: corev1.VolumeSource{PersistentVolumeClaim: &corev1.PersistentVolumeClaimVolumeSource{ClaimName: c}}})
	}
	return p
}

func unschedulable(p *corev1.Pod) *corev1.Pod {
	p.Status.Conditions = []corev1.PodCondition{{Type: corev1.PodScheduled, Status: corev1.ConditionFalse, Reason: corev1.PodReasonUnschedulable}}
	return p
}

func running(p *corev1.Pod) corev1.Pod {
	p.Status.Phase = corev1.PodRunning
	return *p
}

func claim(name string, phase corev1.PersistentVolumeClaimPhase, modes ...corev1.PersistentVolumeAccessMode) corev1.PersistentVolumeClaim {
	return corev1.PersistentVolumeClaim{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "ci"},
		Spec: corev1.PersistentVolumeClaimSpec{AccessModes: modes}, Status: corev1.PersistentVolumeClaimStatus{Phase: phase}}
}

func TestFind(t *testing.T) {
	rwo, rwx := corev1.ReadWriteOnce, corev1.ReadWriteMany
	for _, tc := range []struct {
		name    string
		pending *corev1.Pod
		claims  []corev1.PersistentVolumeClaim
		others  []corev1.Pod
		reason  string // "" = not blocked
		claim   string
		says    string
	}{
		{"missing claim", pod("job", "", "cache"), nil, nil, volumes.ReasonMissing, "cache", "cache does not exist in namespace ci"},
		{"missing second claim", pod("job", "", "cache", "gems"), []corev1.PersistentVolumeClaim{claim("cache", corev1.ClaimBound, rwx)}, nil, volumes.ReasonMissing, "gems", "gems does not exist"},
		{"unbound, scheduler gave up", unschedulable(pod("job", "", "cache")), []corev1.PersistentVolumeClaim{claim("cache", corev1.ClaimPending, rwx)}, nil, volumes.ReasonUnbound, "cache", "is Pending, not bound"},
		{"unbound, not tried yet (WaitForFirstConsumer)", pod("job", "", "cache"), []corev1.PersistentVolumeClaim{claim("cache", corev1.ClaimPending, rwo)}, nil, "", "", ""},
		{"lost", unschedulable(pod("job", "", "cache")), []corev1.PersistentVolumeClaim{claim("cache", corev1.ClaimLost, rwo)}, nil, volumes.ReasonUnbound, "cache", "is Lost"},
		{"RWO on another node", pod("job", "node-b", "cache"), []corev1.PersistentVolumeClaim{claim("cache", corev1.ClaimBound, rwo)},
			[]corev1.Pod{running(pod("other", "node-a", "cache"))}, volumes.ReasonInUse, "cache", "pod other uses it on node node-a, while this pod is on node node-b"},
		{"RWO on the same node", pod("job", "node-a", "cache"), []corev1.PersistentVolumeClaim{claim("cache", corev1.ClaimBound, rwo)},
			[]corev1.Pod{running(pod("other", "node-a", "cache"))}, "", "", ""},
		{"RWO, pod not placed yet", pod("job", "", "cache"), []corev1.PersistentVolumeClaim{claim("cache", corev1.ClaimBound, rwo)},
			[]corev1.Pod{running(pod("other", "node-a", "cache"))}, "", "", ""},
		{"RWX shared across nodes", pod("job", "node-b", "cache"), []corev1.PersistentVolumeClaim{claim("cache", corev1.ClaimBound, rwx)},
			[]corev1.Pod{running(pod("other", "node-a", "cache"))}, "", "", ""},
		{"RWO that finished elsewhere", pod("job", "node-b", "cache"), []corev1.PersistentVolumeClaim{claim("cache", corev1.ClaimBound, rwo)},
			[]corev1.Pod{func() corev1.Pod {
				p := pod("other", "node-a", "cache")
				p.Status.Phase = corev1.PodSucceeded
				return *p
			}()}, "", "", ""},
		{"RWOP used by any other pod", pod("job", "", "cache"), []corev1.PersistentVolumeClaim{claim("cache", corev1.ClaimBound, corev1.ReadWriteOncePod)},
			[]corev1.Pod{running(pod("other", "node-a", "cache"))}, volumes.ReasonInUse, "cache", "ReadWriteOncePod and pod other uses it"},
		{"no claims", pod("job", ""), nil, nil, "", "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			all := append([]corev1.Pod{*tc.pending}, tc.others...)
			got := volumes.Find([]*corev1.Pod{tc.pending}, volumes.NewCluster(tc.claims, all))
			if tc.reason == "" {
				assert.Empty(t, got)
				return
			}
			if assert.Len(t, got, 1) {
				assert.Equal(t, tc.reason, got[0].Reason)
				assert.Equal(t, tc.claim, got[0].Claim)
				assert.Equal(t, "ci/job", got[0].Pod.String())
				assert.Contains(t, got[0].Message, tc.says)
			}
		})
	}
}

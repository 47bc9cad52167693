package policy_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	coordinationv1 "k8s.io/api/coordination/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"jobfit.dev/jobfit/policy"
)

const binpackPolicy = header + `platform: karpenter
scheduling:
  schedulerName: jobfit-binpack
`

// TestSchedulerName: a pod asking for the default scheduler is handed to
// the policy's scheduler only while it runs; otherwise it keeps the
// default one, with a warning and a Missing entry (so that it is not left
// Pending for a scheduler that is not there). A scheduler the pod names
// itself is kept.
func TestSchedulerName(t *testing.T) {
	p := mustLoad(binpackPolicy)
	running := cluster{schedulers: map[string]bool{"jobfit-binpack": true}}
	cases := []struct {
		name        string
		pod         string // the pod's own schedulerName
		refs        policy.References
		want        string
		wantChanged bool
		wantMissing bool
	}{
		{"offline preview sets it", "default-scheduler", nil, "jobfit-binpack", true, false},
		{"running: set", "default-scheduler", running, "jobfit-binpack", true, false},
		{"running: set on a pod without a name (not yet defaulted)", "", running, "jobfit-binpack", true, false},
		{"not running: the default scheduler stays", "default-scheduler", cluster{}, "default-scheduler", false, true},
		{"another scheduler running does not count", "default-scheduler", cluster{schedulers: map[string]bool{"other": true}}, "default-scheduler", false, true},
		{"the runner's scheduler_name is kept", "gpu-scheduler", running, "gpu-scheduler", false, false},
		{"already set (reinvocation)", "jobfit-binpack", cluster{}, "jobfit-binpack", false, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			in := jobPod().build()
			in.Spec.SchedulerName = tc.pod
			out, dec := policy.ApplyInCluster(in, p, policy.Cluster{Refs: tc.refs})
			assert.Equal(t, tc.want, out.Spec.SchedulerName)
			d, ok := decision(dec, policy.MutSchedulerName)
			assert.Equal(t, tc.wantChanged, ok && d.Changed)
			if tc.wantMissing {
				assert.Equal(t, []policy.MissingReference{{Kind: policy.RefScheduler, Name: "jobfit-binpack", Field: "scheduling.schedulerName"}}, dec.Missing)
				assert.Contains(t, dec.Warnings, "Scheduler jobfit-binpack (scheduling.schedulerName) is not running (its Lease is not held or not renewed); the default scheduler places the pod, so that it does not wait for a scheduler that is not there")
			} else {
				assert.Empty(t, dec.Missing)
			}
			again, dec2 := policy.ApplyInCluster(out, p, policy.Cluster{Refs: tc.refs})
			assert.Equal(t, out, again, "idempotent")
			assert.Empty(t, dec2.Changed())
		})
	}
}

// TestLeaseHeld: held means a holder and a renewal within a third of the
// duration (a leader renews every retryPeriod, 2 s of 15 s); a released
// Lease (kube-scheduler clears the holder when it stops) and one no longer
// renewed (a crash) are not.
func TestLeaseHeld(t *testing.T) {
	now := time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC)
	lease := func(holder string, renewed time.Duration, seconds int32) *coordinationv1.Lease {
		l := &coordinationv1.Lease{Spec: coordinationv1.LeaseSpec{HolderIdentity: ptr(holder), LeaseDurationSeconds: ptr(seconds)}}
		if renewed >= 0 {
			l.Spec.RenewTime = &metav1.MicroTime{Time: now.Add(-renewed)}
		}
		return l
	}
	acquiredOnly := lease("a", -1, 15)
	acquiredOnly.Spec.AcquireTime = &metav1.MicroTime{Time: now.Add(-time.Second)}
	cases := []struct {
		name  string
		lease *coordinationv1.Lease
		want  bool
	}{
		{"renewed 2s ago, 15s lease", lease("jobfit-binpack-7d9f_1b2c", 2*time.Second, 15), true},
		{"renewed 4.9s ago: two renewals late", lease("a", 4900*time.Millisecond, 15), true},
		{"not renewed for a third of its duration: its leader is gone", lease("a", 5*time.Second, 15), false},
		{"lapsed: renewed 15s ago", lease("a", 15*time.Second, 15), false},
		{"released: no holder", lease("", 0, 1), false},
		{"never renewed, acquired 1s ago", acquiredOnly, true},
		{"no times", lease("a", -1, 15), false},
		{"no duration", &coordinationv1.Lease{Spec: coordinationv1.LeaseSpec{HolderIdentity: ptr("a"), RenewTime: &metav1.MicroTime{Time: now}}}, false},
		{"no holder field", &coordinationv1.Lease{}, false},
		{"nil", nil, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.want, policy.LeaseHeld(tc.lease, now))
		})
	}
}

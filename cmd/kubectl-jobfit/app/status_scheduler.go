package app

import (
	"context"
	"fmt"
	"time"

	coordinationv1 "k8s.io/api/coordination/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"jobfit.dev/jobfit/policy"
)

// SchedulerStatus is the cluster policy's scheduling.schedulerName (the
// packing scheduler) and whether it runs, read from its Lease as the
// webhook reads it: job pods get that scheduler only while it does.
type SchedulerStatus struct {
	Name  string `json:"name"`
	Lease string `json:"lease"`
	// Running is policy.LeaseHeld at the time of the status.
	Running bool   `json:"running"`
	Holder  string `json:"holder,omitempty"`
	// Renewed is the Lease's last renewal.
	Renewed *time.Time `json:"renewed,omitempty"`
	Error   string     `json:"error,omitempty"`
}

// schedulerStatus reports the scheduler that cluster, the cluster policy in
// force, names, or nil when it names none (or none is in force).
func schedulerStatus(ctx context.Context, c client.Client, jobfitNS string, cluster *policy.Policy, now time.Time) *SchedulerStatus {
	if cluster == nil || cluster.Scheduling.SchedulerName == "" {
		return nil
	}
	name := cluster.Scheduling.SchedulerName
	s := &SchedulerStatus{Name: name, Lease: jobfitNS + "/" + name}
	l := &coordinationv1.Lease{}
	switch err := c.Get(ctx, client.ObjectKey{Namespace: jobfitNS, Name: s.Name}, l); {
	case apierrors.IsNotFound(err):
		s.Error = "no Lease: the scheduler has never run"
		return s
	case err != nil:
		s.Error = fmt.Sprintf("reading the Lease: %v", err)
		return s
	}
	s.Running = policy.LeaseHeld(l, now)
	if h := l.Spec.HolderIdentity; h != nil {
		s.Holder = *h
	}
	if r := l.Spec.RenewTime; r != nil {
		t := r.Time
		s.Renewed = &t
	}
	return s
}

// problem says what is wrong, or "".
func (s *SchedulerStatus) problem() string {
	if s == nil || s.Running {
		return ""
	}
	why := s.Error
	if why == "" {
		why = "Lease " + s.Lease + " not held"
	}
	return fmt.Sprintf("scheduler %s (scheduling.schedulerName) is not running (%s): job pods fall back to the default scheduler", s.Name, why)
}

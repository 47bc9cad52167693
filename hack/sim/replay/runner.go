package replay

import (
	"context"
	"fmt"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// Clock maps trace time onto wall time: trace durations are divided by
// Speed, and trace time Start happens at wall time Wall0.
type Clock struct {
	Start time.Time
	Wall0 time.Time
	Speed float64
}

// Wall is the wall duration of a trace duration.
func (c Clock) Wall(d time.Duration) time.Duration { return time.Duration(float64(d) / c.Speed) }

// Trace is the trace duration of a wall duration.
func (c Clock) Trace(d time.Duration) time.Duration { return time.Duration(float64(d) * c.Speed) }

// WallAt is the wall time of trace time t.
func (c Clock) WallAt(t time.Time) time.Time { return c.Wall0.Add(c.Wall(t.Sub(c.Start))) }

// TraceSeconds is the trace time of wall time w, in seconds from Start.
func (c Clock) TraceSeconds(w time.Time) float64 { return c.Trace(w.Sub(c.Wall0)).Seconds() }

// Runner plays GitLab Runner: creates each job's pod at its arrival, fails
// it when it is not Running within PollTimeout, and deletes it when its run
// time is over.
type Runner struct {
	Client      client.Client
	Factory     *PodFactory
	Recorder    *Recorder
	Clock       Clock
	PollTimeout time.Duration
	Pods        map[*JobRecord]*corev1.Pod
	// Retry, when set, plays GitLab's retry: when: runner_system_failure
	// for the jobs a spot interruption killed.
	Retry *Retry
	// Namespace is the runner's namespace, for the retries' pods.
	Namespace string
	// Pulls, when set, delays each job's script by its image pulls on its
	// node, and keeps the pod that much longer.
	Pulls *Pulls
}

// Retry is how GitLab retries a job its runner lost: a new job (a new id,
// the same name in the same pipeline) Delay after the failure (trace
// time), at most Max times.
type Retry struct {
	Delay time.Duration
	Max   int
}

// Run plays every job and returns when all have ended or ctx is done.
func (r *Runner) Run(ctx context.Context, jobs []*JobRecord) error {
	var wg sync.WaitGroup
	errs := make(chan error, len(jobs))
	for _, j := range jobs {
		wg.Go(func() {
			if err := r.play(ctx, j); err != nil {
				errs <- err
			}
		})
	}
	wg.Wait()
	close(errs)
	if err := <-errs; err != nil {
		return err
	}
	return ctx.Err()
}

func (r *Runner) play(ctx context.Context, j *JobRecord) error {
	if !sleepUntil(ctx, r.Clock.WallAt(j.Job.Arrival)) {
		return nil
	}
	return r.attempt(ctx, j, r.Pods[j].DeepCopy())
}

// attempt runs one pod of a job, and its retry if a spot interruption
// killed it.
func (r *Runner) attempt(ctx context.Context, j *JobRecord, pod *corev1.Pod) error {
	r.Recorder.mu.Lock()
	j.Created = r.Recorder.now()
	r.Recorder.mu.Unlock()
	if err := createWithRetry(ctx, r.Client, pod); err != nil {
		return fmt.Errorf("job %d: creating pod %s: %w", j.Job.ID, pod.Name, err)
	}
	timeout := time.NewTimer(r.Clock.Wall(r.PollTimeout))
	defer timeout.Stop()
	select {
	case <-ctx.Done():
		return nil
	case <-timeout.C:
		r.Recorder.mu.Lock()
		if j.Running.IsZero() && !j.Interrupted {
			j.FailedPoll = true
		}
		r.Recorder.mu.Unlock()
		if j.FailedPoll {
			return r.delete(ctx, j, pod)
		}
	case <-j.gone:
		return r.retry(ctx, j)
	case <-j.running:
	}
	done := time.NewTimer(r.Clock.Wall(j.Job.Run) + r.pull(j))
	defer done.Stop()
	select {
	case <-ctx.Done():
		return nil
	case <-j.gone:
		return r.retry(ctx, j)
	case <-done.C:
	}
	return r.delete(ctx, j, pod)
}

// pull plays the image pulls of a job that started Running, records them
// and returns how long they take.
func (r *Runner) pull(j *JobRecord) time.Duration {
	r.Recorder.mu.Lock()
	defer r.Recorder.mu.Unlock()
	if j.Running.IsZero() {
		return 0
	}
	j.Pull = r.Pulls.Start(j.Node, j.Images, j.Running)
	return j.Pull
}

// retry creates the next attempt of a job that a spot interruption killed,
// after the retry delay; a job gone for another reason is not retried.
func (r *Runner) retry(ctx context.Context, j *JobRecord) error {
	r.Recorder.mu.Lock()
	interrupted := j.Interrupted
	r.Recorder.mu.Unlock()
	if r.Retry == nil || !interrupted || j.Attempt >= r.Retry.Max {
		return nil
	}
	if !sleepUntil(ctx, time.Now().Add(r.Clock.Wall(r.Retry.Delay))) {
		return nil
	}
	job := j.Job
	job.ID += int64(j.Attempt+1) * retryIDStep
	pod, intent := r.Factory.Pod(j.Index, job, r.Namespace)
	next := &JobRecord{Job: job, Intent: intent, Pod: pod.Name, Index: j.Index, Attempt: j.Attempt + 1}
	r.Recorder.Add(next)
	return r.attempt(ctx, next, pod)
}

// retryIDStep spaces the job ids of retries from those of the trace (and
// their pods' names, which end in the id's low 32 bits).
const retryIDStep = 1_000_000_007

func (r *Runner) delete(ctx context.Context, j *JobRecord, pod *corev1.Pod) error {
	r.Recorder.mu.Lock()
	j.simDeleting = true
	r.Recorder.mu.Unlock()
	if err := r.Client.Delete(ctx, pod); err != nil && !apierrors.IsNotFound(err) && ctx.Err() == nil {
		return fmt.Errorf("job %d: deleting pod %s: %w", j.Job.ID, pod.Name, err)
	}
	return nil
}

// createWithRetry retries what a runner would: the API server or the
// webhook briefly unavailable.
func createWithRetry(ctx context.Context, c client.Client, pod *corev1.Pod) error {
	var err error
	for attempt := 0; attempt < 10; attempt++ {
		if err = c.Create(ctx, pod.DeepCopy()); err == nil || apierrors.IsAlreadyExists(err) {
			return nil
		}
		if !sleepUntil(ctx, time.Now().Add(200*time.Millisecond)) {
			return ctx.Err()
		}
	}
	return err
}

func sleepUntil(ctx context.Context, t time.Time) bool {
	d := time.Until(t)
	if d <= 0 {
		return ctx.Err() == nil
	}
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-timer.C:
		return true
	}
}

package imageplatforms

import (
	"strings"
	"unicode/utf8"

	"golang.org/x/time/rate"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/tools/events"

	"jobfit.dev/jobfit/policy"
	"jobfit.dev/jobfit/policy/api/v1alpha1"
)

const (
	// maxConflictPods bounds the pods the reporter remembers; past it, it
	// forgets them all, and a pod still pending may be reported once more.
	maxConflictPods = 4096
	// conflictEventRate and conflictEventBurst bound the Events per
	// second; a pod over the rate is reported on a later pass.
	conflictEventRate  = 1
	conflictEventBurst = 20
	// maxConflictNote bounds an Event's note, under the API's 1 KiB.
	maxConflictNote = 1000
)

// conflictReporter puts a Warning Event on each pending job pod whose
// applied record holds an image arch conflict, once per pod. The webhook
// warns at admission, when the pod has no UID to put an Event on yet; the
// scaler's leader sees the pod once it exists.
type conflictReporter struct {
	recorder events.EventRecorder
	limiter  *rate.Limiter
	reported map[types.UID]bool
}

func newConflictReporter(recorder events.EventRecorder) *conflictReporter {
	return &conflictReporter{
		recorder: recorder, limiter: rate.NewLimiter(conflictEventRate, conflictEventBurst), reported: map[types.UID]bool{},
	}
}

// report records the Event for pod if it is pending, holds a conflict and
// was not reported yet, within the rate. A nil reporter or recorder
// reports nothing.
func (r *conflictReporter) report(pod *corev1.Pod) {
	if r == nil || r.recorder == nil || r.reported[pod.UID] {
		return
	}
	if pod.Status.Phase != corev1.PodPending && pod.Status.Phase != "" {
		return // running or done: the Event would come too late to help
	}
	note := conflictNote(pod)
	if note == "" || !r.limiter.Allow() {
		return
	}
	if len(r.reported) >= maxConflictPods {
		clear(r.reported)
	}
	r.reported[pod.UID] = true
	r.recorder.Eventf(pod, nil, corev1.EventTypeWarning, v1alpha1.ReasonImageArchConflict, "Place", "%s", note)
}

// conflictNote is the Event's note from the pod's applied record: "arch
// arm64 kept (variable JOBFIT_ARCH), but images without linux/arm64: X;
// ...", or "" when the record holds no conflict.
func conflictNote(pod *corev1.Pod) string {
	rec, ok := policy.ReadRecord(pod.Annotations)
	if !ok {
		return ""
	}
	asked := ""
	var parts []string
	for _, d := range rec.Decisions {
		switch d.Mutation {
		case policy.MutArch:
			asked = d.Source
		case policy.MutImageArchConflict:
			parts = append(parts, "arch "+d.Value+" kept ("+asked+"), but "+d.Source)
		}
	}
	if len(parts) == 0 {
		return ""
	}
	note := strings.Join(parts, "; ") + ": the job may fail at image pull or with exec format error"
	if len(note) > maxConflictNote {
		cut := maxConflictNote
		for cut > 0 && !utf8.RuneStart(note[cut]) {
			cut--
		}
		note = note[:cut] + "…"
	}
	return note
}

package imageplatforms

import (
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/tools/events"

	"jobfit.dev/jobfit/policy/api/v1alpha1"
)

const conflictRecord = `{"policy":"p","hash":"h","decisions":[{"mutation":"arch","value":"arm64","source":"variable JOBFIT_ARCH"},` +
	`{"mutation":"image-arch-conflict","value":"arm64","source":"images without linux/arm64: ci/amd64-only:1"}]}`

func conflictPod(uid string, phase corev1.PodPhase, record string) *corev1.Pod {
	return &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Namespace: "gitlab-runner", Name: "job-" + uid, UID: types.UID(uid),
			Annotations: map[string]string{v1alpha1.AppliedAnnotation: record}},
		Status: corev1.PodStatus{Phase: phase},
	}
}

// TestConflictReporter: one Warning Event per pending pod whose record
// holds a conflict, none for others, and no more than the burst at once.
func TestConflictReporter(t *testing.T) {
	rec := events.NewFakeRecorder(100)
	r := newConflictReporter(rec)
	r.report(conflictPod("a", corev1.PodPending, conflictRecord))
	r.report(conflictPod("a", corev1.PodPending, conflictRecord)) // the same pod again
	r.report(conflictPod("b", corev1.PodRunning, conflictRecord)) // too late to help
	r.report(conflictPod("c", corev1.PodPending, `{"policy":"p","hash":"h","decisions":[{"mutation":"arch","value":"arm64","source":"default"}]}`))
	r.report(conflictPod("d", corev1.PodPending, "not json"))
	assert.Equal(t, []string{"Warning ImageArchConflict arch arm64 kept (variable JOBFIT_ARCH), but images without linux/arm64: " +
		"ci/amd64-only:1: the job may fail at image pull or with exec format error"}, drain(rec))

	for i := range 2 * conflictEventBurst {
		r.report(conflictPod(fmt.Sprint("burst-", i), corev1.PodPending, conflictRecord))
	}
	assert.LessOrEqual(t, len(drain(rec)), conflictEventBurst, "rate-limited")
	(*conflictReporter)(nil).report(conflictPod("e", corev1.PodPending, conflictRecord))
	newConflictReporter(nil).report(conflictPod("e", corev1.PodPending, conflictRecord))
}

// TestConflictNoteIsBounded: a note never exceeds the Event API's limit.
func TestConflictNoteIsBounded(t *testing.T) {
	long := strings.Repeat("registry.example.com/team/app:1, ", 100)
	pod := conflictPod("a", corev1.PodPending, `{"decisions":[{"mutation":"image-arch-conflict","value":"arm64","source":"`+long+`"}]}`)
	note := conflictNote(pod)
	assert.LessOrEqual(t, len(note), maxConflictNote+len("…"))
	assert.True(t, strings.HasSuffix(note, "…"))
}

func drain(rec *events.FakeRecorder) []string {
	var out []string
	for {
		select {
		case e := <-rec.Events:
			out = append(out, e)
		default:
			return out
		}
	}
}

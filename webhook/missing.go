package webhook

import (
	"strings"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/tools/events"

	"jobfit.dev/jobfit/policy"
	"jobfit.dev/jobfit/policy/api/v1alpha1"
)

const (
	// missingEventInterval is how often one missing reference of one
	// policy is reported again while pods keep naming it.
	missingEventInterval = 10 * time.Minute
	// maxMissingKeys bounds what the reporter remembers; past it, it
	// forgets everything and may report each reference once more.
	maxMissingKeys = 1024
)

// MissingReporter records a Warning Event on the policy ConfigMap that
// named a missing object, at most once per missingEventInterval for each
// reference. Admission only calls Report, which never waits on the API
// server: the EventRecorder sends in the background and drops Events
// when its queue is full.
type MissingReporter struct {
	recorder events.EventRecorder
	mu       sync.Mutex
	last     map[string]time.Time
}

// NewMissingReporter returns a reporter that records with recorder.
func NewMissingReporter(recorder events.EventRecorder) *MissingReporter {
	return &MissingReporter{recorder: recorder, last: map[string]time.Time{}}
}

// Report records the references missing from one admission under the
// policy read from source. A nil reporter, or an unknown source, reports
// nothing.
func (r *MissingReporter) Report(source types.NamespacedName, missing []policy.MissingReference) {
	if r == nil || len(missing) == 0 || source.Name == "" {
		return
	}
	var due []string
	now := time.Now()
	r.mu.Lock()
	for _, m := range missing {
		key := source.String() + " " + m.String()
		if t, ok := r.last[key]; ok && now.Sub(t) < missingEventInterval {
			continue
		}
		if len(r.last) >= maxMissingKeys {
			r.last = map[string]time.Time{}
		}
		r.last[key] = now
		due = append(due, m.String())
	}
	r.mu.Unlock()
	if len(due) == 0 {
		return
	}
	ref := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: source.Namespace, Name: source.Name}}
	r.recorder.Eventf(ref, nil, corev1.EventTypeWarning, v1alpha1.ReasonPolicyReferenceMissing, "Admit", "%s",
		truncateNote("job pods are admitted without what the policy names, because it does not exist or cannot be used: "+strings.Join(due, "; ")))
}

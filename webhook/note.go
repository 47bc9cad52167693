package webhook

import (
	"fmt"
	"strings"
	"unicode/utf8"

	"k8s.io/apimachinery/pkg/util/validation/field"
)

const (
	// maxNoteBytes is the API server's limit on an Event's note
	// (events.k8s.io/v1): a longer one is refused, and the rejection would
	// go unrecorded.
	maxNoteBytes = 1024
	// maxErrorBytes bounds one error in a note, so that one huge bad value
	// does not crowd out the others.
	maxErrorBytes = 200
)

// rejectionNote is prefix followed by as many of errs as fit in an Event's
// note, first first, and a count of those left out.
func rejectionNote(prefix string, errs field.ErrorList) string {
	var b strings.Builder
	b.WriteString(prefix)
	for i, e := range errs {
		msg := truncateBytes(e.Error(), maxErrorBytes)
		sep := ""
		if i > 0 {
			sep = "; "
		}
		// Room for this error and, if more follow, the count.
		rest := ""
		if left := len(errs) - i - 1; left > 0 {
			rest = fmt.Sprintf("; and %d more", left)
		}
		if b.Len()+len(sep)+len(msg)+len(rest) > maxNoteBytes {
			return truncateNote(b.String() + fmt.Sprintf("; and %d more", len(errs)-i))
		}
		b.WriteString(sep + msg)
	}
	return b.String()
}

// truncateNote cuts s to what an Event's note may hold.
func truncateNote(s string) string { return truncateBytes(s, maxNoteBytes) }

// truncateBytes cuts s to at most n bytes on a rune boundary, marking the cut.
func truncateBytes(s string, n int) string {
	if len(s) <= n {
		return s
	}
	const mark = "…"
	cut := n - len(mark)
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + mark
}

package webhook

import (
	"fmt"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

func TestRejectionNote(t *testing.T) {
	many := func(n int, value string) field.ErrorList {
		var errs field.ErrorList
		for i := range n {
			errs = append(errs, field.Invalid(field.NewPath("labels").Key(fmt.Sprintf("bad %d", i)), value, "name part must consist of alphanumeric characters"))
		}
		return errs
	}
	cases := []struct {
		name      string
		errs      field.ErrorList
		wantFirst string
		wantCount string
	}{
		{"one short error", many(1, "x"), "labels[bad 0]", ""},
		{"errors beyond the limit are counted", many(21, "x"), "labels[bad 0]", "more"},
		{"a huge bad value is cut", many(2, strings.Repeat("ä", 5000)), "labels[bad 0]", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			note := rejectionNote("policy not loaded: ", tc.errs)
			assert.LessOrEqual(t, len(note), maxNoteBytes, "fits an Event note")
			assert.True(t, utf8.ValidString(note))
			assert.Contains(t, note, tc.wantFirst, "keeps the first error")
			if tc.wantCount != "" {
				assert.Regexp(t, `and \d+ more$`, note)
			}
		})
	}
}

package yamldoc

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestSplit(t *testing.T) {
	for _, tc := range []struct {
		name string
		raw  string
		want []string
	}{
		{"one document", "a: 1\n", []string{"a: 1\n"}},
		{"empty", "", nil},
		{"two documents", "a: 1\n---\nb: 2\n", []string{"a: 1\n", "b: 2\n"}},
		{"a leading separator stays", "---\na: 1\n", []string{"---\na: 1\n"}},
		{"a leading separator and a comment are no document", "---\n# header\n---\na: 1\n", []string{"a: 1\n"}},
		{"blank and comment-only documents are left out", "# head\n---\na: 1\n---\n\n  # only a comment\n---\n", []string{"a: 1\n"}},
		{"a comment inside a document keeps it", "# about a\na: 1\n", []string{"# about a\na: 1\n"}},
		{"a separator with a comment", "a: 1\n--- # next\nb: 2\n", []string{"a: 1\n", "b: 2\n"}},
		{"an indented separator is content", "a: |\n  ---\n", []string{"a: |\n  ---\n"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			docs, err := Split([]byte(tc.raw))
			require.NoError(t, err)
			var got []string
			for _, d := range docs {
				got = append(got, string(d))
			}
			assert.Equal(t, tc.want, got)
		})
	}
}

func TestSplitRejectsContentAfterASeparator(t *testing.T) {
	_, err := Split([]byte("a: 1\n--- b: 2\n"))
	assert.ErrorContains(t, err, "reading YAML")
}

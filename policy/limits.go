package policy

import (
	"bytes"
	"fmt"

	"k8s.io/apimachinery/pkg/util/validation/field"

	"jobfit.dev/jobfit/policy/yamldoc"
)

// Bounds on what one policy document may cost. Anyone who can write a
// ConfigMap in a runner namespace can hand the webhook a namespace policy,
// and every replica parses it: these keep a hostile or broken document
// from costing more memory, CPU and log volume than a real one.
const (
	// MaxDocumentSize is the largest policy document read, in bytes. Real
	// policies are a few kilobytes; parsing YAML takes tens of times the
	// input's size in memory, so a 1 MiB document (a ConfigMap's limit) is
	// rejected before it is parsed.
	MaxDocumentSize = 128 << 10
	// MaxErrors is how many field errors a rejected document reports; the
	// rest are counted in a last entry, "and N more errors".
	MaxErrors = 20
)

// checkSize rejects a document above MaxDocumentSize before parsing it.
func checkSize(data []byte) *field.Error {
	if len(data) <= MaxDocumentSize {
		return nil
	}
	return field.TooLong(field.NewPath("document"), nil, MaxDocumentSize)
}

// checkSingleDocument rejects YAML that holds more than one document: the
// YAML parser would read the first and silently drop the rest, and a
// policy split in two by a stray "---" would lose half its settings.
func checkSingleDocument(data []byte) *field.Error {
	if !bytes.Contains(data, []byte("---")) {
		return nil
	}
	docs, err := yamldoc.Split(data)
	if err != nil {
		// Let the YAML parser report it with its own message.
		return nil
	}
	n := len(docs)
	if n <= 1 {
		return nil
	}
	return docError("YAML", fmt.Sprintf("holds %d documents separated by \"---\"; a policy is exactly one document", n))
}

// CapErrors returns at most MaxErrors of errs, the first ones, followed by
// one entry counting the rest.
func CapErrors(errs field.ErrorList) field.ErrorList {
	if len(errs) <= MaxErrors {
		return errs
	}
	out := append(field.ErrorList{}, errs[:MaxErrors]...)
	return append(out, docError("document", fmt.Sprintf("and %d more errors", len(errs)-MaxErrors)))
}

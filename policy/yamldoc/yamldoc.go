// Package yamldoc splits a multi-document YAML stream into its documents,
// for the engine (a policy is exactly one document), the CLI (jobfit
// validate reads files of many) and the tests that read such files.
package yamldoc

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"

	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
)

// Split returns the documents of raw separated by "---" lines, as the
// Kubernetes YAML reader splits them (a leading "---" stays in the first
// document), leaving out documents that hold only blank lines and
// comments.
func Split(raw []byte) ([][]byte, error) {
	r := utilyaml.NewYAMLReader(bufio.NewReader(bytes.NewReader(raw)))
	var docs [][]byte
	for {
		doc, err := r.Read()
		if errors.Is(err, io.EOF) {
			return docs, nil
		}
		if err != nil {
			return nil, fmt.Errorf("reading YAML: %w", err)
		}
		if !blank(doc) {
			docs = append(docs, doc)
		}
	}
}

// blank reports whether doc holds only blank lines, comments and the "---"
// line that the YAML reader keeps when a stream starts with one.
func blank(doc []byte) bool {
	for line := range bytes.SplitSeq(doc, []byte("\n")) {
		if t := bytes.TrimSpace(line); len(t) > 0 && t[0] != '#' && !separator(line) {
			return false
		}
	}
	return true
}

// separator reports whether line is a document separator: "---" at the
// start of the line, followed by nothing but a comment.
func separator(line []byte) bool {
	rest, ok := bytes.CutPrefix(line, []byte("---"))
	rest = bytes.TrimSpace(rest)
	return ok && (len(rest) == 0 || rest[0] == '#')
}

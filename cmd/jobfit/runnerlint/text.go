package runnerlint

import (
	"fmt"
	"io"
)

// WriteText prints one finding per paragraph, compiler style:
//
//	config.toml:22: error: [arch-pin] eks-arm64: node_selector ...
//	    fix: delete this line; ...
//
// source, when set, says which key of file holds the TOML, whose lines
// these are.
func WriteText(w io.Writer, file, source string, fs []Finding) {
	where := file
	if source != "" {
		where = file + " " + source
	}
	for _, f := range fs {
		line := ""
		if f.Line > 0 {
			line = fmt.Sprintf(":%d", f.Line)
		}
		fmt.Fprintf(w, "%s%s: %s: [%s] %s: %s\n    fix: %s\n", where, line, f.Severity, f.Rule, f.Runner, f.Message, f.Fix)
	}
	errs := Errors(fs)
	fmt.Fprintf(w, "%s: %d errors, %d warnings\n", where, errs, len(fs)-errs)
}

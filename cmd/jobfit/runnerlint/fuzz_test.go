package runnerlint_test

import (
	"os"
	"testing"

	"jobfit.dev/jobfit/cmd/jobfit/runnerlint"
	"jobfit.dev/jobfit/test/corpus"
)

// FuzzLint: any input, TOML or YAML or neither, gives findings or an
// error, never a panic; every finding has a rule and a fix.
func FuzzLint(f *testing.F) {
	for _, file := range []string{"testdata/eks-guide-config.toml", shippedConfig, shippedValues} {
		b, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte("[[runners]]\n[runners.kubernetes]\nnode_selector = {a = {b = 1}}\n"))
	f.Add([]byte("[[runners]]\n[[runners]]\n[runners.kubernetes.node_selector]\n\"kubernetes.io/arch\" = \"arm64\"\n"))
	p := corpus.LoadPolicy(f, examplePolicy)
	f.Fuzz(func(t *testing.T, src []byte) {
		d, err := runnerlint.Extract(src)
		if err != nil {
			return
		}
		fs, err := runnerlint.LintDocument(d, p)
		if err != nil {
			return
		}
		for _, x := range fs {
			if x.Rule == "" || x.Fix == "" || x.Line < 0 {
				t.Fatalf("incomplete finding %+v", x)
			}
		}
	})
}

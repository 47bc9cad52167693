// Package layout checks that the packages depend on each other in the
// directions the layout promises (docs/development.md): tools under hack/
// never import the test suites, the API imports nothing of jobfit's, the
// webhook and the scaler do not import each other, and the policy engine
// holds no client.
package layout

import (
	"bufio"
	"bytes"
	"maps"
	"os/exec"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

const module = "jobfit.dev/jobfit"

// pkg is what go list says of one of the module's packages.
type pkg struct {
	// deps are its transitive imports, tests left out.
	deps []string
	// imports are its direct imports, tests' included.
	imports []string
}

// rule forbids packages under from to depend on what forbidden matches.
type rule struct {
	name string
	from string
	// tests also checks the package's tests and what they import.
	tests     bool
	forbidden func(importPath string) bool
}

var rules = []rule{
	{
		name: "nothing under hack/ imports test/", from: module + "/hack/", tests: true,
		forbidden: under(module + "/test"),
	},
	{
		name: "the API imports nothing of jobfit's", from: module + "/policy/api/v1alpha1", tests: true,
		forbidden: func(p string) bool {
			return p != module+"/policy/api/v1alpha1" && under(module)(p)
		},
	},
	{name: "the webhook does not import the scaler", from: module + "/webhook", forbidden: under(module + "/scaler")},
	{name: "the scaler does not import the webhook", from: module + "/scaler", forbidden: under(module + "/webhook")},
	{
		name: "the policy engine holds no client", from: module + "/policy",
		forbidden: func(p string) bool {
			return under("sigs.k8s.io/controller-runtime")(p) || under("k8s.io/client-go")(p)
		},
	},
}

// under matches path and the packages below it.
func under(path string) func(string) bool {
	path = strings.TrimSuffix(path, "/")
	return func(p string) bool { return p == path || strings.HasPrefix(p, path+"/") }
}

func TestLayout(t *testing.T) {
	pkgs := list(t)
	require.Contains(t, pkgs, module+"/hack/stack", "go list found the module's packages")
	for _, r := range rules {
		t.Run(r.name, func(t *testing.T) {
			checked := 0
			for _, path := range slices.Sorted(maps.Keys(pkgs)) {
				if !under(r.from)(path) {
					continue
				}
				checked++
				for _, bad := range violations(r, pkgs[path], pkgs) {
					t.Errorf("%s depends on %s", path, bad)
				}
			}
			require.Positive(t, checked, "no package under %s", r.from)
		})
	}
}

// violations returns what p depends on that r forbids: its transitive
// imports, and with r.tests its tests' imports and theirs.
func violations(r rule, p pkg, pkgs map[string]pkg) []string {
	seen := map[string]bool{}
	var bad []string
	check := func(paths []string) {
		for _, d := range paths {
			if r.forbidden(d) && !seen[d] {
				seen[d] = true
				bad = append(bad, d)
			}
		}
	}
	check(p.deps)
	if r.tests {
		check(p.imports)
		for _, imp := range p.imports {
			check(pkgs[imp].deps)
		}
	}
	return bad
}

// list runs go list over the module: each package's transitive imports
// (tests left out), and its direct imports with its tests'.
func list(t *testing.T) map[string]pkg {
	t.Helper()
	cmd := exec.Command("go", "list", "-f",
		`{{.ImportPath}}|{{join .Deps " "}}|{{join .Imports " "}} {{join .TestImports " "}} {{join .XTestImports " "}}`,
		module+"/...")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	require.NoError(t, err, "go list: %s", stderr.String())
	pkgs := map[string]pkg{}
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		f := strings.Split(sc.Text(), "|")
		require.Len(t, f, 3, "go list line %q", sc.Text())
		pkgs[f[0]] = pkg{deps: strings.Fields(f[1]), imports: strings.Fields(f[2])}
	}
	require.NoError(t, sc.Err())
	return pkgs
}

package rbac

import (
	"context"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"

	authorizationv1 "k8s.io/api/authorization/v1"
)

// documentedWrites reads the permission table of docs/install.md
// ("Permissions and why"): one row per ServiceAccount, verbs, resources
// (resource.group, core group bare), names and where ("everywhere" and
// "cluster" hold in every namespace).
func documentedWrites(path string) (map[string][]write, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	out := map[string][]write{}
	inTable := false
	for _, line := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(line, "| ServiceAccount | verbs | resources | names | where |") {
			inTable = true
			continue
		}
		if !inTable || strings.HasPrefix(line, "|---") {
			continue
		}
		if !strings.HasPrefix(line, "|") {
			if len(out) > 0 {
				break
			}
			continue
		}
		cells := strings.Split(strings.Trim(line, "|"), "|")
		if len(cells) < 5 {
			return nil, fmt.Errorf("%s: a permission row with %d cells: %q", path, len(cells), line)
		}
		sa := unquote(cells[0])
		ns := unquote(cells[4])
		if ns == "everywhere" || ns == "cluster" {
			ns = "*"
		}
		var names []string
		if n := unquote(cells[3]); n != "" {
			names = list(n)
		}
		for _, gr := range list(cells[2]) {
			resource, group, _ := strings.Cut(gr, ".")
			out[sa] = append(out[sa], write{namespace: ns, group: group, resource: resource, names: names, verbs: list(cells[1])})
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%s: no permission table found", path)
	}
	return out, nil
}

// list splits a cell like "`a`, `b`" into its items.
func list(cell string) []string {
	var out []string
	for _, s := range strings.Split(cell, ",") {
		if s = unquote(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}

func unquote(s string) string { return strings.Trim(strings.TrimSpace(s), "`") }

// notGranted lists the documented writes of sa that apply in ns but that
// its rules there do not grant: the table must not claim more than RBAC
// gives, or it stops being a description of what each ServiceAccount can do.
func notGranted(ctx context.Context, t *testing.T, sa, ns string) []string {
	t.Helper()
	rules := resourceRules(ctx, t, sa, ns)
	var out []string
	for _, w := range documented[sa] {
		if w.namespace != "*" && w.namespace != ns {
			continue
		}
		for _, v := range w.verbs {
			granted := slices.ContainsFunc(rules, func(r authorizationv1.ResourceRule) bool {
				return slices.Contains(r.APIGroups, w.group) && slices.Contains(r.Resources, w.resource) &&
					slices.Contains(r.Verbs, v) && slices.Equal(sortedCopy(r.ResourceNames), sortedCopy(w.names))
			})
			if !granted {
				out = append(out, fmt.Sprintf("%s %s.%s names=%v", v, w.resource, w.group, w.names))
			}
		}
	}
	return out
}

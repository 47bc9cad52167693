// Package dashboard tests the Grafana dashboard shipped in
// manifests/prometheus: that it is well formed, that every PromQL
// expression parses, and that every metric it names is one jobfit's code
// registers (or one of a short allow-list of other programs' metrics).
package dashboard

import (
	"encoding/json"
	"fmt"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/promql/parser"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const dashboardFile = "../../manifests/prometheus/dashboards/jobfit.json"

// datasourceUID is how every panel and target names its data source: the
// dashboard's datasource variable, so that it imports into any Grafana.
const datasourceUID = "${datasource}"

type dashboard struct {
	Title         string  `json:"title"`
	UID           string  `json:"uid"`
	SchemaVersion int     `json:"schemaVersion"`
	Panels        []panel `json:"panels"`
	Templating    struct {
		List []struct {
			Name  string `json:"name"`
			Type  string `json:"type"`
			Query string `json:"query"`
		} `json:"list"`
	} `json:"templating"`
}

type panel struct {
	ID          int         `json:"id"`
	Type        string      `json:"type"`
	Title       string      `json:"title"`
	Description string      `json:"description"`
	Datasource  *datasource `json:"datasource"`
	Targets     []target    `json:"targets"`
	Panels      []panel     `json:"panels"` // a collapsed row's panels
}

type datasource struct {
	Type string `json:"type"`
	UID  string `json:"uid"`
}

type target struct {
	RefID      string      `json:"refId"`
	Expr       string      `json:"expr"`
	Datasource *datasource `json:"datasource"`
}

// grafanaVars are the interval variables Grafana substitutes before it
// sends a query; any duration stands in for them when parsing.
var grafanaVars = strings.NewReplacer("$__rate_interval", "5m", "${__rate_interval}", "5m",
	"$__interval", "1m", "${__interval}", "1m", "$__range", "1h", "${__range}", "1h")

var leftoverVar = regexp.MustCompile(`\$\{?\w+`)

// check returns every problem in a dashboard: structure, PromQL that does
// not parse, and metric names that known does not have.
func check(raw []byte, known metricTypes) []error {
	var d dashboard
	if err := json.Unmarshal(raw, &d); err != nil {
		return []error{fmt.Errorf("decoding dashboard: %w", err)}
	}
	var errs []error
	if d.UID == "" || d.Title == "" || d.SchemaVersion < 39 {
		errs = append(errs, fmt.Errorf("dashboard needs a uid, a title and schemaVersion >= 39, got %q, %q, %d", d.UID, d.Title, d.SchemaVersion))
	}
	if !hasDatasourceVar(d) {
		errs = append(errs, fmt.Errorf("templating: no datasource variable of type prometheus named datasource"))
	}
	ids := map[int]bool{}
	for _, p := range flatten(d.Panels) {
		if ids[p.ID] {
			errs = append(errs, fmt.Errorf("panel %q: id %d is used twice", p.Title, p.ID))
		}
		ids[p.ID] = true
		errs = append(errs, checkPanel(p, known)...)
	}
	return errs
}

func hasDatasourceVar(d dashboard) bool {
	for _, v := range d.Templating.List {
		if v.Name == "datasource" && v.Type == "datasource" && v.Query == "prometheus" {
			return true
		}
	}
	return false
}

func flatten(ps []panel) []panel {
	var out []panel
	for _, p := range ps {
		out = append(out, p)
		out = append(out, flatten(p.Panels)...)
	}
	return out
}

func checkPanel(p panel, known metricTypes) []error {
	if p.Type == "row" {
		return nil
	}
	var errs []error
	if p.Title == "" || p.Description == "" {
		errs = append(errs, fmt.Errorf("panel %d: needs a title and a description (the question it answers)", p.ID))
	}
	if p.Datasource == nil || p.Datasource.UID != datasourceUID {
		errs = append(errs, fmt.Errorf("panel %q: datasource must be %s", p.Title, datasourceUID))
	}
	if len(p.Targets) == 0 {
		errs = append(errs, fmt.Errorf("panel %q: no targets", p.Title))
	}
	for _, t := range p.Targets {
		if t.Datasource == nil || t.Datasource.UID != datasourceUID {
			errs = append(errs, fmt.Errorf("panel %q target %s: datasource must be %s", p.Title, t.RefID, datasourceUID))
		}
		errs = append(errs, checkExpr(fmt.Sprintf("panel %q target %s", p.Title, t.RefID), t.Expr, known)...)
	}
	return errs
}

// checkExpr parses one PromQL expression and checks the metric of each of
// its selectors.
func checkExpr(where, expr string, known metricTypes) []error {
	q := grafanaVars.Replace(expr)
	if v := leftoverVar.FindString(q); v != "" {
		return []error{fmt.Errorf("%s: unknown Grafana variable %s in %q", where, v, expr)}
	}
	ast, err := parser.ParseExpr(q)
	if err != nil {
		return []error{fmt.Errorf("%s: %q does not parse: %w", where, expr, err)}
	}
	var errs []error
	parser.Inspect(ast, func(n parser.Node, _ []parser.Node) error {
		vs, ok := n.(*parser.VectorSelector)
		if !ok {
			return nil
		}
		name := selectorName(vs)
		switch {
		case name == "":
			errs = append(errs, fmt.Errorf("%s: selector %s names no metric", where, vs))
		case !known.has(name):
			errs = append(errs, fmt.Errorf("%s: metric %s is not registered by jobfit's code nor allow-listed", where, name))
		}
		return nil
	})
	return errs
}

func selectorName(vs *parser.VectorSelector) string {
	if vs.Name != "" {
		return vs.Name
	}
	for _, m := range vs.LabelMatchers {
		if m.Name == model.MetricNameLabel && m.Type == labels.MatchEqual {
			return m.Value
		}
	}
	return ""
}

func TestShippedDashboard(t *testing.T) {
	raw, err := os.ReadFile(dashboardFile)
	require.NoError(t, err)
	assert.Empty(t, check(raw, codeMetrics(t)))
}

// TestDashboardFailures proves that the check can fail: each case breaks
// the shipped dashboard in one way.
func TestDashboardFailures(t *testing.T) {
	raw, err := os.ReadFile(dashboardFile)
	require.NoError(t, err)
	shipped := string(raw)
	cases := []struct {
		name     string
		old, new string
		wantErr  string
	}{
		{"renamed metric", "jobfit_mutations_total", "jobfit_mutation_total", "metric jobfit_mutation_total is not registered"},
		{"counter used as histogram", "jobfit_pod_pending_seconds_bucket", "jobfit_nodepool_changes_total_bucket", "jobfit_nodepool_changes_total_bucket is not registered"},
		{"bad PromQL", "sum by (mutation) (rate(", "sum by (mutation) rate((", "does not parse"},
		{"unknown variable", "$__rate_interval", "$window", "unknown Grafana variable $window"},
		{"fixed datasource", `"uid": "${datasource}"`, `"uid": "prometheus"`, "datasource must be ${datasource}"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			broken := strings.Replace(shipped, tc.old, tc.new, 1)
			require.NotEqual(t, shipped, broken, "the case must change the dashboard")
			errs := check([]byte(broken), codeMetrics(t))
			require.NotEmpty(t, errs)
			assert.ErrorContains(t, errs[0], tc.wantErr)
		})
	}
}

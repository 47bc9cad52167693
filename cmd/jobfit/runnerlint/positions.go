package runnerlint

import (
	"strconv"
	"strings"

	"github.com/pelletier/go-toml/v2/unstable"
)

// lines maps the path of every key and table header in a TOML document to
// the line it is on. Paths join their parts with pathSep; an element of an
// array of tables is its index (runners, 0, kubernetes, node_selector, ...).
type lines map[string]int

const pathSep = "\x1f"

func pathOf(parts ...string) string { return strings.Join(parts, pathSep) }

// at returns the line of the deepest of parts' prefixes that the document
// has, so that a key set in an inline table still gets its table's line.
func (l lines) at(parts ...string) int {
	for n := len(parts); n > 0; n-- {
		if line, ok := l[pathOf(parts[:n]...)]; ok {
			return line
		}
	}
	return 0
}

// indexLines parses src with go-toml's parser and records where each key
// is. It returns the parser's error, with its position, for a document
// that is not TOML.
func indexLines(src []byte) (lines, error) {
	var p unstable.Parser
	p.Reset(src)
	ix := &indexer{p: &p, lines: lines{}, arrays: map[string]int{}}
	for p.NextExpression() {
		ix.expression(p.Expression())
	}
	return ix.lines, p.Error()
}

type indexer struct {
	p      *unstable.Parser
	lines  lines
	arrays map[string]int // arrays of tables, by resolved path: how many elements so far
	table  []string       // the current table's resolved path
}

func (ix *indexer) expression(e *unstable.Node) {
	switch e.Kind {
	case unstable.Table, unstable.ArrayTable:
		keys, line := ix.key(e.Key())
		path := ix.resolve(keys)
		if e.Kind == unstable.ArrayTable {
			n := ix.arrays[pathOf(path...)]
			ix.arrays[pathOf(path...)] = n + 1
			path = append(path, strconv.Itoa(n))
		}
		ix.table = path
		ix.lines[pathOf(path...)] = line
	case unstable.KeyValue:
		ix.keyValue(ix.table, e)
	}
}

func (ix *indexer) keyValue(table []string, e *unstable.Node) {
	keys, line := ix.key(e.Key())
	path := append(append([]string(nil), table...), keys...)
	ix.lines[pathOf(path...)] = line
	if v := e.Value(); v != nil && v.Kind == unstable.InlineTable {
		it := v.Children()
		for it.Next() {
			if c := it.Node(); c.Kind == unstable.KeyValue {
				ix.keyValue(path, c)
			}
		}
	}
}

// resolve turns a table header's key into a path, naming the last element
// of every array of tables on the way ([runners.kubernetes] after
// [[runners]] is runners, <last>, kubernetes). The header's own last key is
// left for the caller to index when the header is an array of tables.
func (ix *indexer) resolve(keys []string) []string {
	var path []string
	for i, k := range keys {
		path = append(path, k)
		if i == len(keys)-1 {
			break
		}
		if n := ix.arrays[pathOf(path...)]; n > 0 {
			path = append(path, strconv.Itoa(n-1))
		}
	}
	return path
}

func (ix *indexer) key(it unstable.Iterator) ([]string, int) {
	var parts []string
	line := 0
	for it.Next() {
		n := it.Node()
		if line == 0 {
			line = ix.p.Shape(n.Raw).Start.Line
		}
		parts = append(parts, string(n.Data))
	}
	return parts, line
}

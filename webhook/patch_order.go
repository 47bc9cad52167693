package webhook

import (
	"cmp"
	"slices"
	"strings"

	"gomodules.xyz/jsonpatch/v2"
)

// sortPatch puts a patch from jsonpatch.CreatePatch in one canonical
// order. The library walks JSON objects in Go's random map order, so the
// same diff can come out in a different order each time; sorted, the
// webhook's patch is reproducible and `jobfit mutate -o patch` prints
// exactly what the webhook sends.
//
// The order is safe: operations under different object keys touch
// disjoint parts of the pod, so any order of them gives the same result.
// Within an array the library emits, per index, either a removal at the
// tail (highest index first, which must stay so), an addition past the
// common length (lowest first), or changes inside an element of the
// common length; ordering indices ascending, except removals descending
// after everything else, keeps every index valid when it is applied.
// Sorting a handful of operations in place allocates nothing.
func sortPatch(ops []jsonpatch.JsonPatchOperation) {
	slices.SortStableFunc(ops, compareOps)
}

// compareOps orders two operations by their paths, segment by segment.
func compareOps(a, b jsonpatch.JsonPatchOperation) int {
	p, q := a.Path, b.Path
	for {
		sp, rp := nextSegment(p)
		sq, rq := nextSegment(q)
		if sp != sq {
			return compareSegments(sp, rp == "" && a.Operation == "remove", sq, rq == "" && b.Operation == "remove")
		}
		if rp == "" || rq == "" {
			// The same path, or one inside the other, which the library does
			// not emit: keep the library's order.
			return 0
		}
		p, q = rp, rq
	}
}

// nextSegment splits "/seg/rest" into "seg" and "/rest".
func nextSegment(path string) (seg, rest string) {
	path = strings.TrimPrefix(path, "/")
	if i := strings.IndexByte(path, '/'); i >= 0 {
		return path[:i], path[i:]
	}
	return path, ""
}

// compareSegments orders sibling segments: indices (and numeric keys)
// ascending, then removals of indices descending, then object keys in
// byte order. It is a total order, as a sort needs.
func compareSegments(a string, aRemove bool, b string, bRemove bool) int {
	ca, cb := segmentClass(a, aRemove), segmentClass(b, bRemove)
	switch {
	case ca != cb:
		return cmp.Compare(ca, cb)
	case ca == classIndex:
		return compareNumeric(a, b)
	case ca == classRemovedIndex:
		return compareNumeric(b, a)
	default:
		return strings.Compare(a, b)
	}
}

const (
	classIndex = iota
	classRemovedIndex
	classKey
)

func segmentClass(seg string, remove bool) int {
	if !isDigits(seg) {
		return classKey
	}
	if remove {
		return classRemovedIndex
	}
	return classIndex
}

// compareNumeric compares two strings of digits as numbers, without
// parsing them: array indices have no leading zeros.
func compareNumeric(a, b string) int {
	if c := cmp.Compare(len(a), len(b)); c != 0 {
		return c
	}
	return strings.Compare(a, b)
}

func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := range len(s) {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

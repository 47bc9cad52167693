package report

import (
	"math"
	"sort"
)

// Interval is one node's life in trace seconds, with what it was.
type Interval struct {
	From, To     float64
	Arch         string
	Capacity     string
	InstanceType string
	// CPU is the node's allocatable CPU in cores.
	CPU float64
}

// PriceFunc is the hourly price of an instance type and capacity type.
type PriceFunc func(instanceType, capacity string) float64

// Nodes accounts node-seconds, cost, launches and the peak node count
// within [from, to]: a node counts from its launch (or from) to its
// termination (or to), as a cloud bills it. A node that never got an
// instance type (a launch that failed) costs nothing and is not counted.
func Nodes(nodes []Interval, from, to float64, price PriceFunc) (NodeSeconds, float64, int, int) {
	ns := NodeSeconds{ByArch: map[string]float64{}}
	var cost float64
	launched := 0
	type edge struct {
		at    float64
		delta int
	}
	var edges []edge
	for _, n := range nodes {
		if n.InstanceType == "" {
			continue
		}
		launched++
		a, b := math.Max(n.From, from), math.Min(n.To, to)
		if b <= a {
			continue
		}
		s := b - a
		ns.Total += s
		switch n.Capacity {
		case "spot":
			ns.Spot += s
		case "on-demand":
			ns.OnDemand += s
		}
		ns.ByArch[n.Arch] += s
		cost += s / 3600 * price(n.InstanceType, n.Capacity)
		edges = append(edges, edge{a, 1}, edge{b, -1})
	}
	// Ends before starts at the same instant: a replacement is not a peak.
	sort.Slice(edges, func(i, k int) bool {
		if edges[i].at != edges[k].at {
			return edges[i].at < edges[k].at
		}
		return edges[i].delta < edges[k].delta
	})
	peak, cur := 0, 0
	for _, e := range edges {
		cur += e.delta
		peak = max(peak, cur)
	}
	ns.Total, ns.Spot, ns.OnDemand = round(ns.Total), round(ns.Spot), round(ns.OnDemand)
	for k, v := range ns.ByArch {
		ns.ByArch[k] = round(v)
	}
	return ns, math.Round(cost*100) / 100, launched, peak
}

package replay

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

func TestPulls(t *testing.T) {
	t0 := time.Date(2026, 1, 5, 7, 0, 0, 0, time.UTC)
	at := func(s int) time.Time { return t0.Add(time.Duration(s) * time.Second) }
	type start struct {
		node   string
		images []string
		at     int
		want   time.Duration
	}
	for _, tc := range []struct {
		name   string
		pull   time.Duration
		starts []start
	}{
		{"disabled", 0, []start{{"a", []string{"node:20"}, 0, 0}}},
		{"first pull on a node, then warm", 20 * time.Second, []start{
			{"a", []string{"node:20"}, 0, 20 * time.Second},
			{"a", []string{"node:20"}, 100, 0},
		}},
		{"per node", 20 * time.Second, []start{
			{"a", []string{"node:20"}, 0, 20 * time.Second},
			{"b", []string{"node:20"}, 5, 20 * time.Second},
		}},
		{"per image, in parallel", 20 * time.Second, []start{
			{"a", []string{"helper", "node:20"}, 0, 20 * time.Second},
			{"a", []string{"helper", "golang:1.26"}, 100, 20 * time.Second},
			{"a", []string{"helper", "golang:1.26", "node:20"}, 200, 0},
		}},
		{"a pull in flight is shared", 20 * time.Second, []start{
			{"a", []string{"node:20"}, 0, 20 * time.Second},
			{"a", []string{"node:20"}, 15, 5 * time.Second},
			{"a", []string{"node:20", "postgres:16"}, 10, 20 * time.Second},
			{"a", []string{"node:20", "postgres:16"}, 25, 5 * time.Second},
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := &Pulls{Duration: tc.pull}
			for i, s := range tc.starts {
				assert.Equal(t, s.want, p.Start(s.node, s.images, at(s.at)), "start %d", i)
			}
		})
	}
	var none *Pulls
	assert.Zero(t, none.Start("a", []string{"node:20"}, t0), "no Pulls, no pulls")
}

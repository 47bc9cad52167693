package report

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestWaitByPath(t *testing.T) {
	jobs := []JobResult{
		// Found room: bound 0.5 s after creation, Running 0.3 s later.
		{Created: 10, Bound: at(10.5), Running: at(10.8)},
		{Created: 20, Bound: at(21), Running: at(21.5), Pull: 20},
		// Preempted a placeholder on a node that was there.
		{Created: 30, Bound: at(33), Running: at(33.5), Preempted: true},
		// Waited for a new node; preempting on it too counts as a new node.
		{Created: 40, Bound: at(85), Running: at(86), NewNode: true, Preempted: true},
		// Never ran: the poll timeout.
		{Created: 50, FailedPoll: true},
	}
	got := waitByPath(jobs, 180)
	require.Len(t, got, 4)
	byPath := map[string]PathWaits{}
	for _, p := range got {
		byPath[p.Path] = p
	}
	assert.Equal(t, []string{PathRoom, PathPreempted, PathNewNode, PathNeverRan},
		[]string{got[0].Path, got[1].Path, got[2].Path, got[3].Path}, "the report's order")

	room := byPath[PathRoom]
	assert.Equal(t, 2, room.Jobs)
	assert.InDelta(t, 21.5, room.Wait.Max, 1e-9, "the pull is part of the wait")
	assert.InDelta(t, 1.0, room.BindP95, 1e-9)
	assert.InDelta(t, 0.5, room.StartP95, 1e-9)
	assert.InDelta(t, 20, room.PullP95, 1e-9)

	assert.Equal(t, 1, byPath[PathPreempted].Jobs)
	assert.InDelta(t, 3.5, byPath[PathPreempted].Wait.P95, 1e-9)
	assert.InDelta(t, 45, byPath[PathNewNode].BindP95, 1e-9)
	assert.InDelta(t, 180, byPath[PathNeverRan].Wait.P50, 1e-9, "a job that never ran waited the poll timeout")
	assert.Zero(t, byPath[PathNeverRan].BindP95)
}

func TestWaitByPathLeavesOutUntakenPaths(t *testing.T) {
	got := waitByPath([]JobResult{{Created: 1, Bound: at(2), Running: at(3)}}, 180)
	require.Len(t, got, 1)
	assert.Equal(t, PathRoom, got[0].Path)
	assert.Empty(t, waitByPath(nil, 180))
}

package main

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParseFlagsModes(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
		want []string
	}{
		{"the default mode", nil, []string{"jobfit"}},
		{"one mode", []string{"--mode", "reactive-binpack"}, []string{"reactive-binpack"}},
		{"compare is all three", []string{"--compare"}, []string{"reactive", "reactive-binpack", "jobfit"}},
		{"a list, in its order", []string{"--modes", "jobfit,reactive"}, []string{"jobfit", "reactive"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o, err := parseFlags(append([]string{"--sample"}, tc.args...))
			require.NoError(t, err)
			assert.Equal(t, tc.want, o.modes())
		})
	}
}

func TestParseFlagsWindowsAndShapes(t *testing.T) {
	o, err := parseFlags([]string{"--sample", "--sample-shape", "day", "--compare", "--kill-scheduler", "10m+2m", "--pull", "0"})
	require.NoError(t, err)
	assert.Equal(t, "day", o.SampleShape)
	assert.Equal(t, 10*time.Minute, o.killStart)
	assert.Equal(t, 2*time.Minute, o.killLength)
	assert.Zero(t, o.Pull)

	o, err = parseFlags([]string{"--sample"})
	require.NoError(t, err)
	assert.Equal(t, "morning", o.SampleShape, "the morning by default, so earlier figures stay comparable")
	assert.Equal(t, 20*time.Second, o.Pull)
	assert.Zero(t, o.SampleLength, "the shape's own length")
}

func TestParseFlagsRejects(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"an unknown mode", []string{"--mode", "fast"}, `mode "fast"`},
		{"an unknown mode in a list", []string{"--modes", "reactive,binpack"}, `mode "binpack"`},
		{"a mode twice", []string{"--modes", "jobfit,jobfit"}, "jobfit twice"},
		{"compare and a list", []string{"--compare", "--modes", "jobfit"}, "--compare and --modes"},
		{"a kill without the packing scheduler", []string{"--mode", "reactive", "--kill-scheduler", "1m+1m"}, "no mode of reactive runs the packing scheduler"},
		{"a kill window without a length", []string{"--kill-scheduler", "1m"}, "--kill-scheduler"},
		{"a kill window of no length", []string{"--kill-scheduler", "1m+0s"}, "--kill-scheduler"},
		{"a negative pull", []string{"--pull", "-1s"}, "--pull"},
		{"an unknown shape", []string{"--sample-shape", "week"}, `--sample-shape "week"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := parseFlags(append([]string{"--sample"}, tc.args...))
			assert.ErrorContains(t, err, tc.want)
		})
	}
}

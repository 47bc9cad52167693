package app

import (
	"bytes"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"k8s.io/cli-runtime/pkg/genericiooptions"

	"jobfit.dev/jobfit/policy"
)

func TestDifferences(t *testing.T) {
	d := func(m, v string) policy.Decision { return policy.Decision{Mutation: m, Value: v} }
	cases := []struct {
		name         string
		applied, now []policy.Decision
		want         []Difference
	}{
		{"same", []policy.Decision{d("arch", "arm64")}, []policy.Decision{d("arch", "arm64")}, nil},
		{"changed value", []policy.Decision{d("capacity", "spot")}, []policy.Decision{d("capacity", "on-demand")},
			[]Difference{{Mutation: "capacity", Applied: "spot", Today: "on-demand"}}},
		{"per container, order ignored", []policy.Decision{d("resources", "build"), d("resources", "helper")},
			[]policy.Decision{d("resources", "helper"), d("resources", "build")}, nil},
		{"new and dropped mutations", []policy.Decision{d("cache", "gitlab-cache-arm64")}, []policy.Decision{d("labels", "gitlab-role")},
			[]Difference{{Mutation: "cache", Applied: "gitlab-cache-arm64"}, {Mutation: "labels", Today: "gitlab-role"}}},
		{"gaps filled at admission", []policy.Decision{d("labels", "gitlab-role=runner"), d("resources", "build: cpu=500m")}, nil, nil},
		{"Fargate profile label set at admission", []policy.Decision{d("fargate-profile", "eks.amazonaws.com/fargate-profile=ci")}, nil, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.want, differences(tc.applied, tc.now))
		})
	}
}

func TestFlags(t *testing.T) {
	cases := []struct {
		name    string
		args    []string
		wantErr string
	}{
		{"bad output", []string{"status", "-o", "table"}, `--output "table": must be yaml or json`},
		{"explain needs a pod", []string{"explain"}, "accepts 1 arg(s), received 0"},
		{"status takes no pod", []string{"status", "x"}, "unknown command"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var out bytes.Buffer
			cmd := NewCommand(genericiooptions.IOStreams{In: &bytes.Buffer{}, Out: &out, ErrOut: &out})
			cmd.SetArgs(tc.args)
			require.ErrorContains(t, cmd.Execute(), tc.wantErr)
		})
	}
}

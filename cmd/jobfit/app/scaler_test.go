package app

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestScalerFlags(t *testing.T) {
	cases := []struct {
		name    string
		args    []string
		env     string
		want    ScalerOptions
		wantErr string
	}{
		{"defaults", nil, "", ScalerOptions{Namespace: "jobfit-system", LeaderElect: true, LeaderElectionID: "jobfit-scaler",
			MetricsBindAddress: ":8080", HealthProbeBindAddress: ":8081", SyncPeriod: 30 * time.Second}, ""},
		{"namespace from POD_NAMESPACE", nil, "ci-tools", ScalerOptions{Namespace: "ci-tools", LeaderElect: true, LeaderElectionID: "jobfit-scaler",
			MetricsBindAddress: ":8080", HealthProbeBindAddress: ":8081", SyncPeriod: 30 * time.Second}, ""},
		{"every flag", []string{"--namespace=ops", "--leader-elect=false", "--leader-election-id=x", "--metrics-bind-address=0",
			"--health-probe-bind-address=:9", "--policy-configmap=my-scaler", "--sync-period=10s"}, "",
			ScalerOptions{Namespace: "ops", LeaderElect: false, LeaderElectionID: "x", MetricsBindAddress: "0",
				HealthProbeBindAddress: ":9", PolicyConfigMap: "my-scaler", SyncPeriod: 10 * time.Second}, ""},
		{"empty namespace", []string{"--namespace="}, "", ScalerOptions{}, "--namespace must not be empty"},
		{"tiny sync period", []string{"--sync-period=10ms"}, "", ScalerOptions{}, "--sync-period must be at least 1s"},
		{"leader election without id", []string{"--leader-election-id="}, "", ScalerOptions{}, "--leader-election-id must not be empty"},
		{"no arguments", []string{"extra"}, "", ScalerOptions{}, "unknown command"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv("POD_NAMESPACE", tc.env)
			var got *ScalerOptions
			cmd := newScalerCommand(func(_ context.Context, o *ScalerOptions) error { got = o; return nil })
			cmd.SetArgs(tc.args)
			cmd.SilenceErrors, cmd.SilenceUsage = true, true
			err := cmd.ExecuteContext(context.Background())
			if tc.wantErr != "" {
				require.ErrorContains(t, err, tc.wantErr)
				assert.Nil(t, got, "run must not be called")
				return
			}
			require.NoError(t, err)
			require.NotNil(t, got)
			assert.Equal(t, tc.want, *got)
		})
	}
}

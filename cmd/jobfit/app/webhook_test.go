package app

import (
	"bytes"
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestWebhookFlags(t *testing.T) {
	defaults := WebhookOptions{
		Namespace:              "jobfit-system",
		Port:                   9443,
		CertDir:                "/tmp/k8s-webhook-server/serving-certs",
		TLSMode:                "self-managed",
		MetricsBindAddress:     ":8080",
		HealthProbeBindAddress: ":8081",
		WebhookConfigName:      "jobfit",
		ServiceName:            "jobfit-webhook",
	}
	with := func(f func(*WebhookOptions)) WebhookOptions { o := defaults; f(&o); return o }
	cases := []struct {
		name         string
		podNamespace string
		args         []string
		want         WebhookOptions
		wantErr      []string
	}{
		{name: "defaults", want: defaults},
		{name: "namespace from POD_NAMESPACE", podNamespace: "ci-platform",
			want: with(func(o *WebhookOptions) { o.Namespace = "ci-platform" })},
		{name: "flag beats POD_NAMESPACE", podNamespace: "ci-platform", args: []string{"--namespace", "jobfit"},
			want: with(func(o *WebhookOptions) { o.Namespace = "jobfit" })},
		{name: "cert-manager mode", args: []string{"--tls-mode", "cert-manager", "--cert-dir", "/certs", "--port", "10250", "--metrics-bind-address", "0"},
			want: with(func(o *WebhookOptions) {
				o.TLSMode, o.CertDir, o.Port, o.MetricsBindAddress = "cert-manager", "/certs", 10250, "0"
			})},
		{name: "unknown TLS mode", args: []string{"--tls-mode", "vault"}, wantErr: []string{`--tls-mode "vault": must be self-managed or cert-manager`}},
		{name: "port out of range", args: []string{"--port", "70000"}, wantErr: []string{"--port 70000"}},
		{name: "bad namespace", args: []string{"--namespace", "Jobfit_System"}, wantErr: []string{`--namespace "Jobfit_System"`}},
		{name: "bad bind address", args: []string{"--health-probe-bind-address", "8081"}, wantErr: []string{`--health-probe-bind-address "8081": must be host:port`}},
		{name: "every error at once", args: []string{"--cert-dir", "", "--service-name", "Web Hook", "--webhook-config-name", ""},
			wantErr: []string{"--cert-dir", `--service-name "Web Hook"`, `--webhook-config-name ""`}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv("POD_NAMESPACE", tc.podNamespace)
			var got *WebhookOptions
			cmd := newWebhookCommand(func(_ context.Context, o *WebhookOptions) error { got = o; return nil })
			cmd.SetArgs(tc.args)
			cmd.SetOut(&bytes.Buffer{})
			cmd.SetErr(&bytes.Buffer{})
			err := cmd.ExecuteContext(context.Background())
			if len(tc.wantErr) > 0 {
				require.Error(t, err)
				for _, want := range tc.wantErr {
					assert.Contains(t, err.Error(), want)
				}
				assert.Nil(t, got, "run must not be called")
				return
			}
			require.NoError(t, err)
			require.NotNil(t, got)
			assert.Equal(t, tc.want, *got)
		})
	}
}

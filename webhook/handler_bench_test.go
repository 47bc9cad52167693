package webhook

import (
	"context"
	"testing"
)

// BenchmarkHandle measures one admission of a GitLab Runner 18.11 job pod,
// from the decoded request to the patch (figures in docs/performance.md).
func BenchmarkHandle(b *testing.B) {
	t := &testing.T{}
	h := NewHandler(&staticSource{eff: Effective{Policy: loadPolicy(t)}, ok: true})
	req := createRequest(t, readPod(t, "job-pod-v18.11.yaml"), "gitlab-runner")
	b.ReportAllocs()
	for b.Loop() {
		if resp := h.Handle(context.Background(), req); len(resp.Patches) == 0 {
			b.Fatal("no patch")
		}
	}
}

package webhook

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"testing"

	"sigs.k8s.io/controller-runtime/pkg/webhook/admission"

	"jobfit.dev/jobfit/policy"
	"jobfit.dev/jobfit/test/corpus"
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

// BenchmarkServeHTTP measures what the webhook server does for one
// AdmissionReview body, without TLS: the review is decoded, the handler
// runs, and the response review is encoded.
func BenchmarkServeHTTP(b *testing.B) {
	t := &testing.T{}
	wh := NewReviewHandler(&admission.Webhook{Handler: NewHandler(&staticSource{eff: Effective{Policy: loadPolicy(t)}, ok: true})})
	body := reviewBody(t, createRequest(t, readPod(t, "job-pod-v18.11.yaml"), "gitlab-runner"))
	b.ReportAllocs()
	b.SetBytes(int64(len(body)))
	for b.Loop() {
		r := httptest.NewRequest(http.MethodPost, Path, bytes.NewReader(body))
		r.Header.Set("Content-Type", "application/json")
		w := httptest.NewRecorder()
		wh.ServeHTTP(w, r)
		if w.Code != http.StatusOK || !bytes.Contains(w.Body.Bytes(), []byte(`"patch"`)) {
			b.Fatalf("status %d: %s", w.Code, w.Body.String())
		}
	}
}

// BenchmarkHandleFromImages measures BenchmarkHandle's admission with the
// shipped eks-karpenter policy (arch.fromImages off) and its
// graviton-first variant (on) with the pod's images in the cache, for a
// job that names no arch.
func BenchmarkHandleFromImages(b *testing.B) {
	t := &testing.T{}
	pod := readPod(t, "job-pod-v18.11.yaml")
	for i := range pod.Spec.Containers {
		for k, e := range pod.Spec.Containers[i].Env {
			if e.Name == "CI_RUNNER_TAGS" {
				pod.Spec.Containers[i].Env[k].Value = `["kubernetes"]`
			}
		}
	}
	req := createRequest(t, pod, "gitlab-runner")
	both := []string{"linux/amd64", "linux/arm64/v8"}
	images := policy.ImagePlatforms{"node:20": both, "postgres:16": both}
	for _, bc := range []struct{ name, file string }{
		{"off", clusterPolicyFile},
		{"on", "../manifests/examples/policies/eks-karpenter-graviton-first.yaml"},
	} {
		h := NewHandler(&staticSource{eff: Effective{Policy: corpus.LoadPolicy(t, bc.file), Images: images}, ok: true})
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if resp := h.Handle(context.Background(), req); len(resp.Patches) == 0 {
					b.Fatal("no patch")
				}
			}
		})
	}
}

package webhook

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	admissionv1 "k8s.io/api/admission/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/webhook/admission"

	"jobfit.dev/jobfit/policy"
	"jobfit.dev/jobfit/policy/api/v1alpha1"
)

func TestHandlerMutatesJobPods(t *testing.T) {
	p := loadPolicy(t)
	degraded := v1alpha1.CapacityStatus{Degraded: []v1alpha1.DegradedCapacity{{Arch: "arm64", CapacityType: v1alpha1.CapacitySpot}}}
	tests := []struct {
		name         string
		pod          func(*corev1.Pod)
		status       v1alpha1.CapacityStatus
		dryRun       bool
		wantCapacity string
	}{
		{name: "runner 18.11 job pod", wantCapacity: "spot"},
		{name: "object without namespace takes the request's", pod: func(p *corev1.Pod) { p.Namespace = "" }, wantCapacity: "spot"},
		{name: "arm64 spot degraded goes on-demand", status: degraded, wantCapacity: "on-demand"},
		{name: "server-side dry run", dryRun: true, wantCapacity: "spot"},
		{name: "managed fields are left alone", pod: func(p *corev1.Pod) {
			p.ManagedFields = []metav1.ManagedFieldsEntry{{Manager: "gitlab-runner", Operation: metav1.ManagedFieldsOperationUpdate, APIVersion: "v1"}}
		}, wantCapacity: "spot"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pod := readPod(t, "job-pod-v18.11.yaml")
			if tt.pod != nil {
				tt.pod(pod)
			}
			src := &staticSource{eff: Effective{Policy: p, Status: tt.status}, ok: true}
			req := createRequest(t, pod, "gitlab-runner")
			req.DryRun = ptr.To(tt.dryRun)
			before := testutil.ToFloat64(admissionRequests.WithLabelValues(ResultMutated))
			archBefore := testutil.ToFloat64(mutations.WithLabelValues(policy.MutArch))

			resp := NewHandler(src).Handle(context.Background(), req)

			require.True(t, resp.Allowed)
			require.NotEmpty(t, resp.Patches)
			for _, op := range resp.Patches {
				assert.NotContains(t, op.Path, "managedFields")
				assert.NotEqual(t, "/metadata/namespace", op.Path)
			}
			got := patched(t, req, resp)
			assert.Equal(t, "arm64", got.Spec.NodeSelector[v1alpha1.LabelArch], "arch from the runner's tags")
			assert.Equal(t, tt.wantCapacity, got.Spec.NodeSelector[v1alpha1.LabelCapacityType])
			assert.True(t, strings.HasSuffix(got.Spec.Containers[1].Image, ":arm64-v18.11.4"), "helper image %s", got.Spec.Containers[1].Image)
			assert.Contains(t, got.Annotations, v1alpha1.AppliedAnnotation)
			assert.Equal(t, pod.ManagedFields, got.ManagedFields)
			assert.Equal(t, []string{"gitlab-runner"}, src.asked)
			assert.Equal(t, before+1, testutil.ToFloat64(admissionRequests.WithLabelValues(ResultMutated)))
			assert.Equal(t, archBefore+1, testutil.ToFloat64(mutations.WithLabelValues(policy.MutArch)))
		})
	}
}

func TestHandlerLeavesPodsAlone(t *testing.T) {
	p := loadPolicy(t)
	mutatedPod := func(t *testing.T) *corev1.Pod {
		out, _ := policy.Apply(readPod(t, "job-pod-v18.11.yaml"), p, v1alpha1.CapacityStatus{})
		return out
	}
	tests := []struct {
		name       string
		req        func(t *testing.T) admission.Request
		src        *staticSource
		wantResult string
		wantWarn   string
	}{
		{
			name: "a pause-pod label other than true is no pause pod",
			req: func(t *testing.T) admission.Request {
				pod := readPod(t, "runner-pause-pod.yaml")
				pod.Labels[v1alpha1.LabelPausePod] = "false"
				return createRequest(t, pod, "gitlab-runner")
			},
			wantResult: ResultSkipped,
		},
		{
			name:       "an already mutated pod is unchanged",
			req:        func(t *testing.T) admission.Request { return createRequest(t, mutatedPod(t), "gitlab-runner") },
			wantResult: ResultUnchanged,
		},
		{
			name: "updates are not mutated",
			req: func(t *testing.T) admission.Request {
				r := createRequest(t, readPod(t, "job-pod-v18.11.yaml"), "gitlab-runner")
				r.Operation = admissionv1.Update
				return r
			},
			wantResult: ResultSkipped,
		},
		{
			name: "no cluster policy loaded fails open",
			req: func(t *testing.T) admission.Request {
				return createRequest(t, readPod(t, "job-pod-v18.11.yaml"), "gitlab-runner")
			},
			src:        &staticSource{ok: false},
			wantResult: ResultError,
			wantWarn:   "no valid cluster policy loaded",
		},
		{
			name: "undecodable object fails open",
			req: func(t *testing.T) admission.Request {
				r := createRequest(t, readPod(t, "job-pod-v18.11.yaml"), "gitlab-runner")
				r.Object = runtime.RawExtension{Raw: []byte(`{"spec": "not an object"}`)}
				return r
			},
			wantResult: ResultError,
			wantWarn:   "decoding pod",
		},
		{
			name: "a panic fails open",
			req: func(t *testing.T) admission.Request {
				return createRequest(t, readPod(t, "job-pod-v18.11.yaml"), "gitlab-runner")
			},
			src:        &staticSource{panics: true},
			wantResult: ResultError,
			wantWarn:   "panic",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src := tt.src
			if src == nil {
				src = &staticSource{eff: Effective{Policy: p}, ok: true}
			}
			before := testutil.ToFloat64(admissionRequests.WithLabelValues(tt.wantResult))

			resp := NewHandler(src).Handle(context.Background(), tt.req(t))

			require.True(t, resp.Allowed, "jobfit never denies a pod")
			assert.Empty(t, resp.Patches)
			assert.Equal(t, before+1, testutil.ToFloat64(admissionRequests.WithLabelValues(tt.wantResult)))
			if tt.wantWarn != "" {
				require.Len(t, resp.Warnings, 1)
				assert.Contains(t, resp.Warnings[0], tt.wantWarn)
				assert.True(t, strings.HasPrefix(resp.Warnings[0], warningPrefix))
			}
		})
	}
}

func TestHandlerReturnsMergeWarnings(t *testing.T) {
	src := &staticSource{eff: Effective{Policy: loadPolicy(t), Warnings: []string{"resources.max.cpu=64 is above the cluster cap 8; the cluster cap applies"}}, ok: true}

	resp := NewHandler(src).Handle(context.Background(), createRequest(t, readPod(t, "job-pod-v18.11.yaml"), "gitlab-runner"))

	require.True(t, resp.Allowed)
	assert.Contains(t, resp.Warnings, warningPrefix+"resources.max.cpu=64 is above the cluster cap 8; the cluster cap applies")
}

// TestHandlerReportsRunnerPinConflicts: a runner that pins spot in its
// node_selector wins over the job's on-demand; the admission says so and
// jobfit_runner_pin_conflicts_total counts it once, not again on the
// reinvocation.
func TestHandlerReportsRunnerPinConflicts(t *testing.T) {
	src := &staticSource{eff: Effective{Policy: loadPolicy(t)}, ok: true}
	pod := readPod(t, "job-pod-v18.11.yaml")
	pod.Spec.NodeSelector = map[string]string{v1alpha1.LabelCapacityType: v1alpha1.CapacitySpot}
	pod.Spec.Containers[0].Env = append(pod.Spec.Containers[0].Env, corev1.EnvVar{Name: "JOBFIT_CAPACITY_TYPE", Value: "on-demand"})
	before := testutil.ToFloat64(runnerPinConflicts.WithLabelValues(policy.PinTraitCapacityType))

	req := createRequest(t, pod, "gitlab-runner")
	resp := NewHandler(src).Handle(context.Background(), req)

	require.True(t, resp.Allowed)
	got := patched(t, req, resp)
	assert.Equal(t, v1alpha1.CapacitySpot, got.Spec.NodeSelector[v1alpha1.LabelCapacityType], "the runner's pin wins")
	assert.Contains(t, resp.Warnings, warningPrefix+"runner pin nodeSelector karpenter.sh/capacity-type=spot kept; variable JOBFIT_CAPACITY_TYPE wanted on-demand (the runner's config wins: remove the pin from its config.toml to let jobfit choose)")
	assert.Equal(t, before+1, testutil.ToFloat64(runnerPinConflicts.WithLabelValues(policy.PinTraitCapacityType)))

	again := NewHandler(src).Handle(context.Background(), createRequest(t, got, "gitlab-runner"))
	require.True(t, again.Allowed)
	assert.Empty(t, again.Patches)
	assert.Equal(t, before+1, testutil.ToFloat64(runnerPinConflicts.WithLabelValues(policy.PinTraitCapacityType)), "a reinvocation is not a second conflict")
}

// TestHandlerPlacesInterruptedRetryOnDemand: the retry of a job the scaler
// lists as interrupted goes on-demand, and
// jobfit_interrupted_job_retries_total counts it once, not again on the
// reinvocation.
func TestHandlerPlacesInterruptedRetryOnDemand(t *testing.T) {
	at := time.Date(2026, 12, 7, 10, 42, 0, 0, time.UTC)
	status := v1alpha1.CapacityStatus{InterruptedJobs: []v1alpha1.InterruptedJob{{
		JobRef: v1alpha1.JobRef{Project: "4711", Pipeline: "55501", Job: "build:arm64"}, Arch: "arm64",
		CapacityType: v1alpha1.CapacitySpot, At: at, Until: at.Add(time.Hour),
	}}}
	src := &staticSource{eff: Effective{Policy: loadPolicy(t), Status: status}, ok: true}
	pod := readPod(t, "job-pod-v18.11.yaml")
	counter := func() float64 {
		return testutil.ToFloat64(interruptedRetries.WithLabelValues("arm64", v1alpha1.CapacityOnDemand))
	}
	before := counter()

	req := createRequest(t, pod, "gitlab-runner")
	resp := NewHandler(src).Handle(context.Background(), req)

	require.True(t, resp.Allowed)
	got := patched(t, req, resp)
	assert.Equal(t, v1alpha1.CapacityOnDemand, got.Spec.NodeSelector[v1alpha1.LabelCapacityType])
	assert.Equal(t, before+1, counter())

	again := NewHandler(src).Handle(context.Background(), createRequest(t, got, "gitlab-runner"))
	require.True(t, again.Allowed)
	assert.Empty(t, again.Patches)
	assert.Equal(t, before+1, counter(), "a reinvocation is not a second retry")
}

// TestHandlerPlacesPausePods: a GitLab Runner pause pod is placed from its
// runner's job mix, drawn with the request's UID, and its container is
// left as the runner wrote it.
func TestHandlerPlacesPausePods(t *testing.T) {
	status := v1alpha1.CapacityStatus{RunnerMixes: []v1alpha1.RunnerMix{{Runner: "Zx8kQw2Nv", Jobs: []v1alpha1.MixCell{
		{Arch: "arm64", CapacityType: v1alpha1.CapacitySpot, Percent: 1}, {Arch: "amd64", CapacityType: v1alpha1.CapacityOnDemand, Percent: 1},
	}}}}
	src := &staticSource{eff: Effective{Policy: loadPolicy(t), Status: status}, ok: true}
	placed := map[string]int{}
	for i := range 40 {
		pod := readPod(t, "runner-pause-pod.yaml")
		req := createRequest(t, pod, "gitlab-runner")
		req.UID = types.UID(fmt.Sprintf("5d3c7a1e-0b2f-4c8d-9e6a-%012d", i))
		resp := NewHandler(src).Handle(context.Background(), req)
		require.True(t, resp.Allowed)
		got := patched(t, req, resp)
		assert.Equal(t, pod.Spec.Containers, got.Spec.Containers, "the pause container is never changed")
		placed[got.Spec.NodeSelector[v1alpha1.LabelArch]+"/"+got.Spec.NodeSelector[v1alpha1.LabelCapacityType]]++
	}
	assert.Len(t, placed, 2, "pause pods spread over the runner's mix: %v", placed)
	assert.Positive(t, placed["arm64/spot"])
	assert.Positive(t, placed["amd64/on-demand"])
}

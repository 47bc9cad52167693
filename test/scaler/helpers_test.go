package scaler_test

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	awsv1 "github.com/aws/karpenter-provider-aws/pkg/apis/v1"
	"github.com/awslabs/operatorpkg/status"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	eventsv1 "k8s.io/api/events/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/util/rand"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/events"
	clocktesting "k8s.io/utils/clock/testing"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"
	karpv1 "sigs.k8s.io/karpenter/pkg/apis/v1"

	"jobfit.dev/jobfit/hack/stack"
	"jobfit.dev/jobfit/policy/api/v1alpha1"
	"jobfit.dev/jobfit/scaler/config"
	fallbackcontroller "jobfit.dev/jobfit/scaler/controllers/fallback"
	"jobfit.dev/jobfit/scaler/controllers/headroom"
	"jobfit.dev/jobfit/scaler/controllers/nodepool"
	"jobfit.dev/jobfit/scaler/fallback"
	"jobfit.dev/jobfit/scaler/metrics"
)

const examplesDir = "../../manifests/examples/karpenter"

// applyExamples (re)creates the example EC2NodeClass and NodePools as the
// platform team would, plus a label another user adds to ci-on-demand.
func applyExamples(ctx context.Context, t *testing.T) {
	t.Helper()
	require.NoError(t, k8s.DeleteAllOf(ctx, &karpv1.NodePool{}))
	require.Eventually(t, func() bool {
		var list karpv1.NodePoolList
		return k8s.List(ctx, &list) == nil && len(list.Items) == 0
	}, 10*time.Second, 50*time.Millisecond)
	files, err := filepath.Glob(filepath.Join(examplesDir, "*.yaml"))
	require.NoError(t, err)
	n := 0
	for _, f := range files {
		if filepath.Base(f) == "kustomization.yaml" {
			continue
		}
		for _, u := range readObjects(t, f) {
			require.NoError(t, k8s.Apply(ctx, client.ApplyConfigurationFromUnstructured(u), client.FieldOwner("platform-team"), client.ForceOwnership),
				"applying %s from %s", u.GetName(), f)
			n++
		}
	}
	require.Equal(t, 3, n, "the examples hold an EC2NodeClass and two NodePools")
	setNodeClassReady(ctx, t, exampleNodeClass, metav1.ConditionTrue, "Ready", "")
	label := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "karpenter.sh/v1", "kind": "NodePool",
		"metadata": map[string]any{"name": "ci-on-demand", "labels": map[string]any{"finops.example.com/cost-center": "ci"}},
	}}
	require.NoError(t, k8s.Apply(ctx, client.ApplyConfigurationFromUnstructured(label), client.FieldOwner("finops-bot")))
}

// exampleNodeClass is the EC2NodeClass of the example NodePools.
const exampleNodeClass = "ci"

// setNodeClassReady sets the Ready condition of an EC2NodeClass for its
// current generation, as the AWS provider's controller does.
func setNodeClassReady(ctx context.Context, t *testing.T, name string, s metav1.ConditionStatus, reason, message string) {
	t.Helper()
	nc := &awsv1.EC2NodeClass{}
	require.NoError(t, k8s.Get(ctx, client.ObjectKey{Name: name}, nc))
	nc.Status.Conditions = []status.Condition{{Type: status.ConditionReady, Status: s, Reason: reason, Message: message,
		ObservedGeneration: nc.Generation, LastTransitionTime: metav1.Now()}}
	require.NoError(t, k8s.Status().Update(ctx, nc))
}

func readObjects(t *testing.T, path string) []*unstructured.Unstructured {
	t.Helper()
	objs, err := stack.ReadObjects(path)
	require.NoError(t, err)
	return objs
}

// harness holds directly-called controllers sharing one fake clock.
type harness struct {
	ns, ciNS string
	clock    *clocktesting.FakeClock
	store    *config.Store
	metrics  *metrics.Metrics
	fallback *fallbackcontroller.Controller
	nodePool *nodepool.Controller
	headroom *headroom.Controller
}

func newHarness(ctx context.Context, t *testing.T, policyYAML string) *harness {
	t.Helper()
	h := &harness{ns: "jobfit-" + rand.String(5), ciNS: "ci-" + rand.String(5), clock: clocktesting.NewFakeClock(time.Now().Truncate(time.Second))}
	for _, ns := range []string{h.ns, h.ciNS} {
		require.NoError(t, k8s.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}))
		// envtest runs no namespace controller: remove the pods so that the
		// next test starts without demand.
		t.Cleanup(func() {
			require.NoError(t, k8s.DeleteAllOf(context.Background(), &corev1.Pod{}, client.InNamespace(ns), client.GracePeriodSeconds(0)))
		})
	}
	// The headroom PriorityClass ships with the manifests; the scaler does
	// not create it.
	for _, u := range readObjects(t, "../../manifests/base/headroom/priorityclass.yaml") {
		require.NoError(t, k8s.Apply(ctx, client.ApplyConfigurationFromUnstructured(u), client.FieldOwner("kubectl"), client.ForceOwnership))
	}
	cs, err := kubernetes.NewForConfig(cfg)
	require.NoError(t, err)
	broadcaster := events.NewBroadcaster(&events.EventSinkImpl{Interface: cs.EventsV1()})
	stop := make(chan struct{})
	require.NoError(t, broadcaster.StartRecordingToSinkWithContext(ctx))
	t.Cleanup(func() { close(stop); broadcaster.Shutdown() })
	recorder := broadcaster.NewRecorder(scheme, v1alpha1.ScalerFieldManager)
	h.store = &config.Store{}
	h.setPolicy(t, policyYAML)
	h.metrics = metrics.New(prometheus.NewRegistry())
	fb := &fallback.Latest{}
	period := 30 * time.Second
	h.fallback = fallbackcontroller.NewController(h.clock, k8s, h.store, fb, recorder, h.metrics, h.ns, period)
	h.nodePool = nodepool.NewController(h.clock, k8s, h.store, fb, recorder, h.metrics, period)
	h.headroom = headroom.NewController(h.clock, k8s, k8s, h.store, fb, recorder, h.metrics, h.ns, period)
	return h
}

func (h *harness) setPolicy(t *testing.T, doc string) {
	t.Helper()
	p, errs := config.Load([]byte(doc))
	require.Empty(t, errs)
	h.store.Set(p)
}

// pass runs one planning pass: the fallback, then every NodePool.
func (h *harness) pass(ctx context.Context, t *testing.T) {
	t.Helper()
	_, err := h.fallback.Reconcile(ctx, reconcile.Request{})
	require.NoError(t, err)
	var list karpv1.NodePoolList
	require.NoError(t, k8s.List(ctx, &list))
	for i := range list.Items {
		_, err := h.nodePool.Reconcile(ctx, &list.Items[i])
		require.NoError(t, err)
	}
}

func (h *harness) reconcileHeadroom(ctx context.Context, t *testing.T) {
	t.Helper()
	_, err := h.headroom.Reconcile(ctx, reconcile.Request{})
	require.NoError(t, err)
}

// jobPod creates a GitLab job pod pinned to arch and capacity type.
func (h *harness) jobPod(ctx context.Context, t *testing.T, arch, capacityType, cpu string) *corev1.Pod {
	t.Helper()
	pod := h.newJobPod(arch, capacityType, cpu)
	require.NoError(t, k8s.Create(ctx, pod))
	return pod
}

// newJobPod is the GitLab job pod jobPod creates, not yet created.
func (h *harness) newJobPod(arch, capacityType, cpu string) *corev1.Pod {
	return &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{GenerateName: "runner-abc123-project-1-concurrent-", Namespace: h.ciNS,
			Labels:      map[string]string{"job.runner.gitlab.com/pod": "runner-abc123-project-1-concurrent-0"},
			Annotations: map[string]string{"job.runner.gitlab.com/id": "4242"}},
		Spec: corev1.PodSpec{
			NodeSelector: map[string]string{v1alpha1.LabelArch: arch, v1alpha1.LabelCapacityType: capacityType},
			Tolerations:  []corev1.Toleration{{Key: "ci.example.com/runner", Operator: corev1.TolerationOpEqual, Value: "true", Effect: corev1.TaintEffectNoSchedule}},
			Containers: []corev1.Container{
				{Name: "build", Image: "alpine", Env: []corev1.EnvVar{{Name: "CI_JOB_ID", Value: "4242"}},
					Resources: corev1.ResourceRequirements{Requests: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse(cpu), corev1.ResourceMemory: resource.MustParse("2Gi")}}},
				{Name: "helper", Image: "registry.gitlab.com/gitlab-org/gitlab-runner/gitlab-runner-helper:" + helperArch(arch) + "-v18.11.0"},
			},
		},
	}
}

func helperArch(arch string) string {
	if arch == "amd64" {
		return "x86_64"
	}
	return arch
}

// unschedulable marks pod PodScheduled=False/Unschedulable since at, as the
// scheduler would.
func unschedulable(ctx context.Context, t *testing.T, pod *corev1.Pod, at time.Time) {
	t.Helper()
	pod.Status.Phase = corev1.PodPending
	pod.Status.Conditions = []corev1.PodCondition{{Type: corev1.PodScheduled, Status: corev1.ConditionFalse,
		Reason: corev1.PodReasonUnschedulable, Message: "0/0 nodes are available", LastTransitionTime: metav1.NewTime(at)}}
	require.NoError(t, k8s.Status().Update(ctx, pod))
}

// running marks pod as bound and running.
func running(ctx context.Context, t *testing.T, pod *corev1.Pod) {
	t.Helper()
	pod.Status.Phase = corev1.PodRunning
	require.NoError(t, k8s.Status().Update(ctx, pod))
}

func nodePool(ctx context.Context, t *testing.T, name string) *karpv1.NodePool {
	t.Helper()
	np := &karpv1.NodePool{}
	require.NoError(t, k8s.Get(ctx, client.ObjectKey{Name: name}, np))
	return np
}

func weight(ctx context.Context, t *testing.T, name string) int32 {
	t.Helper()
	w := nodePool(ctx, t, name).Spec.Weight
	require.NotNil(t, w)
	return *w
}

func capacityStatus(ctx context.Context, t *testing.T, ns string) (v1alpha1.CapacityStatus, bool) {
	t.Helper()
	var cm corev1.ConfigMap
	if err := k8s.Get(ctx, client.ObjectKey{Namespace: ns, Name: v1alpha1.CapacityStatusName}, &cm); err != nil {
		require.True(t, client.IgnoreNotFound(err) == nil, "reading capacity status: %v", err)
		return v1alpha1.CapacityStatus{}, false
	}
	st, err := v1alpha1.ParseCapacityStatus([]byte(cm.Data[v1alpha1.CapacityStatusKey]))
	require.NoError(t, err)
	return st, true
}

// eventually waits for an Event with reason about the object name whose
// note contains text.
func assertEvent(ctx context.Context, t *testing.T, name, reason, text string) {
	t.Helper()
	assert.Eventually(t, func() bool {
		var list eventsv1.EventList
		if err := k8s.List(ctx, &list); err != nil {
			return false
		}
		for _, e := range list.Items {
			if e.Regarding.Name == name && e.Reason == reason && strings.Contains(e.Note, text) {
				return true
			}
		}
		return false
	}, 10*time.Second, 50*time.Millisecond, "event %s on %s containing %q", reason, name, text)
}

func cpu(ctx context.Context, t *testing.T, name string) string {
	t.Helper()
	q := nodePool(ctx, t, name).Spec.Limits[corev1.ResourceCPU]
	return fmt.Sprint(q.Value())
}

func fmtPolicy(format string, args ...any) string { return fmt.Sprintf(format, args...) }

type corev1Pod = corev1.Pod

// ciPoolsPolicy begins a ScalerPolicy document that lists the shipped
// example pools, ci-spot and ci-on-demand; a test appends its own fields.
const ciPoolsPolicy = `apiVersion: jobfit.dev/v1alpha1
kind: ScalerPolicy
nodePools:
- {name: ci-spot, role: spot}
- {name: ci-on-demand, role: on-demand, weight: 10}
`

package scaler_test

import (
	"fmt"
	"os"
	"runtime"
	"testing"
	"time"

	awsv1 "github.com/aws/karpenter-provider-aws/pkg/apis/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/tools/cache"
	karpv1 "sigs.k8s.io/karpenter/pkg/apis/v1"
	"sigs.k8s.io/yaml"

	"jobfit.dev/jobfit/policy/api/v1alpha1"
	"jobfit.dev/jobfit/scaler"
	"jobfit.dev/jobfit/scaler/fallback"
	"jobfit.dev/jobfit/scaler/headroom"
	"jobfit.dev/jobfit/scaler/limits"
	"jobfit.dev/jobfit/scaler/pressure"
)

var benchNow = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

func benchPools() []*karpv1.NodePool {
	var out []*karpv1.NodePool
	for i, ct := range []string{"spot", "on-demand", "spot", "on-demand"} {
		w := int32(100 - 10*i)
		np := &karpv1.NodePool{ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("ci-%s-%d", ct, i)}, Spec: karpv1.NodePoolSpec{Weight: &w,
			Template: karpv1.NodeClaimTemplate{Spec: karpv1.NodeClaimTemplateSpec{
				Taints: []corev1.Taint{{Key: "ci.example.com/runner", Value: "true", Effect: corev1.TaintEffectNoSchedule}},
				Requirements: []karpv1.NodeSelectorRequirementWithMinValues{
					{Key: corev1.LabelArchStable, Operator: corev1.NodeSelectorOpIn, Values: []string{"amd64", "arm64"}},
					{Key: karpv1.CapacityTypeLabelKey, Operator: corev1.NodeSelectorOpIn, Values: []string{ct}},
					{Key: awsv1.LabelInstanceCategory, Operator: corev1.NodeSelectorOpIn, Values: []string{"c", "m", "r"}},
				}}}}}
		out = append(out, np)
	}
	return out
}

// benchPods returns n job pods: two arches, both capacity types, a third
// pending (some unschedulable), the rest running.
func benchPods(n int) []*corev1.Pod {
	pods := make([]*corev1.Pod, n)
	for i := range pods {
		arch, ct := []string{"amd64", "arm64"}[i%2], []string{"spot", "on-demand", "spot"}[i%3]
		p := &corev1.Pod{
			ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("runner-x-project-%d-concurrent-0", i), Namespace: "ci", UID: types.UID(fmt.Sprint(i)),
				CreationTimestamp: metav1.NewTime(benchNow.Add(-time.Duration(i%600) * time.Second)),
				Annotations:       map[string]string{v1alpha1.AnnotationJobID: fmt.Sprint(i)}},
			Spec: corev1.PodSpec{
				NodeSelector: map[string]string{v1alpha1.LabelArch: arch, v1alpha1.LabelCapacityType: ct, v1alpha1.LabelOS: "linux"},
				Tolerations:  []corev1.Toleration{{Key: "ci.example.com/runner", Operator: corev1.TolerationOpEqual, Value: "true", Effect: corev1.TaintEffectNoSchedule}},
				Containers: []corev1.Container{{Name: "build", Resources: corev1.ResourceRequirements{Requests: corev1.ResourceList{
					corev1.ResourceCPU: resource.MustParse("2"), corev1.ResourceMemory: resource.MustParse("4Gi")}}}, {Name: "helper"}},
			},
			Status: corev1.PodStatus{Phase: corev1.PodRunning},
		}
		if i%3 == 0 {
			p.Status.Phase = corev1.PodPending
			if i%2 == 0 {
				p.Status.Conditions = []corev1.PodCondition{{Type: corev1.PodScheduled, Status: corev1.ConditionFalse,
					Reason: corev1.PodReasonUnschedulable, LastTransitionTime: p.CreationTimestamp}}
			}
		} else {
			p.Spec.NodeName = "node"
		}
		pods[i] = p
	}
	return pods
}

// BenchmarkPlanningPass is one full planning pass over 10,000 job pods and
// four NodePools: the pressure model, the fallback, limits for every pool
// and the headroom count for both arches.
func BenchmarkPlanningPass(b *testing.B) {
	pods, pools := benchPods(10_000), benchPools()
	p := &v1alpha1.ScalerPolicy{Headroom: v1alpha1.HeadroomPolicy{PerArch: map[string]v1alpha1.ArchHeadroom{"amd64": {Max: 10}, "arm64": {Max: 10}}}}
	p.SetDefaults()
	rng := v1alpha1.LimitRange{Ceiling: map[corev1.ResourceName]v1alpha1.Quantity{corev1.ResourceCPU: v1alpha1.MustQuantity("2000"), corev1.ResourceMemory: v1alpha1.MustQuantity("8000Gi")}}
	hist := headroom.NewHistory()
	b.ReportAllocs()
	for b.Loop() {
		snap := pressure.Build(benchNow, pods, pools)
		st := fallback.Next(p.Fallback, fallback.State{}, snap, nil)
		for _, np := range pools {
			d := snap.Pool(np.Name)
			limits.Plan(rng, time.Hour, limits.Input{PendingMilliCPU: d.PendingMilliCPU, PendingMemory: d.PendingMemory, LastBusy: benchNow}, benchNow)
		}
		for arch, cfg := range p.Headroom.PerArch {
			hist.Add(arch, headroom.Sample{At: benchNow, Demand: snap.Concurrent(arch)}, time.Hour)
			headroom.Count(cfg, hist.Quantile(arch, cfg.Quantile), benchNow)
		}
		if !st.AnyDegraded() {
			b.Fatal("the benchmark's pods are meant to degrade spot")
		}
	}
}

// BenchmarkPodCacheMemory fills an informer store with 10,000 GitLab
// 18.11 job pods, each decoded separately as an informer would, with and
// without TransformPod, and reports the heap they hold.
func BenchmarkPodCacheMemory(b *testing.B) {
	data, err := os.ReadFile("../policy/testdata/v18-11-arm64-runner-tags.golden.yaml")
	if err != nil {
		b.Fatal(err)
	}
	js, err := yaml.YAMLToJSON(data)
	if err != nil {
		b.Fatal(err)
	}
	for _, tc := range []struct {
		name      string
		transform cache.TransformFunc
	}{{"raw", nil}, {"transformed", scaler.TransformPod}} {
		b.Run(tc.name, func(b *testing.B) {
			for b.Loop() {
				b.ReportMetric(float64(fillStore(b, js, 10_000, tc.transform))/(1<<20), "MiB/10k-pods")
			}
		})
	}
}

func fillStore(b *testing.B, js []byte, n int, transform cache.TransformFunc) uint64 {
	before := heapInUse()
	store := cache.NewStore(cache.MetaNamespaceKeyFunc)
	for i := range n {
		pod := &corev1.Pod{}
		if err := yaml.Unmarshal(js, pod); err != nil {
			b.Fatal(err)
		}
		pod.Name = fmt.Sprintf("%s-%d", pod.Name, i)
		var obj any = pod
		if transform != nil {
			var err error
			if obj, err = transform(pod); err != nil {
				b.Fatal(err)
			}
		}
		if err := store.Add(obj); err != nil {
			b.Fatal(err)
		}
	}
	after := heapInUse()
	runtime.KeepAlive(store)
	if after < before {
		return 0
	}
	return after - before
}

func heapInUse() uint64 {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

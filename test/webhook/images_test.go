package integration

import (
	"context"
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/events"
	"k8s.io/utils/clock"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"
	"sigs.k8s.io/yaml"

	"jobfit.dev/jobfit/policy"
	"jobfit.dev/jobfit/policy/api/v1alpha1"
	"jobfit.dev/jobfit/scaler/controllers/imageplatforms"
	"jobfit.dev/jobfit/scaler/images"
	"jobfit.dev/jobfit/scaler/metrics"
	"jobfit.dev/jobfit/test/registry"
)

const gravitonFirstPolicy = "../../manifests/examples/policies/eks-karpenter-graviton-first.yaml"

// warnings collects the admission warnings the API server relays.
type warnings struct {
	mu   sync.Mutex
	msgs []string
}

func (w *warnings) HandleWarningHeader(_ int, _ string, msg string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.msgs = append(w.msgs, msg)
}

func (w *warnings) take() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	out := w.msgs
	w.msgs = nil
	return out
}

// TestImagePlatforms is issue 20's acceptance against a real API server:
// the shipped graviton-first policy (arch.preferred [arm64, amd64],
// arch.fromImages), the webhook as installed from manifests/base, the
// scaler's image-platform controller (called directly, Karpenter style)
// and an in-process registry. A cold image gets arch.default with a note;
// once the resolver has published it, the next job with it is placed by
// its images.
func TestImagePlatforms(t *testing.T) {
	ctx := context.Background()
	cfg, c, port := startWithRunners(ctx, t)
	j := startJobfit(t, cfg, port)
	applyConfigMap(ctx, t, c, jobfitNamespace, clusterCM, clusterLabels, shippedPolicy(t, gravitonFirstPolicy))
	require.Eventually(t, j.ready, timeout, poll)

	reg := registry.Start(t)
	require.NoError(t, c.Create(ctx, reg.PullSecret(runners, "registry-credentials")))
	seen := &warnings{}
	wcfg := rest.CopyConfig(cfg)
	wcfg.WarningHandler = seen
	kube, err := kubernetes.NewForConfig(wcfg)
	require.NoError(t, err)
	broadcaster := events.NewBroadcaster(&events.EventSinkImpl{Interface: kube.EventsV1()})
	require.NoError(t, broadcaster.StartRecordingToSinkWithContext(ctx))
	t.Cleanup(broadcaster.Shutdown)
	recorder := broadcaster.NewRecorder(clientgoscheme.Scheme, v1alpha1.ScalerFieldManager)
	resolver := imageplatforms.NewController(clock.RealClock{}, c, recorder, metrics.New(prometheus.NewRegistry()),
		jobfitNamespace, time.Minute, imageplatforms.Options{Keychains: imageplatforms.PullSecretKeychains{Client: kube}})
	create := func(t *testing.T, name string, mutate func(*corev1.Pod)) *corev1.Pod {
		t.Helper()
		pod := jobPod(t, runners, "runner-zx8kqw2nv-project-4711-concurrent-0-"+name)
		setEnv(pod, "CI_RUNNER_TAGS", `["kubernetes"]`) // the job names no arch
		mutate(pod)
		out, err := kube.CoreV1().Pods(runners).Create(ctx, pod, metav1.CreateOptions{})
		require.NoError(t, err)
		return out
	}
	arch := func(pod *corev1.Pod) string { return pod.Spec.NodeSelector["kubernetes.io/arch"] }
	withImages := func(refs ...string) func(*corev1.Pod) {
		return func(pod *corev1.Pod) {
			pod.Spec.Containers[0].Image = refs[0] // build
			pod.Spec.Containers[2].Image = refs[1] // the postgres service
		}
	}
	resolve := func(t *testing.T) policy.ImagePlatforms {
		t.Helper()
		_, err := resolver.Reconcile(ctx, reconcile.Request{})
		require.NoError(t, err)
		cm := &corev1.ConfigMap{}
		require.NoError(t, c.Get(ctx, types.NamespacedName{Namespace: jobfitNamespace, Name: v1alpha1.ImagePlatformsName}, cm))
		ip, err := policy.ParseImagePlatforms([]byte(cm.Data[v1alpha1.ImagePlatformsKey]))
		require.NoError(t, err)
		return ip
	}
	// warm creates pods named prefix-N until the webhook has loaded what
	// the resolver published and places one by its images.
	warm := func(t *testing.T, prefix string, mutate func(*corev1.Pod), want string) *corev1.Pod {
		t.Helper()
		var pod *corev1.Pod
		n := 0
		require.Eventually(t, func() bool {
			n++
			seen.take()
			pod = create(t, fmt.Sprintf("%s%05d", prefix, n), mutate)
			return strings.HasPrefix(pod.Annotations["jobfit.dev/applied"], `{"policy":"eks-karpenter-graviton-first"`) &&
				strings.Contains(pod.Annotations["jobfit.dev/applied"], `"source":"images:`)
		}, timeout, poll, "the webhook loads the published platforms")
		assert.Equal(t, want, arch(pod))
		return pod
	}

	t.Run("cold image: arch.default with a note", func(t *testing.T) {
		require.Eventually(t, j.metricsUp, timeout, poll)
		misses := max(j.metric(t, `jobfit_image_platform_lookups_total{result="miss"}`), 0)
		seen.take()
		pod := create(t, "cold0001", withImages(reg.Ref(registry.BothArches), reg.Ref(registry.SinglePlatform)))
		assert.Equal(t, "amd64", arch(pod))
		assert.Contains(t, strings.Join(seen.take(), "\n"), "not known yet; arch.default amd64 used (arch.fromImages)")
		assert.Equal(t, misses+2, j.metric(t, `jobfit_image_platform_lookups_total{result="miss"}`), "both job images missed")
	})

	t.Run("warm: every image has arm64, the job runs on arm64", func(t *testing.T) {
		ip := resolve(t)
		assert.Equal(t, []string{"linux/amd64", "linux/arm64/v8"}, ip[reg.Ref(registry.BothArches)])
		assert.Equal(t, []string{"linux/arm64"}, ip[reg.Ref(registry.SinglePlatform)])
		pod := warm(t, "arm", withImages(reg.Ref(registry.BothArches), reg.Ref(registry.SinglePlatform)), "arm64")
		assert.GreaterOrEqual(t, j.metric(t, `jobfit_image_platform_lookups_total{result="hit"}`), 2.0)
		assert.Equal(t, "registry.gitlab.com/gitlab-org/gitlab-runner/gitlab-runner-helper:arm64-v18.11.4", pod.Spec.Containers[1].Image)
	})

	t.Run("an amd64-only image keeps the job on amd64", func(t *testing.T) {
		create(t, "amdcold1", withImages(reg.Ref(registry.AMD64Only), reg.Ref(registry.BothArches)))
		assert.Equal(t, []string{"linux/amd64"}, resolve(t)[reg.Ref(registry.AMD64Only)])
		warm(t, "amd", withImages(reg.Ref(registry.AMD64Only), reg.Ref(registry.BothArches)), "amd64")
	})

	t.Run("an explicit arm64 ask with an amd64-only image keeps arm64, with a warning", func(t *testing.T) {
		conflicts := max(j.metric(t, `jobfit_image_arch_conflicts_total{arch="arm64"}`), 0)
		seen.take()
		pod := create(t, "ask00001", func(pod *corev1.Pod) {
			withImages(reg.Ref(registry.AMD64Only), reg.Ref(registry.BothArches))(pod)
			setEnv(pod, "JOBFIT_ARCH", "arm64")
		})
		assert.Equal(t, "arm64", arch(pod))
		assert.Contains(t, strings.Join(seen.take(), "\n"),
			"arch arm64 kept (variable JOBFIT_ARCH) although "+reg.Ref(registry.AMD64Only)+" offer(s) no linux/arm64 image")
		assert.Equal(t, conflicts+1, j.metric(t, `jobfit_image_arch_conflicts_total{arch="arm64"}`))
		// The pod exists now: the scaler's leader puts the Event on it,
		// where kubectl describe pod shows it.
		resolve(t)
		require.Eventually(t, func() bool { return podEvent(ctx, t, c, pod, v1alpha1.ReasonImageArchConflict) != "" },
			timeout, poll, "a Warning Event on the pod")
		assert.Equal(t, "arch arm64 kept (variable JOBFIT_ARCH), but images without linux/arm64: "+reg.Ref(registry.AMD64Only)+
			": the job may fail at image pull or with exec format error", podEvent(ctx, t, c, pod, v1alpha1.ReasonImageArchConflict))
	})

	t.Run("a private image resolves with the pod's pull secret", func(t *testing.T) {
		create(t, "priv0001", func(pod *corev1.Pod) {
			withImages(reg.Ref(registry.Private), reg.Ref(registry.BothArches))(pod)
			pod.Spec.ImagePullSecrets = []corev1.LocalObjectReference{{Name: "registry-credentials"}}
		})
		assert.Equal(t, []string{"linux/amd64", "linux/arm64/v8"}, resolve(t)[reg.Ref(registry.Private)])
		cm := &corev1.ConfigMap{}
		require.NoError(t, c.Get(ctx, types.NamespacedName{Namespace: jobfitNamespace, Name: v1alpha1.ImagePlatformsName}, cm))
		for _, v := range cm.Data {
			assert.NotContains(t, v, registry.Password, "no credential in the cache")
		}
	})

	t.Run("a failing registry: negative entry, default placement, admission unaffected", func(t *testing.T) {
		create(t, "slow0001", withImages(reg.Ref(registry.Slow), reg.Ref(registry.BothArches)))
		ip := resolve(t)
		assert.NotContains(t, ip, reg.Ref(registry.Slow))
		cm := &corev1.ConfigMap{}
		require.NoError(t, c.Get(ctx, types.NamespacedName{Namespace: jobfitNamespace, Name: v1alpha1.ImagePlatformsName}, cm))
		var state map[string]images.Entry
		require.NoError(t, yaml.Unmarshal([]byte(cm.Data[images.StateKey]), &state))
		assert.Equal(t, "timeout", state[reg.Ref(registry.Slow)].Error)
		assert.Equal(t, 1, state[reg.Ref(registry.Slow)].Failures)
		pod := create(t, "slow0002", withImages(reg.Ref(registry.Slow), reg.Ref(registry.BothArches)))
		assert.Equal(t, "amd64", arch(pod))
	})

	t.Run("pre-warmed images are in the cache before any pod names them", func(t *testing.T) {
		// References by digest: no earlier pod named them.
		both, arm := digestRef(t, reg.Ref(registry.BothArches)), digestRef(t, reg.Ref(registry.SinglePlatform))
		applyConfigMap(ctx, t, c, jobfitNamespace, clusterCM, clusterLabels, withPrewarm(t, shippedPolicy(t, gravitonFirstPolicy), both, arm))
		ip := resolve(t)
		assert.Equal(t, []string{"linux/amd64", "linux/arm64/v8"}, ip[both])
		assert.Equal(t, []string{"linux/arm64"}, ip[arm])
		pods := &corev1.PodList{}
		require.NoError(t, c.List(ctx, pods))
		for _, p := range pods.Items {
			for _, ctr := range p.Spec.Containers {
				require.NotContains(t, []string{both, arm}, ctr.Image, "no pod names a pre-warmed image yet")
			}
		}
		warm(t, "prewarm", withImages(both, arm), "arm64")
	})

	t.Run("an invalid cache document is rejected; the last good one stays in force", func(t *testing.T) {
		applyConfigMap(ctx, t, c, jobfitNamespace, v1alpha1.ImagePlatformsName, nil,
			map[string]string{v1alpha1.ImagePlatformsKey: `{"` + reg.Ref(registry.BothArches) + `": ["arm64"]}`})
		require.Eventually(t, func() bool {
			return eventFor(ctx, t, c, jobfitNamespace, v1alpha1.ImagePlatformsName, v1alpha1.ReasonImagesRejected) != ""
		}, timeout, poll, "a Warning Event on the ConfigMap")
		assert.Contains(t, eventFor(ctx, t, c, jobfitNamespace, v1alpha1.ImagePlatformsName, v1alpha1.ReasonImagesRejected), "is not os/arch")
		pod := create(t, "keep0001", withImages(reg.Ref(registry.BothArches), reg.Ref(registry.SinglePlatform)))
		assert.Equal(t, "arm64", arch(pod))
	})
}

// shippedPolicy returns the data of a shipped policy ConfigMap.
func shippedPolicy(t *testing.T, path string) map[string]string {
	t.Helper()
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	cm := &corev1.ConfigMap{}
	require.NoError(t, yaml.Unmarshal(b, cm))
	return cm.Data
}

// podEvent returns the message of a Warning Event on pod (by UID, as
// kubectl describe pod finds it) with reason, or "".
func podEvent(ctx context.Context, t *testing.T, c client.Client, pod *corev1.Pod, reason string) string {
	t.Helper()
	list := &corev1.EventList{}
	require.NoError(t, c.List(ctx, list, client.InNamespace(pod.Namespace)))
	for _, e := range list.Items {
		if e.InvolvedObject.Kind == "Pod" && e.InvolvedObject.UID == pod.UID && e.Reason == reason && e.Type == corev1.EventTypeWarning {
			return e.Message
		}
	}
	return ""
}

// digestRef returns ref by the digest its tag points at.
func digestRef(t *testing.T, ref string) string {
	t.Helper()
	r, err := name.ParseReference(ref)
	require.NoError(t, err)
	desc, err := remote.Head(r)
	require.NoError(t, err)
	return r.Context().Digest(desc.Digest.String()).String()
}

// withPrewarm returns the policy ConfigMap data with arch.prewarmImages
// set to refs.
func withPrewarm(t *testing.T, data map[string]string, refs ...string) map[string]string {
	t.Helper()
	doc := map[string]any{}
	require.NoError(t, yaml.Unmarshal([]byte(data[v1alpha1.PolicyDataKey]), &doc))
	doc["arch"].(map[string]any)["prewarmImages"] = refs
	b, err := yaml.Marshal(doc)
	require.NoError(t, err)
	return map[string]string{v1alpha1.PolicyDataKey: string(b)}
}

// setEnv sets a variable on the build and service containers, as GitLab
// Runner passes job variables.
func setEnv(pod *corev1.Pod, name, value string) {
	for i := range pod.Spec.Containers {
		c := &pod.Spec.Containers[i]
		if c.Name == "helper" {
			continue
		}
		found := false
		for k := range c.Env {
			if c.Env[k].Name == name {
				c.Env[k].Value, found = value, true
			}
		}
		if !found {
			c.Env = append(c.Env, corev1.EnvVar{Name: name, Value: value})
		}
	}
}

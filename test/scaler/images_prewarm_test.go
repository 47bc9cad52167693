package scaler_test

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/rand"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"jobfit.dev/jobfit/policy"
	"jobfit.dev/jobfit/policy/api/v1alpha1"
	"jobfit.dev/jobfit/scaler"
	"jobfit.dev/jobfit/scaler/controllers/imageplatforms"
	"jobfit.dev/jobfit/test/registry"
)

// clusterPolicy is a cluster policy ConfigMap whose arch section is arch.
func clusterPolicy(ns, name, arch string) *corev1.ConfigMap {
	return &corev1.ConfigMap{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns, Labels: map[string]string{v1alpha1.PolicyLabel: "cluster"}},
		Data: map[string]string{v1alpha1.PolicyDataKey: "apiVersion: jobfit.dev/v1alpha1\nkind: Policy\nmetadata: {name: " + name +
			"}\narch: " + arch + "\n"},
	}
}

// TestPrewarmAtStart runs the whole scaler with the resolver on and a
// sync period of an hour, so that only its watches start a pass: the
// images of the cluster policy's arch.prewarmImages are resolved at start
// with no job pod naming them, an invalid policy's list is not read, and
// a list changed later is resolved at once.
func TestPrewarmAtStart(t *testing.T) {
	ctx := t.Context()
	reg := registry.Start(t)
	ns := "jobfit-pw-" + rand.String(5)
	require.NoError(t, k8s.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}))
	good := clusterPolicy(ns, "jobfit-cluster-policy",
		"{preferred: [arm64, amd64], fromImages: true, prewarmImages: ["+reg.Ref(registry.BothArches)+", "+reg.Ref(registry.AMD64Only)+"]}")
	require.NoError(t, k8s.Create(ctx, good))
	stray := clusterPolicy(ns, "a-stray-copy", "{os: darwin, prewarmImages: ["+reg.Ref(registry.SinglePlatform)+"]}")
	require.NoError(t, k8s.Create(ctx, stray))

	startScaler(t, ns, func(o *scaler.Options) {
		o.SyncPeriod = time.Hour
		o.ImagePlatforms = &imageplatforms.Options{}
	})
	platforms := func() policy.ImagePlatforms {
		cm := &corev1.ConfigMap{}
		if err := k8s.Get(ctx, client.ObjectKey{Namespace: ns, Name: v1alpha1.ImagePlatformsName}, cm); err != nil {
			return nil
		}
		ip, err := policy.ParseImagePlatforms([]byte(cm.Data[v1alpha1.ImagePlatformsKey]))
		require.NoError(t, err)
		return ip
	}
	require.Eventually(t, func() bool { return len(platforms()) == 2 }, 30*time.Second, 100*time.Millisecond,
		"the pre-warm list is resolved at start")
	ip := platforms()
	assert.Equal(t, []string{"linux/amd64", "linux/arm64/v8"}, ip[reg.Ref(registry.BothArches)])
	assert.Equal(t, []string{"linux/amd64"}, ip[reg.Ref(registry.AMD64Only)])
	cm := &corev1.ConfigMap{}
	require.NoError(t, k8s.Get(ctx, client.ObjectKey{Namespace: ns, Name: v1alpha1.ImagePlatformsName}, cm))
	assert.NotContains(t, cm.Data["state.json"], reg.Ref(registry.SinglePlatform), "an invalid policy's list is not read")

	// A changed list is resolved without waiting for the sync period.
	require.NoError(t, k8s.Get(ctx, client.ObjectKeyFromObject(good), good))
	good.Data = clusterPolicy(ns, good.Name, "{prewarmImages: ["+reg.Ref(registry.SinglePlatform)+"]}").Data
	require.NoError(t, k8s.Update(ctx, good))
	require.Eventually(t, func() bool { return strings.Join(platforms()[reg.Ref(registry.SinglePlatform)], ",") == "linux/arm64" },
		30*time.Second, 100*time.Millisecond, "the new list is resolved on the policy's change")
}

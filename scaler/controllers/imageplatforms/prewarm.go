package imageplatforms

import (
	"context"
	"fmt"
	"slices"

	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/log"

	"jobfit.dev/jobfit/policy"
	"jobfit.dev/jobfit/policy/api/v1alpha1"
	"jobfit.dev/jobfit/policy/source"
)

// prewarmEntry is one cluster policy ConfigMap's pre-warm list, as read at
// its resourceVersion.
type prewarmEntry struct {
	version string
	images  []string
}

// prewarmImages returns the images the cluster policies ask to pre-warm
// (arch.prewarmImages): the sorted union over the valid ConfigMaps
// labelled jobfit.dev/policy=cluster in jobfit's namespace, at most
// v1alpha1.MaxPrewarmImages. Pre-warming only fills the cache, so it needs
// no single policy in force: an invalid policy adds nothing (the webhook
// reports it), and two valid ones both warm it. Each ConfigMap is parsed
// once per resourceVersion.
func (c *Controller) prewarmImages(ctx context.Context) ([]string, error) {
	list := &corev1.ConfigMapList{}
	if err := c.client.List(ctx, list, client.InNamespace(c.namespace),
		client.MatchingLabels{v1alpha1.PolicyLabel: v1alpha1.PolicyKindCluster}); err != nil {
		return nil, fmt.Errorf("listing cluster policies: %w", err)
	}
	seen := make(map[string]prewarmEntry, len(list.Items))
	var out []string
	for _, cm := range source.Candidates(list.Items) {
		e, ok := c.prewarm[cm.Name]
		if !ok || e.version != cm.ResourceVersion {
			e = prewarmEntry{version: cm.ResourceVersion}
			p, errs := policy.Load([]byte(cm.Data[v1alpha1.PolicyDataKey]))
			if len(errs) == 0 {
				e.images = p.Arch.PrewarmImages
			} else {
				log.FromContext(ctx).V(1).Info("cluster policy not read for pre-warming", "configmap", cm.Name)
			}
		}
		seen[cm.Name] = e
		out = append(out, e.images...)
	}
	c.prewarm = seen
	slices.Sort(out)
	out = slices.Compact(out)
	return out[:min(len(out), v1alpha1.MaxPrewarmImages)], nil
}

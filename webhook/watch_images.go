package webhook

import (
	"context"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/log"

	"jobfit.dev/jobfit/policy"
	"jobfit.dev/jobfit/policy/api/v1alpha1"
)

// reconcileImages loads the image-platform cache the scaler's resolver
// publishes. A missing one knows no image; an invalid one leaves the last
// good cache in force. Admission only ever reads what this loaded: it
// never waits on a registry.
func (w *Watcher) reconcileImages(ctx context.Context) error {
	cm := &corev1.ConfigMap{}
	err := w.reader.Get(ctx, types.NamespacedName{Namespace: w.namespace, Name: v1alpha1.ImagePlatformsName}, cm)
	if isNotFound(err) {
		w.store.SetImages(nil)
		delete(w.seen, types.NamespacedName{Namespace: w.namespace, Name: requestImages})
		return nil
	}
	if err != nil {
		return err
	}
	if w.unchanged(requestImages, cm) {
		return nil
	}
	ip, err := policy.ParseImagePlatforms([]byte(cm.Data[v1alpha1.ImagePlatformsKey]))
	if err != nil {
		policyLoads.WithLabelValues(KindImagePlatforms, LoadInvalid).Inc()
		note := truncateNote("image platforms not loaded, the previous ones stay in force: " + err.Error())
		w.recorder.Eventf(cm, nil, corev1.EventTypeWarning, v1alpha1.ReasonImagesRejected, "Load", "%s", note)
		log.FromContext(ctx).Info("image platforms rejected", "configmap", cm.Name, "error", note)
		return nil
	}
	w.store.SetImages(ip)
	policyLoads.WithLabelValues(KindImagePlatforms, LoadOK).Inc()
	log.FromContext(ctx).V(1).Info("image platforms loaded", "images", len(ip))
	return nil
}

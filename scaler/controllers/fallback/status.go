package fallback

// The capacity status the controller reads back and writes: the
// jobfit-capacity-status ConfigMap (v1alpha1.CapacityStatus).

import (
	"context"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/types"
	corev1ac "k8s.io/client-go/applyconfigurations/core/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/log"

	"jobfit.dev/jobfit/policy/api/v1alpha1"
)

func sameStatus(a, b v1alpha1.CapacityStatus) bool {
	// Compare the documents as written: time.Time values that went through
	// YAML differ in representation but not in meaning.
	ab, errA := a.Marshal()
	bb, errB := b.Marshal()
	return errA == nil && errB == nil && string(ab) == string(bb)
}

func (c *Controller) readStatus(ctx context.Context) (v1alpha1.CapacityStatus, error) {
	var cm corev1.ConfigMap
	err := c.client.Get(ctx, types.NamespacedName{Namespace: c.namespace, Name: v1alpha1.CapacityStatusName}, &cm)
	if apierrors.IsNotFound(err) {
		return v1alpha1.CapacityStatus{}, nil
	}
	if err != nil {
		return v1alpha1.CapacityStatus{}, fmt.Errorf("reading capacity status: %w", err)
	}
	st, err := v1alpha1.ParseCapacityStatus([]byte(cm.Data[v1alpha1.CapacityStatusKey]))
	if err != nil {
		// A hand-edited, unreadable status is replaced by the planned one.
		log.FromContext(ctx).Info("ignoring unreadable capacity status", "error", err.Error())
		return v1alpha1.CapacityStatus{}, nil
	}
	return st, nil
}

func (c *Controller) writeStatus(ctx context.Context, st v1alpha1.CapacityStatus) error {
	body, err := st.Marshal()
	if err != nil {
		return fmt.Errorf("encoding capacity status: %w", err)
	}
	cm := corev1ac.ConfigMap(v1alpha1.CapacityStatusName, c.namespace).
		WithLabels(map[string]string{"app.kubernetes.io/name": "jobfit", "app.kubernetes.io/component": "scaler"}).
		WithData(map[string]string{v1alpha1.CapacityStatusKey: string(body)})
	if err := c.client.Apply(ctx, cm, client.FieldOwner(v1alpha1.ScalerFieldManager), client.ForceOwnership); err != nil {
		return fmt.Errorf("applying capacity status: %w", err)
	}
	return nil
}

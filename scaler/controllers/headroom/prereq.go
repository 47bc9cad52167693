package headroom

import (
	"context"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	schedulingv1 "k8s.io/api/scheduling/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"jobfit.dev/jobfit/policy/api/v1alpha1"
	"jobfit.dev/jobfit/scaler/headroom"
)

// ensurePrerequisites checks the PriorityClass placeholders run at, creates
// the owner ConfigMap they need, and returns the owner reference.
//
// The PriorityClass jobfit-headroom ships with the manifests; the scaler
// does not create it, so that its ServiceAccount needs no create on
// PriorityClasses (with it, it could create any class, even a global
// default with a value of a billion).
func (c *Controller) ensurePrerequisites(ctx context.Context) (*metav1.OwnerReference, error) {
	pc := headroom.PriorityClass()
	var got schedulingv1.PriorityClass
	err := c.reader.Get(ctx, types.NamespacedName{Name: pc.Name}, &got)
	switch {
	case apierrors.IsNotFound(err):
		return nil, fmt.Errorf("priorityclass %s (value %d) is missing: it ships with jobfit's manifests, apply them again", pc.Name, pc.Value)
	case err != nil:
		return nil, fmt.Errorf("reading priorityclass %s: %w", pc.Name, err)
	case got.Value != pc.Value:
		// The value is immutable; an admin's different class is respected.
		return nil, fmt.Errorf("priorityclass %s has value %d, want %d", pc.Name, got.Value, pc.Value)
	}
	owner := &corev1.ConfigMap{}
	key := types.NamespacedName{Namespace: c.namespace, Name: OwnerName}
	if err := c.reader.Get(ctx, key, owner); apierrors.IsNotFound(err) {
		owner = &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: key.Name, Namespace: key.Namespace,
			Labels: map[string]string{"app.kubernetes.io/name": "jobfit", "app.kubernetes.io/component": "scaler"}},
			Data: map[string]string{"README": "Owns jobfit's headroom placeholder pods; deleting it deletes them."}}
		if err := c.client.Create(ctx, owner, client.FieldOwner(v1alpha1.ScalerFieldManager)); err != nil {
			return nil, fmt.Errorf("creating configmap %s: %w", key.Name, err)
		}
	} else if err != nil {
		return nil, fmt.Errorf("reading configmap %s: %w", key.Name, err)
	}
	return &metav1.OwnerReference{APIVersion: "v1", Kind: "ConfigMap", Name: owner.Name, UID: owner.UID,
		BlockOwnerDeletion: ptr.To(false)}, nil
}

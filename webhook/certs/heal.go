package certs

import (
	"context"
	"fmt"
	"time"

	"github.com/open-policy-agent/cert-controller/pkg/rotator"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/tools/events"
	"k8s.io/utils/ptr"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/manager"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"
	"sigs.k8s.io/controller-runtime/pkg/source"
)

// Event reasons about the serving certificate Secret.
const (
	ReasonSecretRecreated = "CertificateSecretRecreated"
	ReasonSecretMissing   = "CertificateSecretMissing"
)

// healRetry is how long the elected replica waits before trying again to
// recreate a Secret it could not create (RBAC, quota, an admission policy).
const healRetry = 30 * time.Second

// secretHealer recreates the serving certificate Secret when it is missing,
// on the elected replica only. cert-controller expects the Secret to exist:
// without it the rotator's first refresh fails, the manager exits, the
// Lease passes on and the next replica exits too, and nothing issues
// certificates again until someone re-applies the manifests. Recreating it
// empty is enough: the rotator watches the Secret, finds no CA and issues
// a new CA and serving certificate, and patches the caBundle.
type secretHealer struct {
	// reader reads from the API server: the manager's cache would watch
	// every Secret in the cluster.
	reader   client.Reader
	client   client.Client
	recorder events.EventRecorder
	secret   types.NamespacedName
}

var _ reconcile.Reconciler = (*secretHealer)(nil)

// ensure creates the Secret if it is missing. It returns nil when the
// Secret exists afterwards.
func (h *secretHealer) ensure(ctx context.Context) error {
	err := h.reader.Get(ctx, h.secret, &corev1.Secret{})
	if err == nil || !apierrors.IsNotFound(err) {
		return err
	}
	// Opaque, with the labels of the shipped Secret: the
	// ValidatingAdmissionPolicy in manifests/default lets the webhook create
	// only this Secret, with this type.
	s := &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Namespace: h.secret.Namespace, Name: h.secret.Name, Labels: map[string]string{
			"app.kubernetes.io/name": "jobfit", "app.kubernetes.io/component": "webhook", "app.kubernetes.io/part-of": "jobfit",
		}},
		Type: corev1.SecretTypeOpaque,
	}
	err = h.client.Create(ctx, s)
	switch {
	case err == nil:
		h.recorder.Eventf(s, nil, corev1.EventTypeNormal, ReasonSecretRecreated, "Create",
			"serving certificate Secret %s was missing and has been recreated; new certificates follow", h.secret)
		log.FromContext(ctx).Info("serving certificate secret recreated", "secret", h.secret)
		return nil
	case apierrors.IsAlreadyExists(err):
		return nil
	default:
		h.recorder.Eventf(s, nil, corev1.EventTypeWarning, ReasonSecretMissing, "Create",
			"serving certificate Secret %s is missing and could not be recreated, retrying every %s: %s", h.secret, healRetry, err.Error())
		return fmt.Errorf("recreating serving certificate secret %s: %w", h.secret, err)
	}
}

// Reconcile recreates the Secret after it was deleted while running.
func (h *secretHealer) Reconcile(ctx context.Context, _ reconcile.Request) (reconcile.Result, error) {
	if err := h.ensure(ctx); err != nil {
		log.FromContext(ctx).Error(err, "serving certificate secret missing")
		return reconcile.Result{RequeueAfter: healRetry}, nil
	}
	return reconcile.Result{}, nil
}

// addSecretHealer registers the healer on mgr, elected replica only,
// watching the Secret through c (the syncer's cache of that one Secret).
func addSecretHealer(mgr ctrl.Manager, c cache.Cache, o Options, name string) (*secretHealer, error) {
	h := &secretHealer{reader: mgr.GetAPIReader(), client: mgr.GetClient(), recorder: mgr.GetEventRecorder("jobfit-webhook"), secret: o.secretKey()}
	ctl, err := controller.NewUnmanaged(name, controller.Options{
		Reconciler:         h,
		NeedLeaderElection: ptr.To(true),
		SkipNameValidation: mgr.GetControllerOptions().SkipNameValidation,
		Logger:             mgr.GetLogger(),
	})
	if err != nil {
		return nil, fmt.Errorf("creating certificate secret healer: %w", err)
	}
	toSecret := func(context.Context, *corev1.Secret) []reconcile.Request {
		return []reconcile.Request{{NamespacedName: h.secret}}
	}
	// Delete events carry the Secret; the first sync enqueues nothing when it
	// is missing, which healingRotator covers at start.
	if err := ctl.Watch(source.Kind(c, &corev1.Secret{}, handler.TypedEnqueueRequestsFromMapFunc(toSecret))); err != nil {
		return nil, fmt.Errorf("watching certificate secret: %w", err)
	}
	if err := mgr.Add(ctl); err != nil {
		return nil, fmt.Errorf("registering certificate secret healer: %w", err)
	}
	return h, nil
}

// healingRotator runs cert-controller's rotator only once the Secret exists,
// recreating it first if needed, and retries instead of returning while it
// cannot: the replica stays up, not ready until certificates arrive, with an
// Event saying why, rather than exiting into a crash loop.
type healingRotator struct {
	manager.LeaderElectionRunnable
	inner  manager.Runnable
	healer *secretHealer
}

// Start waits for the Secret, then starts the rotator. The rotator reads
// the Secret once at start, from its own cache, and returns when it is not
// there: the cache had not yet seen the Secret just recreated, or the
// Secret was deleted again in that moment. Nothing of the rotator runs yet
// then, so it is started again once the Secret is back, rather than the
// replica exiting.
func (r healingRotator) Start(ctx context.Context) error {
	logger := log.FromContext(ctx).WithValues("secret", r.healer.secret)
	for {
		wait := healRetry
		err := r.healer.ensure(ctx)
		if err == nil {
			err = r.inner.Start(ctx)
			if err == nil || ctx.Err() != nil || !apierrors.IsNotFound(err) {
				return err
			}
			wait = rotatorRestart
		}
		logger.Error(err, "serving certificate secret missing; certificates are not issued until it exists")
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(wait):
		}
	}
}

// rotatorRestart is how long the elected replica waits before starting the
// rotator again when the Secret was missing at its start.
const rotatorRestart = time.Second

// rotatorManager hands cert-controller a manager whose Add wraps its
// rotator in healingRotator; everything else goes to the real manager.
type rotatorManager struct {
	ctrl.Manager
	healer *secretHealer
}

// Add wraps the rotator; cert-controller registers it itself in AddRotator.
func (m rotatorManager) Add(r manager.Runnable) error {
	if cr, ok := r.(*rotator.CertRotator); ok {
		return m.Manager.Add(healingRotator{LeaderElectionRunnable: cr, inner: cr, healer: m.healer})
	}
	return m.Manager.Add(r)
}

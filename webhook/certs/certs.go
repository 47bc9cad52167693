// Package certs gives jobfit's admission webhook serving certificates of its
// own: the elected replica issues and rotates them with
// open-policy-agent/cert-controller, every replica copies them from the
// Secret into its cert directory (sync.go, files.go), a deleted Secret is
// recreated (heal.go), and readiness waits until the webhook configuration's
// caBundle trusts what is served. It also holds the TLS settings of jobfit's
// servers (tls.go).
package certs

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/open-policy-agent/cert-controller/pkg/rotator"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"k8s.io/utils/ptr"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/healthz"
)

// Names and defaults of the self-managed serving certificates. They match
// the manifests under manifests/base and docs/development.md.
const (
	DefaultSecretName        = "jobfit-webhook-tls"
	DefaultServiceName       = "jobfit-webhook"
	DefaultWebhookConfigName = "jobfit"
	// DefaultCertDir is controller-runtime's default webhook.Options.CertDir
	// on Linux; the Deployment mounts an emptyDir there.
	DefaultCertDir = "/tmp/k8s-webhook-server/serving-certs"
	// LeaderElectionID is the Lease the webhook's manager must use as its
	// ctrl.Options.LeaderElectionID. Only the holder issues certificates and
	// patches the caBundle; every replica serves.
	LeaderElectionID = "jobfit-webhook-certs"

	DefaultCAValidity            = 10 * 365 * 24 * time.Hour
	DefaultCertValidity          = 365 * 24 * time.Hour
	DefaultLookAhead             = 90 * 24 * time.Hour
	DefaultRotationCheckInterval = time.Hour
)

// Keys of the serving certificate Secret. tls.crt and tls.key make it usable
// as a kubernetes.io/tls Secret; ca.crt and ca.key are cert-controller's.
const (
	caCertKey = "ca.crt"
	caKeyKey  = "ca.key"
)

// fieldOwner is the field manager of cert-controller's caBundle updates.
const fieldOwner = "jobfit-webhook-certs"

// Options configures self-managed serving certificates. Zero values take
// the Default* constants; only Namespace is required.
type Options struct {
	// Namespace is jobfit's namespace: it holds the Secret and the Service.
	Namespace string
	// SecretName is the Secret that stores the CA and the serving key pair.
	// The manifests ship it empty; when it is missing the elected replica
	// recreates it (see heal.go and manifests/default/rbac.yaml).
	SecretName string
	// ServiceName is the webhook Service; the certificate is valid for
	// <ServiceName>.<Namespace>.svc and <ServiceName>.<Namespace>.svc.cluster.local.
	ServiceName string
	// WebhookConfigName is the MutatingWebhookConfiguration whose caBundle
	// is kept in step with the CA.
	WebhookConfigName string
	// CertDir is where tls.crt and tls.key are written on every replica. It
	// must be the webhook server's CertDir, so that its certwatcher reloads
	// rotated certificates without a restart.
	CertDir string

	// CAValidity and CertValidity are the lifetimes of the CA and of the
	// serving certificate.
	CAValidity   time.Duration
	CertValidity time.Duration
	// LookAhead renews a certificate once it would be expired LookAhead from
	// now. It must be shorter than both validities, or every check renews.
	LookAhead time.Duration
	// RotationCheckInterval is how often the elected replica checks expiry.
	// Changes to the Secret or the webhook configuration are acted on at once.
	RotationCheckInterval time.Duration
}

// Default returns o with every unset field set to its default.
func (o Options) Default() Options {
	setDefault(&o.SecretName, DefaultSecretName)
	setDefault(&o.ServiceName, DefaultServiceName)
	setDefault(&o.WebhookConfigName, DefaultWebhookConfigName)
	setDefault(&o.CertDir, DefaultCertDir)
	setDefault(&o.CAValidity, DefaultCAValidity)
	setDefault(&o.CertValidity, DefaultCertValidity)
	setDefault(&o.LookAhead, DefaultLookAhead)
	setDefault(&o.RotationCheckInterval, DefaultRotationCheckInterval)
	return o
}

func setDefault[T comparable](v *T, def T) {
	var zero T
	if *v == zero {
		*v = def
	}
}

// Validate checks defaulted options. Paths are the field names in lowerCamelCase.
func (o Options) Validate() field.ErrorList {
	var errs field.ErrorList
	for _, f := range []struct{ path, value string }{
		{"namespace", o.Namespace},
		{"secretName", o.SecretName},
		{"serviceName", o.ServiceName},
		{"webhookConfigName", o.WebhookConfigName},
	} {
		p := field.NewPath(f.path)
		if f.value == "" {
			errs = append(errs, field.Required(p, ""))
			continue
		}
		for _, msg := range validation.IsDNS1123Subdomain(f.value) {
			errs = append(errs, field.Invalid(p, f.value, msg))
		}
	}
	if o.CertDir == "" {
		errs = append(errs, field.Required(field.NewPath("certDir"), ""))
	}
	for _, d := range []struct {
		path  string
		value time.Duration
	}{
		{"caValidity", o.CAValidity},
		{"certValidity", o.CertValidity},
		{"lookAhead", o.LookAhead},
		{"rotationCheckInterval", o.RotationCheckInterval},
	} {
		if d.value <= 0 {
			errs = append(errs, field.Invalid(field.NewPath(d.path), d.value.String(), "must be positive"))
		}
	}
	if o.CertValidity > o.CAValidity {
		errs = append(errs, field.Invalid(field.NewPath("certValidity"), o.CertValidity.String(),
			"must not exceed caValidity "+o.CAValidity.String()))
	}
	if o.LookAhead >= o.CertValidity {
		// cert-controller renews a certificate that is invalid LookAhead from
		// now; with LookAhead >= validity a fresh certificate already is, and
		// the rotator would re-issue in a hot loop.
		errs = append(errs, field.Invalid(field.NewPath("lookAhead"), o.LookAhead.String(),
			"must be shorter than certValidity "+o.CertValidity.String()))
	}
	return errs
}

// DNSNames are the names the serving certificate is valid for. The first is
// the one the kube-apiserver verifies when it calls the Service.
func (o Options) DNSNames() []string {
	svc := o.ServiceName + "." + o.Namespace + ".svc"
	return []string{svc, svc + ".cluster.local"}
}

func (o Options) secretKey() types.NamespacedName {
	return types.NamespacedName{Namespace: o.Namespace, Name: o.SecretName}
}

// Setup adds self-managed serving certificates to mgr and returns a
// channel that is closed once this replica can serve admission: its CertDir
// holds the current key pair from the Secret, and the webhook configuration's
// caBundle trusts it. Gate readiness on it with ReadyCheck.
//
// It registers two things with the manager:
//   - cert-controller's rotator, with RequireLeaderElection. On the elected
//     replica it creates the CA and the serving certificate in the Secret,
//     renews them LookAhead before expiry, and writes the CA into the caBundle
//     of every webhook in WebhookConfigName. The manager must therefore run
//     with LeaderElection enabled and LeaderElectionID set to LeaderElectionID;
//     without it every replica would issue certificates.
//   - a syncer that runs on every replica, elected or not. cert-controller
//     only waits for the files in CertDir to appear (it expects the Secret to
//     be mounted there), so the syncer watches the one Secret and writes
//     tls.crt and tls.key into CertDir with an atomic symlink swap, the way
//     the kubelet updates a Secret volume. The webhook server's certwatcher
//     then reloads them, without a restart and without the minute of kubelet
//     volume sync delay.
//
// The webhook server reads CertDir when it starts, which is before any
// certificate can have been issued on a fresh install, so Setup writes a
// throwaway self-signed key pair there when CertDir holds no usable one.
// Nothing trusts it, and the replica is not ready until it is replaced.
//
// Tests that start several managers in one process must set
// ctrl.Options.Controller.SkipNameValidation; the controllers here then get
// unique names too. To force a rotation, call ForceRotation, or use short
// validities (for example CertValidity 2m, LookAhead 1m and
// RotationCheckInterval 5s renew the serving certificate every minute).
func Setup(mgr ctrl.Manager, o Options) (ready <-chan struct{}, err error) {
	o = o.Default()
	if errs := o.Validate(); len(errs) > 0 {
		return nil, fmt.Errorf("invalid certificate options: %w", errs.ToAggregate())
	}
	if err := ensureBootstrapKeyPair(o.CertDir, o.DNSNames()); err != nil {
		return nil, fmt.Errorf("preparing certificate directory %s: %w", o.CertDir, err)
	}
	suffix := controllerNameSuffix(mgr)
	dnsNames := o.DNSNames()
	cr := &rotator.CertRotator{
		SecretKey:      o.secretKey(),
		CertDir:        o.CertDir,
		CAName:         "jobfit-ca",
		CAOrganization: "jobfit",
		DNSName:        dnsNames[0],
		ExtraDNSNames:  dnsNames[1:],
		// Nothing waits on it: on non-elected replicas cert-controller never
		// closes it, so readiness comes from the syncer instead.
		IsReady:                make(chan struct{}),
		Webhooks:               []rotator.WebhookInfo{{Name: o.WebhookConfigName, Type: rotator.Mutating}},
		FieldOwner:             fieldOwner,
		RequireLeaderElection:  true,
		CaCertDuration:         o.CAValidity,
		ServerCertDuration:     o.CertValidity,
		LookaheadInterval:      o.LookAhead,
		RotationCheckFrequency: o.RotationCheckInterval,
		ControllerName:         "jobfit-cert-rotator" + suffix,
	}
	readyCh, syncCache, err := addCertSyncer(mgr, o, "jobfit-cert-sync"+suffix)
	if err != nil {
		return nil, fmt.Errorf("adding certificate syncer: %w", err)
	}
	healer, err := addSecretHealer(mgr, syncCache, o, "jobfit-cert-heal"+suffix)
	if err != nil {
		return nil, err
	}
	if err := rotator.AddRotator(rotatorManager{Manager: mgr, healer: healer}, cr); err != nil {
		return nil, fmt.Errorf("adding certificate rotator: %w", err)
	}
	return readyCh, nil
}

var setups atomic.Int64

// controllerNameSuffix keeps controller names unique when the manager allows
// several managers per process. cert-controller does not honour
// SkipNameValidation itself, so a second rotator would fail to register.
func controllerNameSuffix(mgr ctrl.Manager) string {
	n := setups.Add(1)
	if n == 1 || !ptr.Deref(mgr.GetControllerOptions().SkipNameValidation, false) {
		return ""
	}
	return fmt.Sprintf("-%d", n)
}

// ReadyCheck is a readyz checker that passes once ready is closed.
func ReadyCheck(ready <-chan struct{}) healthz.Checker {
	return func(_ *http.Request) error {
		select {
		case <-ready:
			return nil
		default:
			return errors.New("serving certificate not issued, not written to disk, or not trusted by the webhook configuration yet")
		}
	}
}

// Rotation selects what ForceRotation renews.
type Rotation int

const (
	// RotateServingCert renews the serving key pair under the existing CA.
	// The caBundle does not change, so every replica stays trusted throughout.
	RotateServingCert Rotation = iota
	// RotateCA renews the CA and the serving key pair, and the elected
	// replica writes the new CA into the caBundle. cert-controller replaces
	// the caBundle rather than appending to it, so until a replica has loaded
	// the new key pair (normally well under a second, at worst the
	// certwatcher's 10 s poll) calls to it fail and, with failurePolicy
	// Ignore, pods are admitted unmutated.
	RotateCA
)

// ForceRotation makes the elected replica issue new certificates now, by
// removing them from the Secret: the rotator watches the Secret, finds them
// missing, and re-issues. Replicas keep serving their current key pair until
// the new one arrives. It is meant for tests and for incident response
// (docs/alerts.md); c needs patch on the Secret.
//
// An integration test can force a rotation and prove admission still works:
//
//	old := secret.Data["tls.crt"]
//	require.NoError(t, certs.ForceRotation(ctx, c, opts, certs.RotateServingCert))
//	// wait until the Secret's tls.crt differs from old and the server
//	// presents it (tls.Dial with ServerName opts.DNSNames()[0]), then
//	// create a job pod and expect it mutated.
func ForceRotation(ctx context.Context, c client.Client, o Options, r Rotation) error {
	o = o.Default()
	keys := []string{corev1.TLSCertKey, corev1.TLSPrivateKeyKey}
	switch r {
	case RotateServingCert:
	case RotateCA:
		keys = append(keys, caCertKey, caKeyKey)
	default:
		return fmt.Errorf("unknown rotation %d", r)
	}
	removed := make(map[string]any, len(keys))
	for _, k := range keys {
		removed[k] = nil
	}
	body, err := json.Marshal(map[string]any{"data": removed})
	if err != nil {
		return fmt.Errorf("encoding patch: %w", err)
	}
	secret := &corev1.Secret{}
	secret.Namespace, secret.Name = o.Namespace, o.SecretName
	if err := c.Patch(ctx, secret, client.RawPatch(types.MergePatchType, body)); err != nil {
		return fmt.Errorf("removing certificates from secret %s: %w", o.secretKey(), err)
	}
	return nil
}

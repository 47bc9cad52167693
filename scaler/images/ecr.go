package images

import (
	"context"
	"io"
	"os"
	"sync"

	ecr "github.com/awslabs/amazon-ecr-credential-helper/ecr-login"
	ecrapi "github.com/awslabs/amazon-ecr-credential-helper/ecr-login/api"
	"github.com/google/go-containerregistry/pkg/authn"
)

// IsECRHost reports whether host (a registry host, with or without a
// port) is an Amazon ECR registry: a private one
// (<account>.dkr.ecr.<region>.amazonaws.com, its FIPS, dual-stack, China
// and isolated-region forms) or ECR Public (public.ecr.aws). The pattern is
// the credential helper's own, so the hosts jobfit asks AWS about are
// exactly those the helper can answer for.
func IsECRHost(host string) bool {
	if host == "" {
		return false
	}
	_, err := ecrapi.ExtractRegistry(host)
	return err == nil
}

// ECRHelper returns a credential helper bound to ctx (the resolution's
// deadline), as authn.NewKeychainFromHelper takes it.
type ECRHelper func(ctx context.Context) authn.Helper

// NewECRHelper returns the ECR credential helper of
// github.com/awslabs/amazon-ecr-credential-helper: it takes the AWS
// credentials the SDK finds, as the kubelet's ECR credential provider
// does (IRSA's web identity token, EKS Pod Identity, or the node's
// instance role), and exchanges them for a registry token. The helper's
// log is discarded: jobfit logs only the short reason of a failure.
//
// It sets AWS_ECR_DISABLE_CACHE for the process (unless it is set), so
// that the helper never writes a token to disk: a token lives in memory
// for one resolver pass (ECRKeychain).
func NewECRHelper() ECRHelper {
	if _, ok := os.LookupEnv("AWS_ECR_DISABLE_CACHE"); !ok {
		_ = os.Setenv("AWS_ECR_DISABLE_CACHE", "true")
	}
	return func(ctx context.Context) authn.Helper {
		return ecr.NewECRHelper(ecr.WithContext(ctx), ecr.WithLogger(io.Discard))
	}
}

// ECRKeychain gives credentials for ECR registry hosts only, from an
// ECRHelper, and anonymous access for every other host without asking
// AWS. A failure of the helper (no AWS environment, no permission, AWS
// unreachable) is anonymous access too, so that the next keychain or an
// anonymous pull is tried: it never fails a resolution by itself. It
// remembers each host's answer for its own life, one resolver pass, and
// is safe for concurrent use.
type ECRKeychain struct {
	helper ECRHelper

	mu      sync.Mutex
	answers map[string]authn.Authenticator
}

var _ authn.ContextKeychain = (*ECRKeychain)(nil)

// NewECRKeychain returns a keychain asking helper for ECR hosts.
func NewECRKeychain(helper ECRHelper) *ECRKeychain {
	return &ECRKeychain{helper: helper, answers: map[string]authn.Authenticator{}}
}

// Resolve implements authn.Keychain.
func (k *ECRKeychain) Resolve(r authn.Resource) (authn.Authenticator, error) {
	return k.ResolveContext(context.Background(), r)
}

// ResolveContext implements authn.ContextKeychain: the helper's AWS calls
// are bounded by ctx, the resolution's deadline.
func (k *ECRKeychain) ResolveContext(ctx context.Context, r authn.Resource) (authn.Authenticator, error) {
	host := r.RegistryStr()
	if !IsECRHost(host) {
		return authn.Anonymous, nil
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	if a, ok := k.answers[host]; ok {
		return a, nil
	}
	// The wrapper turns any helper error into anonymous access.
	a, err := authn.Resolve(ctx, authn.NewKeychainFromHelper(k.helper(ctx)), r)
	if err != nil {
		a = authn.Anonymous
	}
	k.answers[host] = a
	return a, nil
}

// WithECR returns the keychain of one pod's images in the kubelet's order:
// first (the pod's pull secrets and its ServiceAccount's; nil for none),
// then, for ECR hosts that first has no credentials for, ecr (nil for
// none). A host neither knows is pulled anonymously.
func WithECR(first authn.Keychain, ecr *ECRKeychain) authn.Keychain {
	var kcs []authn.Keychain
	if first != nil {
		kcs = append(kcs, first)
	}
	if ecr != nil {
		kcs = append(kcs, ecr)
	}
	return authn.NewMultiKeychain(kcs...)
}

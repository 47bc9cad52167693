package imageplatforms

import (
	"context"
	"fmt"

	"github.com/google/go-containerregistry/pkg/authn"
	k8schain "github.com/google/go-containerregistry/pkg/authn/kubernetes"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/client-go/kubernetes"
)

// PullSecretKeychains reads, for each pod, the Secrets the kubelet would
// use to pull its images: the pod's imagePullSecrets and its
// ServiceAccount's. It reads them from the API server when asked (no
// Secret is cached or watched), and only those a job pod names; the RBAC
// that allows it is bound per runner namespace (docs/image-platforms.md).
// Credentials stay in memory for one resolution and are never logged.
type PullSecretKeychains struct {
	Client kubernetes.Interface
}

var _ KeychainSource = PullSecretKeychains{}

// Keychain returns the credentials for pod's images.
func (k PullSecretKeychains) Keychain(ctx context.Context, pod *corev1.Pod) (authn.Keychain, error) {
	names := make([]string, 0, len(pod.Spec.ImagePullSecrets))
	for _, s := range pod.Spec.ImagePullSecrets {
		if s.Name != "" {
			names = append(names, s.Name)
		}
	}
	kc, err := k8schain.New(ctx, k.Client, k8schain.Options{
		Namespace: pod.Namespace, ServiceAccountName: pod.Spec.ServiceAccountName, ImagePullSecrets: names,
	})
	if err != nil {
		return nil, fmt.Errorf("reading pull secrets of %s/%s: %w", pod.Namespace, pod.Name, err)
	}
	return kc, nil
}

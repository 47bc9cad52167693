// Package integration runs jobfit's webhook against a real kube-apiserver
// and etcd (envtest), with the project's own Service and
// MutatingWebhookConfiguration from manifests/base and self-managed TLS.
//
// The kube-apiserver calls the webhook the way it does in a cluster:
// through the Service jobfit-webhook.jobfit-system.svc, verifying the
// certificate jobfit issued for that name against the caBundle jobfit
// patched in. With --enable-aggregator-routing it resolves the Service
// through its EndpointSlice, which the suite points at this machine's
// address (a loopback address is not allowed in an EndpointSlice).
//
// It needs KUBEBUILDER_ASSETS from hack/build-control-plane.sh and is
// skipped without it.
package integration

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"strings"
	"testing"

	"github.com/go-logr/logr"
	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/rest"
	"k8s.io/utils/ptr"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"
	"sigs.k8s.io/yaml"
)

const (
	jobfitNamespace = "jobfit-system"
	manifestsDir    = "../../manifests/base/webhook/"
)

var (
	cfg    *rest.Config
	hostIP string
)

func TestMain(m *testing.M) {
	if os.Getenv("KUBEBUILDER_ASSETS") == "" {
		fmt.Println("skipping: KUBEBUILDER_ASSETS is not set; see hack/build-control-plane.sh")
		os.Exit(0)
	}
	os.Exit(run(m))
}

func run(m *testing.M) int {
	var err error
	if hostIP, err = nonLoopbackIPv4(); err != nil {
		fmt.Println("skipping:", err)
		return 0
	}
	// JOBFIT_TEST_LOG=1 shows jobfit's and controller-runtime's logs.
	out := io.Discard
	if os.Getenv("JOBFIT_TEST_LOG") != "" {
		out = os.Stderr
	}
	ctrl.SetLogger(logr.FromSlogHandler(slog.NewTextHandler(out, nil)))
	env := &envtest.Environment{}
	// Resolve Services through their EndpointSlices, as there is no
	// kube-proxy to route a ClusterIP.
	env.ControlPlane.GetAPIServer().Configure().Set("enable-aggregator-routing", "true")
	if cfg, err = env.Start(); err != nil {
		fmt.Println("starting envtest:", err)
		return 1
	}
	defer func() { _ = env.Stop() }()
	return m.Run()
}

// nonLoopbackIPv4 returns an address of this machine that an EndpointSlice
// may hold.
func nonLoopbackIPv4() (string, error) {
	addrs, err := net.InterfaceAddrs()
	if err != nil {
		return "", fmt.Errorf("listing interface addresses: %w", err)
	}
	for _, a := range addrs {
		if ipn, ok := a.(*net.IPNet); ok && ipn.IP.To4() != nil && !ipn.IP.IsLoopback() && !ipn.IP.IsLinkLocalUnicast() {
			return ipn.IP.String(), nil
		}
	}
	return "", fmt.Errorf("no non-loopback IPv4 address to put in the webhook Service's EndpointSlice")
}

// readManifest decodes the document of kind and name from a multi-document
// file under manifests/base/webhook.
func readManifest(file, name string, into client.Object) error {
	b, err := os.ReadFile(manifestsDir + file)
	if err != nil {
		return err
	}
	for _, doc := range strings.Split(string(b), "\n---") {
		var meta metav1.PartialObjectMetadata
		if err := yaml.Unmarshal([]byte(doc), &meta); err != nil {
			return fmt.Errorf("reading %s: %w", file, err)
		}
		if meta.Name == name {
			return yaml.UnmarshalStrict([]byte(doc), into)
		}
	}
	return fmt.Errorf("%s has no object named %s", file, name)
}

// installWebhook creates jobfit's namespace, its empty certificate Secret,
// and the project's Service and MutatingWebhookConfiguration unchanged, then
// points the Service's EndpointSlice at port on this machine.
func installWebhook(ctx context.Context, c client.Client, port int) error {
	svc := &corev1.Service{}
	if err := readManifest("service.yaml", "jobfit-webhook", svc); err != nil {
		return err
	}
	mwc := &admissionregistrationv1.MutatingWebhookConfiguration{}
	if err := readManifest("mutatingwebhookconfiguration.yaml", "jobfit", mwc); err != nil {
		return err
	}
	slice := &discoveryv1.EndpointSlice{
		ObjectMeta: metav1.ObjectMeta{
			Namespace: jobfitNamespace, Name: "jobfit-webhook-test",
			Labels: map[string]string{discoveryv1.LabelServiceName: svc.Name},
		},
		AddressType: discoveryv1.AddressTypeIPv4,
		Endpoints:   []discoveryv1.Endpoint{{Addresses: []string{hostIP}, Conditions: discoveryv1.EndpointConditions{Ready: ptr.To(true)}}},
		Ports:       []discoveryv1.EndpointPort{{Name: ptr.To(svc.Spec.Ports[0].Name), Port: ptr.To(int32(port)), Protocol: ptr.To(corev1.ProtocolTCP)}},
	}
	for _, obj := range []client.Object{
		&corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: jobfitNamespace}},
		&corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: jobfitNamespace, Name: "jobfit-webhook-tls"}},
		svc, slice, mwc,
	} {
		if err := c.Create(ctx, obj); err != nil {
			return fmt.Errorf("creating %T %s: %w", obj, obj.GetName(), err)
		}
	}
	return nil
}

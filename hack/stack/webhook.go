package stack

import (
	"context"
	"fmt"
	"net"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"
)

// JobfitNamespace is jobfit's namespace in the manifests.
const JobfitNamespace = "jobfit-system"

// ServiceName is the webhook's Service, which the kube-apiserver calls.
const ServiceName = "jobfit-webhook"

// webhookManifests is the directory of the webhook's Service and
// MutatingWebhookConfiguration, under the manifests directory.
const webhookManifests = "base/webhook"

// Environment returns an envtest environment whose kube-apiserver resolves
// Services through their EndpointSlices, as there is no kube-proxy to route
// a ClusterIP.
func Environment() *envtest.Environment {
	env := &envtest.Environment{}
	env.ControlPlane.GetAPIServer().Configure().Set("enable-aggregator-routing", "true")
	return env
}

// NonLoopbackIPv4 returns an address of this machine that an EndpointSlice
// may hold.
func NonLoopbackIPv4() (string, error) {
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

// readManifest decodes the object named name from a multi-document file
// under manifests/base/webhook, strictly: an unknown field is an error.
func (m Manifests) readManifest(file, name string, into client.Object) error {
	objs, err := m.ReadObjects(webhookManifests + "/" + file)
	if err != nil {
		return err
	}
	for _, u := range objs {
		if u.GetName() == name {
			if err := runtime.DefaultUnstructuredConverter.FromUnstructuredWithValidation(u.Object, into, true); err != nil {
				return fmt.Errorf("reading %s: %w", file, err)
			}
			return nil
		}
	}
	return fmt.Errorf("%s has no object named %s", file, name)
}

// Install creates jobfit's namespace, its empty certificate Secret,
// and the project's Service and MutatingWebhookConfiguration unchanged, then
// points the Service's EndpointSlice at port on this machine.
func (m Manifests) Install(ctx context.Context, c client.Client, hostIP string, port int) error {
	svc := &corev1.Service{}
	if err := m.readManifest("service.yaml", ServiceName, svc); err != nil {
		return err
	}
	mwc := &admissionregistrationv1.MutatingWebhookConfiguration{}
	if err := m.readManifest("mutatingwebhookconfiguration.yaml", "jobfit", mwc); err != nil {
		return err
	}
	return InstallObjects(ctx, c, []client.Object{
		&corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: JobfitNamespace}},
		&corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: JobfitNamespace, Name: "jobfit-webhook-tls"}},
		svc, mwc,
	}, hostIP, port)
}

// existingNamespace is whether err is the creation of a namespace that
// exists already (the stack's packing scheduler makes jobfit-system for its
// Lease): that is the namespace wanted.
func existingNamespace(obj client.Object, err error) bool {
	_, typed := obj.(*corev1.Namespace)
	return apierrors.IsAlreadyExists(err) && (typed || obj.GetObjectKind().GroupVersionKind().Kind == "Namespace")
}

// InstallObjects creates objs in order, as rendered elsewhere (for
// example by helm template), then points the EndpointSlice of the Service
// jobfit-webhook among them at port on this machine. Deployments are
// created but run nothing: envtest has no controllers, so the caller runs
// the webhook in-process (NewManager).
func InstallObjects(ctx context.Context, c client.Client, objs []client.Object, hostIP string, port int) error {
	var svc *corev1.Service
	for _, obj := range objs {
		if err := c.Create(ctx, obj); err != nil && !existingNamespace(obj, err) {
			kind := obj.GetObjectKind().GroupVersionKind().Kind
			if kind == "" {
				kind = fmt.Sprintf("%T", obj)
			}
			return fmt.Errorf("creating %s %s: %w", kind, obj.GetName(), err)
		}
		if s, ok := obj.(*corev1.Service); ok && s.Name == ServiceName && s.Namespace == JobfitNamespace {
			svc = s
		}
		if u, ok := obj.(*unstructured.Unstructured); ok && u.GetKind() == "Service" && u.GetName() == ServiceName && u.GetNamespace() == JobfitNamespace {
			svc = &corev1.Service{}
			if err := runtime.DefaultUnstructuredConverter.FromUnstructured(u.Object, svc); err != nil {
				return fmt.Errorf("reading Service %s: %w", ServiceName, err)
			}
		}
	}
	if svc == nil {
		return fmt.Errorf("no Service %s/%s among the objects", JobfitNamespace, ServiceName)
	}
	return PointService(ctx, c, svc, hostIP, port)
}

// PointService creates the EndpointSlice that sends svc's first port to
// port on hostIP, standing in for the webhook Deployment's pods.
func PointService(ctx context.Context, c client.Client, svc *corev1.Service, hostIP string, port int) error {
	if len(svc.Spec.Ports) == 0 {
		return fmt.Errorf("the Service %s/%s has no port", svc.Namespace, svc.Name)
	}
	slice := &discoveryv1.EndpointSlice{
		ObjectMeta: metav1.ObjectMeta{
			Namespace: svc.Namespace, Name: svc.Name + "-test",
			Labels: map[string]string{discoveryv1.LabelServiceName: svc.Name},
		},
		AddressType: discoveryv1.AddressTypeIPv4,
		Endpoints:   []discoveryv1.Endpoint{{Addresses: []string{hostIP}, Conditions: discoveryv1.EndpointConditions{Ready: ptr.To(true)}}},
		Ports:       []discoveryv1.EndpointPort{{Name: ptr.To(svc.Spec.Ports[0].Name), Port: ptr.To(int32(port)), Protocol: ptr.To(corev1.ProtocolTCP)}},
	}
	if err := c.Create(ctx, slice); err != nil {
		return fmt.Errorf("creating EndpointSlice %s: %w", slice.Name, err)
	}
	return nil
}

// FreePort returns a TCP port that is free on loopback now.
func FreePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("finding a free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

package app

import (
	"context"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"time"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// WebhookStatus says whether the MutatingWebhookConfiguration is in place
// and whether the API server can trust the webhook's certificate.
type WebhookStatus struct {
	Name   string `json:"name"`
	Exists bool   `json:"exists"`
	// CAs are the certificates of each webhook's caBundle.
	CAs []CAInfo `json:"cas,omitempty"`
	// Problems is empty when every webhook has a valid, unexpired CA.
	Problems []string `json:"problems,omitempty"`
}

// CAInfo describes one CA certificate of a caBundle.
type CAInfo struct {
	Webhook   string    `json:"webhook"`
	Subject   string    `json:"subject"`
	NotBefore time.Time `json:"notBefore"`
	NotAfter  time.Time `json:"notAfter"`
}

func readWebhookConfig(ctx context.Context, c client.Client, name string) (*admissionregistrationv1.MutatingWebhookConfiguration, error) {
	mwc := &admissionregistrationv1.MutatingWebhookConfiguration{}
	err := c.Get(ctx, client.ObjectKey{Name: name}, mwc)
	if apierrors.IsNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading MutatingWebhookConfiguration %s: %w", name, err)
	}
	return mwc, nil
}

// webhookStatus checks each webhook's caBundle: it must hold at least one
// CA certificate, valid now.
func webhookStatus(mwc *admissionregistrationv1.MutatingWebhookConfiguration, name string, now time.Time) WebhookStatus {
	s := WebhookStatus{Name: name, Exists: mwc != nil}
	if mwc == nil {
		s.Problems = append(s.Problems, fmt.Sprintf("MutatingWebhookConfiguration %s does not exist: no pod is sent to jobfit", name))
		return s
	}
	for _, w := range mwc.Webhooks {
		cas, problem := parseCABundle(w.ClientConfig.CABundle, now)
		for _, ca := range cas {
			s.CAs = append(s.CAs, CAInfo{Webhook: w.Name, Subject: ca.Subject.String(), NotBefore: ca.NotBefore.UTC(), NotAfter: ca.NotAfter.UTC()})
		}
		if problem != "" {
			s.Problems = append(s.Problems, fmt.Sprintf("webhook %s: %s", w.Name, problem))
		}
	}
	return s
}

// parseCABundle returns the CA certificates of a caBundle, and what is
// wrong with it ("" when one of them is a CA valid now).
func parseCABundle(bundle []byte, now time.Time) ([]*x509.Certificate, string) {
	if len(bundle) == 0 {
		return nil, "caBundle is empty: the API server cannot verify the webhook (the certificates are not issued yet?)"
	}
	var cas []*x509.Certificate
	rest := bundle
	for {
		var block *pem.Block
		block, rest = pem.Decode(rest)
		if block == nil {
			break
		}
		if block.Type != "CERTIFICATE" {
			continue
		}
		cert, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			return cas, fmt.Sprintf("caBundle holds a certificate that does not parse: %v", err)
		}
		cas = append(cas, cert)
	}
	if len(cas) == 0 {
		return nil, "caBundle holds no PEM certificate"
	}
	for _, ca := range cas {
		if ca.IsCA && !now.Before(ca.NotBefore) && now.Before(ca.NotAfter) {
			return cas, ""
		}
	}
	return cas, fmt.Sprintf("no certificate in caBundle is a CA valid now (%s)", now.UTC().Format(time.RFC3339))
}

// selection says whether the webhook configuration sends pod to jobfit:
// "" if it does, or why not. matchConditions are left to policy.IsJobPod,
// which recognises the same pods.
func selection(mwc *admissionregistrationv1.MutatingWebhookConfiguration, ns *corev1.Namespace, pod *corev1.Pod) (string, error) {
	if mwc == nil {
		return "the MutatingWebhookConfiguration does not exist", nil
	}
	var reason string
	for _, w := range mwc.Webhooks {
		why, err := selects(w, ns, pod)
		if err != nil {
			return "", err
		}
		if why == "" {
			return "", nil
		}
		reason = why
	}
	return reason, nil
}

func selects(w admissionregistrationv1.MutatingWebhook, ns *corev1.Namespace, pod *corev1.Pod) (string, error) {
	for _, sel := range []struct {
		what   string
		ls     *metav1.LabelSelector
		labels map[string]string
	}{
		{"namespace " + ns.Name + " is not selected by the namespaceSelector", w.NamespaceSelector, ns.Labels},
		{"the pod is excluded by the objectSelector", w.ObjectSelector, pod.Labels},
	} {
		if sel.ls == nil {
			continue
		}
		s, err := metav1.LabelSelectorAsSelector(sel.ls)
		if err != nil {
			return "", fmt.Errorf("webhook %s: reading its selector: %w", w.Name, err)
		}
		if !s.Matches(labels.Set(sel.labels)) {
			return fmt.Sprintf("%s (%s)", sel.what, s.String()), nil
		}
	}
	return "", nil
}

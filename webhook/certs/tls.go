package certs

import "crypto/tls"

// DisableHTTP2 restricts a server to HTTP/1.1 by advertising only "http/1.1"
// in ALPN. It has the signature of an entry in webhook.Options.TLSOpts and
// metricsserver.Options.TLSOpts, so it can be passed to either directly.
//
// HTTP/2 is off because of the stream cancellation ("rapid reset") and
// CONTINUATION flood attacks (CVE-2023-44487, CVE-2023-39325, CVE-2024-27316):
// they let one client exhaust a server's CPU, and a webhook that stalls makes
// every pod creation in the opted-in namespaces wait for its timeout. The
// kube-apiserver speaks HTTP/1.1 to webhooks just as well, so nothing is lost.
func DisableHTTP2(c *tls.Config) {
	c.NextProtos = []string{"http/1.1"}
}

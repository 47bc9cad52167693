package stack

import "k8s.io/client-go/rest"

// ServiceAccountUser is the username a ServiceAccount's token authenticates as.
func ServiceAccountUser(namespace, name string) string {
	return "system:serviceaccount:" + namespace + ":" + name
}

// AsServiceAccount returns a copy of admin that impersonates a
// ServiceAccount, with the groups its token would carry. The API server
// then authorizes and admits every request as it would the real pod's.
func AsServiceAccount(admin *rest.Config, namespace, name string) *rest.Config {
	cfg := rest.CopyConfig(admin)
	cfg.Impersonate = rest.ImpersonationConfig{
		UserName: ServiceAccountUser(namespace, name),
		Groups:   []string{"system:serviceaccounts", "system:serviceaccounts:" + namespace, "system:authenticated"},
	}
	return cfg
}

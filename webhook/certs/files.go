package certs

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"math/big"
	"os"
	"path/filepath"
	"time"

	corev1 "k8s.io/api/core/v1"
)

// The CertDir layout is the kubelet's for Secret volumes, so the certwatcher
// sees the same events here as under a mounted Secret:
//
//	tls.crt -> ..data/tls.crt
//	tls.key -> ..data/tls.key
//	..data  -> ..<random>/        swapped atomically by rename(2)
//
// Replacing the two files one after the other would let the certwatcher read
// a new certificate with the old key in between.
const dataLink = "..data"

// WriteKeyPair makes dir hold certPEM and keyPEM and reports whether they
// changed. Readers never see a mix of an old and a new file. The syncer
// writes with it; the webhook's server tests use it to replace the key pair
// the way the syncer does.
func WriteKeyPair(dir string, certPEM, keyPEM []byte) (changed bool, err error) {
	if oldCert, oldKey, err := readKeyPair(dir); err == nil &&
		bytes.Equal(oldCert, certPEM) && bytes.Equal(oldKey, keyPEM) {
		return false, nil
	}
	version, err := writeVersion(dir, map[string][]byte{corev1.TLSCertKey: certPEM, corev1.TLSPrivateKeyKey: keyPEM})
	if err != nil {
		return false, err
	}
	previous, _ := os.Readlink(filepath.Join(dir, dataLink))
	if err := replaceSymlink(dir, dataLink, version); err != nil {
		return false, errors.Join(err, os.RemoveAll(filepath.Join(dir, version)))
	}
	for _, name := range []string{corev1.TLSCertKey, corev1.TLSPrivateKeyKey} {
		target := filepath.Join(dataLink, name)
		if current, err := os.Readlink(filepath.Join(dir, name)); err == nil && current == target {
			continue
		}
		if err := replaceSymlink(dir, name, target); err != nil {
			return false, err
		}
	}
	if previous != "" && previous != version {
		if err := os.RemoveAll(filepath.Join(dir, filepath.Base(previous))); err != nil {
			return true, fmt.Errorf("removing previous certificates: %w", err)
		}
	}
	return true, nil
}

// writeVersion writes files into a new hidden directory of dir and returns
// its name, relative to dir.
func writeVersion(dir string, files map[string][]byte) (string, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", err
	}
	version, err := os.MkdirTemp(dir, "..")
	if err != nil {
		return "", err
	}
	for name, data := range files {
		if err := os.WriteFile(filepath.Join(version, name), data, 0o600); err != nil {
			return "", errors.Join(err, os.RemoveAll(version))
		}
	}
	return filepath.Base(version), nil
}

// replaceSymlink points dir/name at target, replacing whatever was there in
// one rename so that the name never disappears.
func replaceSymlink(dir, name, target string) error {
	tmp := filepath.Join(dir, name+".tmp")
	if err := os.Remove(tmp); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	if err := os.Symlink(target, tmp); err != nil {
		return err
	}
	return os.Rename(tmp, filepath.Join(dir, name))
}

func readKeyPair(dir string) (certPEM, keyPEM []byte, err error) {
	if certPEM, err = os.ReadFile(filepath.Join(dir, corev1.TLSCertKey)); err != nil {
		return nil, nil, err
	}
	if keyPEM, err = os.ReadFile(filepath.Join(dir, corev1.TLSPrivateKeyKey)); err != nil {
		return nil, nil, err
	}
	return certPEM, keyPEM, nil
}

// ensureBootstrapKeyPair writes a throwaway self-signed key pair into dir
// unless it already holds a loadable one, for example from before a
// container restart. controller-runtime's webhook server refuses to start
// without one, and it starts before any certificate can be issued.
func ensureBootstrapKeyPair(dir string, dnsNames []string) error {
	if certPEM, keyPEM, err := readKeyPair(dir); err == nil {
		if _, err := tls.X509KeyPair(certPEM, keyPEM); err == nil {
			return nil
		}
	}
	certPEM, keyPEM, err := SelfSignedKeyPair(dnsNames, time.Now())
	if err != nil {
		return err
	}
	_, err = WriteKeyPair(dir, certPEM, keyPEM)
	return err
}

// SelfSignedKeyPair is a throwaway key pair for dnsNames, valid from an hour
// before now to a day after. Nothing trusts it: it is the bootstrap pair, and
// a key pair for tests.
func SelfSignedKeyPair(dnsNames []string, now time.Time) (certPEM, keyPEM []byte, err error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, fmt.Errorf("generating key: %w", err)
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		return nil, nil, fmt.Errorf("generating serial number: %w", err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: serial,
		Subject:      pkix.Name{CommonName: "jobfit-webhook-bootstrap", Organization: []string{"jobfit"}},
		DNSNames:     dnsNames,
		NotBefore:    now.Add(-time.Hour),
		NotAfter:     now.Add(24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, nil, fmt.Errorf("creating certificate: %w", err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, nil, fmt.Errorf("encoding key: %w", err)
	}
	certPEM = pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	keyPEM = pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER})
	return certPEM, keyPEM, nil
}

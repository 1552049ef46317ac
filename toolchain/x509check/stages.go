package main

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"time"
)

// adminValidity is kthw's default pki.validityHours; neither signing nor verifying now depends on it.
const adminValidity = 8760 * time.Hour

// parseCertificatePEM reads the CA certificate as the tls provider's locally signed certificate does: the first PEM
// block, of type CERTIFICATE, holding exactly one certificate. kube-apiserver reads its client CA file with the same
// x509 parser.
func parseCertificatePEM(data []byte) (*x509.Certificate, error) {
	block, _ := pem.Decode(data)
	if block == nil {
		return nil, errors.New("no PEM block")
	}
	if block.Type != "CERTIFICATE" {
		return nil, fmt.Errorf("PEM block of type %q, not CERTIFICATE", block.Type)
	}
	certs, err := x509.ParseCertificates(block.Bytes)
	if err != nil {
		return nil, err
	}
	if len(certs) != 1 {
		return nil, fmt.Errorf("%d certificates in the PEM block, not 1", len(certs))
	}
	return certs[0], nil
}

// parsePrivateKeyPEM reads the CA key as the tls provider does: the first PEM block, parsed by its type (PKCS #1,
// SEC 1 or PKCS #8), and only RSA, ECDSA and Ed25519 keys kept.
func parsePrivateKeyPEM(data []byte) (crypto.Signer, error) {
	block, _ := pem.Decode(data)
	if block == nil {
		return nil, errors.New("no PEM block")
	}
	var key any
	var err error
	switch block.Type {
	case "RSA PRIVATE KEY":
		key, err = x509.ParsePKCS1PrivateKey(block.Bytes)
	case "EC PRIVATE KEY":
		key, err = x509.ParseECPrivateKey(block.Bytes)
	case "PRIVATE KEY":
		key, err = x509.ParsePKCS8PrivateKey(block.Bytes)
	default:
		return nil, fmt.Errorf("PEM block of type %q, not a private key the provider reads", block.Type)
	}
	if err != nil {
		return nil, err
	}
	switch signer := key.(type) {
	case *rsa.PrivateKey:
		return signer, nil
	case *ecdsa.PrivateKey:
		return signer, nil
	case ed25519.PrivateKey:
		return signer, nil
	}
	return nil, fmt.Errorf("private key of type %T, not RSA, ECDSA or Ed25519", key)
}

// signAdmin issues the admin certificate as kthw asks the tls provider to (components/pki/component.py): CN=admin,
// O=system:masters, client authentication only, digitalSignature and keyEncipherment, from a fresh key.
func signAdmin(ca *x509.Certificate, caKey crypto.Signer, now time.Time) ([]byte, error) {
	adminKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 128))
	if err != nil {
		return nil, err
	}
	template := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: "admin", Organization: []string{"system:masters"}},
		NotBefore:             now,
		NotAfter:              now.Add(adminValidity),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
		BasicConstraintsValid: true,
	}
	return x509.CreateCertificate(rand.Reader, template, ca, adminKey.Public(), caKey)
}

// verifyClient checks the admin certificate as kube-apiserver's x509 authenticator does: the TLS stack parses it,
// then Verify builds a chain to the client CA for client authentication.
func verifyClient(adminDER []byte, ca *x509.Certificate, now time.Time) error {
	admin, err := x509.ParseCertificate(adminDER)
	if err != nil {
		return err
	}
	roots := x509.NewCertPool()
	roots.AddCert(ca)
	_, err = admin.Verify(x509.VerifyOptions{
		Roots:       roots,
		CurrentTime: now,
		KeyUsages:   []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	})
	return err
}

// Command x509check says whether Go accepts a CA certificate and key for what kthw does with them: the tls provider
// parses both and signs the admin client certificate (tls.LocallySignedCert), then kube-apiserver verifies that
// certificate against the CA for client authentication.
//
//	x509check -cert ca.pem -key ca-key.pem [-now 2030-01-02T03:04:05Z]
//
// -now checks at that time (RFC 3339) instead of the current time: the edges of the CA's validity.
//
// It prints one line of JSON, {"accepted": bool, "stage": "...", "error": "..."}, where stage names the step that
// refused (parse-cert, parse-key, sign, verify) and error is Go's message. It exits 0 whenever it could read both
// files, accepted or not; 2 on a usage error.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"time"
)

// Result is what one check found: accepted, or the stage that refused and Go's error.
type Result struct {
	Accepted bool   `json:"accepted"`
	Stage    string `json:"stage,omitempty"`
	Error    string `json:"error,omitempty"`
}

func main() {
	certFile := flag.String("cert", "", "the CA certificate (PEM)")
	keyFile := flag.String("key", "", "the CA private key (PEM)")
	nowText := flag.String("now", "", "the time to check at, RFC 3339 (default: the current time)")
	flag.Parse()
	if *certFile == "" || *keyFile == "" || flag.NArg() > 0 {
		fmt.Fprintln(os.Stderr, "usage: x509check -cert ca.pem -key ca-key.pem [-now RFC3339]")
		os.Exit(2)
	}
	now := time.Now()
	if *nowText != "" {
		parsed, err := time.Parse(time.RFC3339, *nowText)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(2)
		}
		now = parsed
	}
	certPEM, err := os.ReadFile(*certFile)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	keyPEM, err := os.ReadFile(*keyFile)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	if err := json.NewEncoder(os.Stdout).Encode(check(certPEM, keyPEM, now)); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
}

// check runs the stages in the order they happen: the provider parses the certificate and the key and signs, then
// kube-apiserver verifies the result at now.
func check(certPEM, keyPEM []byte, now time.Time) Result {
	ca, err := parseCertificatePEM(certPEM)
	if err != nil {
		return refused("parse-cert", err)
	}
	key, err := parsePrivateKeyPEM(keyPEM)
	if err != nil {
		return refused("parse-key", err)
	}
	admin, err := signAdmin(ca, key, now)
	if err != nil {
		return refused("sign", err)
	}
	if err := verifyClient(admin, ca, now); err != nil {
		return refused("verify", err)
	}
	return Result{Accepted: true}
}

func refused(stage string, err error) Result {
	return Result{Stage: stage, Error: err.Error()}
}

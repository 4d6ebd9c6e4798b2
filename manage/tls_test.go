package manage_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/outhook/outhook/webhook"
)

// selfSigned returns a self-signed certificate and its key, in PEM.
func selfSigned(t *testing.T) (certPEM, keyPEM string) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "client"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	require.NoError(t, err)
	kder, err := x509.MarshalPKCS8PrivateKey(key)
	require.NoError(t, err)
	return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})),
		string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: kder}))
}

// TestTLSSettingsAreMaskedAndNamedWhenWrong: the certificates and key
// of a webhook's tls never come back, and a wrong one is a 422 naming
// its field.
func TestTLSSettingsAreMaskedAndNamedWhenWrong(t *testing.T) {
	s := newService(t, nil)
	acme := s.as("acme")
	cert, key := selfSigned(t)
	acme.secrets = []string{strings.Split(key, "\n")[1], strings.Split(cert, "\n")[1]}

	def := s.hook("Mutual")
	def["id"] = "mutual"
	def["url"] = "https://hooks.example/mutual" // TLS settings need https; never delivered here
	def["tls"] = map[string]string{"client_certificate": cert, "client_key": key, "ca_certificates": cert, "min_version": "1.3"}
	var created webhook.Webhook
	acme.ok(http.StatusCreated, &created, http.MethodPost, "/webhooks", def)
	require.Equal(t, &webhook.TLSSettings{ClientCertificate: "REDACTED", ClientKey: "REDACTED", CACertificates: "REDACTED", MinVersion: "1.3"}, created.TLS)

	renamed := created
	renamed.Name = "Mutual v2"
	var updated webhook.Webhook
	acme.ok(http.StatusOK, &updated, http.MethodPut, "/webhooks/mutual", renamed, "If-Match", `"1"`)
	require.Equal(t, created.TLS, updated.TLS, "the masks keep the stored settings")

	bad := s.hook("Broken")
	bad["url"] = "https://hooks.example/broken"
	bad["tls"] = map[string]string{"client_certificate": cert, "client_key": "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n"}
	p := acme.problem(http.StatusUnprocessableEntity, "definition-invalid", http.MethodPost, "/webhooks", bad)
	require.Len(t, p.Errors, 1)
	require.Equal(t, "tls.client_key", p.Errors[0].Field)
}

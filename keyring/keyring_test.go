package keyring_test

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/outhook/outhook/keyring"
)

func ring(t testing.TB, primary keyring.Key, others ...keyring.Key) *keyring.Keyring {
	r, err := keyring.New(primary, others...)
	require.NoError(t, err)
	return r
}

func key(t testing.TB, id string) keyring.Key {
	k, err := keyring.GenerateKey(id)
	require.NoError(t, err)
	return k
}

func TestSealOpen(t *testing.T) {
	r := ring(t, key(t, "k1"))
	ad := []byte("tenant\x00id")
	sealed, err := r.Seal([]byte("Bearer s3cr3t"), ad)
	require.NoError(t, err)
	require.False(t, bytes.Contains(sealed, []byte("s3cr3t")))
	plain, err := r.Open(sealed, ad)
	require.NoError(t, err)
	require.Equal(t, "Bearer s3cr3t", string(plain))
	again, err := r.Seal([]byte("Bearer s3cr3t"), ad)
	require.NoError(t, err)
	require.NotEqual(t, sealed, again, "every seal takes a fresh nonce")

	_, err = r.Open(sealed, []byte("tenant\x00other"))
	require.ErrorIs(t, err, keyring.ErrCorrupt, "sealed for another definition")
	for i := range sealed {
		bad := bytes.Clone(sealed)
		bad[i] ^= 0x01
		_, err := r.Open(bad, ad)
		require.Error(t, err, "byte %d altered", i)
	}
	for _, short := range [][]byte{nil, {1}, sealed[:5], sealed[:len(sealed)-1]} {
		_, err := r.Open(short, ad)
		require.Error(t, err)
	}
}

func TestRotation(t *testing.T) {
	old, next := key(t, "2026-01"), key(t, "2026-12")
	before := ring(t, old)
	sealed, err := before.Seal([]byte("x"), nil)
	require.NoError(t, err)

	after := ring(t, next, old)
	require.False(t, after.Current(sealed))
	plain, err := after.Open(sealed, nil)
	require.NoError(t, err)
	require.Equal(t, "x", string(plain))
	resealed, err := after.Seal(plain, nil)
	require.NoError(t, err)
	require.True(t, after.Current(resealed))
	id, err := keyring.KeyID(resealed)
	require.NoError(t, err)
	require.Equal(t, "2026-12", id)

	_, err = ring(t, next).Open(sealed, nil)
	require.ErrorIs(t, err, keyring.ErrUnknownKey)
	require.ErrorContains(t, err, "2026-01")
}

func TestKeysNeverPrintTheirSecret(t *testing.T) {
	k := key(t, "k1")
	secret := base64.StdEncoding.EncodeToString(k.Secret)
	var logged bytes.Buffer
	slog.New(slog.NewJSONHandler(&logged, nil)).Info("key", "key", k)
	for _, out := range []string{fmt.Sprint(k), fmt.Sprintf("%v %+v %#v %s %q %x", k, k, k, k, k, k), logged.String()} {
		require.Contains(t, out, "k1")
		require.NotContains(t, out, secret)
		require.NotContains(t, out, fmt.Sprintf("%x", k.Secret))
	}
}

func TestParseKey(t *testing.T) {
	k := key(t, "prod-1")
	text := "prod-1:" + base64.StdEncoding.EncodeToString(k.Secret)
	parsed, err := keyring.ParseKey(text)
	require.NoError(t, err)
	require.Equal(t, k.Secret, parsed.Secret)
	_, err = keyring.ParseKey("prod-1:" + base64.RawStdEncoding.EncodeToString(k.Secret))
	require.NoError(t, err, "unpadded")

	for _, bad := range []string{"", "nocolon", ":" + base64.StdEncoding.EncodeToString(k.Secret),
		"id:" + base64.StdEncoding.EncodeToString(k.Secret[:16]), "id:not base64 at all!", "sp ace:" + base64.StdEncoding.EncodeToString(k.Secret)} {
		_, err := keyring.ParseKey(bad)
		require.ErrorIs(t, err, keyring.ErrInvalidKey, bad)
		if _, secret, ok := strings.Cut(bad, ":"); ok && len(secret) > 8 {
			require.NotContains(t, err.Error(), secret, "the error repeats no secret")
		}
	}
	_, err = keyring.New(k, k)
	require.ErrorIs(t, err, keyring.ErrInvalidKey, "two keys with one id")
}

func FuzzOpen(f *testing.F) {
	r := ring(f, keyring.Key{ID: "k", Secret: make([]byte, keyring.KeySize)})
	sealed, _ := r.Seal([]byte("seed"), []byte("ad"))
	f.Add(sealed, []byte("ad"))
	f.Add([]byte{1, 1, 'k'}, []byte{})
	f.Fuzz(func(t *testing.T, sealed, ad []byte) {
		plain, err := r.Open(sealed, ad)
		if err == nil {
			again, err := r.Seal(plain, ad)
			require.NoError(t, err)
			back, err := r.Open(again, ad)
			require.NoError(t, err)
			require.Equal(t, plain, back)
		}
	})
}

func ExampleKeyring() {
	k, _ := keyring.GenerateKey("2026-12")
	r, _ := keyring.New(k)
	sealed, _ := r.Seal([]byte("Bearer token"), []byte("acme/hook-1"))
	plain, _ := r.Open(sealed, []byte("acme/hook-1"))
	_, err := r.Open(sealed, []byte("acme/hook-2"))
	fmt.Println(string(plain))
	fmt.Println(err != nil)
	// Output:
	// Bearer token
	// true
}

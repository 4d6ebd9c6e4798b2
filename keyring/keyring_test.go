package keyring_test

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/outhook/outhook/keyring"
)

func key(t testing.TB, id string) keyring.Key {
	t.Helper()
	k, err := keyring.GenerateKey(id)
	require.NoError(t, err)
	return k
}

func ring(t testing.TB, primary keyring.Key, others ...keyring.Key) *keyring.Keyring {
	t.Helper()
	r, err := keyring.New(primary, others...)
	require.NoError(t, err)
	return r
}

func TestSealOpenRoundTrip(t *testing.T) {
	r := ring(t, key(t, "k1"))
	for _, plaintext := range [][]byte{nil, {}, []byte("Bearer s3cr3t"), bytes.Repeat([]byte{0, 0xff}, 5000)} {
		sealed, err := r.Seal(plaintext, []byte("acme/slack"))
		require.NoError(t, err)
		require.Len(t, sealed, 1+1+2+12+len(plaintext)+16)
		if len(plaintext) > 0 {
			require.False(t, bytes.Contains(sealed, plaintext), "the plaintext is not in what is sealed")
		}
		opened, err := r.Open(sealed, []byte("acme/slack"))
		require.NoError(t, err)
		require.Equal(t, len(plaintext), len(opened))
		require.True(t, bytes.Equal(plaintext, opened) || len(plaintext) == 0)

		id, err := keyring.KeyID(sealed)
		require.NoError(t, err)
		require.Equal(t, "k1", id)
		require.True(t, r.Current(sealed))
	}
	// Nonces are random: sealing twice gives two values.
	a, err := r.Seal([]byte("x"), nil)
	require.NoError(t, err)
	b, err := r.Seal([]byte("x"), nil)
	require.NoError(t, err)
	require.NotEqual(t, a, b)
}

func TestOpenWithOtherAssociatedDataFails(t *testing.T) {
	r := ring(t, key(t, "k1"))
	sealed, err := r.Seal([]byte("Bearer s3cr3t"), []byte("acme/slack"))
	require.NoError(t, err)
	for _, other := range []string{"acme/jira", "other/slack", "acme/slack ", "", "acme/slac"} {
		_, err := r.Open(sealed, []byte(other))
		require.ErrorIs(t, err, keyring.ErrCorrupt, "associated %q", other)
		require.NotErrorIs(t, err, keyring.ErrUnknownKey)
	}
}

func TestOpenOfAlteredValuesFails(t *testing.T) {
	r := ring(t, key(t, "k1"), key(t, "k2"))
	sealed, err := r.Seal([]byte("Bearer s3cr3t"), []byte("acme/slack"))
	require.NoError(t, err)
	for i := range sealed {
		for _, flip := range []byte{0x01, 0x80, 0xff} {
			altered := bytes.Clone(sealed)
			altered[i] ^= flip
			opened, err := r.Open(altered, []byte("acme/slack"))
			require.Nil(t, opened, "byte %d ^ %#x", i, flip)
			require.True(t, errors.Is(err, keyring.ErrCorrupt) || errors.Is(err, keyring.ErrUnknownKey),
				"byte %d ^ %#x: %v", i, flip, err)
			if i > 3 {
				require.ErrorIs(t, err, keyring.ErrCorrupt, "byte %d ^ %#x", i, flip)
			}
		}
	}
	// Truncated and extended values fail too.
	for n := range sealed {
		_, err := r.Open(sealed[:n], []byte("acme/slack"))
		require.ErrorIs(t, err, keyring.ErrCorrupt, "the first %d bytes", n)
	}
	_, err = r.Open(append(bytes.Clone(sealed), 0), []byte("acme/slack"))
	require.ErrorIs(t, err, keyring.ErrCorrupt)
	// A value sealed under k2's id but k1's secret is refused.
	swapped := bytes.Clone(sealed)
	swapped[3] = '2'
	_, err = r.Open(swapped, []byte("acme/slack"))
	require.ErrorIs(t, err, keyring.ErrCorrupt)
}

func TestOpenUnderAnUnknownKeyNamesIt(t *testing.T) {
	sealed, err := ring(t, key(t, "2025-old")).Seal([]byte("s"), nil)
	require.NoError(t, err)
	_, err = ring(t, key(t, "2026-new")).Open(sealed, nil)
	require.ErrorIs(t, err, keyring.ErrUnknownKey)
	require.ErrorContains(t, err, `"2025-old"`)
}

func TestRotation(t *testing.T) {
	old, next := key(t, "2025"), key(t, "2026")
	before := ring(t, old)
	sealed, err := before.Seal([]byte("Bearer s3cr3t"), []byte("acme/slack"))
	require.NoError(t, err)
	require.True(t, before.Current(sealed))

	// Step 1: the new key is the primary, the old one kept to open.
	during := ring(t, next, old)
	require.Equal(t, "2026", during.Primary())
	require.False(t, during.Current(sealed), "sealed under the old key: to seal again")
	opened, err := during.Open(sealed, []byte("acme/slack"))
	require.NoError(t, err)
	resealed, err := during.Seal(opened, []byte("acme/slack"))
	require.NoError(t, err)
	require.True(t, during.Current(resealed))
	id, err := keyring.KeyID(resealed)
	require.NoError(t, err)
	require.Equal(t, "2026", id)

	// Step 2: the old key is dropped; what was sealed again still opens.
	after := ring(t, next)
	opened, err = after.Open(resealed, []byte("acme/slack"))
	require.NoError(t, err)
	require.Equal(t, "Bearer s3cr3t", string(opened))
	_, err = after.Open(sealed, []byte("acme/slack"))
	require.ErrorIs(t, err, keyring.ErrUnknownKey)
	require.False(t, after.Current(sealed))
	require.False(t, after.Current([]byte("garbage")))
}

func TestKeyIDOfCorruptValues(t *testing.T) {
	for _, sealed := range [][]byte{nil, {1}, {2, 2, 'k', '1'}, {1, 0}, {1, 65}, append([]byte{1, 2, 'k', 0}, make([]byte, 28)...), {1, 2, 'k', '1'}} {
		_, err := keyring.KeyID(sealed)
		require.ErrorIs(t, err, keyring.ErrCorrupt, "%x", sealed)
	}
}

func TestNewRefusesBadKeys(t *testing.T) {
	good := key(t, "good")
	cases := []struct {
		name   string
		keys   []keyring.Key
		id     string
		reason string
	}{
		{"empty id", []keyring.Key{{ID: "", Secret: good.Secret}}, "", "empty"},
		{"long id", []keyring.Key{{ID: strings.Repeat("k", 65), Secret: good.Secret}}, "", "more than 64"},
		{"space in id", []keyring.Key{{ID: "a b", Secret: good.Secret}}, "", "printable ASCII at 1"},
		{"non-ASCII id", []keyring.Key{{ID: "clé", Secret: good.Secret}}, "", "printable ASCII at 2"},
		{"short secret", []keyring.Key{{ID: "k", Secret: good.Secret[:16]}}, "k", "16 bytes, not 32"},
		{"no secret", []keyring.Key{{ID: "k"}}, "k", "0 bytes, not 32"},
		{"duplicate id", []keyring.Key{good, {ID: "good", Secret: key(t, "x").Secret}}, "good", "two keys"},
		{"bad other", []keyring.Key{good, {ID: "other", Secret: []byte("short")}}, "other", "5 bytes"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := keyring.New(c.keys[0], c.keys[1:]...)
			require.ErrorIs(t, err, keyring.ErrInvalidKey)
			var ke *keyring.KeyError
			require.ErrorAs(t, err, &ke)
			require.Equal(t, c.id, ke.ID)
			require.Contains(t, ke.Problem, c.reason)
		})
	}
	require.Equal(t, 64, len(key(t, strings.Repeat("k", 64)).ID))
	_, err := keyring.GenerateKey("")
	require.ErrorIs(t, err, keyring.ErrInvalidKey)
}

func TestNewKeepsNoReferenceToSecrets(t *testing.T) {
	k := key(t, "k1")
	r := ring(t, k)
	sealed, err := r.Seal([]byte("s"), nil)
	require.NoError(t, err)
	clear(k.Secret)
	opened, err := r.Open(sealed, nil)
	require.NoError(t, err)
	require.Equal(t, "s", string(opened))
}

func TestParseKey(t *testing.T) {
	secret := bytes.Repeat([]byte{0xfb, 0xef, 0xbe}, 11)[:32]
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		s := "2026-01:" + enc.EncodeToString(secret)
		k, err := keyring.ParseKey(s)
		require.NoError(t, err, s)
		require.Equal(t, keyring.Key{ID: "2026-01", Secret: secret}, k)
	}
	k, err := keyring.ParseKey("urn:key:1:" + base64.StdEncoding.EncodeToString(secret))
	require.NoError(t, err)
	require.Equal(t, "urn:key:1", k.ID, "the secret follows the last colon")

	generated := key(t, "g")
	k, err = keyring.ParseKey("g:" + base64.StdEncoding.EncodeToString(generated.Secret))
	require.NoError(t, err)
	require.Equal(t, generated, k)
}

// TestParseKeyErrorsDoNotEchoTheInput checks that what ParseKey refuses is
// not repeated in its error, as the input is a secret, perhaps pasted in
// the wrong variable.
func TestParseKeyErrorsDoNotEchoTheInput(t *testing.T) {
	secret := base64.StdEncoding.EncodeToString(bytes.Repeat([]byte("S"), 32))
	cases := []struct {
		in, id, problem string
	}{
		{secret, "", "no colon"},
		{":" + secret, "", "id is empty"},
		{"k1:" + secret[:20], "k1", "not 32"},
		{"k1:" + strings.TrimRight(secret, "=") + "AAAA", "k1", "35 bytes, not 32"},
		{"k1:" + strings.Replace(secret, "U", "!", 1), "k1", "not base64"},
		{"k 1:" + secret, "", "printable ASCII"},
		{"k1:", "k1", "0 bytes"},
	}
	for _, c := range cases {
		_, err := keyring.ParseKey(c.in)
		require.ErrorIs(t, err, keyring.ErrInvalidKey, c.in)
		var ke *keyring.KeyError
		require.ErrorAs(t, err, &ke)
		require.Equal(t, c.id, ke.ID)
		require.Contains(t, err.Error(), c.problem)
		for _, part := range []string{secret, secret[:8], secret[10:18]} {
			require.NotContains(t, err.Error(), part)
		}
	}
}

// TestKeysNeverPrintTheirSecret prints a key every way a program might
// and looks for its secret in every encoding.
func TestKeysNeverPrintTheirSecret(t *testing.T) {
	k := key(t, "k1")
	k.Secret = bytes.Repeat([]byte{0xab, 0xcd, 0x12, 0x34}, 8)
	forms := []string{
		string(k.Secret), hex.EncodeToString(k.Secret), strings.ToUpper(hex.EncodeToString(k.Secret)),
		base64.StdEncoding.EncodeToString(k.Secret)[:20], base64.RawURLEncoding.EncodeToString(k.Secret)[:20],
		fmt.Sprint(k.Secret[:8])[1:20], "171 205 18 52", "0xab", "\\xab", "ab cd", "q80SNKvN",
	}
	type holder struct {
		Key  keyring.Key
		Ptr  *keyring.Key
		Keys []keyring.Key
	}
	h := holder{Key: k, Ptr: &k, Keys: []keyring.Key{k}}
	var out []string
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%X", "%d", "%o", "%b", "%10.3v", "%T"} {
		out = append(out, fmt.Sprintf(verb, k), fmt.Sprintf(verb, &k), fmt.Sprintf(verb, h), fmt.Sprintf(verb, map[string]keyring.Key{"k": k}))
	}
	out = append(out, fmt.Sprint(k), fmt.Sprintln(k, &k), k.String(), k.GoString(), fmt.Errorf("with %v", k).Error())
	var logs bytes.Buffer
	for _, l := range []*slog.Logger{slog.New(slog.NewTextHandler(&logs, nil)), slog.New(slog.NewJSONHandler(&logs, nil))} {
		l.Info("key", "key", k, "ptr", &k, "any", any(k))
		l.Info("group", slog.Any("holder", h))
	}
	out = append(out, logs.String())
	j, err := json.Marshal(h)
	require.NoError(t, err)
	out = append(out, string(j))

	for _, o := range out {
		for _, f := range forms {
			require.NotContains(t, o, f, "printed as %q", o)
		}
	}
	require.Equal(t, "k1:REDACTED", fmt.Sprint(k))
	require.Equal(t, `keyring.Key{ID:"k1", Secret:REDACTED}`, fmt.Sprintf("%#v", k))
	require.Contains(t, logs.String(), "k1")
	require.Equal(t, "[id=k1 secret=REDACTED]", k.LogValue().Resolve().String())
	require.Contains(t, string(j), `"id":"k1"`)
}

func TestKeyringIsSafeForConcurrentUse(t *testing.T) {
	r := ring(t, key(t, "k1"))
	done := make(chan error)
	for g := range 8 {
		go func() {
			for i := range 200 {
				msg := fmt.Appendf(nil, "%d-%d", g, i)
				sealed, err := r.Seal(msg, []byte("aad"))
				if err == nil {
					var opened []byte
					opened, err = r.Open(sealed, []byte("aad"))
					if err == nil && !bytes.Equal(opened, msg) {
						err = fmt.Errorf("opened %q, sealed %q", opened, msg)
					}
				}
				if err != nil {
					done <- err
					return
				}
			}
			done <- nil
		}()
	}
	for range 8 {
		require.NoError(t, <-done)
	}
}

// FuzzOpen checks that Open, KeyID and Current never panic and fail only
// with their errors, whatever the bytes, and that what Seal makes opens.
func FuzzOpen(f *testing.F) {
	k1 := keyring.Key{ID: "k1", Secret: bytes.Repeat([]byte{1}, 32)}
	k2 := keyring.Key{ID: "k2", Secret: bytes.Repeat([]byte{2}, 32)}
	r, err := keyring.New(k1, k2)
	if err != nil {
		f.Fatal(err)
	}
	for _, s := range []string{"", "s3cr3t", strings.Repeat("x", 100)} {
		sealed, err := r.Seal([]byte(s), []byte("aad"))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(sealed, []byte("aad"), []byte(s))
		f.Add(sealed[:len(sealed)-1], []byte("aad"), []byte(s))
	}
	f.Add([]byte{1, 64}, []byte{}, []byte{})
	f.Add([]byte{1, 255, 'k'}, []byte{}, []byte{})
	f.Fuzz(func(t *testing.T, sealed, associated, plaintext []byte) {
		opened, err := r.Open(sealed, associated)
		if err != nil {
			if !errors.Is(err, keyring.ErrCorrupt) && !errors.Is(err, keyring.ErrUnknownKey) {
				t.Fatalf("Open: %v", err)
			}
			if opened != nil {
				t.Fatal("Open failed and returned a plaintext")
			}
		}
		if _, err := keyring.KeyID(sealed); err != nil && !errors.Is(err, keyring.ErrCorrupt) {
			t.Fatalf("KeyID: %v", err)
		}
		r.Current(sealed)

		again, err := r.Seal(plaintext, associated)
		if err != nil {
			t.Fatal(err)
		}
		back, err := r.Open(again, associated)
		if err != nil || !bytes.Equal(back, plaintext) && len(plaintext) > 0 {
			t.Fatalf("round trip: %q, %v", back, err)
		}
	})
}

func BenchmarkSeal(b *testing.B) {
	r := ring(b, key(b, "2026-01"))
	for _, size := range []int{64, 1024} {
		plaintext := make([]byte, size)
		b.Run(fmt.Sprint(size), func(b *testing.B) {
			b.SetBytes(int64(size))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := r.Seal(plaintext, []byte("acme/slack")); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkOpen(b *testing.B) {
	r := ring(b, key(b, "2026-01"), key(b, "2025-12"))
	for _, size := range []int{64, 1024} {
		sealed, err := r.Seal(make([]byte, size), []byte("acme/slack"))
		require.NoError(b, err)
		b.Run(fmt.Sprint(size), func(b *testing.B) {
			b.SetBytes(int64(size))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := r.Open(sealed, []byte("acme/slack")); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

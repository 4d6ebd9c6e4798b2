package keyring_test

import (
	"encoding/base64"
	"fmt"
	"os"

	"github.com/outhook/outhook/keyring"
)

// A host reads its key from the environment, seals a header value for
// one webhook of one tenant, and rotates to a new key.
func Example() {
	secret := base64.StdEncoding.EncodeToString([]byte("0123456789abcdef0123456789abcdef"))
	os.Setenv("OUTHOOK_KEY", "2025-12:"+secret) // set by the deployment
	old, err := keyring.ParseKey(os.Getenv("OUTHOOK_KEY"))
	if err != nil {
		panic(err)
	}
	fmt.Println("loaded", old) // prints the id only

	ring, err := keyring.New(old)
	if err != nil {
		panic(err)
	}
	sealed, err := ring.Seal([]byte("Bearer s3cr3t"), []byte("acme/slack"))
	if err != nil {
		panic(err)
	}

	// Rotation: a new primary, the old key kept to open what it sealed.
	next, err := keyring.GenerateKey("2026-01")
	if err != nil {
		panic(err)
	}
	ring, err = keyring.New(next, old)
	if err != nil {
		panic(err)
	}
	fmt.Println("current:", ring.Current(sealed))
	plaintext, err := ring.Open(sealed, []byte("acme/slack"))
	if err != nil {
		panic(err)
	}
	if sealed, err = ring.Seal(plaintext, []byte("acme/slack")); err != nil {
		panic(err)
	}
	id, _ := keyring.KeyID(sealed)
	fmt.Println("sealed again under", id, "current:", ring.Current(sealed))

	_, err = ring.Open(sealed, []byte("other/slack"))
	fmt.Println(err)
	// Output:
	// loaded 2025-12:REDACTED
	// current: false
	// sealed again under 2026-01 current: true
	// keyring: sealed value is corrupt: it does not authenticate under key "2026-01" with this associated data
}

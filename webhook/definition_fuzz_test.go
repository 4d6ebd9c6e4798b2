package webhook_test

import (
	"bytes"
	"context"
	"errors"
	"testing"

	"github.com/outhook/outhook/signature"
	"github.com/outhook/outhook/webhook"
)

// FuzzDecodeWebhooks feeds definition files to DecodeWebhooks and what it
// decodes to Dispatcher.AddAll. Neither may panic; DecodeWebhooks's errors
// are *DefinitionError wrapping ErrInvalidDefinitions, AddAll's are
// DefinitionErrors whose every entry wraps one of the definition sentinels;
// what AddAll accepts can be encoded and decoded again.
func FuzzDecodeWebhooks(f *testing.F) {
	seeds := []string{
		`[]`,
		`{"webhooks":[]}`,
		`[{"name":"torq","active":true,"url":"https://hooks.torq.io/v1/webhooks/abc","headers":{"Authorization":"Bearer x"},` +
			`"body_template":"{\"body\":{\"event\":\"New Apono {{event_type}} request made by {{data.requester.name}}\"}}",` +
			`"triggers":["RequestCreated","AccessRequestApproved"],"timeout_in_sec":10,` +
			`"response_validators":[{"json_path":"$.data.status","expected_values":["ok"]}],"custom_validation_error_message":"no"}]`,
		`{"webhooks":[{"name":"f","active":true,"url":"https://x.example/h","triggers":["RequestGranted"],` +
			`"filters":{"integration":["aws"]},"delivery":{"retry":{"max_attempts":3,"initial_interval":"1s"},"concurrency":2,` +
			`"queue_size":10,"ordering_key":"data.id","rate_limit":{"requests":5,"per":"1s"},"max_redirects":1},` +
			`"signing_secrets":["whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"],"method":"PUT","secret_url_path":true}]}`,
		`[{"name":"bad name!","url":"ftp://x","triggers":[],"body_template":"{{#each}}","timeout_in_sec":-1}]`,
		`[{"name":"a","url":"https://a.example","triggers":["RequestCreated"]},{"name":"a","url":"https://a.example","triggers":["Nope"]}]`,
		`[{"name":"v","active":true,"url":"https://v.example/h","triggers":["RequestGranted"],` +
			`"response_validators":[{"status":["200","2xx","201-204"]},{"header":"X-Result","expected_values":["ok"]},{"header":"X-Id"}]}]`,
		`[{"name":"v","url":"https://v.example/h","triggers":["RequestGranted"],` +
			`"response_validators":[{"status":["404"]},{"header":"X Y"},{"status":["200"],"expected_values":["x"]},{}]}]`,
		`[{"nmae":"typo"}]`,
		`[{"name":"x"}] trailing`,
		`{"webhooks":[{"name":1}]}`,
	}
	for _, s := range seeds {
		f.Add([]byte(s))
	}
	d, err := webhook.New(webhook.WithEngine(&countingEngine{}))
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { _ = d.Close(context.Background()) })
	sentinels := []error{
		webhook.ErrInvalidDefinitions, webhook.ErrDuplicateName, webhook.ErrDuplicateID, webhook.ErrInvalidName,
		webhook.ErrInvalidMethod, webhook.ErrInvalidURL, webhook.ErrInsecureURL, webhook.ErrInvalidHeader,
		webhook.ErrNoTriggers, webhook.ErrUnknownTrigger, webhook.ErrInvalidTemplate, webhook.ErrInvalidFilter,
		webhook.ErrInvalidValidator, webhook.ErrInvalidTimeout, webhook.ErrInvalidSettings,
		signature.ErrInvalidSecret, // signing_secrets
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		hooks, err := webhook.DecodeWebhooks(bytes.NewReader(raw))
		if err != nil {
			var de *webhook.DefinitionError
			if !errors.As(err, &de) || !errors.Is(err, webhook.ErrInvalidDefinitions) {
				t.Fatalf("DecodeWebhooks: error %T %v is not a *DefinitionError wrapping ErrInvalidDefinitions", err, err)
			}
			return
		}
		added, err := d.AddAll(hooks)
		if err != nil {
			var list webhook.DefinitionErrors
			if !errors.As(err, &list) || len(list) == 0 {
				t.Fatalf("AddAll: error %T %v is not a non-empty DefinitionErrors", err, err)
			}
			for _, e := range list {
				known := false
				for _, s := range sentinels {
					known = known || errors.Is(e, s)
				}
				if e == nil || !known {
					t.Fatalf("AddAll: %v wraps none of the definition errors", e)
				}
			}
			return
		}
		// Accepted: it round-trips, and leaves room for the next input.
		var buf bytes.Buffer
		if err := webhook.EncodeWebhooks(&buf, added); err != nil {
			t.Fatalf("EncodeWebhooks: %v", err)
		}
		again, err := webhook.DecodeWebhooks(&buf)
		if err != nil || len(again) != len(added) {
			t.Fatalf("encoded definitions do not decode again (%d, %v):\n%s", len(again), err, buf.Bytes())
		}
		for _, w := range added {
			if err := d.Remove(w.ID); err != nil {
				t.Fatal(err)
			}
		}
	})
}

package webhook_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/outhook/outhook/accessrequest"
	"github.com/outhook/outhook/event"
	"github.com/outhook/outhook/template"
	"github.com/outhook/outhook/webhook"
)

// TestBodySecretThroughAHelperIsNotReadBack plays a tenant's editor who
// may not read the stored routing key: keeping the URL, and so the
// secret, they change the body to pass the key through helpers, a custom
// one among them, and press Test. Helpers see a stand-in for the key, not
// the key: what they change of it carries nothing of the key, and what
// they leave as it is is the key, sent where the template puts it. The
// record the editor reads back is the body as sent, with REDACTED for the
// key, and holds no piece of it.
func TestBodySecretThroughAHelperIsNotReadBack(t *testing.T) {
	const key = "R0UTINGkey0123456789abcdefABCDEF"
	rc := newReceiver(t, nil)
	d, _ := newDispatcher(t, webhook.WithTemplateOptions(template.WithHelpers(map[string]template.Helper{
		"reverse": func(args []any) (any, error) {
			s, _ := args[0].(string)
			r := []rune(s)
			for i, j := 0, len(r)-1; i < j; i, j = i+1, j-1 {
				r[i], r[j] = r[j], r[i]
			}
			return string(r), nil
		},
	})))
	ctx := context.Background()
	tn := d.Tenant("acme")
	w := torqLike(rc.URL)
	w.Secrets = map[string]string{"routing_key": key}
	w.BodyTemplate = `{"routing_key": "{{secrets.routing_key}}"}`
	stored, err := tn.Create(ctx, w, "admin")
	require.NoError(t, err)

	stored.Secrets = nil // kept, as an editor who never saw it sends it
	stored.BodyTemplate = `{"lower": "{{lower secrets.routing_key}}", "upper": "{{upper secrets.routing_key}}",
	  "cut": "{{truncateBytes secrets.routing_key 20 ""}}", "swapped": "{{replace secrets.routing_key "R0" "r0"}}",
	  "reversed": "{{reverse secrets.routing_key}}", "twice": "{{secrets.routing_key}}{{secrets.routing_key}}"}`
	inv, err := tn.TestDefinition(ctx, stored, mock(t, accessrequest.Created))
	require.NoError(t, err)
	require.Equal(t, webhook.Delivered, inv.Outcome, inv.Reason)
	var sent map[string]string
	require.NoError(t, json.Unmarshal([]byte(rc.got()[0].body), &sent))
	require.Equal(t, key+key, sent["twice"])
	require.Equal(t, key, sent["swapped"], "replace finds no R0 in the stand-in")
	for _, f := range []string{"lower", "upper", "cut", "reversed"} {
		for _, piece := range []string{key[:16], key[16:], strings.ToLower(key[:16]), strings.ToUpper(key[16:]), "FEDCBAfedcba"} {
			require.NotContains(t, sent[f], piece, f)
		}
	}

	for _, piece := range []string{key[:16], key[16:], strings.ToLower(key[:16]), strings.ToUpper(key[16:]), "FEDCBAfedcba"} {
		require.NotContains(t, inv.Request.Body, piece)
	}
	var recorded map[string]string
	require.NoError(t, json.Unmarshal([]byte(inv.Request.Body), &recorded))
	sent["twice"], sent["swapped"] = "REDACTEDREDACTED", "REDACTED"
	require.Equal(t, sent, recorded, "the record is the body as sent, REDACTED for the key")
}

// TestBodySecretEchoedInASCIIJSONIsRedacted has a receiver echo the body
// as Python's json and PHP's json_encode write it by default, non-ASCII
// as \u escapes (PHP's '/' as '\/' too): the recorded response must show
// REDACTED there as well.
func TestBodySecretEchoedInASCIIJSONIsRedacted(t *testing.T) {
	const secret = "clé/secrète-🔑-42"
	python := `cl\u00e9/secr\u00e8te-\ud83d\udd11-42`
	php := `cl\u00e9\/secr\u00e8te-\ud83d\udd11-42`
	upper := `cl\u00E9/secr\u00E8te-\uD83D\uDD11-42`
	rc := newReceiver(t, func(_ int, w http.ResponseWriter, _ *http.Request) {
		_, _ = io.WriteString(w, `{"python": "`+python+`", "php": "`+php+`", "upper": "`+upper+`"}`)
	})
	var dec struct{ Python, PHP, Upper string }
	require.NoError(t, json.Unmarshal([]byte(`{"python": "`+python+`", "php": "`+php+`", "upper": "`+upper+`"}`), &dec))
	require.Equal(t, secret, dec.Python, "the echo holds the secret")
	require.Equal(t, secret, dec.PHP)
	require.Equal(t, secret, dec.Upper)

	d, invs := newDispatcher(t)
	w := torqLike(rc.URL)
	w.Secrets = map[string]string{"token": secret}
	w.BodyTemplate = `{"token": "{{secrets.token}}"}`
	_, err := d.Add(w)
	require.NoError(t, err)
	_, err = d.Publish(context.Background(), mock(t, accessrequest.Created))
	require.NoError(t, err)
	inv := waitFinal(t, invs, 1)[0]
	require.Equal(t, webhook.Delivered, inv.Outcome, inv.Reason)
	require.JSONEq(t, `{"token": "REDACTED"}`, inv.Request.Body)
	require.JSONEq(t, `{"python": "REDACTED", "php": "REDACTED", "upper": "REDACTED"}`, inv.Response.Body)
}

// TestPreviewShowsBodySecretsRedacted previews a template that names
// body secrets, over an event of its own that has a secrets member: the
// preview must render as a delivery does, with REDACTED where each
// secret goes, a helper's work on a secret's stand-in, and not the
// event's member, which a webhook with secrets hides.
func TestPreviewShowsBodySecretsRedacted(t *testing.T) {
	d, _ := newDispatcher(t)
	tn := d.Tenant("acme")
	var doc map[string]any
	require.NoError(t, json.Unmarshal(mock(t, accessrequest.Created).JSON(), &doc))
	doc["secrets"] = map[string]any{"routing_key": "the event's own"}
	raw, err := json.Marshal(doc)
	require.NoError(t, err)
	e, err := event.Parse(raw)
	require.NoError(t, err)

	body, err := tn.Preview(`{"routing_key": "{{secrets.routing_key}}", "both": "{{@root.secrets.token}}/{{upper secrets.token}}", "id": "{{data.id}}"}`, e)
	require.NoError(t, err)
	var shown map[string]string
	require.NoError(t, json.Unmarshal([]byte(body), &shown))
	require.Equal(t, "REDACTED", shown["routing_key"])
	require.Equal(t, doc["data"].(map[string]any)["id"], shown["id"])
	both, upper, ok := strings.Cut(shown["both"], "/")
	require.True(t, ok, shown["both"])
	require.Equal(t, "REDACTED", both)
	require.NotContains(t, upper, "REDACTED", "upper works on the stand-in, as when sent")
	require.NotContains(t, body, "the event's own")

	body, err = tn.Preview(`{"id": "{{data.id}}", "own": {{json secrets}}}`, e)
	require.NoError(t, err)
	require.Contains(t, body, "the event's own", "without a secret named, the event is as it is")
}

package manage_test

import (
	"encoding/json"
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/outhook/outhook/audit"
	"github.com/outhook/outhook/integration"
	"github.com/outhook/outhook/webhook"
)

// The API lists, previews and tests the other kinds a Dispatcher serves
// as it does access requests, with nothing of its own to configure.
func TestOtherKinds(t *testing.T) {
	s := newService(t, []webhook.Option{webhook.WithEventKind(integration.Kind()), webhook.WithEventKind(audit.Kind())})
	acme := s.as("acme")

	var list struct {
		EventTypes []struct {
			Trigger string `json:"trigger"`
			Schema  struct {
				Fields []struct {
					Path        string `json:"path"`
					Type        string `json:"type"`
					Description string `json:"description"`
				} `json:"fields"`
			} `json:"schema"`
			Mock json.RawMessage `json:"mock"`
		} `json:"event_types"`
	}
	acme.ok(http.StatusOK, &list, http.MethodGet, "/event-types", nil)
	listed := map[string]int{}
	for i, et := range list.EventTypes {
		listed[et.Trigger] = i
	}
	require.Len(t, listed, 6+3+1)
	for _, tr := range append(integration.Triggers(), audit.Triggers()...) {
		i, ok := listed[string(tr)]
		require.True(t, ok, "%s is listed", tr)
		et := list.EventTypes[i]
		want, _ := integration.Mock(tr)
		schema := integration.Schema()
		if audit.Is(tr) {
			want, _ = audit.Mock(tr)
			schema = audit.Schema()
		}
		require.JSONEq(t, string(want.JSON()), string(et.Mock))
		require.Len(t, et.Schema.Fields, len(schema.Fields()))
		for _, f := range et.Schema.Fields {
			require.NotEmpty(t, f.Type, f.Path)
			require.NotEmpty(t, f.Description, f.Path)
		}
	}
	var one map[string]any
	acme.ok(http.StatusOK, &one, http.MethodGet, "/event-types/IntegrationWarning", nil)
	require.Equal(t, "IntegrationWarning", one["trigger"])

	// Preview and Test by trigger use the kind's mock event.
	var preview struct {
		Body string `json:"body"`
	}
	acme.ok(http.StatusOK, &preview, http.MethodPost, "/preview", map[string]any{
		"trigger": "IntegrationError", "body_template": `{"text": "{{data.name}}: {{data.issues.[0].message}}"}`})
	var body struct{ Text string }
	require.NoError(t, json.Unmarshal([]byte(preview.Body), &body), preview.Body)
	require.Equal(t, "orders \"eu\" Zürich: connection refused: password authentication failed for user \"apono_connector\"\nFATAL:  no pg_hba.conf entry for host \"10.4.7.19\"", body.Text)

	hook := s.hook("audit")
	hook["triggers"] = []string{"AuditRecorded"}
	hook["body_template"] = `{"who": "{{data.actor_name}}", "what": "{{data.target_name}}"}`
	var w webhook.Webhook
	acme.ok(http.StatusCreated, &w, http.MethodPost, "/webhooks", hook)
	var inv webhook.Invocation
	acme.ok(http.StatusOK, &inv, http.MethodPost, "/webhooks/"+w.ID+"/test", map[string]any{})
	require.Equal(t, webhook.Delivered, inv.Outcome, inv.Reason)
	require.Equal(t, audit.Recorded, inv.EventType)
	acme.ok(http.StatusOK, &inv, http.MethodPost, "/test", map[string]any{"webhook": hook, "trigger": "AuditRecorded"})
	require.Equal(t, webhook.Delivered, inv.Outcome, inv.Reason)
	got, bodies := s.rc.requests()
	require.Len(t, got, 2)
	for _, b := range bodies {
		require.JSONEq(t, `{"who": "Zoë Åkesson-Nakamura", "what": "Prod DB \"break-glass\" C:\\oncall\nEU"}`, b)
	}

	// A template naming a field the kind's schema lacks is refused.
	hook["body_template"] = `{"who": "{{data.actor.name}}"}`
	var check struct {
		Valid  bool `json:"valid"`
		Errors []struct {
			Field   string `json:"field"`
			Message string `json:"message"`
		} `json:"errors"`
	}
	acme.ok(http.StatusOK, &check, http.MethodPost, "/validate", hook)
	require.False(t, check.Valid)
	require.Equal(t, "body_template", check.Errors[0].Field)
}

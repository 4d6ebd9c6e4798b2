package presets_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"unicode/utf16"

	"github.com/stretchr/testify/require"

	"github.com/outhook/outhook/accessrequest"
	"github.com/outhook/outhook/event"
	"github.com/outhook/outhook/webhook"
	"github.com/outhook/outhook/webhooktest"
)

// phishing is Markdown that would show as a link in bold.
const phishing = "[Approve now](https://evil.example) **URGENT**"

// hostile returns access-request events that push every preset to its
// target's limits: a justification of 10,000 characters of Markdown, a
// mention and JSON's worst escapes, 500 resources, and names that mention
// the channel.
func hostile(t *testing.T) []*event.Event {
	t.Helper()
	base, _ := accessrequest.Mock(accessrequest.Created)
	var ev accessrequest.Event
	require.NoError(t, base.Decode(&ev))

	build := func(justification, name string, groups, units int) *event.Event {
		req := ev.Data
		req.Justification = justification
		req.FriendlyID = "<!channel> " + name
		req.Requester.Name, req.Requester.Email = name, name+"@evil.example"
		req.Grantee.Name, req.AccessFlow.Name = name, name
		req.AccessGroups = nil
		for g := range groups {
			group := ev.Data.AccessGroups[0]
			group.Integration.Name = fmt.Sprintf("%s-%d", name, g)
			group.AccessUnits = nil
			for u := range units {
				unit := ev.Data.AccessGroups[0].AccessUnits[0]
				unit.Resource.Path = fmt.Sprintf("%s/db-%d/schema \"x\"/table-%d", group.Integration.Name, g, u)
				group.AccessUnits = append(group.AccessUnits, unit)
			}
			req.AccessGroups = append(req.AccessGroups, group)
		}
		e, err := event.New(accessrequest.Created, req, event.WithTime(ev.EventTime))
		require.NoError(t, err)
		return e
	}
	markdown := strings.Repeat(phishing+" <!channel> & ", 10_000/len(phishing+" <!channel> & ")+1)[:10_000]
	return []*event.Event{
		build(markdown, "<!here> "+phishing, 5, 100),
		// Each character escapes to 6 in JSON.
		build(strings.Repeat("\x01", 10_000), strings.Repeat("\u2028", 300), 500, 1),
		// Each character takes 4 bytes and 2 UTF-16 units.
		build(strings.Repeat("😀", 10_000), strings.Repeat("😀", 600), 50, 10),
		build("", "", 0, 0),
	}
}

// renderHostile renders w over the hostile events.
func renderHostile(t *testing.T, w webhook.Webhook) []webhooktest.Rendered {
	t.Helper()
	return webhooktest.Render(t, w, webhooktest.Events(hostile(t)...))
}

// decode decodes a body, keeping numbers as they were written.
func decode(t *testing.T, body []byte) any {
	t.Helper()
	var v any
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	require.NoError(t, dec.Decode(&v))
	return v
}

// units is the length of s in UTF-16 units, which is never less than its
// characters: the most a target can count.
func units(s string) int { return len(utf16.Encode([]rune(s))) }

func presetNamed(t *testing.T, name string) webhook.Webhook {
	t.Helper()
	for _, w := range every(t) {
		if w.Name == name {
			return w
		}
	}
	t.Fatalf("no preset %q", name)
	return webhook.Webhook{}
}

func millis(t *testing.T, e *event.Event) string {
	t.Helper()
	return strconv.FormatInt(e.Time().Time().UnixMilli(), 10)
}

// markdownChars are the characters Teams' values have escaped.
const markdownChars = "\\*_[]()<>`~#-+!|"

// unescapeMarkdown removes the backslash before each escaped character.
func unescapeMarkdown(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+1 < len(s) && strings.IndexByte(markdownChars, s[i+1]) >= 0 {
			i++
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// requireNoMarkdown checks that every Markdown character of s is escaped.
func requireNoMarkdown(t *testing.T, s string) {
	t.Helper()
	for i := 0; i < len(s); i++ {
		if strings.IndexByte(markdownChars, s[i]) < 0 {
			continue
		}
		require.True(t, i+1 < len(s) || s[i] != '\\', "a lone backslash ends %q", s)
		if s[i] == '\\' {
			i++ // the escaped character
			continue
		}
		require.Failf(t, "unescaped Markdown", "%q at %d of %.80q", s[i], i, s)
	}
}

// requireADF checks that v is an ADF document of paragraphs of non-empty
// text nodes, which Jira requires.
func requireADF(t *testing.T, v any) {
	t.Helper()
	doc := v.(map[string]any)
	require.Equal(t, "doc", doc["type"])
	require.Equal(t, json.Number("1"), doc["version"])
	for _, p := range doc["content"].([]any) {
		require.Equal(t, "paragraph", p.(map[string]any)["type"])
		for _, n := range p.(map[string]any)["content"].([]any) {
			require.Equal(t, "text", n.(map[string]any)["type"])
			require.NotEmpty(t, n.(map[string]any)["text"])
		}
	}
}

// adfText returns the text of an ADF document, a line a paragraph.
func adfText(v any) string {
	var lines []string
	for _, p := range v.(map[string]any)["content"].([]any) {
		for _, n := range p.(map[string]any)["content"].([]any) {
			lines = append(lines, n.(map[string]any)["text"].(string))
		}
	}
	return strings.Join(lines, "\n")
}

// TestSlackLimits checks Block Kit's limits (a header's text 150
// characters, a section's text 3,000, a field's 2,000, 50 blocks) and that
// the mrkdwn notification text escapes &, < and >.
func TestSlackLimits(t *testing.T) {
	for i, r := range renderHostile(t, presetNamed(t, "slack")) {
		msg := decode(t, r.Body).(map[string]any)
		text := msg["text"].(string)
		require.NotContains(t, text, "<", "event %d: %q", i, text)
		require.NotContains(t, text, ">")
		require.NotRegexp(t, `&[^a-z]`, text, "every & starts an escape")
		blocks := msg["blocks"].([]any)
		require.LessOrEqual(t, len(blocks), 50)
		for _, b := range blocks {
			b := b.(map[string]any)
			limit := 3000
			if b["type"] == "header" {
				limit = 150
			}
			if tx, ok := b["text"].(map[string]any); ok {
				require.LessOrEqual(t, units(tx["text"].(string)), limit, "%s", b["type"])
				require.NotEmpty(t, tx["text"])
			}
			if fields, ok := b["fields"].([]any); ok {
				require.LessOrEqual(t, len(fields), 10)
				for _, f := range fields {
					require.LessOrEqual(t, units(f.(map[string]any)["text"].(string)), 2000)
				}
			}
		}
		if i == 0 {
			resources := blocks[len(blocks)-1].(map[string]any)["text"].(map[string]any)["text"].(string)
			require.True(t, strings.HasPrefix(resources, "Resources (500): "), resources[:40])
			require.True(t, strings.HasSuffix(resources, " … and more"), "the list is cut with a marker")
		}
	}
}

// TestTeamsLimits checks the 28 KB of a Teams message and that no value
// adds Markdown.
func TestTeamsLimits(t *testing.T) {
	for i, r := range renderHostile(t, presetNamed(t, "teams")) {
		require.Less(t, len(r.Body), 28*1000, "event %d", i)
		card := decode(t, r.Body).(map[string]any)["attachments"].([]any)[0].(map[string]any)["content"].(map[string]any)
		title := card["body"].([]any)[0].(map[string]any)["text"].(string)
		requireNoMarkdown(t, strings.TrimPrefix(title, "Access request "))
		for _, f := range card["body"].([]any)[1].(map[string]any)["facts"].([]any) {
			value := f.(map[string]any)["value"].(string)
			requireNoMarkdown(t, value)
			// An empty value would leave a title with nothing beside it.
			require.NotEmpty(t, strings.Trim(value, ", "), "event %d: fact %v", i, f)
		}
	}
	// A justification of Markdown shows as written.
	out := renderHostile(t, presetNamed(t, "teams"))[0]
	require.Contains(t, string(out.Body), `\\[Approve now\\]\\(https://evil.example\\) \\*\\*URGENT\\*\\*`)
}

// TestServiceNowLimits checks the incident's field lengths: short_description
// 160, description 4,000 and a JSON document, correlation_id 100.
func TestServiceNowLimits(t *testing.T) {
	for i, r := range renderHostile(t, presetNamed(t, "servicenow")) {
		incident := decode(t, r.Body).(map[string]any)
		require.LessOrEqual(t, units(incident["short_description"].(string)), 160, "event %d", i)
		require.LessOrEqual(t, units(incident["correlation_id"].(string)), 100)
		description := incident["description"].(string)
		require.LessOrEqual(t, units(description), 4000, "event %d", i)
		var doc map[string]any
		require.NoError(t, json.Unmarshal([]byte(description), &doc), "the description stays a JSON document")
		require.NotContains(t, incident, "caused_by")
	}
}

// TestPagerDutyLimits checks Events API v2's limits: summary 1,024
// characters, dedup_key 255, an event of at most 512 KB.
func TestPagerDutyLimits(t *testing.T) {
	for i, r := range renderHostile(t, presetNamed(t, "pagerduty")) {
		require.LessOrEqual(t, len(r.Body), 512*1024, "event %d", i)
		alert := decode(t, r.Body).(map[string]any)
		require.LessOrEqual(t, units(alert["dedup_key"].(string)), 255)
		payload := alert["payload"].(map[string]any)
		require.LessOrEqual(t, units(payload["summary"].(string)), 1024)
		require.NotEmpty(t, payload["source"])
		require.Contains(t, []any{"critical", "error", "warning", "info"}, payload["severity"])
	}
}

// TestJiraLimits checks a summary of at most 255 characters on one line and
// a description within a text field's 32,767 characters.
func TestJiraLimits(t *testing.T) {
	for i, r := range renderHostile(t, presetNamed(t, "jira")) {
		fields := decode(t, r.Body).(map[string]any)["fields"].(map[string]any)
		summary := fields["summary"].(string)
		require.LessOrEqual(t, units(summary), 255, "event %d", i)
		require.NotContains(t, summary, "\n")
		require.NotContains(t, summary, "\r")
		requireADF(t, fields["description"])
		description, err := json.Marshal(fields["description"])
		require.NoError(t, err)
		require.LessOrEqual(t, len(description), 32_767)
	}
}

// TestLogLimits checks the sizes the log targets accept: Datadog's 1 MB a
// log, Coralogix's 2 MB a request, Logz.io's 500,000 bytes a log on one
// line, for a request of 500 resources and a long justification.
func TestLogLimits(t *testing.T) {
	for _, tt := range []struct {
		name  string
		limit int
	}{{"datadog-logs", 1 << 20}, {"coralogix", 2 << 20}, {"logzio", 500_000}, {"splunk-hec", 1 << 20}} {
		t.Run(tt.name, func(t *testing.T) {
			// The whole event is sent: the realistic worst, not names of
			// thousands of characters in each of 500 groups.
			events := hostile(t)
			for i, r := range webhooktest.Render(t, presetNamed(t, tt.name), webhooktest.Events(events[0], events[3])) {
				require.Less(t, len(r.Body), tt.limit, "event %d", i)
				if tt.name == "logzio" {
					require.NotContains(t, string(r.Body), "\n")
				}
			}
		})
	}
}

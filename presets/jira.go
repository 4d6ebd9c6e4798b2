package presets

import (
	"encoding/base64"
	"strings"

	"github.com/outhook/outhook/webhook"
)

// oneLine is the replace arguments that turn line breaks into spaces:
// Jira refuses a summary that holds one.
const oneLine = `"` + "\n" + `" " " "` + "\r" + `" " "`

// jiraBody is Jira's preset body, with projectKey and issueType standing
// for the project's key and the issue type's name: an issue created
// through REST API v3, whose summary names the event, the request, its
// requester and its first integration, whose label is apono, and whose
// description, in the Atlassian Document Format v3 takes, is a paragraph
// for each of the request's main fields. ADF text is shown as it is, so a
// value cannot add a link or formatting.
//
// Jira limits the summary to 255 characters, on one line, and a text
// field to 32,767 characters: each value is cut with a "…" to keep within
// them, counting UTF-8 bytes (never fewer than characters), those of the
// description as escaped in JSON, so the whole body stays under 32 KB.
const jiraBody = `{
  "fields": {
    "project": {"key": "projectKey"},
    "issuetype": {"name": "issueType"},
    "labels": ["apono"],
    "summary": "Apono {{truncateBytes event_type 40 ""}} {{replace (truncateBytes data.friendly_id 40) ` + oneLine + `}} by {{replace (truncateBytes data.requester.name 80) ` + oneLine + `}}: {{replace (truncateBytes data.access_groups.[0].integration.name 80) ` + oneLine + `}}",
    "description": {"type": "doc", "version": 1, "content": [
      {"type": "paragraph", "content": [{"type": "text", "text": "Event: {{truncateBytes event_type 100 "…" true}} at {{time event_time}}"}]},
      {"type": "paragraph", "content": [{"type": "text", "text": "Request: {{truncateBytes data.friendly_id 200 "…" true}} ({{truncateBytes data.id 200 "…" true}})"}]},
      {"type": "paragraph", "content": [{"type": "text", "text": "Requester: {{truncateBytes data.requester.name 500 "…" true}} <{{truncateBytes data.requester.email 500 "…" true}}>"}]},
      {"type": "paragraph", "content": [{"type": "text", "text": "Grantee: {{truncateBytes data.grantee.name 500 "…" true}}"}]},
      {"type": "paragraph", "content": [{"type": "text", "text": "Access flow: {{truncateBytes data.access_flow.name 500 "…" true}}"}]},
      {"type": "paragraph", "content": [{"type": "text", "text": "Duration: {{truncateBytes data.access_duration_in_seconds 30}} s"}]},
      {"type": "paragraph", "content": [{"type": "text", "text": "Justification: {{truncateBytes data.justification 12000 "…" true}}"}]},
      {"type": "paragraph", "content": [{"type": "text", "text": "Resources ({{count (flatten data.access_groups "access_units")}}): {{truncateBytes (join (flatten (flatten data.access_groups "access_units") "resource.path") ", ") 12000 " … and more" true}}"}]}
    ]}
  }
}`

var jira = preset{
	shape: shape{
		preset:    "Jira",
		hosts:     hostUnder(".atlassian.net"),
		hostsDesc: "<site>.atlassian.net",
		path: func(_ string, s []string) bool {
			return len(s) == 4 && s[0] == "rest" && s[1] == "api" && s[2] == "3" && s[3] == "issue"
		},
		pathDesc: "/rest/api/3/issue",
	},
	name: "jira",
}

// Jira returns a definition of an active webhook that creates a Jira Cloud
// issue for each access-request event: rawURL is
// https://<site>.atlassian.net/rest/api/3/issue, email and apiToken those
// of an Atlassian account, sent as basic authentication, and projectKey
// the key of the project the issues go to (an upper-case letter, then
// upper-case letters, digits and '_'). Issues are of type Task unless
// WithIssueType names another. REST API v3 is required: its description
// is a document whose text Jira shows as written, where v2's wiki markup
// would let a value add links.
//
// A wrong URL gives a *URLError, an empty email or apiToken
// ErrMissingCredential, a malformed projectKey or ForOperationalEvents
// ErrInvalidOption.
func Jira(rawURL, email, apiToken, projectKey string, opts ...Option) (webhook.Webhook, error) {
	if email == "" || apiToken == "" {
		return webhook.Webhook{}, ErrMissingCredential
	}
	if !jiraKey(projectKey) {
		return webhook.Webhook{}, invalidArg("Jira's project key must be an upper-case letter then upper-case letters, digits and '_'")
	}
	p := jira
	body := strings.Replace(jiraBody, `"projectKey"`, `"`+projectKey+`"`, 1)
	p.render = func(c *config) string {
		issueType := "Task"
		if c.issueType != "" {
			issueType = c.issueType
		}
		return strings.Replace(body, `"issueType"`, `"`+issueType+`"`, 1)
	}
	p.headers = map[string]string{
		"Authorization": "Basic " + base64.StdEncoding.EncodeToString([]byte(email+":"+apiToken)),
		"Accept":        "application/json",
	}
	return p.build(rawURL, opts)
}

// jiraKey reports whether s has the form of a Jira project key.
func jiraKey(s string) bool {
	if s == "" || len(s) > 255 || s[0] < 'A' || s[0] > 'Z' {
		return false
	}
	for _, c := range []byte(s) {
		if !('A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '_') {
			return false
		}
	}
	return true
}

// issueTypeName reports whether s can name a Jira issue type here: letters,
// digits, spaces, '-' and '_', which stand in a template's JSON string as
// they are.
func issueTypeName(s string) bool {
	for _, r := range s {
		if !(r == ' ' || r == '-' || r == '_' || '0' <= r && r <= '9' || 'a' <= r && r <= 'z' || 'A' <= r && r <= 'Z') {
			return false
		}
	}
	return strings.TrimSpace(s) != "" && len(s) <= maxIssueType
}

// maxIssueType bounds the name WithIssueType takes.
const maxIssueType = 255

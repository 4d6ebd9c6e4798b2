package bodysecrets_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/outhook/outhook/internal/bodysecrets"
	"github.com/outhook/outhook/internal/jsondoc"
	"github.com/outhook/outhook/template"
)

func TestDataPutsTheSecretsBesideTheEventsFields(t *testing.T) {
	doc, err := jsondoc.Parse([]byte(`{"event_type":"RequestCreated","secrets":"the event's own","data":{"id":"r1"}}`))
	require.NoError(t, err)
	tmpl := template.MustParse(`{"k": "{{secrets.token}}", "t": "{{event_type}}", "id": "{{data.id}}"}`)
	out, err := tmpl.Append(nil, bodysecrets.New(map[string]string{"token": "t0k\"en"}).Data(doc))
	require.NoError(t, err)
	require.JSONEq(t, `{"k": "t0k\"en", "t": "RequestCreated", "id": "r1"}`, string(out))

	shown, err := tmpl.Append(nil, bodysecrets.New(map[string]string{"token": "t0k\"en"}).Masked("REDACTED").Data(doc))
	require.NoError(t, err)
	require.JSONEq(t, `{"k": "REDACTED", "t": "RequestCreated", "id": "r1"}`, string(shown))

	var none bodysecrets.Values
	require.Nil(t, none.Masked("REDACTED"))
	require.Same(t, doc, none.Data(doc), "without secrets, the document itself")
}

func TestSchemaKnowsTheNamedSecretsOnly(t *testing.T) {
	s := bodysecrets.Schema(nil, []string{"token", "b"})
	for path, want := range map[string]bool{"secrets": true, "secrets.token": true, "secrets.b": true, "secrets.tokn": false, "data.anything": true} {
		_, ok := s.Lookup(path)
		require.Equal(t, want, ok, path)
	}
	require.Equal(t, []string{"secrets.b", "secrets.token"}, s.Paths())
	err := template.MustParse(`{"k": "{{secrets.tokn}}"}`).Check(s)
	require.ErrorIs(t, err, template.ErrUnknownField)
	require.Contains(t, err.Error(), "did you mean secrets.token?")
}

func TestShownNamesTheSecretsATemplateRefersTo(t *testing.T) {
	tmpl := template.MustParse(`{"a": "{{secrets.a}}", "b": "{{#with secrets}}{{b}}{{/with}}", "c": "{{@root.secrets.c}}", "d": "{{data.d}}"}`)
	require.Equal(t, bodysecrets.Values{"a": "X", "b": "X", "c": "X"}, bodysecrets.Shown(tmpl, "X"))
	require.Nil(t, bodysecrets.Shown(template.MustParse(`{"d": "{{data.d}}"}`), "X"))
}

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
	out, err := bodysecrets.Compile(map[string]string{"token": "t0k\"en"}).Render(tmpl, doc)
	require.NoError(t, err)
	require.JSONEq(t, `{"k": "t0k\"en", "t": "RequestCreated", "id": "r1"}`, string(out))

	var none bodysecrets.Values
	require.Same(t, doc, none.Data(doc), "without secrets, the document itself")
	var noSecrets *bodysecrets.Secrets
	out, err = noSecrets.Render(template.MustParse(`{"secrets": {{json secrets}}}`), doc)
	require.NoError(t, err)
	require.JSONEq(t, `{"secrets": "the event's own"}`, string(out))
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
	out, err := bodysecrets.Shown(tmpl, "X").Render(tmpl, map[string]any{"data": map[string]any{"d": "D"}})
	require.NoError(t, err)
	require.JSONEq(t, `{"a": "X", "b": "X", "c": "X", "d": "D"}`, string(out))
	require.Nil(t, bodysecrets.Shown(template.MustParse(`{"d": "{{data.d}}"}`), "X"))
}

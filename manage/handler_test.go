package manage_test

import (
	"context"
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/outhook/outhook/manage"
	"github.com/outhook/outhook/webhook"
)

func newDispatcher(t *testing.T, opts ...webhook.Option) *webhook.Dispatcher {
	t.Helper()
	d, err := webhook.New(opts...)
	require.NoError(t, err)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		require.NoError(t, d.Close(ctx))
	})
	return d
}

// anyone is a TenantFunc that lets every request in as tenant "acme".
func anyone(*http.Request) (string, string, error) { return "acme", "tester", nil }

func TestDocumentIsServedAsTheRepositoryHoldsIt(t *testing.T) {
	h, err := manage.New(newDispatcher(t), func(*http.Request) (string, string, error) {
		t.Error("the document is served without asking the tenant function")
		return "", "", manage.ErrUnauthenticated
	})
	require.NoError(t, err)
	a := newAPI(t, h)
	resp, raw := a.do(http.MethodGet, "/openapi.json", nil)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Equal(t, "application/json", resp.Header.Get("Content-Type"))
	require.Equal(t, manage.OpenAPI(), raw)
	var doc struct {
		OpenAPI string `json:"openapi"`
	}
	require.NoError(t, json.Unmarshal(raw, &doc))
	require.Equal(t, "3.1.0", doc.OpenAPI)

	b := manage.OpenAPI()
	b[0] = 'x'
	require.NotEqual(t, b, manage.OpenAPI(), "OpenAPI returns a copy")
}

func TestUnroutedRequestsAreProblems(t *testing.T) {
	h, err := manage.New(newDispatcher(t), anyone)
	require.NoError(t, err)
	a := newAPI(t, h)

	p := a.problem(http.StatusNotFound, "not-found", http.MethodGet, "/no/such/thing", nil)
	require.Equal(t, "/no/such/thing", p.Instance)

	resp, _ := a.do(http.MethodDelete, "/openapi.json", nil)
	require.Equal(t, http.StatusMethodNotAllowed, resp.StatusCode)
	require.Equal(t, "GET", resp.Header.Get("Allow"))
	a.problem(http.StatusMethodNotAllowed, "method-not-allowed", http.MethodPut, "/openapi.json", nil)
}

func TestNewRefusesWhatItCannotUse(t *testing.T) {
	d := newDispatcher(t)
	for name, tc := range map[string]struct {
		d    *webhook.Dispatcher
		f    manage.TenantFunc
		opts []manage.Option
	}{
		"nil dispatcher":   {nil, anyone, nil},
		"nil tenant func":  {d, nil, nil},
		"bad origin":       {d, anyone, []manage.Option{manage.WithTrustedOrigins("https://admin.example.com/path")}},
		"zero body limit":  {d, anyone, []manage.Option{manage.WithMaxBodyBytes(0)}},
		"zero test rate":   {d, anyone, []manage.Option{manage.WithTestRate(0, time.Minute)}},
		"zero gate rate":   {d, anyone, []manage.Option{manage.WithGateRate(0, time.Minute)}},
		"zero period":      {d, anyone, []manage.Option{manage.WithPreviewRate(5, 0)}},
		"negative preview": {d, anyone, []manage.Option{manage.WithPreviewRate(-1, time.Second)}},
	} {
		t.Run(name, func(t *testing.T) {
			h, err := manage.New(tc.d, tc.f, tc.opts...)
			require.ErrorIs(t, err, manage.ErrInvalidConfig)
			require.Nil(t, h)
		})
	}
	h, err := manage.New(d, anyone, nil, manage.WithTrustedOrigins("https://admin.example.com"))
	require.NoError(t, err, "a nil option is ignored")
	require.NotNil(t, h)
}

package manage_test

import (
	"context"
	"encoding/json"
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/outhook/outhook/manage"
	"github.com/outhook/outhook/webhook"
)

// A service mounts the management API under /api/webhooks/, behind its own
// authentication: here a bearer token names the account, which is the
// tenant. Each account's admins see and change their own webhooks only.
func Example() {
	d, err := webhook.New()
	if err != nil {
		log.Fatal(err)
	}
	defer d.Close(context.Background())

	accounts := map[string]string{"tok-acme": "acme", "tok-globex": "globex"}
	tenantOf := func(r *http.Request) (tenant, actor string, err error) {
		token, _ := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		account, ok := accounts[token]
		if !ok {
			return "", "", manage.ErrUnauthenticated
		}
		return account, "admin@" + account, nil
	}
	api, err := manage.New(d, tenantOf, manage.WithChallenge(`Bearer realm="webhooks"`))
	if err != nil {
		log.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("/api/webhooks/", http.StripPrefix("/api/webhooks", api))
	srv := httptest.NewServer(mux)
	defer srv.Close()

	call := func(token, method, path, body string) *http.Response {
		req, err := http.NewRequest(method, srv.URL+"/api/webhooks"+path, strings.NewReader(body))
		if err != nil {
			log.Fatal(err)
		}
		req.Header.Set("Authorization", "Bearer "+token)
		if body != "" {
			req.Header.Set("Content-Type", "application/json")
		}
		resp, err := srv.Client().Do(req)
		if err != nil {
			log.Fatal(err)
		}
		return resp
	}

	// acme's admin adds a webhook; its secret URL path comes back masked.
	resp := call("tok-acme", http.MethodPost, "/webhooks", `{
		"name": "Slack", "active": true, "triggers": ["RequestCreated"],
		"url": "https://hooks.slack.com/services/T0001/B0001/XXXXXXXX", "secret_url_path": true
	}`)
	var w webhook.Webhook
	_ = json.NewDecoder(resp.Body).Decode(&w)
	resp.Body.Close()
	fmt.Println(resp.StatusCode, resp.Header.Get("ETag"), w.Name, w.URL)

	// globex's admin cannot see it; an unknown token is refused.
	for _, token := range []string{"tok-globex", "stolen"} {
		resp := call(token, http.MethodGet, "/webhooks/"+w.ID, "")
		var p manage.Problem
		_ = json.NewDecoder(resp.Body).Decode(&p)
		resp.Body.Close()
		fmt.Println(resp.StatusCode, p.Type)
	}
	// Output:
	// 201 "1" Slack https://hooks.slack.com/REDACTED
	// 404 https://outhook.dev/problems/not-found
	// 401 https://outhook.dev/problems/unauthenticated
}

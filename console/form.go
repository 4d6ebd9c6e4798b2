package console

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/outhook/outhook/event"
	"github.com/outhook/outhook/filter"
	"github.com/outhook/outhook/webhook"
)

// form is a webhook definition as the editor shows it: rows for headers,
// filters and validators, and text for what the user types.
type form struct {
	ID            string
	Version       int64
	Name          string
	Active        bool
	Method        string
	URL           string
	SecretURLPath bool
	Headers       []headerRow
	BodyTemplate  string
	// Secrets are the body's secrets, a name and a value each, masked
	// once saved.
	Secrets  []headerRow
	Triggers []event.Trigger
	// Filters and Conditions build a filter of the filters form.
	Filters    []filterRow
	Approval   string
	Conditions []conditionRow
	// FilterJSON holds a filter of the operator form, which the builder
	// does not edit; when it is set the builder is not used.
	FilterJSON                   string
	TimeoutInSec                 string
	Validators                   []validatorRow
	CustomValidationErrorMessage string
	SigningSecrets               []string
	// DeliveryJSON holds the webhook's delivery settings as JSON.
	DeliveryJSON string
	// MockTrigger is the event type whose mock the editor previews,
	// explains and tests with.
	MockTrigger event.Trigger
	// Kind is the slug of the kind of webhook the editor edits, which
	// decides the triggers and filters it offers.
	Kind string
	// Action names the service's action the webhook runs instead of
	// sending a request; empty for a request to URL.
	Action string
	// OAuth, when set, authenticates with OAuth 2.0 client credentials;
	// otherwise the headers authenticate (a bearer token or custom
	// headers, Apono's other two types).
	OAuth *oauthForm
	// HadOAuth says the stored webhook authenticates with OAuth, so that a
	// form choosing headers instead removes it.
	HadOAuth bool
	// AllowHTTP and AllowCustomPort are the webhook's URL policy.
	AllowHTTP, AllowCustomPort bool
	// TLS is the webhook's TLS settings, certificates and key masked once
	// stored; HadTLS says the stored webhook has some, so that a form
	// clearing them removes them.
	TLS    webhook.TLSSettings
	HadTLS bool
}

type oauthForm struct {
	ClientID, ClientSecret, TokenEndpointURL string
	Scopes                                   []string
}

type headerRow struct {
	Key, Value string
}

type filterRow struct {
	Dimension string
	Values    []string
}

type conditionRow struct {
	Path, Operator string
	Values         []string
	Every          bool
}

// validatorRow is one response validator: Kind says what Path holds
// (a JSON path, a header's name, or nothing for the status), and Values
// are the expected values, or the statuses accepted.
type validatorRow struct {
	Kind   string
	Path   string
	Values []string
}

// Kinds of validator rows.
const (
	checkJSONPath = "json_path"
	checkStatus   = "status"
	checkHeader   = "header"
)

// dimension is one key of the filters form, as the builder offers it.
type dimension struct {
	Key, Label, Path string
	field            func(*filter.Filters) *[]string
}

var dimensions = []dimension{
	{"integrations", "Integration", filter.PathIntegrationID, func(f *filter.Filters) *[]string { return &f.Integrations }},
	{"integration_types", "Integration type", filter.PathIntegrationType, func(f *filter.Filters) *[]string { return &f.IntegrationTypes }},
	{"integration_names", "Integration name", filter.PathIntegrationName, func(f *filter.Filters) *[]string { return &f.IntegrationNames }},
	{"resource_types", "Resource type", filter.PathResourceType, func(f *filter.Filters) *[]string { return &f.ResourceTypes }},
	{"resources", "Resource", filter.PathResource, func(f *filter.Filters) *[]string { return &f.Resources }},
	{"permissions", "Permission", filter.PathPermission, func(f *filter.Filters) *[]string { return &f.Permissions }},
	{"access_flows", "Access flow", filter.PathAccessFlow, func(f *filter.Filters) *[]string { return &f.AccessFlows }},
	{"bundles", "Bundle", filter.PathBundle, func(f *filter.Filters) *[]string { return &f.Bundles }},
	{"requesters", "Requester", filter.PathRequester, func(f *filter.Filters) *[]string { return &f.Requesters }},
	{"grantees", "Grantee", filter.PathGrantee, func(f *filter.Filters) *[]string { return &f.Grantees }},
	{"environments", "Environment", filter.PathCustomFields + ".environment", func(f *filter.Filters) *[]string { return &f.Environments }},
	{"tags", "Tag", filter.PathCustomFields + ".tag", func(f *filter.Filters) *[]string { return &f.Tags }},
}

// conditionDimensions are the dimensions of other kinds than access
// requests, Apono's dropdowns of their webhooks: each row is a condition
// that the field at Path is one of the values (a dimension without field).
var conditionDimensions = map[string][]dimension{
	"integration": {
		{Key: "integration", Label: "Integration", Path: "data.id"},
		{Key: "integration_type", Label: "Type", Path: "data.type"},
		{Key: "integration_status", Label: "Status", Path: "data.status"},
	},
}

func dimensionOf(key string) (dimension, bool) {
	for _, d := range dimensions {
		if d.Key == key {
			return d, true
		}
	}
	for _, ds := range conditionDimensions {
		for _, d := range ds {
			if d.Key == key {
				return d, true
			}
		}
	}
	return dimension{}, false
}

// liftConditions shows as rows of ds the conditions of f that are one:
// "in" on a dimension's path, with strings, not every. What is left stays
// a condition.
func (f *form) liftConditions(ds []dimension) {
	kept := f.Conditions[:0]
	for _, c := range f.Conditions {
		i := slices.IndexFunc(ds, func(d dimension) bool { return d.Path == c.Path })
		switch {
		case i < 0, c.Operator != string(filter.OpIn), c.Every, len(c.Values) == 0,
			slices.ContainsFunc(f.Filters, func(r filterRow) bool { return r.Dimension == ds[i].Key }),
			slices.ContainsFunc(c.Values, func(v string) bool { s, ok := operand(v).(string); return !ok || s != v }):
			kept = append(kept, c)
		default:
			f.Filters = append(f.Filters, filterRow{Dimension: ds[i].Key, Values: slices.Clone(c.Values)})
		}
	}
	f.Conditions = kept
}

// operators are the generic conditions' operators, as the builder offers
// them.
var operators = []string{"eq", "neq", "in", "nin", "gt", "gte", "lt", "lte", "prefix", "suffix", "contains", "glob", "regex", "exist"}

var methods = []string{"POST", "PUT", "PATCH", "DELETE", "GET"}

// formOf is the editor's form of a webhook as the Tenant view returns it,
// secrets masked.
func formOf(w webhook.Webhook) form {
	f := form{
		ID: w.ID, Version: w.Version, Name: w.Name, Active: w.Active,
		Method: w.Method, URL: w.URL, SecretURLPath: w.SecretURLPath,
		BodyTemplate:                 w.BodyTemplate,
		Triggers:                     slices.Clone(w.Triggers),
		CustomValidationErrorMessage: w.CustomValidationErrorMessage,
		SigningSecrets:               slices.Clone(w.SigningSecrets),
		Action:                       w.Action,
	}
	if a := w.Authentication; a != nil && a.OAuth != nil {
		f.OAuth = &oauthForm{ClientID: a.OAuth.ClientID, ClientSecret: a.OAuth.ClientSecret,
			TokenEndpointURL: a.OAuth.TokenEndpointURL, Scopes: slices.Clone(a.OAuth.Scopes)}
		f.HadOAuth = true
	}
	if p := w.URLPolicy; p != nil {
		f.AllowHTTP, f.AllowCustomPort = p.AllowHTTP, p.AllowCustomPort
	}
	if w.TLS != nil {
		f.TLS, f.HadTLS = *w.TLS, true
	}
	f.Method = strings.ToUpper(f.Method) // as the Dispatcher reads it
	if f.Method == "" {
		f.Method = "POST"
	}
	if w.TimeoutInSec != 0 {
		f.TimeoutInSec = strconv.Itoa(w.TimeoutInSec)
	}
	names := make([]string, 0, len(w.Headers))
	for k := range w.Headers {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		f.Headers = append(f.Headers, headerRow{Key: k, Value: w.Headers[k]})
	}
	for _, name := range slices.Sorted(maps.Keys(w.Secrets)) {
		f.Secrets = append(f.Secrets, headerRow{Key: name, Value: w.Secrets[name]})
	}
	if w.Filters != nil {
		if fs, ok := w.Filters.Filters(); ok {
			for _, d := range dimensions {
				if vs := *d.field(&fs); vs != nil {
					f.Filters = append(f.Filters, filterRow{Dimension: d.Key, Values: slices.Clone(vs)})
				}
			}
			f.Approval = string(fs.Approval)
			for _, c := range fs.Conditions {
				row := conditionRow{Path: c.Path, Operator: string(c.Operator), Every: c.Every}
				for _, v := range c.Values {
					row.Values = append(row.Values, operandText(v))
				}
				f.Conditions = append(f.Conditions, row)
			}
		}
		if !f.builderKeeps(w.Filters) {
			// The operator form, or values the builder's lines would
			// change (blank, padded, on several lines): shown as JSON.
			f.Filters, f.Approval, f.Conditions = nil, "", nil
			if b, err := json.MarshalIndent(w.Filters, "", "  "); err == nil {
				f.FilterJSON = string(b)
			}
		}
	}
	for _, v := range w.ResponseValidators {
		f.Validators = append(f.Validators, validatorRowOf(v))
	}
	if w.Delivery != nil {
		if b, err := json.MarshalIndent(w.Delivery, "", "  "); err == nil {
			f.DeliveryJSON = string(b)
		}
	}
	return f
}

// operandText writes a condition's operand as the builder shows it: a
// string as itself when operand reads it back so, anything else as JSON
// ("14400" with its quotes is the string).
func operandText(v any) string {
	if s, ok := v.(string); ok && s != "" && s == strings.TrimSpace(s) && !strings.ContainsAny(s, "\r\n") {
		if back, ok := operand(s).(string); ok && back == s {
			return s
		}
	}
	b, _ := json.Marshal(v)
	return string(b)
}

// builderKeeps reports whether the builder's rows of f, sent back as the
// page shows them, give flt again.
func (f form) builderKeeps(flt *filter.Filter) bool {
	if _, ok := flt.Filters(); !ok {
		return false
	}
	asShown := func(values []string) []string { return nonEmpty([]string{strings.Join(values, "\n")}) }
	g := form{Approval: f.Approval}
	for _, r := range f.Filters {
		g.Filters = append(g.Filters, filterRow{Dimension: r.Dimension, Values: asShown(r.Values)})
	}
	for _, r := range f.Conditions {
		if !slices.Contains(operators, r.Operator) {
			return false
		}
		r.Path, r.Values = strings.TrimSpace(r.Path), asShown(r.Values)
		g.Conditions = append(g.Conditions, r)
	}
	back, errs := g.filter()
	if len(errs) > 0 {
		return false
	}
	want, err1 := json.Marshal(flt)
	got, err2 := json.Marshal(back)
	return err1 == nil && err2 == nil && bytes.Equal(want, got)
}

// fieldError is a problem with one field of the form.
type fieldError struct {
	Field, Message string
	Line, Column   int
}

// readForm reads the editor's form from values. Rows are sent as
// "headers.3.key" and so on, numbered by the page in any order; rows
// left wholly empty are dropped.
func readForm(values url.Values) form {
	f := form{
		ID:                           strings.TrimSpace(values.Get("id")),
		Name:                         values.Get("name"),
		Active:                       values.Get("active") != "",
		Method:                       values.Get("method"),
		URL:                          strings.TrimSpace(values.Get("url")),
		SecretURLPath:                values.Get("secret_url_path") != "",
		BodyTemplate:                 textarea(values.Get("body_template")),
		Approval:                     values.Get("approval"),
		FilterJSON:                   textarea(values.Get("filter_json")),
		TimeoutInSec:                 strings.TrimSpace(values.Get("timeout_in_sec")),
		CustomValidationErrorMessage: textarea(values.Get("custom_validation_error_message")),
		DeliveryJSON:                 textarea(values.Get("delivery_json")),
		MockTrigger:                  event.Trigger(values.Get("mock_trigger")),
		Kind:                         values.Get("kind"),
	}
	if values.Get("auth") == "oauth" {
		f.OAuth = &oauthForm{
			ClientID:         strings.TrimSpace(values.Get("oauth_client_id")),
			ClientSecret:     values.Get("oauth_client_secret"),
			TokenEndpointURL: strings.TrimSpace(values.Get("oauth_token_endpoint_url")),
			Scopes:           nonEmpty(values["oauth_scopes"]),
		}
	}
	f.HadOAuth = values.Get("had_oauth") != ""
	f.HadTLS = values.Get("had_tls") != ""
	f.TLS = webhook.TLSSettings{
		ClientCertificate: strings.TrimSpace(textarea(values.Get("tls_client_certificate"))),
		ClientKey:         strings.TrimSpace(textarea(values.Get("tls_client_key"))),
		CACertificates:    strings.TrimSpace(textarea(values.Get("tls_ca_certificates"))),
		MinVersion:        values.Get("tls_min_version"),
	}
	f.AllowHTTP = values.Get("url_policy_allow_http") != ""
	f.AllowCustomPort = values.Get("url_policy_allow_custom_port") != ""
	if values.Get("target") == "action" {
		f.Action, f.URL, f.SecretURLPath = values.Get("action"), "", false
	}
	f.Version, _ = strconv.ParseInt(values.Get("version"), 10, 64)
	for _, t := range values["triggers"] {
		f.Triggers = append(f.Triggers, event.Trigger(t))
	}
	for _, i := range rowIndexes(values, "headers") {
		p := "headers." + i + "."
		row := headerRow{Key: strings.TrimSpace(values.Get(p + "key")), Value: values.Get(p + "value")}
		if row.Key != "" || row.Value != "" {
			f.Headers = append(f.Headers, row)
		}
	}
	for _, i := range rowIndexes(values, "secrets") {
		p := "secrets." + i + "."
		row := headerRow{Key: strings.TrimSpace(values.Get(p + "key")), Value: values.Get(p + "value")}
		if row.Key != "" || row.Value != "" {
			f.Secrets = append(f.Secrets, row)
		}
	}
	for _, i := range rowIndexes(values, "filters") {
		p := "filters." + i + "."
		row := filterRow{Dimension: values.Get(p + "dimension"), Values: nonEmpty(values[p+"values"])}
		if row.Dimension != "" || len(row.Values) > 0 {
			f.Filters = append(f.Filters, row)
		}
	}
	for _, i := range rowIndexes(values, "conditions") {
		p := "conditions." + i + "."
		row := conditionRow{
			Path: strings.TrimSpace(values.Get(p + "path")), Operator: values.Get(p + "operator"),
			Values: nonEmpty(values[p+"values"]), Every: values.Get(p+"every") != "",
		}
		if row.Path != "" || len(row.Values) > 0 {
			f.Conditions = append(f.Conditions, row)
		}
	}
	for _, i := range rowIndexes(values, "validators") {
		p := "validators." + i + "."
		row := validatorRow{Kind: values.Get(p + "kind"), Path: strings.TrimSpace(values.Get(p + "path")), Values: nonEmpty(values[p+"values"])}
		if row.Kind == checkStatus {
			row.Path = "" // the row's path box is not read for a status
		}
		if row.Path != "" || len(row.Values) > 0 {
			f.Validators = append(f.Validators, row)
		}
	}
	for _, i := range rowIndexes(values, "signing_secrets") {
		if s := strings.TrimSpace(values.Get("signing_secrets." + i + ".value")); s != "" {
			f.SigningSecrets = append(f.SigningSecrets, s)
		}
	}
	return f
}

// textarea is a textarea's text as typed: a browser submitting the form
// sends its line breaks as CRLF, the page's script as LF.
func textarea(s string) string { return strings.ReplaceAll(s, "\r\n", "\n") }

// rowIndexes lists the row numbers the form has under prefix, in order.
func rowIndexes(values url.Values, prefix string) []string {
	seen := map[int]bool{}
	for k := range values {
		rest, ok := strings.CutPrefix(k, prefix+".")
		if !ok {
			continue
		}
		n, _, ok := strings.Cut(rest, ".")
		if !ok {
			continue
		}
		if i, err := strconv.Atoi(n); err == nil && i >= 0 && strconv.Itoa(i) == n {
			seen[i] = true
		}
	}
	out := make([]int, 0, len(seen))
	for i := range seen {
		out = append(out, i)
	}
	slices.Sort(out)
	idx := make([]string, len(out))
	for j, i := range out {
		idx[j] = strconv.Itoa(i)
	}
	return idx
}

// nonEmpty splits values on newlines (a textarea's lines, one value each)
// and drops blanks.
func nonEmpty(values []string) []string {
	var out []string
	for _, v := range values {
		for _, line := range strings.Split(v, "\n") {
			if line = strings.TrimSpace(strings.TrimSuffix(line, "\r")); line != "" {
				out = append(out, line)
			}
		}
	}
	return out
}

// webhook turns the form into a definition, or lists what is wrong with
// the fields the Dispatcher does not check itself (the builder's rows and
// the numbers typed as text).
func (f form) webhook() (webhook.Webhook, []fieldError) {
	var errs []fieldError
	w := webhook.Webhook{
		ID: f.ID, Version: f.Version, Name: f.Name, Active: f.Active, Method: f.Method,
		URL: f.URL, SecretURLPath: f.SecretURLPath, BodyTemplate: f.BodyTemplate,
		Triggers:                     slices.Clone(f.Triggers),
		CustomValidationErrorMessage: f.CustomValidationErrorMessage,
		SigningSecrets:               slices.Clone(f.SigningSecrets),
		Action:                       f.Action,
	}
	if w.SigningSecrets == nil {
		w.SigningSecrets = []string{} // none sent means none kept
	}
	switch o := f.OAuth; {
	case o != nil:
		w.Authentication = &webhook.Authentication{OAuth: &webhook.OAuth{ClientID: o.ClientID, ClientSecret: o.ClientSecret,
			TokenEndpointURL: o.TokenEndpointURL, Scopes: slices.Clone(o.Scopes)}}
	case f.HadOAuth:
		w.Authentication = &webhook.Authentication{} // removed: a nil one would keep it
	}
	if f.AllowHTTP || f.AllowCustomPort {
		w.URLPolicy = &webhook.DefinitionURLPolicy{AllowHTTP: f.AllowHTTP, AllowCustomPort: f.AllowCustomPort}
	}
	if f.TLS != (webhook.TLSSettings{}) || f.HadTLS {
		tls := f.TLS
		w.TLS = &tls // empty: removed, as a nil one would keep them
	}
	if len(f.Headers) > 0 {
		w.Headers = make(map[string]string, len(f.Headers))
		for i, h := range f.Headers {
			field := fmt.Sprintf("headers[%d]", i)
			switch {
			case h.Key == "":
				errs = append(errs, fieldError{Field: field, Message: "give the header a name"})
			case hasHeader(w.Headers, h.Key):
				errs = append(errs, fieldError{Field: field, Message: fmt.Sprintf("the header %s is given twice", h.Key)})
			default:
				w.Headers[h.Key] = h.Value
			}
		}
	} else {
		w.Headers = map[string]string{}
	}
	w.Secrets = make(map[string]string, len(f.Secrets)) // none sent means none kept
	for i, s := range f.Secrets {
		field := fmt.Sprintf("secrets[%d]", i)
		switch _, twice := w.Secrets[s.Key]; {
		case s.Key == "":
			errs = append(errs, fieldError{Field: field, Message: "give the secret a name"})
		case twice:
			errs = append(errs, fieldError{Field: field, Message: fmt.Sprintf("the secret %s is given twice", s.Key)})
		default:
			w.Secrets[s.Key] = s.Value
		}
	}
	if f.TimeoutInSec != "" {
		n, err := strconv.Atoi(f.TimeoutInSec)
		if err != nil || n < 0 {
			errs = append(errs, fieldError{Field: "timeout_in_sec", Message: fmt.Sprintf("%q is not a whole number of seconds", f.TimeoutInSec)})
		}
		w.TimeoutInSec = n
	}
	flt, ferrs := f.filter()
	errs = append(errs, ferrs...)
	w.Filters = flt
	for i, v := range f.Validators {
		rv, ok := v.validator()
		if !ok {
			errs = append(errs, fieldError{Field: fmt.Sprintf("response_validators[%d]", i), Message: fmt.Sprintf("%q is not a kind of check", v.Kind)})
			continue
		}
		w.ResponseValidators = append(w.ResponseValidators, rv)
	}
	if strings.TrimSpace(f.DeliveryJSON) != "" {
		var ds webhook.DeliverySettings
		dec := json.NewDecoder(strings.NewReader(f.DeliveryJSON))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&ds); err != nil {
			errs = append(errs, fieldError{Field: "delivery", Message: "delivery settings: " + err.Error()})
		} else {
			w.Delivery = &ds
		}
	}
	return w, errs
}

// validatorRowOf is the row of a validator: a status check, a header
// check, or (also for one the Dispatcher would refuse) a JSON path.
func validatorRowOf(v webhook.ResponseValidator) validatorRow {
	switch {
	case v.Status != nil && v.JSONPath == "" && v.Header == "" && v.ExpectedValues == nil:
		return validatorRow{Kind: checkStatus, Values: slices.Clone(v.Status)}
	case v.Header != "" && v.JSONPath == "" && v.Status == nil:
		return validatorRow{Kind: checkHeader, Path: v.Header, Values: slices.Clone(v.ExpectedValues)}
	}
	return validatorRow{Kind: checkJSONPath, Path: v.JSONPath, Values: slices.Clone(v.ExpectedValues)}
}

// validator is the row's validator; a row of no kind is a JSON path's.
func (v validatorRow) validator() (webhook.ResponseValidator, bool) {
	switch v.Kind {
	case checkJSONPath, "":
		return webhook.ResponseValidator{JSONPath: v.Path, ExpectedValues: slices.Clone(v.Values)}, true
	case checkStatus:
		return webhook.ResponseValidator{Status: slices.Clone(v.Values)}, true
	case checkHeader:
		return webhook.ResponseValidator{Header: v.Path, ExpectedValues: slices.Clone(v.Values)}, true
	}
	return webhook.ResponseValidator{}, false
}

// keepSpelling gives w the stored spelling of the fields the page shows
// in a form of its own, when they are sent back as shown: the triggers'
// order (the page lists them in its own) and the method's case, or its
// absence (the page shows POST).
func keepSpelling(w *webhook.Webhook, stored webhook.Webhook) {
	if len(w.Triggers) == len(stored.Triggers) && !slices.ContainsFunc(stored.Triggers, func(t event.Trigger) bool { return !slices.Contains(w.Triggers, t) }) {
		w.Triggers = slices.Clone(stored.Triggers)
	}
	if strings.EqualFold(w.Method, stored.Method) || (stored.Method == "" && w.Method == "POST") {
		w.Method = stored.Method
	}
}

func hasHeader(h map[string]string, name string) bool {
	for k := range h {
		if strings.EqualFold(k, name) {
			return true
		}
	}
	return false
}

// filter builds the form's filter: the JSON of the operator form when it
// was given, else the builder's rows; nil when neither restricts anything.
func (f form) filter() (*filter.Filter, []fieldError) {
	if strings.TrimSpace(f.FilterJSON) != "" {
		flt, err := filter.Parse([]byte(f.FilterJSON))
		if err != nil {
			return nil, []fieldError{{Field: "filters", Message: err.Error()}}
		}
		return flt, nil
	}
	var (
		fs   filter.Filters
		errs []fieldError
		used bool
	)
	for i, row := range f.Filters {
		field := fmt.Sprintf("filters[%d]", i)
		d, ok := dimensionOf(row.Dimension)
		switch {
		case !ok:
			errs = append(errs, fieldError{Field: field, Message: "choose what to filter on"})
			continue
		case len(row.Values) == 0:
			errs = append(errs, fieldError{Field: field, Message: fmt.Sprintf("give at least one %s, or remove the row", strings.ToLower(d.Label))})
			continue
		case d.field == nil:
			if slices.ContainsFunc(fs.Conditions, func(c filter.Condition) bool { return c.Path == d.Path && c.Operator == filter.OpIn }) {
				errs = append(errs, fieldError{Field: field, Message: fmt.Sprintf("%s is filtered on twice; put every value in one row", d.Label)})
				continue
			}
			c := filter.Condition{Path: d.Path, Operator: filter.OpIn}
			for _, v := range row.Values {
				c.Values = append(c.Values, v)
			}
			fs.Conditions = append(fs.Conditions, c)
			used = true
			continue
		case *d.field(&fs) != nil:
			errs = append(errs, fieldError{Field: field, Message: fmt.Sprintf("%s is filtered on twice; put every value in one row", d.Label)})
			continue
		}
		*d.field(&fs) = slices.Clone(row.Values)
		used = true
	}
	switch f.Approval {
	case "":
	case string(filter.ApprovalManual), string(filter.ApprovalAutomatic):
		fs.Approval = filter.ApprovalKind(f.Approval)
		used = true
	default:
		errs = append(errs, fieldError{Field: "filters.approval", Message: fmt.Sprintf("%q is not manual or automatic", f.Approval)})
	}
	for i, row := range f.Conditions {
		c := filter.Condition{Path: row.Path, Operator: filter.Op(row.Operator), Every: row.Every}
		for _, v := range row.Values {
			c.Values = append(c.Values, operand(v))
		}
		if row.Path == "" {
			errs = append(errs, fieldError{Field: fmt.Sprintf("filters.conditions[%d]", i), Message: "give the condition a path"})
			continue
		}
		fs.Conditions = append(fs.Conditions, c)
		used = true
	}
	if !used || len(errs) > 0 {
		return nil, errs
	}
	flt, err := filter.FromFilters(fs)
	if err != nil {
		return nil, []fieldError{{Field: "filters", Message: err.Error()}}
	}
	return flt, nil
}

// operand reads a condition's operand as typed: a JSON number, true,
// false or null as that, anything else as a string. "14400" typed with its
// quotes is the string.
func operand(s string) any {
	dec := json.NewDecoder(bytes.NewReader([]byte(s)))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err == nil && !dec.More() {
		switch v.(type) {
		case json.Number, bool, nil, string:
			return v
		}
	}
	return s
}

// definitionErrors lists a *webhook.DefinitionErrors' problems as the
// form's; other errors are not the user's to mend.
func definitionErrors(err error) ([]fieldError, bool) {
	var defs webhook.DefinitionErrors
	if !errors.As(err, &defs) {
		return nil, false
	}
	out := make([]fieldError, 0, len(defs))
	for _, d := range defs {
		msg := d.Err.Error()
		out = append(out, fieldError{Field: d.Field, Message: msg, Line: d.Line, Column: d.Column})
	}
	return out, true
}

package netguard_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/outhook/outhook/internal/netguard"
)

func TestValidHeaderName(t *testing.T) {
	tests := []struct {
		name string
		ok   bool
	}{
		{"Authorization", true},
		{"X-Torq-Token", true},
		{"webhook-id", true},
		{"x!#$%&'*+-.^_`|~9", true},
		{"", false},
		{"X Token", false},
		{"X-Token:", false},
		{"X-Token\r\nX-Injected", false},
		{"X-Token\n", false},
		{"X-T\x00ken", false},
		{"X-Tökén", false},
		{"(comment)", false},
		{"a/b", false},
		{`"quoted"`, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			require.Equal(t, tt.ok, netguard.ValidHeaderName(tt.name))
		})
	}
}

func TestValidHeaderValue(t *testing.T) {
	tests := []struct {
		name  string
		value string
		ok    bool
	}{
		{"token", "Bearer eyJhbGciOiJIUzI1NiJ9.e30.abc", true},
		{"empty", "", true},
		{"tab and space", "a\tb c", true},
		{"obs-text", "caf\xc3\xa9", true},
		{"punctuation", `{"a":[1,2]} ; q=0.5, <x>`, true},
		{"CR LF injection", "x\r\nX-Injected: 1", false},
		{"LF", "x\ny", false},
		{"CR", "x\ry", false},
		{"NUL", "x\x00y", false},
		{"DEL", "x\x7fy", false},
		{"bell", "x\x07y", false},
		{"escape", "\x1b[31m", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			require.Equal(t, tt.ok, netguard.ValidHeaderValue(tt.value))
		})
	}
}

package storage_test

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/shakwa/shakwa"
	"github.com/shakwa/shakwa/storage"
)

func TestParseURL(t *testing.T) {
	tests := []struct {
		url                string
		addrs              []string
		cluster, tls       bool
		master, user, pass string
		db                 int
	}{
		{url: "redis://localhost", addrs: []string{"localhost:6379"}},
		{url: "redis://10.0.0.5:6380/3", addrs: []string{"10.0.0.5:6380"}, db: 3},
		{url: "redis://:s3cret@h:1", addrs: []string{"h:1"}, pass: "s3cret"},
		{url: "redis://bot:p%40ss@h:1/", addrs: []string{"h:1"}, user: "bot", pass: "p@ss"},
		{url: "rediss://cache.example:6380", addrs: []string{"cache.example:6380"}, tls: true},
		{url: "redis://[::1]:7000", addrs: []string{"[::1]:7000"}},
		{url: "redis://[::1]", addrs: []string{"[::1]:6379"}},
		{url: "redis://h1:7000,h2:7001,h3", addrs: []string{"h1:7000", "h2:7001", "h3:6379"}, cluster: true},
		{url: "rediss://u:p@h1:7000,h2:7001", addrs: []string{"h1:7000", "h2:7001"}, cluster: true, tls: true, user: "u", pass: "p"},
		{url: "redis://h1:7000?cluster=true", addrs: []string{"h1:7000"}, cluster: true},
		{url: "redis-sentinel://s1,s2:5000?master=mymaster", addrs: []string{"s1:26379", "s2:5000"}, master: "mymaster"},
		{url: "redis-sentinel://:pw@s1/2?master_name=m", addrs: []string{"s1:26379"}, master: "m", pass: "pw", db: 2},
		{url: "rediss-sentinel://s1?master=m", addrs: []string{"s1:26379"}, master: "m", tls: true},
	}
	for _, tt := range tests {
		o, err := storage.ParseURL(tt.url)
		if err != nil {
			t.Errorf("ParseURL(%q): %v", tt.url, err)
			continue
		}
		got := []any{o.Addrs, o.IsClusterMode, o.TLSConfig != nil, o.MasterName, o.Username, o.Password, o.DB, o.ContextTimeoutEnabled}
		want := []any{tt.addrs, tt.cluster, tt.tls, tt.master, tt.user, tt.pass, tt.db, true}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("ParseURL(%q) = %v; want %v (addrs, cluster, tls, master, user, password, db, ctx timeouts)", tt.url, got, want)
		}
	}
}

func TestParseURLErrors(t *testing.T) {
	for _, u := range []string{
		"", "localhost:6379", "http://h", "redis://", "redis://h1,,h2", "redis://h:port", "redis://h:0",
		"redis://h:99999", "redis://h/x", "redis://h/-1", "redis://h1,h2/1", "redis://h?master=m",
		"redis://h?cluster=maybe", "redis://h?pool=3", "redis-sentinel://s1", "redis-sentinel://s1?master=m&cluster=1",
		"redis://user:hunter2@h:bad",
	} {
		_, err := storage.ParseURL(u)
		if !errors.Is(err, shakwa.ErrInvalid) {
			t.Errorf("ParseURL(%q): got %v; want ErrInvalid", u, err)
		}
		if err != nil && strings.Contains(err.Error(), "hunter2") {
			t.Errorf("ParseURL(%q): error %q shows the password", u, err)
		}
	}
}

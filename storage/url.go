package storage

import (
	"crypto/tls"
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"

	"github.com/redis/go-redis/v9"

	"github.com/shakwa/shakwa"
)

// ParseURL turns a REDIS_URL into client options. The forms are
//
//	redis://[user:pass@]host[:port][/db]              one server
//	rediss://...                                     the same over TLS
//	redis://[user:pass@]h1:p1,h2:p2,h3:p3            Redis Cluster (seed nodes)
//	redis://host:port?cluster=true                   Redis Cluster from one seed
//	redis-sentinel://[user:pass@]h1:p1,h2:p2[/db]?master=mymaster
//	                                                 Sentinel (rediss-sentinel for TLS)
//
// The user and password are those of the data nodes; Sentinel's own are the
// query parameters sentinel_user and sentinel_password. client_name sets
// the connection name. The port defaults to 6379 (26379 for Sentinel).
// Errors wrap shakwa.ErrInvalid and never repeat the password.
// ContextTimeoutEnabled is always set.
func ParseURL(raw string) (*redis.UniversalOptions, error) {
	scheme, rest, ok := strings.Cut(raw, "://")
	if !ok {
		return nil, fmt.Errorf("redis url: missing scheme: %w", shakwa.ErrInvalid)
	}
	sentinel, secure, err := parseScheme(scheme)
	if err != nil {
		return nil, err
	}
	authority, tail := rest, ""
	if i := strings.IndexAny(rest, "/?"); i >= 0 {
		authority, tail = rest[:i], rest[i:]
	}
	userinfo, hosts := "", authority
	if i := strings.LastIndex(authority, "@"); i >= 0 {
		userinfo, hosts = authority[:i+1], authority[i+1:]
	}
	// Parse the rest with a placeholder host: net/url refuses host lists.
	u, err := url.Parse("redis://" + userinfo + "placeholder" + tail)
	if err != nil {
		return nil, fmt.Errorf("redis url: malformed user, path or query: %w", shakwa.ErrInvalid)
	}
	o := &redis.UniversalOptions{ContextTimeoutEnabled: true}
	if o.Addrs, err = splitHosts(hosts, sentinel); err != nil {
		return nil, err
	}
	if u.User != nil {
		o.Username = u.User.Username()
		o.Password, _ = u.User.Password()
	}
	if secure {
		// ServerName is left empty: crypto/tls takes it from each address.
		o.TLSConfig = &tls.Config{MinVersion: tls.VersionTLS12}
	}
	if o.DB, err = parseDB(u.Path); err != nil {
		return nil, err
	}
	if err := parseQuery(u.Query(), o, sentinel); err != nil {
		return nil, err
	}
	return o, nil
}

// parseScheme tells Sentinel and TLS from the URL scheme.
func parseScheme(scheme string) (sentinel, secure bool, err error) {
	switch scheme {
	case "redis":
		return false, false, nil
	case "rediss":
		return false, true, nil
	case "redis-sentinel":
		return true, false, nil
	case "rediss-sentinel":
		return true, true, nil
	}
	return false, false, fmt.Errorf("redis url: unknown scheme %q: %w", scheme, shakwa.ErrInvalid)
}

// splitHosts splits "h1:p1,h2" into addresses with default ports.
func splitHosts(hosts string, sentinel bool) ([]string, error) {
	port := "6379"
	if sentinel {
		port = "26379"
	}
	var addrs []string
	for h := range strings.SplitSeq(hosts, ",") {
		if h == "" {
			return nil, fmt.Errorf("redis url: empty host: %w", shakwa.ErrInvalid)
		}
		host, p, err := net.SplitHostPort(h)
		if err != nil {
			// No port given (or a bare IPv6 address in brackets).
			host, p = strings.TrimSuffix(strings.TrimPrefix(h, "["), "]"), port
		}
		if n, err := strconv.Atoi(p); err != nil || n <= 0 || n > 65535 || host == "" {
			return nil, fmt.Errorf("redis url: bad host %q: %w", h, shakwa.ErrInvalid)
		}
		addrs = append(addrs, net.JoinHostPort(host, p))
	}
	return addrs, nil
}

// parseDB reads "/3" as database 3.
func parseDB(path string) (int, error) {
	p := strings.Trim(path, "/")
	if p == "" {
		return 0, nil
	}
	db, err := strconv.Atoi(p)
	if err != nil || db < 0 {
		return 0, fmt.Errorf("redis url: bad database %q: %w", p, shakwa.ErrInvalid)
	}
	return db, nil
}

// parseQuery applies the query parameters ParseURL knows, refuses others,
// and checks that the result makes sense.
func parseQuery(q url.Values, o *redis.UniversalOptions, sentinel bool) error {
	for name, vs := range q {
		v := vs[len(vs)-1]
		switch name {
		case "master", "master_name":
			o.MasterName = v
		case "cluster":
			b, err := strconv.ParseBool(v)
			if err != nil {
				return fmt.Errorf("redis url: bad cluster=%q: %w", v, shakwa.ErrInvalid)
			}
			o.IsClusterMode = b
		case "client_name":
			o.ClientName = v
		case "sentinel_user":
			o.SentinelUsername = v
		case "sentinel_password":
			o.SentinelPassword = v
		default:
			return fmt.Errorf("redis url: unknown parameter %q: %w", name, shakwa.ErrInvalid)
		}
	}
	switch {
	case sentinel && o.MasterName == "":
		return fmt.Errorf("redis url: sentinel needs ?master=NAME: %w", shakwa.ErrInvalid)
	case sentinel && o.IsClusterMode:
		return fmt.Errorf("redis url: sentinel and cluster together: %w", shakwa.ErrInvalid)
	case !sentinel && (o.MasterName != "" || o.SentinelUsername != "" || o.SentinelPassword != ""):
		return fmt.Errorf("redis url: master and sentinel_* need redis-sentinel://: %w", shakwa.ErrInvalid)
	}
	o.IsClusterMode = o.IsClusterMode || (!sentinel && len(o.Addrs) > 1)
	if o.IsClusterMode && o.DB != 0 {
		return fmt.Errorf("redis url: a cluster has no database %d: %w", o.DB, shakwa.ErrInvalid)
	}
	return nil
}

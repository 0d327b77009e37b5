package main

import (
	"net/http"
	"time"
)

// bodyDeadline gives each request that has a body d from its start to
// send it all, and more for a large one (see bodyWait); past it the
// body's reads fail and the connection is closed. The server has no ReadTimeout, which would end the web chat's
// event streams: those are GETs without a body, and are left alone. The
// deadline ends with the body: net/http lifts it when the body is read to
// its end (it then reads on in the background, to notice a client that
// goes), and sets the connection's deadlines again for the next request,
// so neither a handler that works on past it nor the next request on a
// kept-alive connection is cut off by it.
func bodyDeadline(h http.Handler, d time.Duration) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.ContentLength != 0 { // 0: no body (http.NoBody); -1: chunked
			_ = http.NewResponseController(w).SetReadDeadline(time.Now().Add(bodyWait(d, r.ContentLength))) // unsupported by some writers: fine
		}
		h.ServeHTTP(w, r)
	})
}

// Bodies on a slow link.
const (
	// slowRate is the slowest a body is let come, in bytes a second: a
	// phone on a poor mobile link, about 128 kbit/s.
	slowRate = 16 << 10
	// slowBody is the most a body is given time for: more than any
	// handler reads (an upload and its form).
	slowBody = 8 << 20
)

// bodyWait is how long a body of size bytes (-1: not said) may take to
// arrive: d, and for a large one the time it takes at slowRate, so that
// a 5 MB photo from a phone on a poor link (5 minutes) still arrives.
func bodyWait(d time.Duration, size int64) time.Duration {
	return d + time.Duration(min(max(size, 0), slowBody))*time.Second/slowRate
}

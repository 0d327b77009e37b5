package main

import (
	"net/http"
	"time"
)

// bodyDeadline gives each request that has a body d from its start to
// send it all; past it the body's reads fail and the connection is
// closed. The server has no ReadTimeout, which would end the web chat's
// event streams: those are GETs without a body, and are left alone. The
// deadline ends with the body: net/http lifts it when the body is read to
// its end (it then reads on in the background, to notice a client that
// goes), and sets the connection's deadlines again for the next request,
// so neither a handler that works on past it nor the next request on a
// kept-alive connection is cut off by it.
func bodyDeadline(h http.Handler, d time.Duration) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.ContentLength != 0 { // 0: no body (http.NoBody); -1: chunked
			_ = http.NewResponseController(w).SetReadDeadline(time.Now().Add(d)) // unsupported by some writers: fine
		}
		h.ServeHTTP(w, r)
	})
}

package graph

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"strconv"
	"time"

	khttp "github.com/microsoft/kiota-http-go"
)

// maxThrottleRetries is how many times one throttled call is sent again.
const maxThrottleRetries = 3

// throttleHandler is the SDK middleware that waits out throttling (429, and the 503
// and 504 Graph answers when busy) and sends the call again: after Retry-After when
// Graph gives one, else 1, 2 then 4 seconds; at most maxThrottleRetries times, each
// wait within MaxRetryAfter and all of them within twice that. It stands in for
// kiota's retry handler so that the waits go through Options.Sleep.
type throttleHandler struct{ c *SDKClient }

var _ khttp.Middleware = throttleHandler{}

// Intercept sends req, and again while it is throttled and the wait is allowed. Each
// send is a copy of req with its body from the start: the middlewares after this one
// change the request they are given (the compression handler gzips the body and sets
// Content-Encoding), and a second send must not start from their changes.
func (h throttleHandler) Intercept(pipeline khttp.Pipeline, index int, req *http.Request) (*http.Response, error) {
	var body []byte
	if req.Body != nil && req.Body != http.NoBody {
		var err error
		body, err = io.ReadAll(req.Body)
		req.Body.Close()
		if err != nil {
			return nil, err
		}
	}
	send := func(attempt int) (*http.Response, error) {
		r := req.Clone(req.Context())
		if body != nil {
			r.Body, r.ContentLength = io.NopCloser(bytes.NewReader(body)), int64(len(body))
			r.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(body)), nil }
		}
		if attempt > 0 {
			r.Header.Set("Retry-Attempt", strconv.Itoa(attempt))
		}
		return pipeline.Next(r, index)
	}
	resp, err := send(0)
	var waited time.Duration
	for attempt := 1; err == nil && attempt <= maxThrottleRetries && throttled(resp.StatusCode); attempt++ {
		wait := retryAfter(resp.Header.Get("Retry-After"))
		if wait == 0 {
			wait = time.Second << (attempt - 1)
		}
		ok := wait <= h.c.opts.MaxRetryAfter && waited+wait <= 2*h.c.opts.MaxRetryAfter
		h.c.log.Info("graph throttled", "method", req.Method, "path", req.URL.Path, "status", resp.StatusCode,
			"retry_after", wait, "attempt", attempt, "waiting", ok)
		if !ok {
			return resp, nil
		}
		// The answer is dropped; its connection goes back to the pool once read.
		io.Copy(io.Discard, io.LimitReader(resp.Body, maxErrorBody))
		resp.Body.Close()
		if err := h.c.opts.Sleep(req.Context(), wait); err != nil {
			return nil, err
		}
		waited += wait
		resp, err = send(attempt)
	}
	return resp, err
}

func throttled(status int) bool {
	return status == http.StatusTooManyRequests || status == http.StatusServiceUnavailable || status == http.StatusGatewayTimeout
}

// sleep waits d, or less when ctx ends first, returning ctx's error then.
func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

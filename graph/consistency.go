package graph

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// Entra's directory is eventually consistent: an object just created may be missing
// from the replica that answers the next call (404 Request_ResourceNotFound), and a
// service principal for an application just created may be refused because its appId
// "does not reference a valid application object". The client remembers what it
// created and, for those objects only, retries such answers a bounded number of times;
// for any other object a 404 is an answer.

// created notes IDs (object IDs, appIds) of objects this client just made.
func (c *SDKClient) created(ids ...string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	now := time.Now()
	for id, at := range c.fresh {
		if now.Sub(at) > freshFor {
			delete(c.fresh, id)
		}
	}
	for _, id := range ids {
		if id != "" {
			c.fresh[strings.ToLower(id)] = now
		}
	}
}

// isFresh reports whether any of ids was created by this client lately.
func (c *SDKClient) isFresh(ids ...string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, id := range ids {
		if at, ok := c.fresh[strings.ToLower(id)]; ok && time.Since(at) <= freshFor {
			return true
		}
	}
	return false
}

// notReplicated reports whether err is how Graph answers for an object a replica has
// not seen yet.
func notReplicated(err error) bool {
	var e *Error
	if !errors.As(err, &e) {
		return false
	}
	switch {
	case e.Code == CodeNotFound || e.Status == http.StatusNotFound:
		return true
	case e.Status == http.StatusBadRequest && strings.Contains(e.Message, "does not reference a valid application object"):
		return true
	}
	return false
}

// settle runs call, and again while it fails as for an object not replicated yet when
// one of ids is fresh: ReadBackTries in all, waiting ReadBackDelay doubling up to
// ReadBackMaxDelay between them, as long as ctx lasts.
func (c *SDKClient) settle(ctx context.Context, o op, ids []string, call func() error) error {
	wait := c.opts.ReadBackDelay
	for try := 1; ; try++ {
		err := call()
		if err == nil || try >= c.opts.ReadBackTries || !notReplicated(err) || !c.isFresh(ids...) {
			return err
		}
		c.log.Debug("graph object not replicated yet; retrying", "op", o.what, "try", try, "wait", wait)
		if err := c.opts.Sleep(ctx, wait); err != nil {
			return err
		}
		wait = min(wait*2, c.opts.ReadBackMaxDelay)
	}
}

// AdminConsentURL is the v2.0 admin consent page on the target's authority for the
// Graph permissions the app has been given (the .default scope).
func (c *SDKClient) AdminConsentURL(tenant, clientID, redirect string) string {
	return c.target.AdminConsentURL(tenant, clientID, redirect)
}

// AdminConsentURL is the target's v2.0 admin consent page for clientID's configured
// permissions; an empty tenant means the target's, an empty redirect leaves it to Entra.
func (t Target) AdminConsentURL(tenant, clientID, redirect string) string {
	if tenant == "" {
		tenant = t.TenantID
	}
	q := url.Values{"client_id": {clientID}, "scope": {GraphScope}}
	if redirect != "" {
		q.Set("redirect_uri", redirect)
	}
	return strings.TrimSuffix(t.AuthorityHost, "/") + "/" + url.PathEscape(tenant) + "/v2.0/adminconsent?" + q.Encode()
}

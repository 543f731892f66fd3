package client

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"time"
)

// Post sends body to rawURL (https only) and returns the response body of
// a 200, at most max bytes. Redirects are not followed: the only POST
// airlock makes is the npm bulk advisory query, whose answer must come
// from the registry asked. Authentication and User-Agent are as for Get;
// a failure is a *StatusError or an *Error like Get's. No retries: the
// caller falls back to its cached answer.
func (c *Client) Post(ctx context.Context, rawURL string, header http.Header, body []byte, max int64) ([]byte, error) {
	u, err := checkURL(rawURL)
	if err != nil {
		return nil, &Error{URL: Redact(rawURL), Err: err}
	}
	ctx, cancel := context.WithTimeout(ctx, c.opts.ResponseHeaderTimeout+c.opts.BodyTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u.String(), bytes.NewReader(body))
	if err != nil {
		return nil, &Error{URL: redactURL(u), Err: err}
	}
	for k, vs := range header {
		if http.CanonicalHeaderKey(k) != "Authorization" {
			req.Header[http.CanonicalHeaderKey(k)] = append([]string(nil), vs...)
		}
	}
	req.Header.Set("User-Agent", c.opts.UserAgent)
	sentAuth := false
	if c.opts.Auth != nil {
		if h, ok := c.opts.Auth(u.String()); ok && h != "" {
			req.Header.Set("Authorization", h)
			sentAuth = true
		}
	}
	start := time.Now()
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, &Error{URL: redactURL(u), Attempts: 1, Err: unwrapURLError(err)}
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		drain(resp.Body)
		return nil, &StatusError{URL: redactURL(u), Code: resp.StatusCode, Attempts: 1, SentAuth: sentAuth}
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, max+1))
	if err != nil {
		return nil, &Error{URL: redactURL(u), Attempts: 1, Err: fmt.Errorf("reading the response after %s: %w", time.Since(start).Round(time.Millisecond), err)}
	}
	if int64(len(data)) > max {
		return nil, &Error{URL: redactURL(u), Err: fmt.Errorf("%w: response over %d bytes", ErrTooLarge, max)}
	}
	return data, nil
}

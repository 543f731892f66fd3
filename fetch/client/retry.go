package client

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// retryState is one Get's retry bookkeeping; retryablehttp gets a fresh
// Client per hop whose hooks close over it.
type retryState struct {
	opts     *Options
	start    time.Time
	attempts int           // requests made for the current hop
	wait     time.Duration // the wait chosen by the last checkRetry
	giveUp   error         // why retrying stopped early, if it did
}

// checkRetry decides whether to retry and, if so, how long to wait, so that
// MaxElapsed and Retry-After are judged before sleeping.
func (s *retryState) checkRetry(ctx context.Context, resp *http.Response, err error) (bool, error) {
	s.attempts++
	if ctx.Err() != nil {
		return false, ctx.Err()
	}
	if err != nil {
		if permanent(err) {
			return false, nil
		}
	} else if !retryableStatus(resp.StatusCode) {
		return false, nil
	}
	if s.attempts >= s.opts.MaxAttempts {
		return false, nil
	}
	wait := s.jittered(s.attempts)
	if resp != nil {
		if ra, ok := parseRetryAfter(resp.Header.Get("Retry-After")); ok {
			if ra > s.opts.RetryWaitMax {
				// Retrying sooner would ignore the server; waiting that
				// long would stall the whole install.
				s.giveUp = fmt.Errorf("not retried: the server's Retry-After of %s is longer than the %s airlock waits at most between retries",
					ra.Round(time.Second), s.opts.RetryWaitMax)
				return false, nil
			}
			wait = max(ra, wait/2)
		}
	}
	if elapsed := time.Since(s.start); elapsed+wait > s.opts.MaxElapsed {
		s.giveUp = fmt.Errorf("gave up retrying: %s spent, the next wait of %s would pass the limit of %s",
			elapsed.Round(time.Millisecond), wait.Round(time.Millisecond), s.opts.MaxElapsed)
		return false, nil
	}
	s.wait = wait
	return true, nil
}

func (s *retryState) backoff(_, _ time.Duration, _ int, _ *http.Response) time.Duration {
	return s.wait
}

// jittered is exponential backoff from RetryWaitMin, capped at RetryWaitMax,
// with "equal jitter" (half fixed, half random) so that 32 parallel downloads
// failing together do not retry together.
func (s *retryState) jittered(attempt int) time.Duration {
	d := s.opts.RetryWaitMin
	for i := 1; i < attempt && d < s.opts.RetryWaitMax; i++ {
		d *= 2
	}
	d = min(d, s.opts.RetryWaitMax)
	half := d / 2
	return half + rand.N(half+1)
}

func retryableStatus(code int) bool {
	return code == http.StatusTooManyRequests || (code >= 500 && code != http.StatusNotImplemented)
}

// parseRetryAfter reads delay-seconds or an HTTP date.
func parseRetryAfter(v string) (time.Duration, bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, false
	}
	if n, err := strconv.ParseInt(v, 10, 64); err == nil {
		if n < 0 {
			return 0, false
		}
		if n > int64(365*24*time.Hour/time.Second) {
			n = int64(365 * 24 * time.Hour / time.Second)
		}
		return time.Duration(n) * time.Second, true
	}
	if t, err := http.ParseTime(v); err == nil {
		return max(time.Until(t), 0), true
	}
	return 0, false
}

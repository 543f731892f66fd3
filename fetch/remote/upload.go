package remote

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"

	"github.com/airlock-dev/airlock/verify"
)

// Offer queues an upload of want's archive, which the caller has verified
// against want; open returns a reader of it that fails when the bytes no
// longer match (fetch/cache's Reader does) and its size. open is called
// from another goroutine, once or twice. Offer never blocks: with the queue
// full, the remote down, uploads off or after Flush, the offer is dropped.
func (c *Client) Offer(want verify.Digest, open func() (io.ReadCloser, int64, error)) {
	if c.opts.ReadOnly {
		return
	}
	if c.down.Load() || c.upDown.Load() || want.Validate() != nil {
		c.dropped.Add(1)
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		c.dropped.Add(1)
		return
	}
	if c.queue == nil {
		c.queue = make(chan job, c.opts.MaxQueued)
		for range c.opts.UploadJobs {
			c.workers.Add(1)
			go c.work()
		}
	}
	select {
	case c.queue <- job{want: want, open: open}:
	default:
		c.dropped.Add(1)
	}
}

func (c *Client) work() {
	defer c.workers.Done()
	for j := range c.queue {
		if c.upCtx.Err() != nil || c.down.Load() || c.upDown.Load() {
			c.abandoned.Add(1)
			continue
		}
		ctx, cancel := context.WithTimeout(c.upCtx, c.opts.UploadTimeout)
		err := c.upload(ctx, j.want, j.open)
		cancel()
		switch {
		case err == nil:
		case c.upCtx.Err() != nil:
			c.abandoned.Add(1)
		default:
			c.upFailed.Add(1)
			var le *localError
			if !errors.As(err, &le) && c.upDown.CompareAndSwap(false, true) {
				// The remote refused or failed an upload: stop
				// offering it more this run.
				c.mu.Lock()
				c.upErr = err
				c.mu.Unlock()
			}
		}
	}
}

// localError is a failure on our side of an upload (the local copy went
// missing or no longer verifies): not the remote's fault.
type localError struct{ err error }

func (e *localError) Error() string { return e.err.Error() }
func (e *localError) Unwrap() error { return e.err }

// upload writes the archive to the CAS (unless it is there and the entry
// was not proven bad), then, for a digest other than sha256, the AC entry
// pointing at it.
func (c *Client) upload(ctx context.Context, want verify.Digest, open func() (io.ReadCloser, int64, error)) error {
	replace := c.isSuspect(want)
	var ref blobRef
	if want.Algorithm == "sha256" {
		ref.SHA256 = want.Hex()
	} else {
		// First pass: the CAS key. The local cache's reader verifies
		// want on the way.
		r, _, err := open()
		if err != nil {
			return &localError{err}
		}
		h := sha256.New()
		ref.Size, err = io.Copy(h, r)
		r.Close()
		if err != nil {
			return &localError{err}
		}
		ref.SHA256 = hex.EncodeToString(h.Sum(nil))
	}
	casURL := c.base + "/cas/" + ref.SHA256
	have := false
	if !replace {
		var err error
		if have, err = c.head(ctx, casURL); err != nil {
			return err
		}
	}
	if have {
		c.present.Add(1)
	} else {
		r, size, err := open()
		if err != nil {
			return &localError{err}
		}
		body := &recordingReader{r: r}
		err = c.put(ctx, casURL, size, body)
		r.Close()
		if body.err != nil {
			return &localError{body.err}
		}
		if err != nil {
			return err
		}
		c.uploaded.Add(1)
	}
	if want.Algorithm == "sha256" {
		return nil
	}
	ac := encodeActionResult(ref)
	return c.put(ctx, c.base+"/ac/"+acKey(want), int64(len(ac)), bytes.NewReader(ac))
}

// recordingReader remembers a read failure of the local copy, to tell it
// from the remote's.
type recordingReader struct {
	r   io.Reader
	err error
}

func (r *recordingReader) Read(p []byte) (int, error) {
	n, err := r.r.Read(p)
	if err != nil && err != io.EOF {
		r.err = err
	}
	return n, err
}

func (c *Client) head(ctx context.Context, u string) (bool, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodHead, u, nil)
	if err != nil {
		return false, err
	}
	c.authorize(req)
	resp, err := c.http.Do(req)
	if err != nil {
		return false, fmt.Errorf("remote cache: HEAD %s: %w", u, unwrap(err))
	}
	resp.Body.Close()
	switch resp.StatusCode {
	case http.StatusOK:
		return true, nil
	case http.StatusNotFound:
		return false, nil
	}
	return false, fmt.Errorf("remote cache: HEAD %s: %w", u, statusError(resp))
}

// put uploads size bytes of body. bazel-remote needs the Content-Length up
// front (it reserves disk space); a body that ends short or long fails the
// request, so a partial blob is never stored under its key.
func (c *Client) put(ctx context.Context, u string, size int64, body io.Reader) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPut, u, body)
	if err != nil {
		return err
	}
	req.ContentLength = size
	req.Header.Set("Content-Type", "application/octet-stream")
	c.authorize(req)
	resp, err := c.http.Do(req)
	if err != nil {
		return fmt.Errorf("remote cache: PUT %s: %w", u, unwrap(err))
	}
	drain(resp.Body)
	switch resp.StatusCode {
	case http.StatusOK, http.StatusCreated, http.StatusNoContent:
		return nil
	}
	return fmt.Errorf("remote cache: PUT %s: %w", u, statusError(resp))
}

// Stats counts what the remote cache did in this run.
type Stats struct {
	// Hits are archives the remote served that matched the lockfile.
	Hits int64
	// Misses are lookups the remote had nothing for.
	Misses int64
	// Rejected are archives the remote served that did not match the
	// lockfile, and entries that were not airlock's (both bypassed).
	Rejected int64
	// Uploaded are archives written to the remote; Present were there
	// already.
	Uploaded, Present int64
	// Dropped are uploads not attempted (queue full, remote down, uploads
	// stopped); Failed failed; Abandoned were cut off by Flush.
	Dropped, Failed, Abandoned int64
	// Err is why the remote was given up on for this run; UploadErr why
	// uploads stopped. Both nil when all went well.
	Err, UploadErr error
}

// Flush stops accepting uploads and waits for the queued ones until ctx
// is done, then abandons the rest. It returns what the run did; call it
// once, when the install is complete.
func (c *Client) Flush(ctx context.Context) Stats {
	c.mu.Lock()
	if !c.closed {
		c.closed = true
		if c.queue != nil {
			close(c.queue)
		}
	}
	c.mu.Unlock()
	done := make(chan struct{})
	go func() {
		c.workers.Wait()
		close(done)
	}()
	select {
	case <-done:
	case <-ctx.Done():
		c.upCancel()
		<-done
	}
	c.upCancel()
	c.trans.CloseIdleConnections()
	return c.Stats()
}

// Stats returns the counts so far.
func (c *Client) Stats() Stats {
	c.mu.Lock()
	defer c.mu.Unlock()
	rejected := c.rejected.Load()
	return Stats{
		Hits:      c.served.Load() - rejected - c.broken.Load(),
		Misses:    c.misses.Load(),
		Rejected:  rejected + c.badEntry.Load(),
		Uploaded:  c.uploaded.Load(),
		Present:   c.present.Load(),
		Dropped:   c.dropped.Load(),
		Failed:    c.upFailed.Load(),
		Abandoned: c.abandoned.Load(),
		Err:       c.downErr,
		UploadErr: c.upErr,
	}
}

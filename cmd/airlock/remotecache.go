package main

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/airlock-dev/airlock/config"
	"github.com/airlock-dev/airlock/fetch"
	"github.com/airlock-dev/airlock/fetch/client"
	"github.com/airlock-dev/airlock/fetch/remote"
	"github.com/airlock-dev/airlock/verify"
)

// remoteFlushTime bounds the wait for background uploads once a command's
// work is done: the install is already in place; what does not make it is
// uploaded by a later run.
const remoteFlushTime = 10 * time.Second

// reportingRemote is the remote cache with its problems shown as warnings
// as they happen, whichever command fetches.
type reportingRemote struct {
	*remote.Client
	warn func(string)
}

func (r *reportingRemote) Get(ctx context.Context, want verify.Digest) (io.ReadCloser, string, error) {
	body, u, err := r.Client.Get(ctx, want)
	if err != nil && ctx.Err() == nil {
		r.warn(err.Error() + "\n(fetching from the registry instead)")
	}
	if body != nil {
		body = &watchedBody{ReadCloser: body, ctx: ctx, r: r, url: u}
	}
	return body, u, err
}

// watchedBody warns when a remote archive that broke off or stalled
// mid-body made the client give up on the remote (once a run).
type watchedBody struct {
	io.ReadCloser
	ctx context.Context
	r   *reportingRemote
	url string
}

func (b *watchedBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	var down *remote.DownError
	if errors.As(err, &down) && b.ctx.Err() == nil {
		b.r.warn(fmt.Sprintf("remote cache: reading %s: %v\n(fetching from the registry instead)", b.url, err))
	}
	return n, err
}

func (r *reportingRemote) Reject(want verify.Digest, why error) {
	r.Client.Reject(want, why)
	r.warn(fmt.Sprintf("the remote cache %s served an archive that does not match the lockfile; it was discarded and the registry's archive used instead, and the cache entry will be replaced. Someone or something altered the shared cache: tell its operators.\n%v", r.Client.URL(), why))
}

// attachRemoteCache gives f the [cache] remote cache, unless there is none,
// the fetch is offline, or --no-remote-cache cleared it.
func attachRemoteCache(f *fetch.Fetcher, cfg *config.Config, warn func(string)) error {
	rc := cfg.RemoteCache
	if rc.URL == "" || f.Offline {
		return nil
	}
	opts := remote.Options{URL: rc.URL, Timeout: rc.Timeout, ReadOnly: rc.ReadOnly, UserAgent: "airlock/" + version}
	if rc.TokenEnv != "" {
		opts.Token = os.Getenv(rc.TokenEnv)
		if opts.Token == "" {
			warn(fmt.Sprintf("[cache] token_env names %s, which is not set; using the remote cache without a token", rc.TokenEnv))
		}
	}
	if rc.CertFile != "" {
		cert, err := tls.LoadX509KeyPair(rc.CertFile, rc.KeyFile)
		if err != nil {
			return withCode(exitUsage, fmt.Errorf("[cache] client certificate (%s): %w", cfg.Sources["cache.remote"], err))
		}
		opts.ClientCert = &cert
	}
	// The same trust as the registries': the system roots (SSL_CERT_FILE
	// included) and airlock.toml's ca_file.
	if cfg.CAFile != "" {
		b, err := client.ReadCAFile(cfg.CAFile, "ca_file in "+cfg.Sources["ca_file"])
		if err != nil {
			return withCode(exitUsage, err)
		}
		opts.ExtraCAs = append(opts.ExtraCAs, b)
	}
	c, err := remote.New(opts)
	if err != nil {
		return withCode(exitUsage, fmt.Errorf("[cache] remote (%s): %w", cfg.Sources["cache.remote"], err))
	}
	f.Remote = &reportingRemote{Client: c, warn: warn}
	return nil
}

// finishRemoteCache waits (briefly) for the remote cache's uploads and
// reports what it did; a no-op without one.
func finishRemoteCache(f *fetch.Fetcher, rep *reporter) {
	if f == nil {
		return
	}
	r, ok := f.Remote.(*reportingRemote)
	if !ok {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), remoteFlushTime)
	defer cancel()
	st := r.Flush(ctx)
	if st.UploadErr != nil {
		rep.warn(event{Message: fmt.Sprintf("uploads to the remote cache stopped: %v", st.UploadErr)})
	}
	line := fmt.Sprintf("remote cache: %d hits, %d misses, %d rejected, %d uploaded, %d already there", st.Hits, st.Misses, st.Rejected, st.Uploaded, st.Present)
	if n := st.Dropped + st.Failed + st.Abandoned; n > 0 {
		line += fmt.Sprintf(", %d not uploaded", n)
	}
	rep.note(event{Message: line})
	rep.info(line)
}

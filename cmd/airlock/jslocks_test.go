package main

import (
	"bytes"
	"errors"
	"io"
	"testing"
	"time"
)

// TestTeeCheck: airlock fetch and vendor of a yarn 2+ archive check its
// cache zip while the bytes go to the vendor directory; whichever side
// stops early, the other gets what it needs and nothing hangs.
func TestTeeCheck(t *testing.T) {
	data := bytes.Repeat([]byte("0123456789abcdef"), 64<<10) // 1 MiB, over any pipe buffer
	errCheck, errConsume := errors.New("check failed"), errors.New("consume failed")
	readAll := func(got *[]byte) func(io.Reader) error {
		return func(r io.Reader) error {
			b, err := io.ReadAll(r)
			*got = b
			return err
		}
	}
	for _, tc := range []struct {
		name           string
		check, consume func(*[]byte) func(io.Reader) error
		want           error
		wantAll        bool // consume saw every byte
	}{
		{"both read all", readAll, readAll, nil, true},
		{"check reads part", func(*[]byte) func(io.Reader) error {
			return func(r io.Reader) error { _, err := io.ReadFull(r, make([]byte, 100)); return err }
		}, readAll, nil, true},
		{"check fails early", func(*[]byte) func(io.Reader) error {
			return func(r io.Reader) error { return errCheck }
		}, readAll, errCheck, false},
		{"consume fails early", readAll, func(*[]byte) func(io.Reader) error {
			return func(r io.Reader) error { return errConsume }
		}, errConsume, false},
		{"check fails after reading all", func(*[]byte) func(io.Reader) error {
			return func(r io.Reader) error { _, _ = io.Copy(io.Discard, r); return errCheck }
		}, readAll, errCheck, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var checked, consumed []byte
			done := make(chan error, 1)
			go func() { done <- teeCheck(bytes.NewReader(data), tc.check(&checked), tc.consume(&consumed)) }()
			select {
			case err := <-done:
				if !errors.Is(err, tc.want) {
					t.Fatalf("err = %v, want %v", err, tc.want)
				}
			case <-time.After(10 * time.Second):
				t.Fatal("teeCheck hangs")
			}
			if tc.wantAll && !bytes.Equal(consumed, data) {
				t.Errorf("consume got %d bytes, want all %d", len(consumed), len(data))
			}
			if tc.name == "both read all" && !bytes.Equal(checked, data) {
				t.Errorf("check got %d bytes", len(checked))
			}
		})
	}
}

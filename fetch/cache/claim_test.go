package cache

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestClaimWaitsForHolder(t *testing.T) {
	c := openCache(t)
	// A second Cache on the same directory stands for another process:
	// flock locks belong to open file descriptions, so this is the same.
	other, err := Open(c.Dir())
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	data, d := blob(1, 1000)

	release, waited, err := c.Claim(context.Background(), d)
	if err != nil || waited {
		t.Fatalf("first claim: waited %v, %v", waited, err)
	}
	got := make(chan bool)
	go func() {
		r, w, err := other.Claim(context.Background(), d)
		if err != nil {
			t.Error(err)
		}
		r()
		got <- w
	}()
	// The holder keeps writing (progress), then stores the blob.
	w, err := c.Put(d)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 10 {
		w.Write(data[i*100 : (i+1)*100])
		select {
		case <-got:
			t.Fatal("the second claim did not wait for the holder")
		case <-time.After(20 * time.Millisecond):
		}
	}
	if err := w.Commit(); err != nil {
		t.Fatal(err)
	}
	release()
	select {
	case w := <-got:
		if !w {
			t.Error("the second claim did not report that it waited")
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the second claim did not get the claim after its release")
	}
	// Releases leave nothing behind.
	ents, _ := filepath.Glob(filepath.Join(c.Dir(), "blobs", "sha512", "*", TempPrefix+"*"))
	if len(ents) != 0 {
		t.Errorf("left behind: %v", ents)
	}
}

func TestClaimGivesUpOnIdleHolder(t *testing.T) {
	old := WriterIdle
	WriterIdle = 200 * time.Millisecond
	defer func() { WriterIdle = old }()
	c := openCache(t)
	other, err := Open(c.Dir())
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	_, d := blob(2, 10)
	release, _, _ := c.Claim(context.Background(), d)
	defer release()
	start := time.Now()
	r, waited, err := other.Claim(context.Background(), d)
	r()
	if err != nil || !waited || time.Since(start) > 3*time.Second {
		t.Errorf("idle holder: waited %v after %s, %v", waited, time.Since(start), err)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	WriterIdle = time.Hour
	if _, _, err := other.Claim(ctx, d); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("cancelled wait: %v", err)
	}
}

func TestStaleClaimIsSwept(t *testing.T) {
	c := openCache(t)
	_, d := blob(3, 10)
	dir, name, _ := blobPath(d)
	p := filepath.Join(append([]string{c.Dir()}, dir...)...)
	if err := os.MkdirAll(p, 0o755); err != nil {
		t.Fatal(err)
	}
	// A process killed while holding a claim leaves the file, unlocked.
	if err := os.WriteFile(filepath.Join(p, claimName(name)), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	release, waited, err := c.Claim(context.Background(), d)
	if err != nil || waited {
		t.Fatalf("claim over a dead holder's file: waited %v, %v", waited, err)
	}
	release()
	if err := os.WriteFile(filepath.Join(p, claimName(name)), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if n, err := c.RemoveStaleTemps(StaleTempAge); err != nil || n != 1 {
		t.Errorf("RemoveStaleTemps = %d, %v", n, err)
	}
	if !strings.HasPrefix(claimName(name), TempPrefix) {
		t.Error("claim files must carry TempPrefix")
	}
}

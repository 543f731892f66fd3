package testcas

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/airlock-dev/airlock/internal/testregistry"
)

// Nginx is a real nginx serving a WebDAV directory over TLS on a loopback
// port: the simplest remote cache a team can run (PUT stores a file, GET
// and HEAD read it, nothing is checked).
type Nginx struct {
	// URL is the base URL; CAPEM the CA its certificate chains to.
	URL   string
	CAPEM []byte
	// Root is the directory it serves: Root/<path> is URL/<path>.
	Root string
}

// StartNginx starts nginx from $AIRLOCK_NGINX or PATH (Debian's nginx or
// nginx-light has the WebDAV module) and stops it at the end of t. It
// skips t when nginx is not installed. token, if set, is demanded as a
// bearer token on every request.
func StartNginx(t testing.TB, token string) *Nginx {
	t.Helper()
	bin := os.Getenv("AIRLOCK_NGINX")
	if bin == "" {
		var err error
		if bin, err = exec.LookPath("nginx"); err != nil {
			if _, serr := os.Stat("/usr/sbin/nginx"); serr != nil {
				t.Skip("nginx is not installed (apt-get install nginx-light, or set AIRLOCK_NGINX)")
			}
			bin = "/usr/sbin/nginx"
		}
	}
	dir := t.TempDir()
	files, err := testregistry.WriteServerFiles(dir, "airlock nginx test CA", testregistry.LeafOptions{})
	if err != nil {
		t.Fatal(err)
	}
	certFile, keyFile := files.CertFile, files.KeyFile
	write := func(name string, data []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, data, 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	root := filepath.Join(dir, "data")
	if err := os.MkdirAll(root, 0o755); err != nil {
		t.Fatal(err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	auth := ""
	if token != "" {
		auth = fmt.Sprintf("if ($http_authorization != \"Bearer %s\") { return 401; }", token)
	}
	conf := fmt.Sprintf(`daemon off;
master_process off;
pid %[1]s/nginx.pid;
error_log %[1]s/error.log;
events {}
http {
	access_log %[1]s/access.log;
	client_body_temp_path %[1]s/body;
	proxy_temp_path %[1]s/proxy;
	fastcgi_temp_path %[1]s/fastcgi;
	uwsgi_temp_path %[1]s/uwsgi;
	scgi_temp_path %[1]s/scgi;
	server {
		listen %[2]s ssl;
		ssl_certificate %[3]s;
		ssl_certificate_key %[4]s;
		root %[5]s;
		client_max_body_size 0;
		location / {
			%[6]s
			dav_methods PUT;
			create_full_put_path on;
			dav_access user:rw;
		}
	}
}
`, dir, addr, certFile, keyFile, root, auth)
	confFile := write("nginx.conf", []byte(conf))
	cmd := exec.Command(bin, "-p", dir, "-e", filepath.Join(dir, "error.log"), "-c", confFile)
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting nginx: %v", err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
	})
	n := &Nginx{URL: "https://" + addr, CAPEM: files.CAPEM, Root: root}
	// Wait for it to listen.
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(files.CAPEM)
	cl := &http.Client{Timeout: time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	defer cl.CloseIdleConnections()
	for deadline := time.Now().Add(10 * time.Second); ; {
		resp, err := cl.Get(n.URL + "/")
		if err == nil {
			resp.Body.Close()
			return n
		}
		if time.Now().After(deadline) {
			log, _ := os.ReadFile(filepath.Join(dir, "error.log"))
			t.Fatalf("nginx did not start: %v\n%s", err, log)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

package main

import (
	"crypto/tls"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"time"
)

func main() {
	rawURL := flag.String("url", "", "the /readyz URL (required; on 127.0.0.0/8, [::1] or localhost)")
	pid := flag.Int("pid", 0, "give up when this process has exited (0: do not watch a process)")
	interval := flag.Duration("interval", 10*time.Millisecond, "time between polls")
	timeout := flag.Duration("timeout", 2*time.Minute, "give up after this long")
	flag.Parse()
	at, err := wait(*rawURL, *pid, *interval, *timeout)
	if err != nil {
		fmt.Fprintf(os.Stderr, "waitready: %v\n", err)
		os.Exit(1)
	}
	fmt.Println(at.UnixNano())
}

func wait(rawURL string, pid int, interval, timeout time.Duration) (time.Time, error) {
	u, err := url.Parse(rawURL)
	if err != nil || u.Host == "" {
		return time.Time{}, fmt.Errorf("bad --url %q", rawURL)
	}
	if ip := net.ParseIP(u.Hostname()); !(ip != nil && ip.IsLoopback()) && u.Hostname() != "localhost" {
		return time.Time{}, fmt.Errorf("%s is not on the loopback interface", rawURL)
	}
	client := &http.Client{
		Timeout: time.Second,
		Transport: &http.Transport{
			TLSClientConfig: &tls.Config{InsecureSkipVerify: true}, // the server made its certificate a moment ago
		},
	}
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		if resp, err := client.Get(rawURL); err == nil {
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return time.Now(), nil
			}
		}
		if pid > 0 {
			if _, err := os.Stat("/proc/" + strconv.Itoa(pid)); errors.Is(err, os.ErrNotExist) {
				return time.Time{}, fmt.Errorf("process %d exited before %s was ready", pid, rawURL)
			}
		}
		time.Sleep(interval)
	}
	return time.Time{}, fmt.Errorf("%s not ready after %s", rawURL, timeout)
}

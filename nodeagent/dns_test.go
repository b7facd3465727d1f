package nodeagent

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestDNSUpstreams(t *testing.T) {
	resolv := filepath.Join(t.TempDir(), "resolv.conf")
	if err := os.WriteFile(resolv, []byte("nameserver 192.0.2.53\nsearch example\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name    string
		flag    []string
		want    []string
		wantErr bool
	}{
		{name: "default: the resolv.conf nameservers", want: []string{"192.0.2.53:53"}},
		{name: "none", flag: []string{"none"}},
		{name: "addresses get port 53", flag: []string{"127.0.0.1", "127.0.0.2:5353"}, want: []string{"127.0.0.1:53", "127.0.0.2:5353"}},
		{name: "a name is refused", flag: []string{"dns.example"}, wantErr: true},
		{name: "none with others is refused", flag: []string{"none", "127.0.0.1"}, wantErr: true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := &Config{Options: Options{ResolvConf: resolv, DNSUpstreams: tc.flag}}
			got, err := c.dnsUpstreams()
			if (err != nil) != tc.wantErr {
				t.Fatalf("err = %v, want error %v", err, tc.wantErr)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("upstreams (-want +got):\n%s", diff)
			}
		})
	}
}

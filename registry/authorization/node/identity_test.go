package node

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"k8s.io/apiserver/pkg/authentication/user"
)

func TestNodeIdentity(t *testing.T) {
	type identity struct {
		Name   string
		IsNode bool
	}
	tests := []struct {
		name string
		user user.Info
		want identity
	}{
		{"node", &user.DefaultInfo{Name: "system:node:mynode", Groups: []string{user.NodesGroup}}, identity{"mynode", true}},
		{"node without a name", &user.DefaultInfo{Name: "system:node:", Groups: []string{user.NodesGroup}}, identity{"", true}},
		{"node name without the group", &user.DefaultInfo{Name: "system:node:mynode", Groups: []string{user.AllAuthenticated}}, identity{}},
		{"the group without a node name", &user.DefaultInfo{Name: "mynode", Groups: []string{user.NodesGroup}}, identity{}},
		{"service account", &user.DefaultInfo{Name: "system:serviceaccount:ns:sa", Groups: []string{"system:serviceaccounts"}}, identity{}},
		{"no user", nil, identity{}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var got identity
			got.Name, got.IsNode = Identity(tc.user)
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("Identity (-want +got):\n%s", diff)
			}
		})
	}
}

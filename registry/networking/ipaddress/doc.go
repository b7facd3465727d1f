// Package ipaddress stores networking/v1 IPAddresses (ipaddresses): one
// object per allocated address, named by the address. The server keeps one
// for every service cluster IP (registry/apiserver); users may create
// others.
package ipaddress

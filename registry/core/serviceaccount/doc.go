// Package serviceaccount stores core/v1 ServiceAccounts (serviceaccounts).
package serviceaccount

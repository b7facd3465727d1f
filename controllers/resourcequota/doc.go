// Package resourcequota keeps each ResourceQuota's status: status.hard
// mirrors spec.hard and status.used counts what the namespace holds of each
// resource the quota names (object counts, and the requests and limits of
// pods that are not finished), as upstream's resource quota controller does.
// Enforcing quotas at admission is the ResourceQuota admission plugin's job.
package resourcequota

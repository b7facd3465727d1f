// Package cronjob stores batch/v1 CronJobs (cronjobs).
package cronjob

// Package job stores batch/v1 Jobs (jobs).
package job

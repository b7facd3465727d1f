// Package limitrange stores core/v1 LimitRanges (limitranges).
package limitrange

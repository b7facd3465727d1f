// Package priorityclass stores scheduling/v1 PriorityClasss (priorityclasses).
package priorityclass

// Package controllerrevision stores apps/v1 ControllerRevisions (controllerrevisions).
package controllerrevision

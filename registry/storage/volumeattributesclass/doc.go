// Package volumeattributesclass stores storage/v1 VolumeAttributesClasses
// (volumeattributesclasses): named, immutable sets of driver parameters
// that a claim can switch between to modify its volume.
package volumeattributesclass

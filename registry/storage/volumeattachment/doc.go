// Package volumeattachment stores storage/v1 VolumeAttachments (volumeattachments).
package volumeattachment

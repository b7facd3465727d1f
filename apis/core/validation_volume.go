package core

import (
	"fmt"
	"net"
	"path"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	apimachineryvalidation "k8s.io/apimachinery/pkg/api/validation"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	metav1validation "k8s.io/apimachinery/pkg/apis/meta/v1/validation"
	"k8s.io/apimachinery/pkg/util/diff"
	"k8s.io/apimachinery/pkg/util/sets"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// Volumes of pods, persistent volumes and persistent volume claims.

const (
	fileModeErrorMsg     = "must be a number between 0 and 0777 (octal), both inclusive"
	emptyDirModeErrorMsg = "must be a number between 0 and 01777 (octal), both inclusive"
	moreThanOneVolume    = "may not specify more than 1 volume type"
)

var pdPartitionErrorMsg = validation.InclusiveRangeError(1, 255)

// oneOf collects the members of a union such as a volume source: the first
// member set is validated, later ones are Forbidden, as upstream reports them.
type oneOf struct {
	n       int
	allErrs field.ErrorList
}

// add handles one member. forbidPath is where a surplus member is reported;
// upstream sometimes spells it differently from the path the member's own
// errors use.
func (u *oneOf) add(set bool, forbidPath *field.Path, validate func() field.ErrorList) {
	if !set {
		return
	}
	if u.n > 0 {
		u.allErrs = append(u.allErrs, field.Forbidden(forbidPath, moreThanOneVolume))
		return
	}
	u.n++
	u.allErrs = append(u.allErrs, validate()...)
}

// requireNonEmpty reports each named string field that is empty; pairs
// are (name, value).
func requireNonEmpty(fldPath *field.Path, pairs ...string) field.ErrorList {
	var allErrs field.ErrorList
	for i := 0; i+1 < len(pairs); i += 2 {
		if pairs[i+1] == "" {
			allErrs = append(allErrs, field.Required(fldPath.Child(pairs[i]), ""))
		}
	}
	return allErrs
}

func validateVolumes(volumes []corev1.Volume, podMeta *metav1.ObjectMeta, fldPath *field.Path) (map[string]corev1.VolumeSource, field.ErrorList) {
	var allErrs field.ErrorList
	names := sets.New[string]()
	// PVCs the pod's ephemeral volumes will create; the pod name is needed,
	// so templates skip this.
	createdPVCs := sets.New[string]()
	if podMeta != nil && podMeta.Name != "" {
		for _, vol := range volumes {
			if vol.Ephemeral != nil {
				createdPVCs.Insert(podMeta.Name + "-" + vol.Name)
			}
		}
	}
	vols := map[string]corev1.VolumeSource{}
	for i, vol := range volumes {
		p := fldPath.Index(i)
		namePath := p.Child("name")
		errs := validateVolumeSource(&vol.VolumeSource, p, vol.Name, podMeta)
		if vol.Name == "" {
			errs = append(errs, field.Required(namePath, ""))
		} else {
			errs = append(errs, ValidateDNS1123Label(vol.Name, namePath)...)
		}
		if names.Has(vol.Name) {
			errs = append(errs, field.Duplicate(namePath, vol.Name))
		}
		// Only valid volumes can be mounted: a mount of an invalid one is
		// then reported as not found.
		if len(errs) == 0 {
			names.Insert(vol.Name)
			vols[vol.Name] = vol.VolumeSource
		} else {
			allErrs = append(allErrs, errs...)
		}
		if vol.PersistentVolumeClaim != nil && createdPVCs.Has(vol.PersistentVolumeClaim.ClaimName) {
			allErrs = append(allErrs, field.Invalid(p.Child("persistentVolumeClaim", "claimName"), vol.PersistentVolumeClaim.ClaimName,
				"must not reference a PVC that gets created for an ephemeral volume"))
		}
	}
	return vols, allErrs
}

func validateVolumeSource(src *corev1.VolumeSource, p *field.Path, volName string, podMeta *metav1.ObjectMeta) field.ErrorList {
	u := &oneOf{}
	if ed := src.EmptyDir; ed != nil {
		u.n++
		if ed.SizeLimit != nil && ed.SizeLimit.Cmp(resource.Quantity{}) < 0 {
			u.allErrs = append(u.allErrs, field.Forbidden(p.Child("emptyDir", "sizeLimit"), "SizeLimit field must be a valid resource quantity"))
		}
		if ed.Mode != nil && (*ed.Mode > 01777 || *ed.Mode < 0) {
			u.allErrs = append(u.allErrs, field.Invalid(p.Child("emptyDir", "mode"), *ed.Mode, emptyDirModeErrorMsg))
		}
	}
	u.add(src.HostPath != nil, p.Child("hostPath"), func() field.ErrorList { return validateHostPathVolumeSource(src.HostPath, p.Child("hostPath")) })
	u.add(src.GitRepo != nil, p.Child("gitRepo"), func() field.ErrorList {
		errs := requireNonEmpty(p.Child("gitRepo"), "repository", src.GitRepo.Repository)
		return append(errs, validateLocalDescendingPath(src.GitRepo.Directory, p.Child("gitRepo", "directory"))...)
	})
	u.add(src.GCEPersistentDisk != nil, p.Child("gcePersistentDisk"), func() field.ErrorList {
		// Upstream validates it under "persistentDisk".
		return validateDiskPartition(p.Child("persistentDisk"), "pdName", src.GCEPersistentDisk.PDName, src.GCEPersistentDisk.Partition)
	})
	u.add(src.AWSElasticBlockStore != nil, p.Child("awsElasticBlockStore"), func() field.ErrorList {
		return validateDiskPartition(p.Child("awsElasticBlockStore"), "volumeID", src.AWSElasticBlockStore.VolumeID, src.AWSElasticBlockStore.Partition)
	})
	u.add(src.Secret != nil, p.Child("secret"), func() field.ErrorList {
		s := src.Secret
		return validateConfigSource(p.Child("secret"), "secretName", s.SecretName, s.DefaultMode, s.DefaultUser, s.Items)
	})
	u.add(src.NFS != nil, p.Child("nfs"), func() field.ErrorList { return validateNFSVolumeSource(src.NFS, p.Child("nfs")) })
	u.add(src.ISCSI != nil, p.Child("iscsi"), func() field.ErrorList {
		i := src.ISCSI
		return validateISCSI(iscsiSource{targetPortal: i.TargetPortal, iqn: i.IQN, lun: i.Lun, chap: i.DiscoveryCHAPAuth || i.SessionCHAPAuth,
			hasSecret: i.SecretRef != nil, initiatorName: i.InitiatorName}, false, p.Child("iscsi"))
	})
	if src.ISCSI != nil && src.ISCSI.InitiatorName != nil && len(volName+":"+src.ISCSI.TargetPortal) > 64 {
		u.allErrs = append(u.allErrs, field.Invalid(p.Child("name"), volName, iscsiTooLong))
	}
	u.add(src.Glusterfs != nil, p.Child("glusterfs"), func() field.ErrorList {
		return requireNonEmpty(p.Child("glusterfs"), "endpoints", src.Glusterfs.EndpointsName, "path", src.Glusterfs.Path)
	})
	u.add(src.Flocker != nil, p.Child("flocker"), func() field.ErrorList { return validateFlockerVolumeSource(src.Flocker, p.Child("flocker")) })
	u.add(src.PersistentVolumeClaim != nil, p.Child("persistentVolumeClaim"), func() field.ErrorList {
		return requireNonEmpty(p.Child("persistentVolumeClaim"), "claimName", src.PersistentVolumeClaim.ClaimName)
	})
	u.add(src.RBD != nil, p.Child("rbd"), func() field.ErrorList {
		return validateRBD(p.Child("rbd"), src.RBD.CephMonitors, src.RBD.RBDImage)
	})
	u.add(src.Cinder != nil, p.Child("cinder"), func() field.ErrorList {
		errs := requireNonEmpty(p.Child("cinder"), "volumeID", src.Cinder.VolumeID)
		if ref := src.Cinder.SecretRef; ref != nil {
			errs = append(errs, requireNonEmpty(p.Child("cinder", "secretRef"), "name", ref.Name)...)
		}
		return errs
	})
	u.add(src.CephFS != nil, p.Child("cephFS"), func() field.ErrorList { return validateMonitors(p.Child("cephfs"), src.CephFS.Monitors) })
	u.add(src.Quobyte != nil, p.Child("quobyte"), func() field.ErrorList { return validateQuobyteVolumeSource(src.Quobyte, p.Child("quobyte")) })
	// "downwarAPI" is upstream's spelling.
	u.add(src.DownwardAPI != nil, p.Child("downwarAPI"), func() field.ErrorList {
		return validateDownwardAPIVolumeSource(src.DownwardAPI, p.Child("downwardAPI"))
	})
	u.add(src.FC != nil, p.Child("fc"), func() field.ErrorList { return validateFCVolumeSource(src.FC, p.Child("fc")) })
	u.add(src.FlexVolume != nil, p.Child("flexVolume"), func() field.ErrorList {
		return validateFlex(p.Child("flexVolume"), src.FlexVolume.Driver, src.FlexVolume.Options)
	})
	u.add(src.ConfigMap != nil, p.Child("configMap"), func() field.ErrorList {
		c := src.ConfigMap
		return validateConfigSource(p.Child("configMap"), "name", c.Name, c.DefaultMode, c.DefaultUser, c.Items)
	})
	u.add(src.AzureFile != nil, p.Child("azureFile"), func() field.ErrorList {
		return requireNonEmpty(p.Child("azureFile"), "secretName", src.AzureFile.SecretName, "shareName", src.AzureFile.ShareName)
	})
	u.add(src.VsphereVolume != nil, p.Child("vsphereVolume"), func() field.ErrorList {
		return requireNonEmpty(p.Child("vsphereVolume"), "volumePath", src.VsphereVolume.VolumePath)
	})
	u.add(src.PhotonPersistentDisk != nil, p.Child("photonPersistentDisk"), func() field.ErrorList {
		return requireNonEmpty(p.Child("photonPersistentDisk"), "pdID", src.PhotonPersistentDisk.PdID)
	})
	u.add(src.PortworxVolume != nil, p.Child("portworxVolume"), func() field.ErrorList {
		return requireNonEmpty(p.Child("portworxVolume"), "volumeID", src.PortworxVolume.VolumeID)
	})
	u.add(src.AzureDisk != nil, p.Child("azureDisk"), func() field.ErrorList { return validateAzureDisk(src.AzureDisk, p.Child("azureDisk")) })
	u.add(src.StorageOS != nil, p.Child("storageos"), func() field.ErrorList {
		s := src.StorageOS
		errs := validateStorageOS(p.Child("storageos"), s.VolumeName, s.VolumeNamespace)
		if s.SecretRef != nil {
			errs = append(errs, requireNonEmpty(p.Child("storageos", "secretRef"), "name", s.SecretRef.Name)...)
		}
		return errs
	})
	u.add(src.Projected != nil, p.Child("projected"), func() field.ErrorList { return validateProjectedVolumeSource(src.Projected, p.Child("projected")) })
	u.add(src.ScaleIO != nil, p.Child("scaleIO"), func() field.ErrorList {
		s := src.ScaleIO
		return requireNonEmpty(p.Child("scaleIO"), "gateway", s.Gateway, "system", s.System, "volumeName", s.VolumeName)
	})
	u.add(src.CSI != nil, p.Child("csi"), func() field.ErrorList {
		errs := ValidateCSIDriverName(src.CSI.Driver, p.Child("csi", "driver"))
		if ref := src.CSI.NodePublishSecretRef; ref != nil {
			if ref.Name == "" {
				errs = append(errs, field.Required(p.Child("csi", "nodePublishSecretRef", "name"), ""))
			} else {
				// Upstream reports the name at csi.name.
				errs = append(errs, ValidateNameFunc(apimachineryvalidation.NameIsDNSSubdomain, ref.Name, p.Child("csi", "name"))...)
			}
		}
		return errs
	})
	u.add(src.Ephemeral != nil, p.Child("ephemeral"), func() field.ErrorList {
		var errs field.ErrorList
		if src.Ephemeral.VolumeClaimTemplate == nil {
			errs = append(errs, field.Required(p.Child("ephemeral", "volumeClaimTemplate"), ""))
		} else {
			errs = append(errs, validatePersistentVolumeClaimTemplate(src.Ephemeral.VolumeClaimTemplate, p.Child("ephemeral", "volumeClaimTemplate"))...)
		}
		// The PVC is named <pod>-<volume>, which must be a valid name.
		if podMeta != nil && podMeta.Name != "" && volName != "" {
			pvcName := podMeta.Name + "-" + volName
			for _, msg := range apimachineryvalidation.NameIsDNSSubdomain(pvcName, false) {
				errs = append(errs, field.Invalid(p.Child("name"), volName, fmt.Sprintf("PVC name %q: %v", pvcName, msg)))
			}
		}
		return errs
	})
	u.add(src.Image != nil, p.Child("image"), func() field.ErrorList {
		errs := requireNonEmpty(p.Child("image"), "reference", src.Image.Reference)
		return append(errs, validateEnum(src.Image.PullPolicy, p.Child("image", "pullPolicy"), corev1.PullAlways, corev1.PullIfNotPresent, corev1.PullNever)...)
	})
	if u.n == 0 {
		u.allErrs = append(u.allErrs, field.Required(p, "must specify a volume type"))
	}
	return u.allErrs
}

var supportedHostPathTypes = sets.New(corev1.HostPathUnset, corev1.HostPathDirectoryOrCreate, corev1.HostPathDirectory,
	corev1.HostPathFileOrCreate, corev1.HostPathFile, corev1.HostPathSocket, corev1.HostPathCharDev, corev1.HostPathBlockDev)

func validateHostPathVolumeSource(hp *corev1.HostPathVolumeSource, p *field.Path) field.ErrorList {
	if hp.Path == "" {
		return field.ErrorList{field.Required(p.Child("path"), "")}
	}
	allErrs := validatePathNoBacksteps(hp.Path, p.Child("path"))
	if hp.Type != nil && !supportedHostPathTypes.Has(*hp.Type) {
		allErrs = append(allErrs, field.NotSupported(p.Child("type"), *hp.Type, sets.List(supportedHostPathTypes)))
	}
	return allErrs
}

func validateDiskPartition(p *field.Path, idName, id string, partition int32) field.ErrorList {
	allErrs := requireNonEmpty(p, idName, id)
	if partition < 0 || partition > 255 {
		allErrs = append(allErrs, field.Invalid(p.Child("partition"), partition, pdPartitionErrorMsg))
	}
	return allErrs
}

func validateUserField(user *int64, p *field.Path) field.ErrorList {
	if user == nil {
		return nil
	}
	return messages(p, *user, validation.IsValidUserID(*user))
}

func validateFileMode(mode *int32, p *field.Path) field.ErrorList {
	if mode != nil && (*mode > 0777 || *mode < 0) {
		return field.ErrorList{field.Invalid(p, *mode, fileModeErrorMsg)}
	}
	return nil
}

// validateConfigSource validates a secret or config map volume.
func validateConfigSource(p *field.Path, nameField, name string, defaultMode *int32, defaultUser *int64, items []corev1.KeyToPath) field.ErrorList {
	allErrs := requireNonEmpty(p, nameField, name)
	allErrs = append(allErrs, validateFileMode(defaultMode, p.Child("defaultMode"))...)
	allErrs = append(allErrs, validateUserField(defaultUser, p.Child("defaultUser"))...)
	for i := range items {
		allErrs = append(allErrs, validateKeyToPath(&items[i], p.Child("items").Index(i))...)
	}
	return allErrs
}

func validateKeyToPath(kp *corev1.KeyToPath, p *field.Path) field.ErrorList {
	allErrs := requireNonEmpty(p, "key", kp.Key, "path", kp.Path)
	allErrs = append(allErrs, validateLocalNonReservedPath(kp.Path, p.Child("path"))...)
	allErrs = append(allErrs, validateFileMode(kp.Mode, p.Child("mode"))...)
	return append(allErrs, validateUserField(kp.User, p.Child("user"))...)
}

func validateNFSVolumeSource(nfs *corev1.NFSVolumeSource, p *field.Path) field.ErrorList {
	allErrs := requireNonEmpty(p, "server", nfs.Server, "path", nfs.Path)
	if !path.IsAbs(nfs.Path) {
		allErrs = append(allErrs, field.Invalid(p.Child("path"), nfs.Path, "must be an absolute path"))
	}
	return allErrs
}

const iscsiTooLong = "Total length of <volume name>:<iscsi.targetPortal> must be under 64 characters if iscsi.initiatorName is specified."

var (
	iscsiInitiatorIqnRegex = regexp.MustCompile(`iqn\.\d{4}-\d{2}\.([[:alnum:]-.]+)(:[^,;*&$|\s]+)$`)
	iscsiInitiatorEuiRegex = regexp.MustCompile(`^eui.[[:alnum:]]{16}$`)
	iscsiInitiatorNaaRegex = regexp.MustCompile(`^naa.[[:alnum:]]{32}$`)
)

// iscsiSource is what pod and persistent volume iSCSI sources share.
type iscsiSource struct {
	targetPortal, iqn string
	lun               int32
	chap, hasSecret   bool
	// pvName is set for persistent volumes, whose name bounds the portal.
	pvName        string
	initiatorName *string
	// secretName is the persistent volume's secretRef.name, if set.
	secretName *string
}

// iscsiFormatError returns the complaint about an IQN-style name, if any;
// prefixMsg is what a name without a known prefix gets.
func iscsiFormatError(name, prefixMsg string) string {
	switch {
	case !strings.HasPrefix(name, "iqn") && !strings.HasPrefix(name, "eui") && !strings.HasPrefix(name, "naa"):
		return prefixMsg
	case strings.HasPrefix(name, "iqn") && !iscsiInitiatorIqnRegex.MatchString(name),
		strings.HasPrefix(name, "eui") && !iscsiInitiatorEuiRegex.MatchString(name),
		strings.HasPrefix(name, "naa") && !iscsiInitiatorNaaRegex.MatchString(name):
		return "must be valid format"
	}
	return ""
}

func validateISCSI(s iscsiSource, persistent bool, p *field.Path) field.ErrorList {
	allErrs := requireNonEmpty(p, "targetPortal", s.targetPortal)
	prefixMsg := "must be valid format starting with iqn, eui, or naa"
	if persistent {
		prefixMsg = "must be valid format"
		if s.initiatorName != nil && len(s.pvName+":"+s.targetPortal) > 64 {
			allErrs = append(allErrs, field.Invalid(p.Child("targetportal"), s.targetPortal, iscsiTooLong))
		}
	}
	if s.iqn == "" {
		allErrs = append(allErrs, field.Required(p.Child("iqn"), ""))
	} else if msg := iscsiFormatError(s.iqn, prefixMsg); msg != "" {
		allErrs = append(allErrs, field.Invalid(p.Child("iqn"), s.iqn, msg))
	}
	if s.lun < 0 || s.lun > 255 {
		allErrs = append(allErrs, field.Invalid(p.Child("lun"), s.lun, validation.InclusiveRangeError(0, 255)))
	}
	if s.chap && !s.hasSecret {
		allErrs = append(allErrs, field.Required(p.Child("secretRef"), ""))
	}
	if s.secretName != nil && *s.secretName == "" {
		allErrs = append(allErrs, field.Required(p.Child("secretRef", "name"), ""))
	}
	if s.initiatorName != nil {
		// A name with an unknown prefix gets the prefix complaint and, as
		// upstream checks the formats independently, nothing more.
		if msg := iscsiFormatError(*s.initiatorName, prefixMsg); msg != "" {
			allErrs = append(allErrs, field.Invalid(p.Child("initiatorname"), *s.initiatorName, msg))
		}
	}
	return allErrs
}

func validateFlockerVolumeSource(f *corev1.FlockerVolumeSource, p *field.Path) field.ErrorList {
	var allErrs field.ErrorList
	if f.DatasetName == "" && f.DatasetUUID == "" {
		allErrs = append(allErrs, field.Required(p, "one of datasetName and datasetUUID is required"))
	}
	if f.DatasetName != "" && f.DatasetUUID != "" {
		allErrs = append(allErrs, field.Invalid(p, "resource", "datasetName and datasetUUID can not be specified simultaneously"))
	}
	if strings.Contains(f.DatasetName, "/") {
		allErrs = append(allErrs, field.Invalid(p.Child("datasetName"), f.DatasetName, "must not contain '/'"))
	}
	return allErrs
}

func validateMonitors(p *field.Path, monitors []string) field.ErrorList {
	if len(monitors) == 0 {
		return field.ErrorList{field.Required(p.Child("monitors"), "")}
	}
	return nil
}

func validateRBD(p *field.Path, monitors []string, image string) field.ErrorList {
	return append(validateMonitors(p, monitors), requireNonEmpty(p, "image", image)...)
}

func validateQuobyteVolumeSource(q *corev1.QuobyteVolumeSource, p *field.Path) field.ErrorList {
	var allErrs field.ErrorList
	const registryMsg = "must be a host:port pair or multiple pairs separated by commas"
	switch {
	case q.Registry == "":
		allErrs = append(allErrs, field.Required(p.Child("registry"), registryMsg))
	case len(q.Tenant) >= 65:
		allErrs = append(allErrs, field.Required(p.Child("tenant"), "must be a UUID and may not exceed a length of 64 characters"))
	default:
		for _, hostPort := range strings.Split(q.Registry, ",") {
			if _, _, err := net.SplitHostPort(hostPort); err != nil {
				allErrs = append(allErrs, field.Invalid(p.Child("registry"), q.Registry, registryMsg))
			}
		}
	}
	return append(allErrs, requireNonEmpty(p, "volume", q.Volume)...)
}

func validateFCVolumeSource(fc *corev1.FCVolumeSource, p *field.Path) field.ErrorList {
	var allErrs field.ErrorList
	if len(fc.TargetWWNs) < 1 && len(fc.WWIDs) < 1 {
		allErrs = append(allErrs, field.Required(p.Child("targetWWNs"), "must specify either targetWWNs or wwids, but not both"))
	}
	if len(fc.TargetWWNs) != 0 && len(fc.WWIDs) != 0 {
		allErrs = append(allErrs, field.Invalid(p.Child("targetWWNs"), fc.TargetWWNs, "targetWWNs and wwids can not be specified simultaneously"))
	}
	if len(fc.TargetWWNs) != 0 {
		if fc.Lun == nil {
			allErrs = append(allErrs, field.Required(p.Child("lun"), "lun is required if targetWWNs is specified"))
		} else if *fc.Lun < 0 || *fc.Lun > 255 {
			allErrs = append(allErrs, field.Invalid(p.Child("lun"), fc.Lun, validation.InclusiveRangeError(0, 255)))
		}
	}
	return allErrs
}

// validateFlex keeps user options out of the kubernetes.io and k8s.io
// namespaces, which the kubelet uses for its own options.
func validateFlex(p *field.Path, driver string, options map[string]string) field.ErrorList {
	allErrs := requireNonEmpty(p, "driver", driver)
	for _, k := range sets.List(sets.KeySet(options)) {
		ns := k
		if before, _, ok := strings.Cut(k, "/"); ok {
			ns = before
		}
		normalized := "." + strings.ToLower(ns)
		if strings.HasSuffix(normalized, ".kubernetes.io") || strings.HasSuffix(normalized, ".k8s.io") {
			allErrs = append(allErrs, field.Invalid(p.Child("options").Key(k), k, "kubernetes.io and k8s.io namespaces are reserved"))
		}
	}
	return allErrs
}

func validateAzureDisk(a *corev1.AzureDiskVolumeSource, p *field.Path) field.ErrorList {
	allErrs := requireNonEmpty(p, "diskName", a.DiskName, "diskURI", a.DataDiskURI)
	cachingModes := []corev1.AzureDataDiskCachingMode{corev1.AzureDataDiskCachingNone, corev1.AzureDataDiskCachingReadOnly, corev1.AzureDataDiskCachingReadWrite}
	if a.CachingMode != nil && !slices.Contains(cachingModes, *a.CachingMode) {
		allErrs = append(allErrs, field.NotSupported(p.Child("cachingMode"), *a.CachingMode, sortedStrings(cachingModes)))
	}
	kinds := []corev1.AzureDataDiskKind{corev1.AzureSharedBlobDisk, corev1.AzureDedicatedBlobDisk, corev1.AzureManagedDisk}
	if a.Kind != nil && !slices.Contains(kinds, *a.Kind) {
		allErrs = append(allErrs, field.NotSupported(p.Child("kind"), *a.Kind, sortedStrings(kinds)))
	}
	if a.Kind != nil && *a.Kind == corev1.AzureManagedDisk && !strings.HasPrefix(a.DataDiskURI, "/subscriptions/") {
		allErrs = append(allErrs, field.NotSupported(p.Child("diskURI"), a.DataDiskURI, []string{"/subscriptions/{sub-id}/resourcegroups/{group-name}/providers/microsoft.compute/disks/{disk-id}"}))
	}
	if a.Kind != nil && *a.Kind != corev1.AzureManagedDisk && !strings.HasPrefix(a.DataDiskURI, "https://") {
		allErrs = append(allErrs, field.NotSupported(p.Child("diskURI"), a.DataDiskURI, []string{"https://{account-name}.blob.core.windows.net/{container-name}/{disk-name}.vhd"}))
	}
	return allErrs
}

func validateStorageOS(p *field.Path, volumeName, volumeNamespace string) field.ErrorList {
	var allErrs field.ErrorList
	if volumeName == "" {
		allErrs = append(allErrs, field.Required(p.Child("volumeName"), ""))
	} else {
		allErrs = append(allErrs, ValidateDNS1123Label(volumeName, p.Child("volumeName"))...)
	}
	if volumeNamespace != "" {
		allErrs = append(allErrs, ValidateDNS1123Label(volumeNamespace, p.Child("volumeNamespace"))...)
	}
	return allErrs
}

// ValidateCSIDriverName validates the name of a CSI driver (a DNS subdomain
// of at most 63 characters, case-insensitive).
func ValidateCSIDriverName(driverName string, fldPath *field.Path) field.ErrorList {
	if driverName == "" {
		return field.ErrorList{field.Required(fldPath, "")}
	}
	var allErrs field.ErrorList
	if len(driverName) > 63 {
		allErrs = append(allErrs, field.TooLong(fldPath, "", 63))
	}
	return append(allErrs, messages(fldPath, driverName, validation.IsDNS1123Subdomain(strings.ToLower(driverName)))...)
}

func validateDownwardAPIVolumeFile(file *corev1.DownwardAPIVolumeFile, p *field.Path) field.ErrorList {
	allErrs := requireNonEmpty(p, "path", file.Path)
	allErrs = append(allErrs, validateLocalNonReservedPath(file.Path, p.Child("path"))...)
	switch {
	case file.FieldRef != nil:
		allErrs = append(allErrs, validateObjectFieldSelector(file.FieldRef, validVolumeDownwardAPIFieldPaths, p.Child("fieldRef"))...)
		if file.ResourceFieldRef != nil {
			allErrs = append(allErrs, field.Invalid(p, "resource", "fieldRef and resourceFieldRef can not be specified simultaneously"))
		}
	case file.ResourceFieldRef != nil:
		allErrs = append(allErrs, validateContainerResourceFieldSelector(file.ResourceFieldRef, p.Child("resourceFieldRef"), true)...)
	default:
		allErrs = append(allErrs, field.Required(p, "one of fieldRef and resourceFieldRef is required"))
	}
	allErrs = append(allErrs, validateFileMode(file.Mode, p.Child("mode"))...)
	return append(allErrs, validateUserField(file.User, p.Child("user"))...)
}

func validateDownwardAPIVolumeSource(d *corev1.DownwardAPIVolumeSource, p *field.Path) field.ErrorList {
	allErrs := validateFileMode(d.DefaultMode, p.Child("defaultMode"))
	allErrs = append(allErrs, validateUserField(d.DefaultUser, p.Child("defaultUser"))...)
	for i := range d.Items {
		// Upstream reports item errors at the source's path, without index.
		allErrs = append(allErrs, validateDownwardAPIVolumeFile(&d.Items[i], p)...)
	}
	return allErrs
}

var podCertificateKeyTypes = []string{"RSA3072", "RSA4096", "ECDSAP256", "ECDSAP384", "ECDSAP521", "ED25519"}

func validateProjectedVolumeSource(proj *corev1.ProjectedVolumeSource, p *field.Path) field.ErrorList {
	allErrs := validateFileMode(proj.DefaultMode, p.Child("defaultMode"))
	allErrs = append(allErrs, validateUserField(proj.DefaultUser, p.Child("defaultUser"))...)
	paths := sets.New[string]()
	// claim records a target path; a repeat is reported against the whole
	// projection with value, as upstream does.
	claim := func(path string, value any) {
		if paths.Has(path) {
			allErrs = append(allErrs, field.Invalid(p, value, "conflicting duplicate paths"))
		}
		paths.Insert(path)
	}
	for i, src := range proj.Sources {
		n := 0
		srcPath := p.Child("sources").Index(i)
		items := func(sp *field.Path, name string, kps []corev1.KeyToPath) {
			n++
			allErrs = append(allErrs, requireNonEmpty(sp, "name", name)...)
			for j := range kps {
				allErrs = append(allErrs, validateKeyToPath(&kps[j], sp.Child("items").Index(j))...)
				if kps[j].Path != "" {
					claim(kps[j].Path, name)
				}
			}
		}
		if s := src.Secret; s != nil {
			items(srcPath.Child("secret"), s.Name, s.Items)
		}
		if c := src.ConfigMap; c != nil {
			items(srcPath.Child("configMap"), c.Name, c.Items)
		}
		if d := src.DownwardAPI; d != nil {
			n++
			for j := range d.Items {
				allErrs = append(allErrs, validateDownwardAPIVolumeFile(&d.Items[j], srcPath.Child("downwardAPI"))...)
				if d.Items[j].Path != "" {
					claim(d.Items[j].Path, d.Items[j].Path)
				}
			}
		}
		if t := src.ServiceAccountToken; t != nil {
			n++
			tp := srcPath.Child("serviceAccountToken")
			if exp := t.ExpirationSeconds; exp == nil {
				allErrs = append(allErrs, field.Required(tp.Child("expirationSeconds"), ""))
			} else {
				if *exp < 10*60 {
					allErrs = append(allErrs, field.Invalid(tp.Child("expirationSeconds"), *exp, "may not specify a duration less than 10 minutes"))
				}
				if *exp > 1<<32 {
					allErrs = append(allErrs, field.Invalid(tp.Child("expirationSeconds"), *exp, "may not specify a duration larger than 2^32 seconds"))
				}
			}
			// Upstream reports the token path at the projection's path.
			if t.Path == "" {
				allErrs = append(allErrs, field.Required(p.Child("path"), ""))
			} else {
				allErrs = append(allErrs, validateLocalNonReservedPath(t.Path, p.Child("path"))...)
			}
			allErrs = append(allErrs, validateUserField(t.User, tp.Child("user"))...)
		}
		if b := src.ClusterTrustBundle; b != nil {
			n++
			allErrs = append(allErrs, validateClusterTrustBundleProjection(b, srcPath.Child("clusterTrustBundle"))...)
			claim(b.Path, b.Path)
		}
		if c := src.PodCertificate; c != nil {
			n++
			cp := srcPath.Child("podCertificate")
			allErrs = append(allErrs, ValidateSignerName(cp.Child("signerName"), c.SignerName)...)
			for _, k := range sets.List(sets.KeySet(c.UserAnnotations)) {
				allErrs = append(allErrs, validation.IsDomainPrefixedKey(cp.Child("userAnnotations"), strings.ToLower(k))...)
			}
			if err := apimachineryvalidation.ValidateAnnotationsSize(c.UserAnnotations); err != nil {
				allErrs = append(allErrs, field.TooLong(cp.Child("userAnnotations"), "", apimachineryvalidation.TotalAnnotationSizeLimitB))
			}
			allErrs = append(allErrs, validateUserField(c.User, cp.Child("user"))...)
			if !slices.Contains(podCertificateKeyTypes, c.KeyType) {
				allErrs = append(allErrs, field.NotSupported(cp.Child("keyType"), c.KeyType, podCertificateKeyTypes))
			}
			if m := c.MaxExpirationSeconds; m != nil {
				if *m < 3600 {
					allErrs = append(allErrs, field.Invalid(cp.Child("maxExpirationSeconds"), *m, "if provided, maxExpirationSeconds must be >= 3600"))
				}
				limit := maxMaxExpirationSeconds
				if IsKubernetesSignerName(c.SignerName) {
					limit = kubernetesMaxMaxExpirationSeconds
				}
				if *m > int32(limit) {
					allErrs = append(allErrs, field.Invalid(cp.Child("maxExpirationSeconds"), *m, fmt.Sprintf("if provided, maxExpirationSeconds must be <= %d", limit)))
				}
			}
			numPaths := 0
			for _, f := range []struct{ name, path string }{
				{"credentialBundlePath", c.CredentialBundlePath}, {"keyPath", c.KeyPath}, {"certificateChainPath", c.CertificateChainPath},
			} {
				if f.path == "" {
					continue
				}
				numPaths++
				allErrs = append(allErrs, validateLocalNonReservedPath(f.path, cp.Child(f.name))...)
				claim(f.path, f.path)
			}
			if numPaths == 0 {
				allErrs = append(allErrs, field.Required(cp, "specify at least one of credentialBundlePath, keyPath, and certificateChainPath"))
			}
		}
		if n > 1 {
			allErrs = append(allErrs, field.Forbidden(srcPath, "may not specify more than 1 volume type per source"))
		}
	}
	return allErrs
}

// Pod certificate lifetimes, as upstream's certificates API bounds them.
const (
	maxMaxExpirationSeconds           = 91 * 24 * 3600
	kubernetesMaxMaxExpirationSeconds = 24 * 3600
)

func validateClusterTrustBundleProjection(b *corev1.ClusterTrustBundleProjection, p *field.Path) field.ErrorList {
	var allErrs field.ErrorList
	switch {
	case b.Name != nil && b.SignerName != nil:
		allErrs = append(allErrs, field.Invalid(p, AsInternal(b), "only one of name and signerName may be used"))
	case b.Name != nil:
		if *b.Name == "" {
			allErrs = append(allErrs, field.Required(p.Child("name"), "must be a valid object name"))
		}
		for _, msg := range validateClusterTrustBundleName(*b.Name) {
			allErrs = append(allErrs, field.Invalid(p.Child("name"), *b.Name, fmt.Sprintf("not a valid clustertrustbundlename: %v", msg)))
		}
		if b.LabelSelector != nil {
			allErrs = append(allErrs, field.Invalid(p.Child("labelSelector"), b.LabelSelector, "labelSelector must be unset if name is specified"))
		}
	case b.SignerName != nil:
		if *b.SignerName == "" {
			allErrs = append(allErrs, field.Required(p.Child("signerName"), "must be a valid signer name"))
		}
		allErrs = append(allErrs, ValidateSignerName(p.Child("signerName"), *b.SignerName)...)
		allErrs = append(allErrs, ValidateLabelSelector(b.LabelSelector, p.Child("labelSelector"))...)
	default:
		allErrs = append(allErrs, field.Required(p, "either name or signerName must be specified"))
	}
	allErrs = append(allErrs, requireNonEmpty(p, "path", b.Path)...)
	allErrs = append(allErrs, validateUserField(b.User, p.Child("user"))...)
	return append(allErrs, validateLocalNonReservedPath(b.Path, p.Child("path"))...)
}

// validateClusterTrustBundleName checks a bundle name. A name containing
// ":" refers to a signer's bundle: everything before the last ":" is the
// signer name with "/" spelled ":", and the rest must be a DNS subdomain.
func validateClusterTrustBundleName(name string) []string {
	i := strings.LastIndex(name, ":")
	if i < 0 {
		return apimachineryvalidation.NameIsDNSSubdomain(name, false)
	}
	signerName := strings.ReplaceAll(name[:i], ":", "/")
	requiredPrefix := strings.ReplaceAll(signerName, "/", ":") + ":"
	if !strings.HasPrefix(name, requiredPrefix) {
		return []string{fmt.Sprintf("ClusterTrustBundle for signerName %s must be named with prefix %s", signerName, requiredPrefix)}
	}
	return apimachineryvalidation.NameIsDNSSubdomain(strings.TrimPrefix(name, requiredPrefix), false)
}

// IsKubernetesSignerName reports signers reserved by the Kubernetes project.
func IsKubernetesSignerName(signerName string) bool {
	host, _, _ := strings.Cut(signerName, "/")
	return host == "kubernetes.io" || strings.HasSuffix(host, ".kubernetes.io")
}

// ValidateSignerName checks that a certificate signer name has the form
// <domain>/<path>: a domain of at least two DNS labels and a path of
// dot-separated DNS subdomains, at most 571 characters in all.
func ValidateSignerName(fldPath *field.Path, signerName string) field.ErrorList {
	if signerName == "" {
		return field.ErrorList{field.Required(fldPath, "")}
	}
	segments := strings.Split(signerName, "/")
	if len(segments) != 2 {
		return field.ErrorList{field.Invalid(fldPath, signerName, "must be a fully qualified domain and path of the form 'example.com/signer-name'")}
	}
	var allErrs field.ErrorList
	domain, signerPath := segments[0], segments[1]
	if len(domain) > validation.DNS1123SubdomainMaxLength {
		allErrs = append(allErrs, field.TooLong(fldPath, "", validation.DNS1123SubdomainMaxLength))
	}
	// Only the first bad label is reported: the rest would read the same.
	domainLabels := strings.Split(domain, ".")
	for _, lbl := range domainLabels {
		if errs := validation.IsDNS1123Label(lbl); len(errs) > 0 {
			for _, err := range errs {
				allErrs = append(allErrs, field.Invalid(fldPath, domain, fmt.Sprintf("validating label %q: %s", lbl, err)))
			}
			break
		}
	}
	if len(domainLabels) < 2 {
		allErrs = append(allErrs, field.Invalid(fldPath, domain, "should be a domain with at least two segments separated by dots"))
	}
	for _, lbl := range strings.Split(signerPath, ".") {
		if errs := validation.IsDNS1123Subdomain(lbl); len(errs) > 0 {
			for _, err := range errs {
				allErrs = append(allErrs, field.Invalid(fldPath, signerPath, fmt.Sprintf("validating label %q: %s", lbl, err)))
			}
			break
		}
	}
	maxLen := validation.DNS1123SubdomainMaxLength + validation.DNS1123SubdomainMaxLength + validation.DNS1123LabelMaxLength + 2
	if len(signerName) > maxLen {
		allErrs = append(allErrs, field.TooLong(fldPath, "", maxLen))
	}
	return allErrs
}

var allowedTemplateObjectMetaFields = map[string]bool{"Annotations": true, "Labels": true}

// validateTemplateObjectMeta allows only labels and annotations in the
// metadata of an embedded claim template.
func validateTemplateObjectMeta(meta *metav1.ObjectMeta, p *field.Path) field.ErrorList {
	allErrs := apimachineryvalidation.ValidateAnnotations(meta.Annotations, p.Child("annotations"))
	allErrs = append(allErrs, metav1validation.ValidateLabels(meta.Labels, p.Child("labels"))...)
	t, v := reflect.TypeOf(*meta), reflect.ValueOf(*meta)
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		if allowedTemplateObjectMetaFields[f.Name] || v.Field(i).IsZero() {
			continue
		}
		r, n := utf8.DecodeRuneInString(f.Name)
		allErrs = append(allErrs, field.Forbidden(p.Child(string(unicode.ToLower(r))+f.Name[n:]), "cannot be set"))
	}
	return allErrs
}

func validatePersistentVolumeClaimTemplate(t *corev1.PersistentVolumeClaimTemplate, p *field.Path) field.ErrorList {
	allErrs := validateTemplateObjectMeta(&t.ObjectMeta, p.Child("metadata"))
	return append(allErrs, ValidatePersistentVolumeClaimSpec(&t.Spec, p.Child("spec"))...)
}

// Persistent volumes.

var supportedAccessModes = sets.New(corev1.ReadWriteOnce, corev1.ReadOnlyMany, corev1.ReadWriteMany, corev1.ReadWriteOncePod)

var supportedReclaimPolicies = sets.New(corev1.PersistentVolumeReclaimDelete, corev1.PersistentVolumeReclaimRecycle, corev1.PersistentVolumeReclaimRetain)

var supportedVolumeModes = sets.New(corev1.PersistentVolumeBlock, corev1.PersistentVolumeFilesystem)

func validateAccessModes(modes []corev1.PersistentVolumeAccessMode, p *field.Path) field.ErrorList {
	var allErrs field.ErrorList
	rwop, other := false, false
	for _, mode := range modes {
		if !supportedAccessModes.Has(mode) {
			allErrs = append(allErrs, field.NotSupported(p, mode, sets.List(supportedAccessModes)))
		}
		if mode == corev1.ReadWriteOncePod {
			rwop = true
		} else if supportedAccessModes.Has(mode) {
			other = true
		}
	}
	if rwop && other {
		allErrs = append(allErrs, field.Forbidden(p, "may not use ReadWriteOncePod with other access modes"))
	}
	return allErrs
}

// ValidatePersistentVolume validates a persistent volume on create.
func ValidatePersistentVolume(pv *corev1.PersistentVolume) field.ErrorList {
	allErrs := ValidateObjectMeta(&pv.ObjectMeta, apimachineryvalidation.NameIsDNSSubdomain, field.NewPath("metadata"))
	allErrs = append(allErrs, validatePersistentVolumeSpec(&pv.Spec, pv.Name, false, field.NewPath("spec"))...)
	return append(allErrs, validatePVMountOptions(pv)...)
}

// ValidatePersistentVolumeUpdate validates an update of a persistent volume:
// its source and volume mode are fixed, a controller-expand secret may be
// added once, and node affinity may only be set where it was not.
func ValidatePersistentVolumeUpdate(pv, old *corev1.PersistentVolume) field.ErrorList {
	allErrs := ValidateObjectMetaUpdate(&pv.ObjectMeta, &old.ObjectMeta, field.NewPath("metadata"))
	allErrs = append(allErrs, ValidatePersistentVolume(pv)...)
	source := pv.Spec.PersistentVolumeSource
	if old.Spec.CSI != nil && old.Spec.CSI.ControllerExpandSecretRef == nil && source.CSI != nil && source.CSI.ControllerExpandSecretRef != nil {
		source = *source.DeepCopy()
		source.CSI.ControllerExpandSecretRef = nil
	}
	if !semanticEqual(source, old.Spec.PersistentVolumeSource) {
		d := diff.Diff(old.Spec.PersistentVolumeSource, source)
		allErrs = append(allErrs, field.Forbidden(field.NewPath("spec", "persistentvolumesource"), fmt.Sprintf("spec.persistentvolumesource is immutable after creation\n%v", d)))
	}
	allErrs = append(allErrs, ValidateImmutableField(pv.Spec.VolumeMode, old.Spec.VolumeMode, field.NewPath("volumeMode"))...)
	// Node affinity may be set once (upstream also allows replacing beta
	// topology labels by their GA names, which is not modelled here).
	if old.Spec.NodeAffinity != nil && !semanticEqual(pv.Spec.NodeAffinity, old.Spec.NodeAffinity) {
		allErrs = append(allErrs, field.Invalid(field.NewPath("nodeAffinity"), AsInternal(pv.Spec.NodeAffinity), fieldImmutableErrorMsg+", except for updating from beta label to GA"))
	}
	if old.Spec.VolumeAttributesClassName != nil && pv.Spec.VolumeAttributesClassName == nil {
		allErrs = append(allErrs, field.Forbidden(field.NewPath("spec", "volumeAttributesClassName"), "update from non-nil value to nil is forbidden"))
	}
	return allErrs
}

// ValidatePersistentVolumeStatusUpdate validates an update of a volume's status.
func ValidatePersistentVolumeStatusUpdate(pv, old *corev1.PersistentVolume) field.ErrorList {
	allErrs := ValidateObjectMetaUpdate(&pv.ObjectMeta, &old.ObjectMeta, field.NewPath("metadata"))
	if pv.ResourceVersion == "" {
		allErrs = append(allErrs, field.Required(field.NewPath("resourceVersion"), ""))
	}
	return allErrs
}

// validatePVMountOptions allows the mount options annotation only on volume
// types that take mount options.
func validatePVMountOptions(pv *corev1.PersistentVolume) field.ErrorList {
	s := pv.Spec
	if s.GCEPersistentDisk != nil || s.AWSElasticBlockStore != nil || s.Glusterfs != nil || s.NFS != nil || s.RBD != nil ||
		s.Quobyte != nil || s.ISCSI != nil || s.Cinder != nil || s.CephFS != nil || s.AzureFile != nil || s.VsphereVolume != nil ||
		s.AzureDisk != nil || s.PhotonPersistentDisk != nil {
		return nil
	}
	if _, ok := pv.Annotations[corev1.MountOptionAnnotation]; ok {
		return field.ErrorList{field.Forbidden(field.NewPath("metadata", "annotations", corev1.MountOptionAnnotation), "may not specify mount options for this volume type")}
	}
	return nil
}

// ValidateInlinePersistentVolumeSpec validates a persistent volume spec
// inlined in another object (a volume attachment's source): only a CSI
// source, without capacity, claim, class or node affinity.
func ValidateInlinePersistentVolumeSpec(spec *corev1.PersistentVolumeSpec, p *field.Path) field.ErrorList {
	return validatePersistentVolumeSpec(spec, "", true, p)
}

func validatePersistentVolumeSpec(spec *corev1.PersistentVolumeSpec, pvName string, inline bool, p *field.Path) field.ErrorList {
	var allErrs field.ErrorList
	const inlineMsg = "may not be specified in the context of inline volumes"
	if inline {
		if spec.ClaimRef != nil {
			allErrs = append(allErrs, field.Forbidden(p.Child("claimRef"), inlineMsg))
		}
		if len(spec.Capacity) != 0 {
			allErrs = append(allErrs, field.Forbidden(p.Child("capacity"), inlineMsg))
		}
		if spec.CSI == nil {
			allErrs = append(allErrs, field.Required(p.Child("csi"), "has to be specified in the context of inline volumes"))
		}
	}
	if len(spec.AccessModes) == 0 {
		allErrs = append(allErrs, field.Required(p.Child("accessModes"), ""))
	}
	allErrs = append(allErrs, validateAccessModes(spec.AccessModes, p.Child("accessModes"))...)
	if !inline {
		capPath := p.Child("capacity")
		if len(spec.Capacity) == 0 {
			allErrs = append(allErrs, field.Required(capPath, ""))
		}
		if _, ok := spec.Capacity[corev1.ResourceStorage]; !ok || len(spec.Capacity) > 1 {
			allErrs = append(allErrs, field.NotSupported(capPath, spec.Capacity, []corev1.ResourceName{corev1.ResourceStorage}))
		}
		for _, r := range sortedResourceNames(spec.Capacity) {
			q := spec.Capacity[r]
			if q.Value() < 0 {
				allErrs = append(allErrs, field.Invalid(capPath.Key(string(r)), q.Value(), "must be a valid resource quantity"))
			}
			allErrs = append(allErrs, validatePositiveQuantityValue(q, capPath.Key(string(r)))...)
		}
	}
	if rp := spec.PersistentVolumeReclaimPolicy; rp != "" {
		if inline && rp != corev1.PersistentVolumeReclaimRetain {
			allErrs = append(allErrs, field.Forbidden(p.Child("persistentVolumeReclaimPolicy"), "may only be "+string(corev1.PersistentVolumeReclaimRetain)+" in the context of inline volumes"))
		} else if !inline && !supportedReclaimPolicies.Has(rp) {
			allErrs = append(allErrs, field.NotSupported(p.Child("persistentVolumeReclaimPolicy"), rp, sets.List(supportedReclaimPolicies)))
		}
	}
	nodeAffinitySpecified := false
	if na := spec.NodeAffinity; na != nil {
		if inline {
			allErrs = append(allErrs, field.Forbidden(p.Child("nodeAffinity"), inlineMsg))
		} else {
			nodeAffinitySpecified = true
			if na.Required != nil {
				allErrs = append(allErrs, ValidateNodeSelector(na.Required, p.Child("nodeAffinity", "required"))...)
			} else {
				allErrs = append(allErrs, field.Required(p.Child("nodeAffinity", "required"), "must specify required node constraints"))
			}
		}
	}

	u := &oneOf{}
	src := &spec.PersistentVolumeSource
	u.add(src.HostPath != nil, p.Child("hostPath"), func() field.ErrorList { return validateHostPathVolumeSource(src.HostPath, p.Child("hostPath")) })
	u.add(src.GCEPersistentDisk != nil, p.Child("gcePersistentDisk"), func() field.ErrorList {
		return validateDiskPartition(p.Child("persistentDisk"), "pdName", src.GCEPersistentDisk.PDName, src.GCEPersistentDisk.Partition)
	})
	u.add(src.AWSElasticBlockStore != nil, p.Child("awsElasticBlockStore"), func() field.ErrorList {
		return validateDiskPartition(p.Child("awsElasticBlockStore"), "volumeID", src.AWSElasticBlockStore.VolumeID, src.AWSElasticBlockStore.Partition)
	})
	u.add(src.Glusterfs != nil, p.Child("glusterfs"), func() field.ErrorList {
		g, gp := src.Glusterfs, p.Child("glusterfs")
		errs := requireNonEmpty(gp, "endpoints", g.EndpointsName, "path", g.Path)
		if ns := g.EndpointsNamespace; ns != nil {
			if *ns == "" {
				errs = append(errs, field.Invalid(gp.Child("endpointsNamespace"), *ns, "if the endpointnamespace is set, it must be a valid namespace name"))
			} else {
				errs = append(errs, ValidateNameFunc(apimachineryvalidation.ValidateNamespaceName, *ns, gp.Child("endpointsNamespace"))...)
			}
		}
		return errs
	})
	u.add(src.Flocker != nil, p.Child("flocker"), func() field.ErrorList { return validateFlockerVolumeSource(src.Flocker, p.Child("flocker")) })
	u.add(src.NFS != nil, p.Child("nfs"), func() field.ErrorList { return validateNFSVolumeSource(src.NFS, p.Child("nfs")) })
	u.add(src.RBD != nil, p.Child("rbd"), func() field.ErrorList { return validateRBD(p.Child("rbd"), src.RBD.CephMonitors, src.RBD.RBDImage) })
	u.add(src.Quobyte != nil, p.Child("quobyte"), func() field.ErrorList { return validateQuobyteVolumeSource(src.Quobyte, p.Child("quobyte")) })
	u.add(src.CephFS != nil, p.Child("cephFS"), func() field.ErrorList { return validateMonitors(p.Child("cephfs"), src.CephFS.Monitors) })
	u.add(src.ISCSI != nil, p.Child("iscsi"), func() field.ErrorList {
		i := src.ISCSI
		s := iscsiSource{targetPortal: i.TargetPortal, iqn: i.IQN, lun: i.Lun, chap: i.DiscoveryCHAPAuth || i.SessionCHAPAuth,
			hasSecret: i.SecretRef != nil, pvName: pvName, initiatorName: i.InitiatorName}
		if i.SecretRef != nil {
			s.secretName = &i.SecretRef.Name
		}
		return validateISCSI(s, true, p.Child("iscsi"))
	})
	u.add(src.Cinder != nil, p.Child("cinder"), func() field.ErrorList {
		errs := requireNonEmpty(p.Child("cinder"), "volumeID", src.Cinder.VolumeID)
		if ref := src.Cinder.SecretRef; ref != nil {
			errs = append(errs, requireNonEmpty(p.Child("cinder", "secretRef"), "name", ref.Name, "namespace", ref.Namespace)...)
		}
		return errs
	})
	u.add(src.FC != nil, p.Child("fc"), func() field.ErrorList { return validateFCVolumeSource(src.FC, p.Child("fc")) })
	if src.FlexVolume != nil {
		// Upstream counts a flex volume without checking for others.
		u.n++
		u.allErrs = append(u.allErrs, validateFlex(p.Child("flexVolume"), src.FlexVolume.Driver, src.FlexVolume.Options)...)
	}
	u.add(src.AzureFile != nil, p.Child("azureFile"), func() field.ErrorList {
		a := src.AzureFile
		errs := requireNonEmpty(p.Child("azureFile"), "secretName", a.SecretName, "shareName", a.ShareName)
		if a.SecretNamespace != nil && *a.SecretNamespace == "" {
			errs = append(errs, field.Required(p.Child("azureFile", "secretNamespace"), ""))
		}
		return errs
	})
	u.add(src.VsphereVolume != nil, p.Child("vsphereVolume"), func() field.ErrorList {
		return requireNonEmpty(p.Child("vsphereVolume"), "volumePath", src.VsphereVolume.VolumePath)
	})
	u.add(src.PhotonPersistentDisk != nil, p.Child("photonPersistentDisk"), func() field.ErrorList {
		return requireNonEmpty(p.Child("photonPersistentDisk"), "pdID", src.PhotonPersistentDisk.PdID)
	})
	u.add(src.PortworxVolume != nil, p.Child("portworxVolume"), func() field.ErrorList {
		return requireNonEmpty(p.Child("portworxVolume"), "volumeID", src.PortworxVolume.VolumeID)
	})
	u.add(src.AzureDisk != nil, p.Child("azureDisk"), func() field.ErrorList { return validateAzureDisk(src.AzureDisk, p.Child("azureDisk")) })
	u.add(src.ScaleIO != nil, p.Child("scaleIO"), func() field.ErrorList {
		s := src.ScaleIO
		return requireNonEmpty(p.Child("scaleIO"), "gateway", s.Gateway, "system", s.System, "volumeName", s.VolumeName)
	})
	u.add(src.Local != nil, p.Child("local"), func() field.ErrorList {
		var errs field.ErrorList
		if src.Local.Path == "" {
			errs = append(errs, field.Required(p.Child("local", "path"), ""))
		} else {
			errs = append(errs, validatePathNoBacksteps(src.Local.Path, p.Child("local", "path"))...)
		}
		// A local volume lives on one node.
		if !nodeAffinitySpecified {
			errs = append(errs, field.Required(p.Child("nodeAffinity"), "Local volume requires node affinity"))
		}
		return errs
	})
	u.add(src.StorageOS != nil, p.Child("storageos"), func() field.ErrorList {
		s := src.StorageOS
		errs := validateStorageOS(p.Child("storageos"), s.VolumeName, s.VolumeNamespace)
		if s.SecretRef != nil {
			errs = append(errs, requireNonEmpty(p.Child("storageos", "secretRef"), "name", s.SecretRef.Name, "namespace", s.SecretRef.Namespace)...)
		}
		return errs
	})
	u.add(src.CSI != nil, p.Child("csi"), func() field.ErrorList {
		c, cp := src.CSI, p.Child("csi")
		errs := ValidateCSIDriverName(c.Driver, cp.Child("driver"))
		errs = append(errs, requireNonEmpty(cp, "volumeHandle", c.VolumeHandle)...)
		for _, ref := range []struct {
			name string
			ref  *corev1.SecretReference
		}{
			{"controllerPublishSecretRef", c.ControllerPublishSecretRef}, {"controllerExpandSecretRef", c.ControllerExpandSecretRef},
			{"nodePublishSecretRef", c.NodePublishSecretRef}, {"nodeExpandSecretRef", c.NodeExpandSecretRef},
		} {
			if ref.ref != nil {
				errs = append(errs, validatePVSecretReference(ref.ref, cp.Child(ref.name))...)
			}
		}
		return errs
	})
	allErrs = append(allErrs, u.allErrs...)
	if u.n == 0 {
		allErrs = append(allErrs, field.Required(p, "must specify a volume type"))
	}

	if spec.HostPath != nil && path.Clean(spec.HostPath.Path) == "/" && spec.PersistentVolumeReclaimPolicy == corev1.PersistentVolumeReclaimRecycle {
		allErrs = append(allErrs, field.Forbidden(p.Child("persistentVolumeReclaimPolicy"), "may not be 'recycle' for a hostPath mount of '/'"))
	}
	if spec.StorageClassName != "" {
		if inline {
			allErrs = append(allErrs, field.Forbidden(p.Child("storageClassName"), inlineMsg))
		} else {
			allErrs = append(allErrs, ValidateNameFunc(apimachineryvalidation.NameIsDNSSubdomain, spec.StorageClassName, p.Child("storageClassName"))...)
		}
	}
	if vm := spec.VolumeMode; vm != nil {
		if inline && *vm != corev1.PersistentVolumeFilesystem {
			allErrs = append(allErrs, field.Forbidden(p.Child("volumeMode"), "may not specify volumeMode other than "+string(corev1.PersistentVolumeFilesystem)+" in the context of inline volumes"))
		} else if !inline && !supportedVolumeModes.Has(*vm) {
			allErrs = append(allErrs, field.NotSupported(p.Child("volumeMode"), *vm, sets.List(supportedVolumeModes)))
		}
	}
	if vac := spec.VolumeAttributesClassName; vac != nil {
		if *vac == "" {
			allErrs = append(allErrs, field.Required(p.Child("volumeAttributesClassName"), "an empty string is disallowed"))
		} else {
			allErrs = append(allErrs, ValidateNameFunc(apimachineryvalidation.NameIsDNSSubdomain, *vac, p.Child("volumeAttributesClassName"))...)
		}
		if spec.CSI == nil {
			allErrs = append(allErrs, field.Required(p.Child("csi"), "has to be specified when using volumeAttributesClassName"))
		}
	}
	return allErrs
}

func validatePVSecretReference(ref *corev1.SecretReference, p *field.Path) field.ErrorList {
	var allErrs field.ErrorList
	if ref.Name == "" {
		allErrs = append(allErrs, field.Required(p.Child("name"), ""))
	} else {
		allErrs = append(allErrs, ValidateDNS1123Subdomain(ref.Name, p.Child("name"))...)
	}
	if ref.Namespace == "" {
		allErrs = append(allErrs, field.Required(p.Child("namespace"), ""))
	} else {
		allErrs = append(allErrs, ValidateDNS1123Label(ref.Namespace, p.Child("namespace"))...)
	}
	return allErrs
}

// Persistent volume claims.

// ValidatePersistentVolumeClaim validates a claim on create.
func ValidatePersistentVolumeClaim(pvc *corev1.PersistentVolumeClaim) field.ErrorList {
	allErrs := ValidateObjectMeta(&pvc.ObjectMeta, apimachineryvalidation.NameIsDNSSubdomain, field.NewPath("metadata"))
	return append(allErrs, ValidatePersistentVolumeClaimSpec(&pvc.Spec, field.NewPath("spec"))...)
}

// ValidatePersistentVolumeClaimUpdate validates an update of a claim. A
// claim's spec is fixed except for binding (volumeName, once), the storage
// class when migrating from the beta annotation, and, for bound claims, the
// storage request (which may not shrink below status) and the volume
// attributes class.
func ValidatePersistentVolumeClaimUpdate(pvc, old *corev1.PersistentVolumeClaim) field.ErrorList {
	allErrs := ValidateObjectMetaUpdate(&pvc.ObjectMeta, &old.ObjectMeta, field.NewPath("metadata"))
	allErrs = append(allErrs, ValidatePersistentVolumeClaim(pvc)...)
	newSpec, oldSpec := pvc.Spec.DeepCopy(), old.Spec.DeepCopy()
	if old.Spec.VolumeName == "" {
		oldSpec.VolumeName = newSpec.VolumeName
	}
	oldClass, hadAnnotation := old.Annotations[corev1.BetaStorageClassAnnotation]
	newClassAnnotation, hasAnnotation := pvc.Annotations[corev1.BetaStorageClassAnnotation]
	switch {
	case hadAnnotation && old.Spec.StorageClassName == nil && pvc.Spec.StorageClassName != nil &&
		*pvc.Spec.StorageClassName == oldClass && (!hasAnnotation || newClassAnnotation == oldClass):
		// Moving the class from the beta annotation to the field.
		newSpec.StorageClassName = nil
	default:
		if newClassAnnotation != oldClass {
			allErrs = append(allErrs, field.Invalid(field.NewPath("metadata", "annotations", corev1.BetaStorageClassAnnotation), newClassAnnotation, fieldImmutableErrorMsg))
		}
		// Setting a class on a claim that had none.
		if pvc.Spec.StorageClassName != nil && old.Spec.StorageClassName == nil && (!hadAnnotation || *pvc.Spec.StorageClassName == oldClass) {
			newSpec.StorageClassName = oldSpec.StorageClassName
		}
	}
	if pvc.Status.Phase == corev1.ClaimBound {
		if newSpec.Resources.Requests != nil {
			newSpec.Resources.Requests[corev1.ResourceStorage] = old.Spec.Resources.Requests[corev1.ResourceStorage]
		}
		newSpec.VolumeAttributesClassName = oldSpec.VolumeAttributesClassName
	}
	if !semanticEqual(*newSpec, *oldSpec) {
		d := diff.Diff(*oldSpec, *newSpec)
		allErrs = append(allErrs, field.Forbidden(field.NewPath("spec"), fmt.Sprintf("spec is immutable after creation except resources.requests and volumeAttributesClassName for bound claims\n%v", d)))
	}
	oldSize, newSize := old.Spec.Resources.Requests[corev1.ResourceStorage], pvc.Spec.Resources.Requests[corev1.ResourceStorage]
	statusSize := old.Status.Capacity[corev1.ResourceStorage]
	// Shrinking back towards the actual size recovers from a failed expansion.
	if newSize.Cmp(oldSize) < 0 && newSize.Cmp(statusSize) <= 0 {
		allErrs = append(allErrs, field.Forbidden(field.NewPath("spec", "resources", "requests", "storage"), "field can not be less than status.capacity"))
	}
	allErrs = append(allErrs, ValidateImmutableField(pvc.Spec.VolumeMode, old.Spec.VolumeMode, field.NewPath("volumeMode"))...)
	if !semanticEqual(old.Spec.VolumeAttributesClassName, pvc.Spec.VolumeAttributesClassName) && old.Status.CurrentVolumeAttributesClassName != nil {
		vacPath := field.NewPath("spec", "volumeAttributesClassName")
		if pvc.Spec.VolumeAttributesClassName == nil {
			allErrs = append(allErrs, field.Forbidden(vacPath, "update to nil is forbidden when status.currentVolumeAttributesClassName is not nil"))
		} else if *pvc.Spec.VolumeAttributesClassName == "" {
			allErrs = append(allErrs, field.Forbidden(vacPath, "update to empty string is forbidden when status.currentVolumeAttributesClassName is not nil"))
		}
	}
	return allErrs
}

// ValidatePersistentVolumeClaimStatusUpdate validates an update of a
// claim's status: capacities and allocated resources must be valid.
func ValidatePersistentVolumeClaimStatusUpdate(pvc, old *corev1.PersistentVolumeClaim) field.ErrorList {
	allErrs := ValidateObjectMetaUpdate(&pvc.ObjectMeta, &old.ObjectMeta, field.NewPath("metadata"))
	if pvc.ResourceVersion == "" {
		allErrs = append(allErrs, field.Required(field.NewPath("resourceVersion"), ""))
	}
	if len(pvc.Spec.AccessModes) == 0 {
		allErrs = append(allErrs, field.Required(field.NewPath("Spec", "accessModes"), ""))
	}
	capPath := field.NewPath("status", "capacity")
	for _, r := range sortedResourceNames(pvc.Status.Capacity) {
		allErrs = append(allErrs, validateBasicResource(pvc.Status.Capacity[r], capPath.Key(string(r)))...)
	}
	allocPath := field.NewPath("status", "allocatedResources")
	for _, r := range sortedResourceNames(pvc.Status.AllocatedResources) {
		allErrs = append(allErrs, validatePVCResourceKey(string(r), allocPath)...)
		allErrs = append(allErrs, ValidateResourceQuantityValue(corev1.ResourceStorage, pvc.Status.AllocatedResources[r], allocPath.Key(string(r)))...)
	}
	return allErrs
}

func validateBasicResource(q resource.Quantity, p *field.Path) field.ErrorList {
	if q.Value() < 0 {
		return field.ErrorList{field.Invalid(p, q.Value(), "must be a valid resource quantity")}
	}
	return nil
}

// validatePVCResourceKey allows storage and non-native names only.
func validatePVCResourceKey(value string, p *field.Path) field.ErrorList {
	if errs := ValidateQualifiedName(value, p); len(errs) != 0 {
		return errs
	}
	if isNativeResource(corev1.ResourceName(value)) && corev1.ResourceName(value) != corev1.ResourceStorage {
		return field.ErrorList{field.NotSupported(p, value, []corev1.ResourceName{corev1.ResourceStorage})}
	}
	return nil
}

// ValidatePersistentVolumeClaimSpec validates a claim spec, also as the
// volume claim template of a stateful set.
func ValidatePersistentVolumeClaimSpec(spec *corev1.PersistentVolumeClaimSpec, p *field.Path) field.ErrorList {
	var allErrs field.ErrorList
	if len(spec.AccessModes) == 0 {
		allErrs = append(allErrs, field.Required(p.Child("accessModes"), "at least 1 access mode is required"))
	}
	if spec.Selector != nil {
		allErrs = append(allErrs, ValidateLabelSelector(spec.Selector, p.Child("selector"))...)
	}
	allErrs = append(allErrs, validateAccessModes(spec.AccessModes, p.Child("accessModes"))...)
	storagePath := p.Child("resources").Key(string(corev1.ResourceStorage))
	if storage, ok := spec.Resources.Requests[corev1.ResourceStorage]; !ok {
		allErrs = append(allErrs, field.Required(storagePath, ""))
	} else if errs := validatePositiveQuantityValue(storage, storagePath); len(errs) > 0 {
		allErrs = append(allErrs, errs...)
	} else {
		allErrs = append(allErrs, ValidateResourceQuantityValue(corev1.ResourceStorage, storage, storagePath)...)
	}
	if sc := spec.StorageClassName; sc != nil && *sc != "" {
		allErrs = append(allErrs, ValidateNameFunc(apimachineryvalidation.NameIsDNSSubdomain, *sc, p.Child("storageClassName"))...)
	}
	if vm := spec.VolumeMode; vm != nil && !supportedVolumeModes.Has(*vm) {
		allErrs = append(allErrs, field.NotSupported(p.Child("volumeMode"), *vm, sets.List(supportedVolumeModes)))
	}
	if ds := spec.DataSource; ds != nil {
		allErrs = append(allErrs, validateDataSource(ds.Name, ds.Kind, ds.APIGroup, p.Child("dataSource"))...)
	}
	if ref := spec.DataSourceRef; ref != nil {
		rp := p.Child("dataSourceRef")
		allErrs = append(allErrs, validateDataSource(ref.Name, ref.Kind, ref.APIGroup, rp)...)
		if ref.Namespace != nil && *ref.Namespace != "" {
			allErrs = append(allErrs, ValidateNameFunc(apimachineryvalidation.ValidateNamespaceName, *ref.Namespace, rp.Child("namespace"))...)
		}
	}
	if ref := spec.DataSourceRef; ref != nil && ref.Namespace != nil && *ref.Namespace != "" {
		if spec.DataSource != nil {
			allErrs = append(allErrs, field.Invalid(p, p.Child("dataSource"), "may not be specified when dataSourceRef.namespace is specified"))
		}
	} else if ds := spec.DataSource; ds != nil && ref != nil {
		if !reflect.DeepEqual(ds.APIGroup, ref.APIGroup) || ds.Kind != ref.Kind || ds.Name != ref.Name {
			allErrs = append(allErrs, field.Invalid(p, p.Child("dataSource"), "must match dataSourceRef"))
		}
	}
	if vac := spec.VolumeAttributesClassName; vac != nil && *vac != "" {
		allErrs = append(allErrs, ValidateNameFunc(apimachineryvalidation.NameIsDNSSubdomain, *vac, p.Child("volumeAttributesClassName"))...)
	}
	return allErrs
}

func validateDataSource(name, kind string, apiGroup *string, p *field.Path) field.ErrorList {
	allErrs := requireNonEmpty(p, "name", name, "kind", kind)
	group := ""
	if apiGroup != nil {
		group = *apiGroup
	}
	if group == "" && kind != "PersistentVolumeClaim" {
		allErrs = append(allErrs, field.Invalid(p, kind, "must be 'PersistentVolumeClaim' when referencing the default apiGroup"))
	}
	if group != "" {
		allErrs = append(allErrs, messages(p.Child("apiGroup"), group, validation.IsDNS1123Subdomain(group))...)
	}
	return allErrs
}

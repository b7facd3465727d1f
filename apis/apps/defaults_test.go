package apps

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/ptr"
)

// template is a pod template with one container, before defaulting.
func template() corev1.PodTemplateSpec {
	return corev1.PodTemplateSpec{Spec: corev1.PodSpec{
		Containers: []corev1.Container{{Name: "app", Image: "nginx", Ports: []corev1.ContainerPort{{ContainerPort: 80}}}},
		Volumes:    []corev1.Volume{{Name: "cfg", VolumeSource: corev1.VolumeSource{Secret: &corev1.SecretVolumeSource{SecretName: "s"}}}},
	}}
}

// defaultedTemplate is template() after defaulting: the template gets the pod
// spec defaults but none of those only a Pod gets (enableServiceLinks).
func defaultedTemplate() corev1.PodTemplateSpec {
	return corev1.PodTemplateSpec{Spec: corev1.PodSpec{
		Containers: []corev1.Container{{
			Name:                     "app",
			Image:                    "nginx",
			Ports:                    []corev1.ContainerPort{{ContainerPort: 80, Protocol: corev1.ProtocolTCP}},
			ImagePullPolicy:          corev1.PullAlways,
			TerminationMessagePath:   "/dev/termination-log",
			TerminationMessagePolicy: corev1.TerminationMessageReadFile,
		}},
		Volumes: []corev1.Volume{{Name: "cfg", VolumeSource: corev1.VolumeSource{
			Secret: &corev1.SecretVolumeSource{SecretName: "s", DefaultMode: ptr.To[int32](0o644)},
		}}},
		RestartPolicy:                 corev1.RestartPolicyAlways,
		DNSPolicy:                     corev1.DNSClusterFirst,
		TerminationGracePeriodSeconds: ptr.To[int64](30),
		SchedulerName:                 "default-scheduler",
		SecurityContext:               &corev1.PodSecurityContext{},
	}}
}

func TestSetObjectDefaultsDeployment(t *testing.T) {
	tests := []struct {
		name string
		in   appsv1.DeploymentSpec
		want appsv1.DeploymentSpec
	}{
		{
			name: "empty deployment",
			in:   appsv1.DeploymentSpec{Template: template()},
			want: appsv1.DeploymentSpec{
				Replicas: ptr.To[int32](1),
				Strategy: appsv1.DeploymentStrategy{
					Type: appsv1.RollingUpdateDeploymentStrategyType,
					RollingUpdate: &appsv1.RollingUpdateDeployment{
						MaxUnavailable: ptr.To(intstr.FromString("25%")),
						MaxSurge:       ptr.To(intstr.FromString("25%")),
					},
				},
				RevisionHistoryLimit:    ptr.To[int32](10),
				ProgressDeadlineSeconds: ptr.To[int32](600),
				Template:                defaultedTemplate(),
			},
		},
		{
			name: "partial rolling update is completed",
			in: appsv1.DeploymentSpec{
				Replicas: ptr.To[int32](0),
				Strategy: appsv1.DeploymentStrategy{RollingUpdate: &appsv1.RollingUpdateDeployment{MaxSurge: ptr.To(intstr.FromInt32(3))}},
				Template: template(),
			},
			want: appsv1.DeploymentSpec{
				Replicas: ptr.To[int32](0),
				Strategy: appsv1.DeploymentStrategy{
					Type: appsv1.RollingUpdateDeploymentStrategyType,
					RollingUpdate: &appsv1.RollingUpdateDeployment{
						MaxUnavailable: ptr.To(intstr.FromString("25%")),
						MaxSurge:       ptr.To(intstr.FromInt32(3)),
					},
				},
				RevisionHistoryLimit:    ptr.To[int32](10),
				ProgressDeadlineSeconds: ptr.To[int32](600),
				Template:                defaultedTemplate(),
			},
		},
		{
			name: "Recreate gets no rolling update",
			in: appsv1.DeploymentSpec{
				Strategy:                appsv1.DeploymentStrategy{Type: appsv1.RecreateDeploymentStrategyType},
				RevisionHistoryLimit:    ptr.To[int32](2),
				ProgressDeadlineSeconds: ptr.To[int32](30),
				Template:                template(),
			},
			want: appsv1.DeploymentSpec{
				Replicas:                ptr.To[int32](1),
				Strategy:                appsv1.DeploymentStrategy{Type: appsv1.RecreateDeploymentStrategyType},
				RevisionHistoryLimit:    ptr.To[int32](2),
				ProgressDeadlineSeconds: ptr.To[int32](30),
				Template:                defaultedTemplate(),
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := &appsv1.Deployment{Spec: *tt.in.DeepCopy()}
			SetObjectDefaultsDeployment(got)
			if diff := cmp.Diff(&appsv1.Deployment{Spec: tt.want}, got); diff != "" {
				t.Errorf("SetObjectDefaultsDeployment() mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestSetObjectDefaultsReplicaSet(t *testing.T) {
	tests := []struct {
		name string
		in   appsv1.ReplicaSetSpec
		want appsv1.ReplicaSetSpec
	}{
		{
			name: "one replica",
			in:   appsv1.ReplicaSetSpec{Template: template()},
			want: appsv1.ReplicaSetSpec{Replicas: ptr.To[int32](1), Template: defaultedTemplate()},
		},
		{
			name: "zero replicas are kept",
			in:   appsv1.ReplicaSetSpec{Replicas: ptr.To[int32](0), Template: template()},
			want: appsv1.ReplicaSetSpec{Replicas: ptr.To[int32](0), Template: defaultedTemplate()},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := &appsv1.ReplicaSet{Spec: *tt.in.DeepCopy()}
			SetObjectDefaultsReplicaSet(got)
			if diff := cmp.Diff(&appsv1.ReplicaSet{Spec: tt.want}, got); diff != "" {
				t.Errorf("SetObjectDefaultsReplicaSet() mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestSetObjectDefaultsStatefulSet(t *testing.T) {
	retain := &appsv1.StatefulSetPersistentVolumeClaimRetentionPolicy{
		WhenDeleted: appsv1.RetainPersistentVolumeClaimRetentionPolicyType,
		WhenScaled:  appsv1.RetainPersistentVolumeClaimRetentionPolicyType,
	}
	tests := []struct {
		name string
		in   appsv1.StatefulSetSpec
		want appsv1.StatefulSetSpec
	}{
		{
			name: "empty stateful set",
			in:   appsv1.StatefulSetSpec{Template: template()},
			want: appsv1.StatefulSetSpec{
				Replicas:            ptr.To[int32](1),
				PodManagementPolicy: appsv1.OrderedReadyPodManagement,
				UpdateStrategy: appsv1.StatefulSetUpdateStrategy{
					Type: appsv1.RollingUpdateStatefulSetStrategyType,
					RollingUpdate: &appsv1.RollingUpdateStatefulSetStrategy{
						Partition:      ptr.To[int32](0),
						MaxUnavailable: ptr.To(intstr.FromInt32(1)),
					},
				},
				RevisionHistoryLimit:                 ptr.To[int32](10),
				PersistentVolumeClaimRetentionPolicy: retain,
				Template:                             defaultedTemplate(),
			},
		},
		{
			name: "explicit RollingUpdate without parameters gets none",
			in: appsv1.StatefulSetSpec{
				UpdateStrategy: appsv1.StatefulSetUpdateStrategy{Type: appsv1.RollingUpdateStatefulSetStrategyType},
				Template:       template(),
			},
			want: appsv1.StatefulSetSpec{
				Replicas:                             ptr.To[int32](1),
				PodManagementPolicy:                  appsv1.OrderedReadyPodManagement,
				UpdateStrategy:                       appsv1.StatefulSetUpdateStrategy{Type: appsv1.RollingUpdateStatefulSetStrategyType},
				RevisionHistoryLimit:                 ptr.To[int32](10),
				PersistentVolumeClaimRetentionPolicy: retain,
				Template:                             defaultedTemplate(),
			},
		},
		{
			name: "partial parameters are completed and set fields kept",
			in: appsv1.StatefulSetSpec{
				Replicas:            ptr.To[int32](3),
				PodManagementPolicy: appsv1.ParallelPodManagement,
				UpdateStrategy: appsv1.StatefulSetUpdateStrategy{
					Type:          appsv1.RollingUpdateStatefulSetStrategyType,
					RollingUpdate: &appsv1.RollingUpdateStatefulSetStrategy{Partition: ptr.To[int32](2)},
				},
				PersistentVolumeClaimRetentionPolicy: &appsv1.StatefulSetPersistentVolumeClaimRetentionPolicy{
					WhenDeleted: appsv1.DeletePersistentVolumeClaimRetentionPolicyType,
				},
				Template: template(),
			},
			want: appsv1.StatefulSetSpec{
				Replicas:            ptr.To[int32](3),
				PodManagementPolicy: appsv1.ParallelPodManagement,
				UpdateStrategy: appsv1.StatefulSetUpdateStrategy{
					Type: appsv1.RollingUpdateStatefulSetStrategyType,
					RollingUpdate: &appsv1.RollingUpdateStatefulSetStrategy{
						Partition:      ptr.To[int32](2),
						MaxUnavailable: ptr.To(intstr.FromInt32(1)),
					},
				},
				RevisionHistoryLimit: ptr.To[int32](10),
				PersistentVolumeClaimRetentionPolicy: &appsv1.StatefulSetPersistentVolumeClaimRetentionPolicy{
					WhenDeleted: appsv1.DeletePersistentVolumeClaimRetentionPolicyType,
					WhenScaled:  appsv1.RetainPersistentVolumeClaimRetentionPolicyType,
				},
				Template: defaultedTemplate(),
			},
		},
		{
			name: "OnDelete gets no rolling update",
			in: appsv1.StatefulSetSpec{
				UpdateStrategy: appsv1.StatefulSetUpdateStrategy{Type: appsv1.OnDeleteStatefulSetStrategyType},
				Template:       template(),
			},
			want: appsv1.StatefulSetSpec{
				Replicas:                             ptr.To[int32](1),
				PodManagementPolicy:                  appsv1.OrderedReadyPodManagement,
				UpdateStrategy:                       appsv1.StatefulSetUpdateStrategy{Type: appsv1.OnDeleteStatefulSetStrategyType},
				RevisionHistoryLimit:                 ptr.To[int32](10),
				PersistentVolumeClaimRetentionPolicy: retain,
				Template:                             defaultedTemplate(),
			},
		},
		{
			name: "claim templates get claim defaults, status included",
			in: appsv1.StatefulSetSpec{
				Template: template(),
				VolumeClaimTemplates: []corev1.PersistentVolumeClaim{{Spec: corev1.PersistentVolumeClaimSpec{
					Resources: corev1.VolumeResourceRequirements{Requests: corev1.ResourceList{corev1.ResourceStorage: resource.MustParse("1Gi")}},
				}}},
			},
			want: appsv1.StatefulSetSpec{
				Replicas:            ptr.To[int32](1),
				PodManagementPolicy: appsv1.OrderedReadyPodManagement,
				UpdateStrategy: appsv1.StatefulSetUpdateStrategy{
					Type: appsv1.RollingUpdateStatefulSetStrategyType,
					RollingUpdate: &appsv1.RollingUpdateStatefulSetStrategy{
						Partition:      ptr.To[int32](0),
						MaxUnavailable: ptr.To(intstr.FromInt32(1)),
					},
				},
				RevisionHistoryLimit:                 ptr.To[int32](10),
				PersistentVolumeClaimRetentionPolicy: retain,
				Template:                             defaultedTemplate(),
				VolumeClaimTemplates: []corev1.PersistentVolumeClaim{{
					Spec: corev1.PersistentVolumeClaimSpec{
						VolumeMode: ptr.To(corev1.PersistentVolumeFilesystem),
						Resources:  corev1.VolumeResourceRequirements{Requests: corev1.ResourceList{corev1.ResourceStorage: resource.MustParse("1Gi")}},
					},
					Status: corev1.PersistentVolumeClaimStatus{Phase: corev1.ClaimPending},
				}},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := &appsv1.StatefulSet{Spec: *tt.in.DeepCopy()}
			SetObjectDefaultsStatefulSet(got)
			if diff := cmp.Diff(&appsv1.StatefulSet{Spec: tt.want}, got); diff != "" {
				t.Errorf("SetObjectDefaultsStatefulSet() mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestSetObjectDefaultsDaemonSet(t *testing.T) {
	tests := []struct {
		name string
		in   appsv1.DaemonSetSpec
		want appsv1.DaemonSetSpec
	}{
		{
			name: "empty daemon set",
			in:   appsv1.DaemonSetSpec{Template: template()},
			want: appsv1.DaemonSetSpec{
				UpdateStrategy: appsv1.DaemonSetUpdateStrategy{
					Type: appsv1.RollingUpdateDaemonSetStrategyType,
					RollingUpdate: &appsv1.RollingUpdateDaemonSet{
						MaxUnavailable: ptr.To(intstr.FromInt32(1)),
						MaxSurge:       ptr.To(intstr.FromInt32(0)),
					},
				},
				RevisionHistoryLimit: ptr.To[int32](10),
				Template:             defaultedTemplate(),
			},
		},
		{
			name: "set surge is kept",
			in: appsv1.DaemonSetSpec{
				UpdateStrategy: appsv1.DaemonSetUpdateStrategy{
					RollingUpdate: &appsv1.RollingUpdateDaemonSet{MaxSurge: ptr.To(intstr.FromString("10%"))},
				},
				RevisionHistoryLimit: ptr.To[int32](1),
				Template:             template(),
			},
			want: appsv1.DaemonSetSpec{
				UpdateStrategy: appsv1.DaemonSetUpdateStrategy{
					Type: appsv1.RollingUpdateDaemonSetStrategyType,
					RollingUpdate: &appsv1.RollingUpdateDaemonSet{
						MaxUnavailable: ptr.To(intstr.FromInt32(1)),
						MaxSurge:       ptr.To(intstr.FromString("10%")),
					},
				},
				RevisionHistoryLimit: ptr.To[int32](1),
				Template:             defaultedTemplate(),
			},
		},
		{
			name: "OnDelete gets no rolling update",
			in: appsv1.DaemonSetSpec{
				UpdateStrategy: appsv1.DaemonSetUpdateStrategy{Type: appsv1.OnDeleteDaemonSetStrategyType},
				Template:       template(),
			},
			want: appsv1.DaemonSetSpec{
				UpdateStrategy:       appsv1.DaemonSetUpdateStrategy{Type: appsv1.OnDeleteDaemonSetStrategyType},
				RevisionHistoryLimit: ptr.To[int32](10),
				Template:             defaultedTemplate(),
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := &appsv1.DaemonSet{Spec: *tt.in.DeepCopy()}
			SetObjectDefaultsDaemonSet(got)
			if diff := cmp.Diff(&appsv1.DaemonSet{Spec: tt.want}, got); diff != "" {
				t.Errorf("SetObjectDefaultsDaemonSet() mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestSchemeDefault(t *testing.T) {
	s := runtime.NewScheme()
	if err := appsv1.AddToScheme(s); err != nil {
		t.Fatal(err)
	}
	if err := Install(s); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		in   runtime.Object
		want runtime.Object
	}{
		{
			name: "replica set",
			in:   &appsv1.ReplicaSet{Spec: appsv1.ReplicaSetSpec{Template: template()}},
			want: &appsv1.ReplicaSet{Spec: appsv1.ReplicaSetSpec{Replicas: ptr.To[int32](1), Template: defaultedTemplate()}},
		},
		{
			name: "replica set list",
			in:   &appsv1.ReplicaSetList{Items: []appsv1.ReplicaSet{{Spec: appsv1.ReplicaSetSpec{Template: template()}}}},
			want: &appsv1.ReplicaSetList{Items: []appsv1.ReplicaSet{{
				Spec: appsv1.ReplicaSetSpec{Replicas: ptr.To[int32](1), Template: defaultedTemplate()},
			}}},
		},
		{
			name: "deployment list",
			in:   &appsv1.DeploymentList{Items: []appsv1.Deployment{{Spec: appsv1.DeploymentSpec{Replicas: ptr.To[int32](2)}}}},
			want: &appsv1.DeploymentList{Items: []appsv1.Deployment{{Spec: appsv1.DeploymentSpec{
				Replicas: ptr.To[int32](2),
				Strategy: appsv1.DeploymentStrategy{
					Type: appsv1.RollingUpdateDeploymentStrategyType,
					RollingUpdate: &appsv1.RollingUpdateDeployment{
						MaxUnavailable: ptr.To(intstr.FromString("25%")),
						MaxSurge:       ptr.To(intstr.FromString("25%")),
					},
				},
				RevisionHistoryLimit:    ptr.To[int32](10),
				ProgressDeadlineSeconds: ptr.To[int32](600),
				Template: corev1.PodTemplateSpec{Spec: corev1.PodSpec{
					RestartPolicy:                 corev1.RestartPolicyAlways,
					DNSPolicy:                     corev1.DNSClusterFirst,
					TerminationGracePeriodSeconds: ptr.To[int64](30),
					SchedulerName:                 "default-scheduler",
					SecurityContext:               &corev1.PodSecurityContext{},
				}},
			}}}},
		},
		{
			name: "controller revision has no defaults",
			in:   &appsv1.ControllerRevision{Revision: 1},
			want: &appsv1.ControllerRevision{Revision: 1},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := tt.in.DeepCopyObject()
			s.Default(got)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Default() mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

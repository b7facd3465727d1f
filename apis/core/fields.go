package core

import (
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/kubeshim/kubeshim/apis/fieldselector"
)

// Field selectors as upstream's pkg/apis/core/v1 conversions accept them.
var fieldSelectors = map[string]fieldselector.Func{
	"Pod":                   PodFields,
	"Node":                  NodeFields,
	"ReplicationController": ReplicationControllerFields,
	"Secret":                SecretFields,
	"Event":                 EventFields,
	"Namespace":             NamespaceFields,
	"Service":               ServiceFields,
}

func addFieldSelectors(s *runtime.Scheme, gv schema.GroupVersion) error {
	return fieldselector.Register(s, gv, fieldSelectors)
}

// PodFields are the selectable fields of a pod.
func PodFields(obj runtime.Object) fields.Set {
	pod := obj.(*corev1.Pod)
	podIP := ""
	if len(pod.Status.PodIPs) > 0 {
		podIP = pod.Status.PodIPs[0].IP
	}
	ips := make([]string, 0, len(pod.Status.PodIPs))
	for _, ip := range pod.Status.PodIPs {
		ips = append(ips, ip.IP)
	}
	return fields.Set{
		"spec.nodeName":            pod.Spec.NodeName,
		"spec.restartPolicy":       string(pod.Spec.RestartPolicy),
		"spec.schedulerName":       pod.Spec.SchedulerName,
		"spec.serviceAccountName":  pod.Spec.ServiceAccountName,
		"spec.hostNetwork":         boolString(pod.Spec.HostNetwork),
		"status.phase":             string(pod.Status.Phase),
		"status.podIP":             podIP,
		"status.podIPs":            strings.Join(ips, ","),
		"status.nominatedNodeName": pod.Status.NominatedNodeName,
	}
}

// NodeFields are the selectable fields of a node.
func NodeFields(obj runtime.Object) fields.Set {
	node := obj.(*corev1.Node)
	return fields.Set{"spec.unschedulable": boolString(node.Spec.Unschedulable)}
}

// ReplicationControllerFields are the selectable fields of a replication controller.
func ReplicationControllerFields(obj runtime.Object) fields.Set {
	rc := obj.(*corev1.ReplicationController)
	return fields.Set{"status.replicas": itoa(rc.Status.Replicas)}
}

// SecretFields are the selectable fields of a secret.
func SecretFields(obj runtime.Object) fields.Set {
	return fields.Set{"type": string(obj.(*corev1.Secret).Type)}
}

// EventFields are the selectable fields of a core/v1 event.
func EventFields(obj runtime.Object) fields.Set {
	e := obj.(*corev1.Event)
	source := e.Source.Component
	if source == "" {
		source = e.ReportingController
	}
	return fields.Set{
		"involvedObject.kind":            e.InvolvedObject.Kind,
		"involvedObject.namespace":       e.InvolvedObject.Namespace,
		"involvedObject.name":            e.InvolvedObject.Name,
		"involvedObject.uid":             string(e.InvolvedObject.UID),
		"involvedObject.apiVersion":      e.InvolvedObject.APIVersion,
		"involvedObject.resourceVersion": e.InvolvedObject.ResourceVersion,
		"involvedObject.fieldPath":       e.InvolvedObject.FieldPath,
		"reason":                         e.Reason,
		"reportingComponent":             e.ReportingController,
		"source":                         source,
		"type":                           e.Type,
	}
}

// NamespaceFields are the selectable fields of a namespace.
func NamespaceFields(obj runtime.Object) fields.Set {
	return fields.Set{"status.phase": string(obj.(*corev1.Namespace).Status.Phase)}
}

// ServiceFields are the selectable fields of a service.
func ServiceFields(obj runtime.Object) fields.Set {
	svc := obj.(*corev1.Service)
	return fields.Set{"spec.clusterIP": svc.Spec.ClusterIP, "spec.type": string(svc.Spec.Type)}
}

func boolString(b bool) string {
	if b {
		return "true"
	}
	return "false"
}

func itoa(i int32) string { return strconv.Itoa(int(i)) }

// What a pod's resolver and /etc/hosts look like (the kubelet's
// pkg/kubelet/network/dns GetPodDNS and kubelet_pods.go ensureHostsFile).
//
// DNS: dnsPolicy None uses only spec.dnsConfig; Default (and ClusterFirst*,
// which fall back to Default on a node without cluster DNS, as the kubelet
// does) start from the node's resolv.conf; spec.dnsConfig is then merged in
// (servers and searches appended without duplicates, options by name with
// the pod's value winning) and the result cut to the resolver's limits
// (3 servers, 32 searches).
//
// Hosts: a pod on the pod network gets a managed file (localhost entries,
// its IPs with its hostname, then hostAliases); a host-network pod gets the
// node's /etc/hosts followed by its hostAliases.
//
// Pure functions over values; safe from any thread.
#ifndef CUBELET_KUBERUNTIME_POD_DNS_H_
#define CUBELET_KUBERUNTIME_POD_DNS_H_

#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "api/pod.h"
#include "cri/types.h"

namespace cubelet::kuberuntime {

// resolv.conf's nameserver, search and options lines.
cri::DNSConfig ParseResolvConf(const std::string& content);

// The pod's DNS config given the node's resolv.conf content.
cri::DNSConfig PodDNSConfig(const api::Pod& pod, const std::string& host_resolv_conf);

// The pod's hostname and domain (upstream GeneratePodHostNameAndDomain):
// spec.hostnameOverride if set (and no domain); else spec.hostname or the pod
// name, with the domain subdomain.<namespace>.svc.<cluster_domain> when the
// pod has a subdomain. Hostnames are cut to 63 characters without a trailing
// '-' or '.'.
struct PodHostnameAndDomain {
  std::string hostname;
  std::string domain;  // empty: no FQDN
};
PodHostnameAndDomain HostnameAndDomain(const api::Pod& pod, const std::string& cluster_domain);

// The hostname the pod's sandbox gets (upstream GetNodenameForKernel): the
// FQDN with setHostnameAsFQDN and a domain, which must fit the kernel's 64
// bytes (InvalidArgument otherwise, with the kubelet's message), else the
// hostname.
absl::StatusOr<std::string> SandboxHostname(const api::Pod& pod, const std::string& cluster_domain);

// The content of the pod's /etc/hosts.
std::string HostsFileContent(const api::Pod& pod, const std::vector<std::string>& pod_ips,
                             const std::string& node_hosts_file, const std::string& cluster_domain);

}  // namespace cubelet::kuberuntime

#endif  // CUBELET_KUBERUNTIME_POD_DNS_H_

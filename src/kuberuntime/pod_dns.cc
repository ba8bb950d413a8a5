#include "kuberuntime/pod_dns.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"

namespace cubelet::kuberuntime {
namespace {

constexpr size_t kMaxNameservers = 3;
constexpr size_t kMaxSearches = 32;
constexpr size_t kHostnameMaxLength = 63;

void AppendUnique(std::vector<std::string>& to, const std::vector<std::string>& from) {
  for (const std::string& s : from) {
    if (std::find(to.begin(), to.end(), s) == to.end()) to.push_back(s);
  }
}

std::string OptionName(const std::string& option) { return option.substr(0, option.find(':')); }

}  // namespace

cri::DNSConfig ParseResolvConf(const std::string& content) {
  cri::DNSConfig out;
  for (absl::string_view line : absl::StrSplit(content, '\n')) {
    if (size_t hash = line.find_first_of("#;"); hash != absl::string_view::npos) {
      line = line.substr(0, hash);
    }
    std::vector<std::string> fields =
        absl::StrSplit(line, absl::ByAnyChar(" \t\r"), absl::SkipEmpty());
    if (fields.empty()) continue;
    if (fields[0] == "nameserver" && fields.size() > 1) {
      out.servers.push_back(fields[1]);
    } else if (fields[0] == "search") {
      // The last search line wins, as in the resolver.
      out.searches.assign(fields.begin() + 1, fields.end());
    } else if (fields[0] == "options") {
      out.options.insert(out.options.end(), fields.begin() + 1, fields.end());
    }
  }
  return out;
}

cri::DNSConfig PodDNSConfig(const api::Pod& pod, const std::string& host_resolv_conf) {
  cri::DNSConfig config;
  if (pod.spec.dns_policy != api::kDNSNone) config = ParseResolvConf(host_resolv_conf);
  if (pod.spec.dns_config.has_value()) {
    const api::PodDNSConfig& d = *pod.spec.dns_config;
    AppendUnique(config.servers, d.nameservers);
    AppendUnique(config.searches, d.searches);
    for (const api::PodDNSConfigOption& o : d.options) {
      std::string option = o.value.has_value() ? absl::StrCat(o.name, ":", *o.value) : o.name;
      auto same = std::find_if(config.options.begin(), config.options.end(),
                               [&](const std::string& have) { return OptionName(have) == o.name; });
      if (same != config.options.end()) {
        *same = std::move(option);
      } else {
        config.options.push_back(std::move(option));
      }
    }
  }
  if (config.servers.size() > kMaxNameservers) config.servers.resize(kMaxNameservers);
  if (config.searches.size() > kMaxSearches) config.searches.resize(kMaxSearches);
  return config;
}

PodHostnameAndDomain HostnameAndDomain(const api::Pod& pod, const std::string& cluster_domain) {
  auto truncate = [](std::string hostname) {
    if (hostname.size() > kHostnameMaxLength) {
      hostname.resize(kHostnameMaxLength);
      while (!hostname.empty() && (hostname.back() == '-' || hostname.back() == '.')) {
        hostname.pop_back();
      }
    }
    return hostname;
  };
  if (pod.spec.hostname_override.has_value()) return {truncate(*pod.spec.hostname_override), ""};
  PodHostnameAndDomain out{
      .hostname = truncate(pod.spec.hostname.empty() ? pod.metadata.name : pod.spec.hostname)};
  // As upstream, even without a cluster domain (the FQDN then ends in "svc.").
  if (!pod.spec.subdomain.empty()) {
    out.domain =
        absl::StrCat(pod.spec.subdomain, ".", pod.metadata.namespace_, ".svc.", cluster_domain);
  }
  return out;
}

absl::StatusOr<std::string> SandboxHostname(const api::Pod& pod,
                                            const std::string& cluster_domain) {
  // The kernel's nodename field holds 64 bytes and a terminating NUL.
  constexpr size_t kFqdnMaxLength = 64;
  PodHostnameAndDomain name = HostnameAndDomain(pod, cluster_domain);
  if (name.domain.empty() || !pod.spec.set_hostname_as_fqdn.value_or(false)) {
    return name.hostname;
  }
  std::string fqdn = absl::StrCat(name.hostname, ".", name.domain);
  if (fqdn.size() > kFqdnMaxLength) {
    return absl::InvalidArgumentError(
        absl::StrCat("failed to construct FQDN from pod hostname and cluster domain, FQDN ", fqdn,
                     " is too long (", kFqdnMaxLength, " characters is the max, ", fqdn.size(),
                     " characters requested)"));
  }
  return fqdn;
}

std::string HostsFileContent(const api::Pod& pod, const std::vector<std::string>& pod_ips,
                             const std::string& node_hosts_file,
                             const std::string& cluster_domain) {
  std::string out;
  if (pod.spec.host_network) {
    out = absl::StrCat("# Kubernetes-managed hosts file (host network).\n", node_hosts_file);
  } else {
    out =
        "# Kubernetes-managed hosts file.\n"
        "127.0.0.1\tlocalhost\n"
        "::1\tlocalhost ip6-localhost ip6-loopback\n"
        "fe00::0\tip6-localnet\n"
        "fe00::0\tip6-mcastprefix\n"
        "fe00::1\tip6-allnodes\n"
        "fe00::2\tip6-allrouters\n";
    // A pod with a domain resolves its FQDN first (hostname -f).
    const PodHostnameAndDomain name = HostnameAndDomain(pod, cluster_domain);
    for (const std::string& ip : pod_ips) {
      if (name.domain.empty()) {
        absl::StrAppend(&out, ip, "\t", name.hostname, "\n");
      } else {
        absl::StrAppend(&out, ip, "\t", name.hostname, ".", name.domain, "\t", name.hostname, "\n");
      }
    }
  }
  if (!pod.spec.host_aliases.empty()) {
    out += "\n# Entries added by HostAliases.\n";
    for (const api::HostAlias& a : pod.spec.host_aliases) {
      absl::StrAppend(&out, a.ip, "\t", absl::StrJoin(a.hostnames, "\t"), "\n");
    }
  }
  return out;
}

}  // namespace cubelet::kuberuntime

#include "api/unsupported.h"

#include <string>
#include <string_view>
#include <vector>

#include "absl/strings/str_cat.h"

namespace cubelet::api {
namespace {

using json = nlohmann::json;

constexpr char kClusterMode[] = ": needs cluster mode";

// A refused volume source and why.
struct VolumeSource {
  const char* key;
  const char* why;
  bool cluster;                  // needs cluster mode (else: not supported by cubelet)
  bool served_from_api = false;  // cubelet implements it for pods from the API server
};

constexpr char kOtherPlugin[] = "cubelet mounts emptyDir, hostPath and downwardAPI volumes only";

const std::vector<VolumeSource>& RefusedVolumeSources() {
  static const std::vector<VolumeSource> kSources = {
      {"configMap", "ConfigMaps come from the API server", true, true},
      {"secret", "Secrets come from the API server", true, true},
      {"projected",
       "projected volumes (service account tokens, ConfigMaps, Secrets) come from the API server",
       true, true},
      {"persistentVolumeClaim", "PersistentVolumeClaims are bound through the API server", true},
      {"ephemeral",
       "generic ephemeral volumes are PersistentVolumeClaims created through the API server", true},
      {"csi", kOtherPlugin, false},
      {"image", kOtherPlugin, false},
      {"nfs", kOtherPlugin, false},
      {"iscsi", kOtherPlugin, false},
      {"gitRepo", kOtherPlugin, false},
      {"rbd", kOtherPlugin, false},
      {"cephfs", kOtherPlugin, false},
      {"fc", kOtherPlugin, false},
      {"flexVolume", kOtherPlugin, false},
      {"glusterfs", kOtherPlugin, false},
      {"flocker", kOtherPlugin, false},
      {"cinder", kOtherPlugin, false},
      {"gcePersistentDisk", kOtherPlugin, false},
      {"awsElasticBlockStore", kOtherPlugin, false},
      {"azureDisk", kOtherPlugin, false},
      {"azureFile", kOtherPlugin, false},
      {"vsphereVolume", kOtherPlugin, false},
      {"quobyte", kOtherPlugin, false},
      {"photonPersistentDisk", kOtherPlugin, false},
      {"portworxVolume", kOtherPlugin, false},
      {"scaleIO", kOtherPlugin, false},
      {"storageos", kOtherPlugin, false},
  };
  return kSources;
}

class Refuser {
 public:
  Refuser(Pod& pod, const RefuseOptions& options) : pod_(pod), options_(options) {}

  std::vector<FieldError> Run(const json& doc) {
    const json* spec = Member(doc, "spec");
    if (spec == nullptr || !spec->is_object()) return std::move(errs_);
    Volumes(*spec);
    Containers(*spec, "containers");
    Containers(*spec, "initContainers");
    if (const json* eph = Member(*spec, "ephemeralContainers");
        !options_.from_api_server && eph != nullptr && !(eph->is_array() && eph->empty())) {
      // The API server's own create-time rule: they are added to a running pod.
      Add(ForbiddenError("spec.ephemeralContainers", "cannot be set on create"));
    }
    PodFields(*spec);
    return std::move(errs_);
  }

 private:
  // The member, or nullptr when absent or null (null means unset).
  static const json* Member(const json& obj, const char* key) {
    if (!obj.is_object()) return nullptr;
    auto it = obj.find(key);
    if (it == obj.end() || it->is_null()) return nullptr;
    return &*it;
  }

  // Each object of the list `obj[key]` with its index.
  template <typename F>
  static void EachItem(const json& obj, const char* key, F f) {
    const json* list = Member(obj, key);
    if (list == nullptr || !list->is_array()) return;
    for (size_t i = 0; i < list->size(); ++i) {
      if ((*list)[i].is_object()) f(i, (*list)[i]);
    }
  }

  void Add(FieldError e) { errs_.push_back(std::move(e)); }

  void NeedsCluster(std::string path, std::string_view why) {
    Add(ForbiddenError(std::move(path), absl::StrCat(std::string(why), kClusterMode)));
  }

  void NotSupported(std::string path, std::string_view why) {
    Add(ForbiddenError(std::move(path),
                       absl::StrCat("not supported by cubelet (", std::string(why), ")")));
  }

  static bool IsString(const json* v, std::string_view s) {
    return v != nullptr && v->is_string() && v->get_ref<const std::string&>() == s;
  }

  void Volumes(const json& spec) {
    EachItem(spec, "volumes", [&](size_t i, const json& v) {
      std::string path = absl::StrCat("spec.volumes[", i, "]");
      for (const VolumeSource& src : RefusedVolumeSources()) {
        if (Member(v, src.key) == nullptr) continue;
        if (src.served_from_api && options_.from_api_server) continue;
        // A source cubelet models (it serves it to API pods) stays decoded, so
        // validation checks it as the API server would; the others are
        // recorded so that validation counts them as a source.
        if (i < pod_.spec.volumes.size() && !src.served_from_api) {
          pod_.spec.volumes[i].refused_sources.push_back(src.key);
        }
        std::string sp = absl::StrCat(path, ".", src.key);
        if (src.cluster) {
          NeedsCluster(sp, src.why);
        } else {
          NotSupported(sp, src.why);
        }
      }
      // Sources of a projected volume cubelet cannot produce.
      const json* projected = Member(v, "projected");
      if (projected == nullptr || !options_.from_api_server) return;
      EachItem(*projected, "sources", [&](size_t j, const json& source) {
        for (const char* key : {"clusterTrustBundle", "podCertificate"}) {
          if (Member(source, key) == nullptr) continue;
          NotSupported(absl::StrCat(path, ".projected.sources[", j, "].", key),
                       "cluster trust bundles and pod certificates are not projected");
        }
      });
    });
  }

  void SecurityContext(const json& sc, const std::string& path) {
    if (Member(sc, "seLinuxChangePolicy")) {
      NotSupported(absl::StrCat(path, ".seLinuxChangePolicy"),
                   "it does not give volumes SELinux labels");
    }
    if (Member(sc, "windowsOptions")) {
      NotSupported(absl::StrCat(path, ".windowsOptions"), "it runs Linux containers only");
    }
    if (const json* pm = Member(sc, "procMount"); pm != nullptr && !IsString(pm, "Default")) {
      NotSupported(absl::StrCat(path, ".procMount"),
                   "containers get the runtime's default masked /proc");
    }
  }

  void Containers(const json& spec, const char* list) {
    EachItem(spec, list, [&](size_t i, const json& c) {
      std::string path = absl::StrCat("spec.", list, "[", i, "]");
      EachItem(c, "envFrom", [&](size_t j, const json& ef) {
        if (options_.from_api_server) return;
        std::string ep = absl::StrCat(path, ".envFrom[", j, "]");
        if (Member(ef, "configMapRef")) {
          NeedsCluster(ep + ".configMapRef", "ConfigMaps come from the API server");
        }
        if (Member(ef, "secretRef")) {
          NeedsCluster(ep + ".secretRef", "Secrets come from the API server");
        }
      });
      EachItem(c, "env", [&](size_t j, const json& e) {
        const json* from = Member(e, "valueFrom");
        if (from == nullptr) return;
        std::string vp = absl::StrCat(path, ".env[", j, "].valueFrom");
        if (Member(*from, "configMapKeyRef") && !options_.from_api_server) {
          NeedsCluster(vp + ".configMapKeyRef", "ConfigMaps come from the API server");
        }
        if (Member(*from, "secretKeyRef") && !options_.from_api_server) {
          NeedsCluster(vp + ".secretKeyRef", "Secrets come from the API server");
        }
      });
      if (const json* res = Member(c, "resources"); res != nullptr) {
        if (const json* claims = Member(*res, "claims");
            claims != nullptr && !(claims->is_array() && claims->empty())) {
          NeedsCluster(path + ".resources.claims",
                       "ResourceClaims (dynamic resource allocation) come from the API server");
        }
      }
      // resizePolicy is accepted: a static pod is never resized in place (the
      // kubelet replaces it on a manifest change too), so it has nothing to act on.
      EachItem(c, "volumeMounts", [&](size_t j, const json& m) {
        std::string mp = absl::StrCat(path, ".volumeMounts[", j, "]");
        if (Member(m, "subPathExpr")) {
          NotSupported(mp + ".subPathExpr", "it does not expand variables in subPath; use subPath");
        }
      });
      if (const json* devices = Member(c, "volumeDevices");
          devices != nullptr && !(devices->is_array() && devices->empty())) {
        NeedsCluster(path + ".volumeDevices",
                     "raw block devices come from PersistentVolumeClaims, bound through the API "
                     "server");
      }
      if (const json* sc = Member(c, "securityContext"))
        SecurityContext(*sc, path + ".securityContext");
      if (const json* lc = Member(c, "lifecycle"); lc != nullptr && Member(*lc, "stopSignal")) {
        NotSupported(path + ".lifecycle.stopSignal",
                     "containers stop with their image's STOPSIGNAL");
      }
    });
  }

  void PodFields(const json& spec) {
    if (const json* sc = Member(spec, "securityContext")) {
      SecurityContext(*sc, "spec.securityContext");
    }
    if (const json* hu = Member(spec, "hostUsers");
        hu != nullptr && hu->is_boolean() && !hu->get<bool>()) {
      NotSupported("spec.hostUsers",
                   "it does not create user namespaces: pods use the node's users");
    }
    if (const json* gates = Member(spec, "readinessGates");
        !options_.from_api_server && gates != nullptr && !(gates->is_array() && gates->empty())) {
      NeedsCluster("spec.readinessGates",
                   "readiness gates are pod conditions set through the API server");
    }
    if (const json* claims = Member(spec, "resourceClaims");
        claims != nullptr && !(claims->is_array() && claims->empty())) {
      NeedsCluster("spec.resourceClaims",
                   "ResourceClaims (dynamic resource allocation) come from the API server");
    }
  }

  Pod& pod_;
  const RefuseOptions options_;
  std::vector<FieldError> errs_;
};

}  // namespace

std::vector<FieldError> RefuseUnsupportedFields(const nlohmann::json& doc, Pod& pod,
                                                const RefuseOptions& options) {
  return Refuser(pod, options).Run(doc);
}

}  // namespace cubelet::api

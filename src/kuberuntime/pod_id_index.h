// PodIdIndex: the sandbox and container ids the runtime holds for each pod
// uid, as far as this process knows them: ids it created itself and ids the
// relist's full lists showed. With it RuntimeManager::GetPodStatus inspects a
// pod by id (PodSandboxStatus/ContainerStatus, constant cost in containerd)
// instead of through label-filtered ListPodSandbox/ListContainers, which
// containerd answers by converting every container it holds: at 1000 pods,
// the reads of a pod start were O(pods) each and the start O(pods²).
//
// The index is trusted only once a full list has gone through it (before
// that Lookup answers nullopt and callers list as before), since only a full
// list knows ids created by an earlier run of the agent or by anyone else.
// After that an id enters when this process creates it or a list shows it,
// and leaves when an inspection finds it gone (Forget) or a list that began
// after it was noted no longer shows it.
//
// Thread-safety: all methods may be called concurrently.
#ifndef CUBELET_KUBERUNTIME_POD_ID_INDEX_H_
#define CUBELET_KUBERUNTIME_POD_ID_INDEX_H_

#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/string_view.h"

namespace cubelet::kuberuntime {

class PodIdIndex {
 public:
  struct PodIds {
    std::vector<std::string> sandboxes;
    std::vector<std::string> containers;
  };

  // This process created sandbox or container `id` of pod `uid`.
  void NoteCreatedSandbox(absl::string_view uid, absl::string_view id);
  void NoteCreatedContainer(absl::string_view uid, absl::string_view id);

  // Call before a full list is asked for; pass the result to the calls below
  // that report what that list showed. An id noted after BeginList is kept
  // even if the list does not show it (created while the list was on its way).
  uint64_t BeginList();
  // The list showed exactly these ids for pod `uid`. Needed only for pods
  // whose listed ids changed since the previous list.
  void SetListed(uint64_t list, absl::string_view uid, const std::vector<std::string>& sandboxes,
                 const std::vector<std::string>& containers);
  // The list went through: pods for which `listed(uid)` is false lose the
  // ids noted before it, and from now on Lookup answers.
  void EndList(uint64_t list, const std::function<bool(absl::string_view uid)>& listed);

  // The ids of pod `uid` (empty when none), or nullopt before the first
  // complete list.
  std::optional<PodIds> Lookup(absl::string_view uid) const;
  // An inspection found `id` of pod `uid` gone.
  void Forget(absl::string_view uid, absl::string_view id);

  size_t pods() const;

 private:
  struct Id {
    std::string id;
    uint64_t noted = 0;  // the sequence number when it was last noted
  };
  struct Entry {
    std::vector<Id> sandboxes;
    std::vector<Id> containers;
  };
  static void Note(std::vector<Id>& ids, absl::string_view id, uint64_t seq);
  // Keeps the ids noted at or after `list`, then notes `listed`.
  static void Replace(std::vector<Id>& ids, const std::vector<std::string>& listed, uint64_t list,
                      uint64_t seq);

  mutable std::mutex mu_;
  absl::flat_hash_map<std::string, Entry> pods_;
  uint64_t seq_ = 0;
  bool complete_ = false;
};

}  // namespace cubelet::kuberuntime

#endif  // CUBELET_KUBERUNTIME_POD_ID_INDEX_H_

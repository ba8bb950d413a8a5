// FakeMounter: a Mounter that records mounts in memory instead of calling
// mount(2), for tests of the volume manager and of host cleanup. Tests may
// add mounts that are not the manager's own through mounts_.
// Thread-safety: safe from any thread; tests read the fields after the calls.
#ifndef CUBELET_VOLUME_TESTING_FAKE_MOUNTER_H_
#define CUBELET_VOLUME_TESTING_FAKE_MOUNTER_H_

#include <filesystem>
#include <iterator>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "volume/mounter.h"

namespace cubelet::volume::testing {

class FakeMounter final : public Mounter {
 public:
  absl::Status MountTmpfs(const std::string& target, std::optional<int64_t> size) override {
    std::lock_guard<std::mutex> lock(mu_);
    if (!std::filesystem::is_directory(target)) return absl::NotFoundError(target);
    mounts_.push_back(MountPoint{.path = target, .fs_type = "tmpfs", .source = "tmpfs"});
    sizes_.push_back(size);
    return absl::OkStatus();
  }
  absl::Status Unmount(const std::string& target) override {
    std::lock_guard<std::mutex> lock(mu_);
    unmounted_.push_back(target);
    for (auto it = mounts_.rbegin(); it != mounts_.rend(); ++it) {
      if (it->path == target) {
        mounts_.erase(std::next(it).base());
        return absl::OkStatus();
      }
    }
    return absl::InvalidArgumentError("not mounted");
  }
  absl::StatusOr<std::vector<MountPoint>> List() override {
    std::lock_guard<std::mutex> lock(mu_);
    return mounts_;
  }

  std::mutex mu_;
  std::vector<MountPoint> mounts_;
  std::vector<std::optional<int64_t>> sizes_;
  std::vector<std::string> unmounted_;
};

}  // namespace cubelet::volume::testing

#endif  // CUBELET_VOLUME_TESTING_FAKE_MOUNTER_H_

// VolumeManager against a temp root dir and a fake mounter that records
// mounts instead of calling mount(2).
#include "volume/volume_manager.h"

#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <mutex>
#include <sstream>

#include "apiobjects/testing/fake_object_manager.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "token/testing/fake_token_getter.h"
#include "util/testing/temp_dir.h"
#include "volume/testing/fake_mounter.h"

namespace cubelet::volume {
namespace {

using test_support::ScopedTempDir;
using ::testing::ElementsAre;
using testing::FakeMounter;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

mode_t Mode(const std::string& path) {
  struct stat st;
  EXPECT_EQ(::stat(path.c_str(), &st), 0) << path;
  return st.st_mode & 07777;
}

api::Pod PodWith(std::vector<api::Volume> volumes) {
  api::Pod pod;
  pod.metadata.name = "p";
  pod.metadata.uid = "uid-1";
  pod.spec.volumes = std::move(volumes);
  return pod;
}

api::Volume EmptyDir(const std::string& name, const std::string& medium = "",
                     std::optional<std::string> size = std::nullopt) {
  return api::Volume{.name = name,
                     .empty_dir = api::EmptyDirVolumeSource{.medium = medium, .size_limit = size}};
}

api::Volume HostPath(const std::string& name, const std::string& path, const std::string& type) {
  return api::Volume{.name = name,
                     .host_path = api::HostPathVolumeSource{.path = path, .type = type}};
}

constexpr int64_t kMi = 1024 * 1024;
constexpr int64_t kNodeMemory = 1024 * kMi;

api::Container WithMemoryLimit(const std::string& name, std::optional<std::string> limit) {
  api::Container c;
  c.name = name;
  if (limit.has_value()) c.resources.limits["memory"] = *limit;
  return c;
}

TEST(PodMemoryLimitTest, OnlyWhenEveryContainerDeclaresOne) {
  api::Pod pod;
  pod.spec.containers = {WithMemoryLimit("a", "64Mi"), WithMemoryLimit("b", "32Mi")};
  EXPECT_EQ(*PodMemoryLimit(pod), 96 * kMi);
  pod.spec.init_containers = {WithMemoryLimit("init", "200Mi")};
  EXPECT_EQ(*PodMemoryLimit(pod), 200 * kMi);  // the init container runs alone
  pod.spec.containers.push_back(WithMemoryLimit("unbounded", std::nullopt));
  EXPECT_EQ(*PodMemoryLimit(pod), std::nullopt);
}

TEST(TmpfsSizeTest, SmallestOfNodePodAndSizeLimit) {
  api::Pod pod;
  pod.spec.containers = {WithMemoryLimit("a", std::nullopt)};
  api::EmptyDirVolumeSource memory{.medium = "Memory"};
  EXPECT_EQ(*TmpfsSize(pod, memory, kNodeMemory), kNodeMemory);
  memory.size_limit = "64Mi";
  EXPECT_EQ(*TmpfsSize(pod, memory, kNodeMemory), 64 * kMi);
  memory.size_limit = "2Gi";  // more than the node has: the node's
  EXPECT_EQ(*TmpfsSize(pod, memory, kNodeMemory), kNodeMemory);
  memory.size_limit = "0";
  EXPECT_EQ(*TmpfsSize(pod, memory, kNodeMemory), kNodeMemory);

  pod.spec.containers = {WithMemoryLimit("a", "128Mi")};
  memory.size_limit = std::nullopt;
  EXPECT_EQ(*TmpfsSize(pod, memory, kNodeMemory), 128 * kMi);
  memory.size_limit = "16Mi";
  EXPECT_EQ(*TmpfsSize(pod, memory, kNodeMemory), 16 * kMi);
  memory.size_limit = "256Mi";  // above the pod's limit: the pod's
  EXPECT_EQ(*TmpfsSize(pod, memory, kNodeMemory), 128 * kMi);
  memory.size_limit = "1500m";  // rounded up, as Quantity.Value()
  EXPECT_EQ(*TmpfsSize(pod, memory, kNodeMemory), 2);
  memory.size_limit = "lots";
  EXPECT_FALSE(TmpfsSize(pod, memory, kNodeMemory).ok());
}

TEST(TmpfsSizeTest, NodeMemoryIsReadFromMeminfo) { EXPECT_GT(NodeMemoryBytes(), 0); }

class VolumeManagerTest : public ::testing::Test {
 protected:
  ScopedTempDir root_;
  FakeMounter mounter_;
  VolumeManager vm_{root_.path(), &mounter_, kNodeMemory};
};

TEST_F(VolumeManagerTest, PathsFollowTheKubeletLayout) {
  EXPECT_EQ(vm_.PodDir("u"), root_.path() + "/pods/u");
  EXPECT_EQ(vm_.EmptyDirPath("u", "cache"),
            root_.path() + "/pods/u/volumes/kubernetes.io~empty-dir/cache");
}

TEST_F(VolumeManagerTest, DiskEmptyDirIsAWorldWritableDirWithoutMount) {
  mode_t old = ::umask(022);
  ASSERT_TRUE(vm_.SetUpPodVolumes(PodWith({EmptyDir("cache")})).ok());
  ::umask(old);
  const std::string dir = vm_.EmptyDirPath("uid-1", "cache");
  EXPECT_TRUE(std::filesystem::is_directory(dir));
  EXPECT_EQ(Mode(dir), 0777u);
  EXPECT_THAT(mounter_.mounts_, IsEmpty());
}

std::string ReadAll(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// The downwardAPI volume plugin over the AtomicWriter: values published
// behind ..data, user-visible links, modes, a changed value swaps the
// payload and drops links that went away.
TEST_F(VolumeManagerTest, DownwardAPIVolumePublishesValuesAtomically) {
  api::Volume v;
  v.name = "info";
  v.downward_api = api::DownwardAPIVolumeSource{
      .items = {{.path = "labels",
                 .field_ref = api::ObjectFieldSelector{.field_path = "metadata.labels"}},
                {.path = "meta/name",
                 .field_ref = api::ObjectFieldSelector{.field_path = "metadata.name"}},
                {.path = "cpu_limit",
                 .resource_field_ref =
                     api::ResourceFieldSelector{
                         .container_name = "app", .resource = "limits.cpu", .divisor = "1m"},
                 .mode = 0400}}};
  api::Pod pod = PodWith({v});
  pod.metadata.labels = {{"app", "web"}, {"tier", "front"}};
  api::Container app;
  app.name = "app";
  app.resources.limits["cpu"] = "250m";
  pod.spec.containers.push_back(app);
  ASSERT_TRUE(vm_.SetUpPodVolumes(pod).ok());
  const std::string dir = vm_.DownwardAPIPath("uid-1", "info");
  EXPECT_EQ(dir, root_.path() + "/pods/uid-1/volumes/kubernetes.io~downward-api/info");
  EXPECT_EQ(ReadAll(dir + "/labels"), "app=\"web\"\ntier=\"front\"");
  EXPECT_EQ(ReadAll(dir + "/meta/name"), "p") << "the pod name";
  EXPECT_EQ(ReadAll(dir + "/cpu_limit"), "250");
  EXPECT_TRUE(std::filesystem::is_symlink(dir + "/..data"));
  EXPECT_TRUE(std::filesystem::is_symlink(dir + "/labels"));
  EXPECT_EQ(Mode(dir + "/..data/cpu_limit"), 0400u);
  EXPECT_EQ(Mode(dir + "/..data/labels"), 0644u);
  const auto first = std::filesystem::read_symlink(dir + "/..data");

  ASSERT_TRUE(vm_.SetUpPodVolumes(pod).ok());
  EXPECT_EQ(std::filesystem::read_symlink(dir + "/..data"), first) << "unchanged: no rewrite";

  pod.metadata.labels["tier"] = "back";
  pod.spec.volumes[0].downward_api->items.pop_back();
  ASSERT_TRUE(vm_.SetUpPodVolumes(pod).ok());
  EXPECT_NE(std::filesystem::read_symlink(dir + "/..data"), first);
  EXPECT_EQ(ReadAll(dir + "/labels"), "app=\"web\"\ntier=\"back\"");
  EXPECT_FALSE(std::filesystem::exists(dir + "/cpu_limit")) << "a dropped item's link goes";
  EXPECT_FALSE(std::filesystem::exists(dir + "/" + first.string())) << "the old payload goes";
}

class ObjectVolumeTest : public VolumeManagerTest {
 protected:
  ObjectVolumeTest() {
    objects_.PutConfigMap(apiobjects::ConfigMap{.namespace_ = "ns",
                                                .name = "cfg",
                                                .data = {{"a", "1"}, {"b", "two"}},
                                                .binary_data = {{"bin", std::string("\0\1", 2)}}});
    objects_.PutSecret(apiobjects::Secret{
        .namespace_ = "ns", .name = "creds", .data = {{"user", "admin"}, {"pass", "s3cret"}}});
  }

  static api::Pod PodIn(std::vector<api::Volume> volumes) {
    api::Pod pod = PodWith(std::move(volumes));
    pod.metadata.namespace_ = "ns";
    return pod;
  }
  static api::Volume ConfigMapVolume(api::ConfigMapVolumeSource source) {
    if (!source.default_mode) source.default_mode = 0644;
    return api::Volume{.name = "config", .config_map = std::move(source)};
  }
  static api::Volume SecretVolume(api::SecretVolumeSource source) {
    if (!source.default_mode) source.default_mode = 0644;
    return api::Volume{.name = "creds", .secret = std::move(source)};
  }

  apiobjects::testing::FakeObjectManager objects_;
  VolumeManager with_objects_{root_.path(), &mounter_, kNodeMemory, &objects_};
};

TEST_F(ObjectVolumeTest, ConfigMapVolumeHoldsEveryKeyAndFollowsEdits) {
  api::Pod pod = PodIn({ConfigMapVolume({.name = "cfg"})});
  ASSERT_TRUE(with_objects_.SetUpPodVolumes(pod).ok());
  const std::string dir = with_objects_.PluginVolumePath("uid-1", kConfigMapPluginDir, "config");
  EXPECT_EQ(dir, root_.path() + "/pods/uid-1/volumes/kubernetes.io~configmap/config");
  EXPECT_EQ(ReadAll(dir + "/a"), "1");
  EXPECT_EQ(ReadAll(dir + "/b"), "two");
  EXPECT_EQ(ReadAll(dir + "/bin"), std::string("\0\1", 2)) << "binaryData too";
  EXPECT_EQ(Mode(dir + "/..data/a"), 0644u);
  EXPECT_TRUE(mounter_.mounts_.empty()) << "configMaps live on disk";
  const auto first = std::filesystem::read_symlink(dir + "/..data");

  // Edited in the API server: the next set-up swaps ..data; a key removed
  // loses its link.
  objects_.PutConfigMap(
      apiobjects::ConfigMap{.namespace_ = "ns", .name = "cfg", .data = {{"a", "changed"}}});
  ASSERT_TRUE(with_objects_.SetUpPodVolumes(pod).ok());
  EXPECT_NE(std::filesystem::read_symlink(dir + "/..data"), first);
  EXPECT_EQ(ReadAll(dir + "/a"), "changed");
  EXPECT_FALSE(std::filesystem::exists(dir + "/b"));
}

TEST_F(ObjectVolumeTest, ConfigMapItemsPickKeysPathsAndModes) {
  api::Pod pod = PodIn({ConfigMapVolume(
      {.name = "cfg",
       .items = {{.key = "a", .path = "sub/first"}, {.key = "b", .path = "second", .mode = 0400}},
       .default_mode = 0600})});
  ASSERT_TRUE(with_objects_.SetUpPodVolumes(pod).ok());
  const std::string dir = with_objects_.PluginVolumePath("uid-1", kConfigMapPluginDir, "config");
  EXPECT_EQ(ReadAll(dir + "/sub/first"), "1");
  EXPECT_EQ(ReadAll(dir + "/second"), "two");
  EXPECT_EQ(Mode(dir + "/..data/sub/first"), 0600u) << "defaultMode";
  EXPECT_EQ(Mode(dir + "/..data/second"), 0400u) << "the item's mode";
  EXPECT_FALSE(std::filesystem::exists(dir + "/a")) << "only the items";
}

TEST_F(ObjectVolumeTest, MissingConfigMapOrKeyFailsUnlessOptional) {
  absl::Status s = with_objects_.SetUpPodVolumes(PodIn({ConfigMapVolume({.name = "nope"})}));
  EXPECT_TRUE(absl::IsNotFound(s)) << s;
  EXPECT_EQ(s.message(),
            "MountVolume.SetUp failed for volume \"config\" : configmap \"nope\" not found");

  s = with_objects_.SetUpPodVolumes(
      PodIn({ConfigMapVolume({.name = "cfg", .items = {{.key = "zzz", .path = "z"}}})}));
  EXPECT_THAT(s.message(), HasSubstr("configmap references non-existent config key: zzz"));

  // optional: an empty volume, and missing keys left out.
  api::Pod pod = PodIn({ConfigMapVolume({.name = "nope", .optional = true})});
  ASSERT_TRUE(with_objects_.SetUpPodVolumes(pod).ok());
  const std::string dir = with_objects_.PluginVolumePath("uid-1", kConfigMapPluginDir, "config");
  EXPECT_TRUE(std::filesystem::is_symlink(dir + "/..data"));
  pod = PodIn({ConfigMapVolume({.name = "cfg",
                                .items = {{.key = "zzz", .path = "z"}, {.key = "a", .path = "a"}},
                                .optional = true})});
  ASSERT_TRUE(with_objects_.SetUpPodVolumes(pod).ok());
  EXPECT_EQ(ReadAll(dir + "/a"), "1");
  EXPECT_FALSE(std::filesystem::exists(dir + "/z"));
}

TEST_F(ObjectVolumeTest, SecretVolumeIsOnATmpfsAndTornDown) {
  api::Pod pod = PodIn({SecretVolume({.secret_name = "creds", .default_mode = 0400})});
  ASSERT_TRUE(with_objects_.SetUpPodVolumes(pod).ok());
  const std::string dir = with_objects_.PluginVolumePath("uid-1", kSecretPluginDir, "creds");
  EXPECT_EQ(dir, root_.path() + "/pods/uid-1/volumes/kubernetes.io~secret/creds");
  ASSERT_EQ(mounter_.mounts_.size(), 1u);
  EXPECT_EQ(mounter_.mounts_[0].path, dir);
  EXPECT_EQ(mounter_.mounts_[0].fs_type, "tmpfs");
  EXPECT_EQ(ReadAll(dir + "/user"), "admin");
  EXPECT_EQ(Mode(dir + "/..data/pass"), 0400u);
  ASSERT_TRUE(with_objects_.SetUpPodVolumes(pod).ok());
  EXPECT_EQ(mounter_.mounts_.size(), 1u) << "mounted once";

  ASSERT_TRUE(with_objects_.TearDownPodVolumes("uid-1").ok());
  EXPECT_TRUE(mounter_.mounts_.empty());
}

TEST_F(ObjectVolumeTest, SecretItemsAndMissingKeys) {
  api::Pod pod =
      PodIn({SecretVolume({.secret_name = "creds",
                           .items = {{.key = "user", .path = "u"}, {.key = "x", .path = "x"}}})});
  absl::Status s = with_objects_.SetUpPodVolumes(pod);
  EXPECT_THAT(s.message(), HasSubstr("references non-existent secret key: x"));
  pod.spec.volumes[0].secret->optional = true;
  ASSERT_TRUE(with_objects_.SetUpPodVolumes(pod).ok());
  const std::string dir = with_objects_.PluginVolumePath("uid-1", kSecretPluginDir, "creds");
  EXPECT_EQ(ReadAll(dir + "/u"), "admin");
  EXPECT_FALSE(std::filesystem::exists(dir + "/user"));

  s = with_objects_.SetUpPodVolumes(PodIn({SecretVolume({.secret_name = "gone"})}));
  EXPECT_EQ(s.message(),
            "MountVolume.SetUp failed for volume \"creds\" : secret \"gone\" not found");
}

class ProjectedVolumeTest : public ObjectVolumeTest {
 protected:
  static api::Volume Projected(std::vector<api::VolumeProjection> sources,
                               int32_t default_mode = 0644) {
    return api::Volume{.name = "kube-api-access",
                       .projected = api::ProjectedVolumeSource{.sources = std::move(sources),
                                                               .default_mode = default_mode}};
  }
  std::string Dir() const {
    return with_tokens_.PluginVolumePath("uid-1", kProjectedPluginDir, "kube-api-access");
  }

  token::testing::FakeTokenGetter tokens_;
  VolumeManager with_tokens_{root_.path(), &mounter_, kNodeMemory, &objects_, &tokens_};
};

TEST_F(ProjectedVolumeTest, SourcesShareOneDirectoryOnATmpfs) {
  api::DownwardAPIVolumeFile ns_file{.path = "namespace",
                                     .field_ref = api::ObjectFieldSelector{
                                         .api_version = "v1", .field_path = "metadata.namespace"}};
  api::Pod pod = PodIn({Projected(
      {{.service_account_token =
            api::ServiceAccountTokenProjection{.expiration_seconds = 3607, .path = "token"}},
       {.config_map =
            api::ConfigMapVolumeSource{.name = "cfg", .items = {{.key = "a", .path = "ca.crt"}}}},
       {.secret = api::SecretVolumeSource{.secret_name = "creds",
                                          .items = {{.key = "user", .path = "u", .mode = 0400}}}},
       {.downward_api = api::DownwardAPIVolumeSource{.items = {ns_file}}}},
      0644)});
  pod.spec.service_account_name = "robot";
  ASSERT_TRUE(with_tokens_.SetUpPodVolumes(pod).ok());
  const std::string dir = Dir();
  EXPECT_EQ(dir, root_.path() + "/pods/uid-1/volumes/kubernetes.io~projected/kube-api-access");
  EXPECT_EQ(ReadAll(dir + "/token"), "token-for-robot-p");
  EXPECT_EQ(ReadAll(dir + "/ca.crt"), "1");
  EXPECT_EQ(ReadAll(dir + "/u"), "admin");
  EXPECT_EQ(ReadAll(dir + "/namespace"), "ns");
  EXPECT_EQ(Mode(dir + "/..data/token"), 0644u);
  EXPECT_EQ(Mode(dir + "/..data/ca.crt"), 0644u) << "the volume's defaultMode";
  EXPECT_EQ(Mode(dir + "/..data/u"), 0400u) << "the item's own mode";
  ASSERT_EQ(mounter_.mounts_.size(), 1u);
  EXPECT_EQ(mounter_.mounts_[0].path, dir);
  std::vector<token::TokenRequest> asked = tokens_.requests();
  ASSERT_EQ(asked.size(), 1u);
  EXPECT_EQ(asked[0], (token::TokenRequest{.namespace_ = "ns",
                                           .service_account = "robot",
                                           .expiration_seconds = 3607,
                                           .pod_name = "p",
                                           .pod_uid = "uid-1"}));

  ASSERT_TRUE(with_tokens_.TearDownPodVolumes("uid-1").ok());
  EXPECT_TRUE(mounter_.mounts_.empty());
  EXPECT_THAT(tokens_.forgotten(), ElementsAre("uid-1"));
}

TEST_F(ProjectedVolumeTest, TokensAreOwnerOnlyWithAnFsGroupAndDefaultToTheDefaultAccount) {
  api::Pod pod = PodIn({Projected({{.service_account_token = api::ServiceAccountTokenProjection{
                                        .audience = "vault", .path = "t"}}})});
  pod.spec.security_context = api::PodSecurityContext{.fs_group = static_cast<int64_t>(getgid())};
  ASSERT_TRUE(with_tokens_.SetUpPodVolumes(pod).ok());
  EXPECT_EQ(Mode(Dir() + "/..data/t") & 0700u, 0600u);
  EXPECT_EQ(Mode(Dir() + "/..data/t") & 07u, 0u) << "not for others";
  EXPECT_EQ(tokens_.requests().at(0).service_account, "default");
  EXPECT_EQ(tokens_.requests().at(0).audience, "vault");
}

TEST_F(ProjectedVolumeTest, EveryFailingSourceIsReportedAndNothingIsWritten) {
  tokens_.SetError(absl::PermissionDeniedError("failed to fetch token: forbidden"));
  api::Pod pod = PodIn(
      {Projected({{.service_account_token = api::ServiceAccountTokenProjection{.path = "token"}},
                  {.config_map = api::ConfigMapVolumeSource{.name = "nope"}},
                  {.secret = api::SecretVolumeSource{.secret_name = "gone", .optional = true}}})});
  absl::Status s = with_tokens_.SetUpPodVolumes(pod);
  EXPECT_TRUE(absl::IsPermissionDenied(s)) << s;
  EXPECT_EQ(s.message(),
            "MountVolume.SetUp failed for volume \"kube-api-access\" : [failed to fetch token: "
            "forbidden, configmap \"nope\" not found]");
  EXPECT_FALSE(std::filesystem::exists(Dir() + "/..data"));
  // Without a token getter (standalone) the token cannot be had.
  s = with_objects_.SetUpPodVolumes(PodIn({Projected(
      {{.service_account_token = api::ServiceAccountTokenProjection{.path = "token"}}})}));
  EXPECT_THAT(s.message(), HasSubstr("serviceAccountToken sources need an API server"));
}

TEST_F(ObjectVolumeTest, WithoutAnObjectManagerTheyNeedClusterMode) {
  absl::Status s = vm_.SetUpPodVolumes(PodIn({ConfigMapVolume({.name = "cfg"})}));
  EXPECT_THAT(s.message(), HasSubstr("configMap volumes need an API server (cluster mode)"));
}

TEST_F(ObjectVolumeTest, ApiErrorsOtherThanNotFoundFailEvenWhenOptional) {
  objects_.FailWith(absl::UnavailableError("connection refused"));
  absl::Status s =
      with_objects_.SetUpPodVolumes(PodIn({ConfigMapVolume({.name = "cfg", .optional = true})}));
  EXPECT_TRUE(absl::IsUnavailable(s)) << s;
}

TEST_F(VolumeManagerTest, FsGroupOwnsEmptyDirWithSetgid) {
  api::Pod pod = PodWith({EmptyDir("cache")});
  pod.spec.security_context = api::PodSecurityContext{.fs_group = 4321};
  ASSERT_TRUE(vm_.SetUpPodVolumes(pod).ok());
  const std::string dir = vm_.EmptyDirPath("uid-1", "cache");
  struct stat st {};
  ASSERT_EQ(::stat(dir.c_str(), &st), 0);
  EXPECT_EQ(st.st_gid, 4321u);
  EXPECT_EQ(st.st_mode & 07777, 02777u);
  ASSERT_TRUE(vm_.SetUpPodVolumes(pod).ok()) << "idempotent";
  EXPECT_EQ(Mode(dir), 02777u);
}

TEST_F(VolumeManagerTest, MemoryEmptyDirMountsTmpfsOnceWithSizeLimit) {
  api::Pod pod = PodWith({EmptyDir("mem", "Memory", "16Mi"), EmptyDir("nolimit", "Memory")});
  ASSERT_TRUE(vm_.SetUpPodVolumes(pod).ok());
  const std::string mem = vm_.EmptyDirPath("uid-1", "mem");
  const std::string nolimit = vm_.EmptyDirPath("uid-1", "nolimit");
  ASSERT_EQ(mounter_.mounts_.size(), 2u);
  EXPECT_EQ(mounter_.mounts_[0].path, mem);
  EXPECT_EQ(mounter_.mounts_[0].fs_type, "tmpfs");
  EXPECT_THAT(mounter_.sizes_, ElementsAre(16 * kMi, kNodeMemory));
  EXPECT_EQ(Mode(mem), 0777u);

  // A later sync keeps the mounted tmpfs (and its content).
  ASSERT_TRUE(vm_.SetUpPodVolumes(pod).ok());
  EXPECT_EQ(mounter_.mounts_.size(), 2u);
}

TEST_F(VolumeManagerTest, BadSizeLimitNamesTheVolume) {
  absl::Status s = vm_.SetUpPodVolumes(PodWith({EmptyDir("mem", "Memory", "huge")}));
  EXPECT_FALSE(s.ok());
  EXPECT_THAT(s.message(), HasSubstr("MountVolume.SetUp failed for volume \"mem\""));
  EXPECT_THAT(mounter_.mounts_, IsEmpty());
}

TEST_F(VolumeManagerTest, HostPathTypeFailureNamesVolumeAndPath) {
  const std::string missing = root_.File("not-there");
  absl::Status s =
      vm_.SetUpPodVolumes(PodWith({HostPath("made", root_.File("made/here"), "DirectoryOrCreate"),
                                   HostPath("data", missing, "Directory")}));
  EXPECT_EQ(s.message(),
            "MountVolume.SetUp failed for volume \"data\" : path " + missing + " does not exist");
  EXPECT_TRUE(std::filesystem::is_directory(root_.File("made/here")));
}

TEST_F(VolumeManagerTest, TearDownUnmountsOnlyThisPodsTmpfsEmptyDirs) {
  ASSERT_TRUE(vm_.SetUpPodVolumes(PodWith({EmptyDir("mem", "Memory"), EmptyDir("disk")})).ok());
  const std::string mem = vm_.EmptyDirPath("uid-1", "mem");
  // Mounts that are not ours: another pod's tmpfs, something deeper inside
  // the volume, a non-tmpfs mount at an emptyDir path.
  const std::string other = vm_.EmptyDirPath("uid-2", "mem");
  mounter_.mounts_.push_back(MountPoint{.path = other, .fs_type = "tmpfs"});
  mounter_.mounts_.push_back(MountPoint{.path = mem + "/inner", .fs_type = "tmpfs"});
  mounter_.mounts_.push_back(
      MountPoint{.path = vm_.EmptyDirPath("uid-1", "disk"), .fs_type = "ext4"});

  ASSERT_TRUE(vm_.TearDownPodVolumes("uid-1").ok());
  EXPECT_THAT(mounter_.unmounted_, ElementsAre(mem));
  // Still mounts at or below them: left in place, content and all.
  EXPECT_TRUE(std::filesystem::is_directory(mem));
  EXPECT_TRUE(std::filesystem::is_directory(vm_.EmptyDirPath("uid-1", "disk")));
  // Nothing left to do the second time.
  ASSERT_TRUE(vm_.TearDownPodVolumes("uid-1").ok());
  EXPECT_EQ(mounter_.unmounted_.size(), 1u);
}

TEST_F(VolumeManagerTest, TearDownRemovesTheVolumesOfATerminatedPod) {
  ASSERT_TRUE(vm_.SetUpPodVolumes(PodWith({EmptyDir("mem", "Memory"), EmptyDir("disk")})).ok());
  const std::string disk = vm_.EmptyDirPath("uid-1", "disk");
  std::ofstream(disk + "/data") << "x";
  ASSERT_TRUE(vm_.TearDownPodVolumes("uid-1").ok());
  EXPECT_THAT(mounter_.unmounted_, ElementsAre(vm_.EmptyDirPath("uid-1", "mem")));
  // As upstream's emptyDir TearDown: gone, so a terminated pod's memory and
  // disk are given back while the pod object stays.
  EXPECT_FALSE(std::filesystem::exists(vm_.EmptyDirPath("uid-1", "mem")));
  EXPECT_FALSE(std::filesystem::exists(disk));
  EXPECT_TRUE(std::filesystem::is_directory(vm_.PodDir("uid-1")));
}

TEST_F(VolumeManagerTest, OrphanedPodDirsGoUnlessKeptOrStillMounted) {
  ASSERT_TRUE(vm_.SetUpPodVolumes(PodWith({EmptyDir("mem", "Memory")})).ok());  // uid-1, tmpfs
  for (const char* uid : {"kept", "plain", "busy"}) {
    std::filesystem::create_directories(vm_.PodDir(uid) + "/volumes");
  }
  // Something else is mounted inside "busy" (not one of our emptyDirs).
  mounter_.mounts_.push_back(
      MountPoint{.path = vm_.PodDir("busy") + "/volumes/x", .fs_type = "ext4"});

  std::vector<std::string> removed = vm_.CleanupOrphanedPodDirs({"kept"});

  EXPECT_THAT(removed, ElementsAre("plain", "uid-1"));
  EXPECT_THAT(mounter_.unmounted_, ElementsAre(vm_.EmptyDirPath("uid-1", "mem")))
      << "the orphan's tmpfs is unmounted before its dir goes";
  EXPECT_TRUE(std::filesystem::is_directory(vm_.PodDir("kept")));
  EXPECT_TRUE(std::filesystem::is_directory(vm_.PodDir("busy")));
  EXPECT_FALSE(std::filesystem::exists(vm_.PodDir("plain")));
  EXPECT_FALSE(std::filesystem::exists(vm_.PodDir("uid-1")));
}

}  // namespace
}  // namespace cubelet::volume

#include "config/file_source.h"

#include <sys/stat.h>

#include <atomic>
#include <cstdio>
#include <filesystem>
#include <thread>

#include "absl/strings/str_cat.h"
#include "config/test_util.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace cubelet::config {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;
using testing::Names;
using testing::PodYaml;
using testing::Recorder;
using testing::TempDir;
using testing::WriteFile;

FileSourceOptions Options(const std::string& path) {
  FileSourceOptions o;
  o.path = path;
  o.node_name = "node1";
  o.debounce = std::chrono::milliseconds(20);
  return o;
}

bool HasNames(const PodUpdate& u, const std::vector<std::string>& names) {
  return u.op == PodOperation::kSet && u.source == "file" && Names(u.pods) == names;
}

TEST(FileSourceTest, ScanOnceReadsGoodFilesAndReportsBadOnes) {
  TempDir dir;
  WriteFile(dir.File("a.yaml"), PodYaml("alpha"));
  WriteFile(dir.File("b.yaml"), PodYaml("bad", ""));
  WriteFile(dir.File("c.json"), R"({"apiVersion":"v1","kind":"Pod","metadata":{"name":"gamma"},)"
                                R"("spec":{"containers":[{"name":"c","image":"busybox"}]}})");
  WriteFile(dir.File("d.yml"), PodYaml("delta") + "---\n" + PodYaml("epsilon"));
  WriteFile(dir.File(".hidden.yaml"), "this is: [not valid");
  WriteFile(dir.File("notes.txt"), "not a manifest");
  WriteFile(dir.File("e.yaml~"), PodYaml("backup"));
  std::filesystem::create_directory(dir.File("sub.yaml"));
  WriteFile(dir.File("sub.yaml/inner.yaml"), PodYaml("inner"));

  Recorder rec;
  FileSource source(Options(dir.path()), rec.UpdateFn(), rec.ErrorFn());
  absl::StatusOr<std::vector<api::PodPtr>> pods = source.ScanOnce();
  ASSERT_TRUE(pods.ok()) << pods.status();
  EXPECT_THAT(Names(*pods),
              ElementsAre("alpha-node1", "gamma-node1", "delta-node1", "epsilon-node1"));
  EXPECT_THAT(rec.errors(), ElementsAre(dir.File("b.yaml") + ": document 1: pod \"bad\": "
                                                             "spec.containers[0].image: Required "
                                                             "value"));
  EXPECT_THAT(rec.updates(), IsEmpty());  // ScanOnce does not emit

  const api::Pod& alpha = *(*pods)[0];
  EXPECT_EQ(alpha.metadata.namespace_, "default");
  EXPECT_EQ(alpha.spec.node_name, "node1");
  EXPECT_EQ(alpha.metadata.annotations.at(api::kConfigSourceAnnotation), "file");
  EXPECT_EQ(alpha.metadata.annotations.at(api::kConfigHashAnnotation), alpha.metadata.uid);
}

TEST(FileSourceTest, RescansReuseUnchangedFilesAndSeeEditsAndRemovals) {
  TempDir dir;
  WriteFile(dir.File("a.yaml"), PodYaml("alpha"));
  WriteFile(dir.File("b.yaml"), PodYaml("bravo"));
  Recorder rec;
  FileSource source(Options(dir.path()), rec.UpdateFn(), rec.ErrorFn());
  absl::StatusOr<std::vector<api::PodPtr>> first = source.ScanOnce();
  ASSERT_TRUE(first.ok());
  absl::StatusOr<std::vector<api::PodPtr>> again = source.ScanOnce();
  ASSERT_TRUE(again.ok());
  ASSERT_EQ(again->size(), 2u);
  EXPECT_EQ(*(*again)[0], *(*first)[0]) << "the cached parse gives the same pod";
  EXPECT_EQ(*(*again)[1], *(*first)[1]);

  // Same size, other content: a new version of the file.
  std::string edited = PodYaml("alphb");
  ASSERT_EQ(edited.size(), PodYaml("alpha").size());
  WriteFile(dir.File("a.yaml"), edited);
  std::filesystem::remove(dir.File("b.yaml"));
  absl::StatusOr<std::vector<api::PodPtr>> after = source.ScanOnce();
  ASSERT_TRUE(after.ok());
  EXPECT_THAT(Names(*after), ElementsAre("alphb-node1"));
}

TEST(FileSourceTest, UidIsStableAcrossScansAndTrailingSlash) {
  TempDir dir;
  WriteFile(dir.File("a.yaml"), PodYaml("alpha"));
  FileSource s1(Options(dir.path()), nullptr, nullptr);
  FileSource s2(Options(dir.path() + "/"), nullptr, nullptr);
  auto p1 = s1.ScanOnce();
  auto p2 = s2.ScanOnce();
  ASSERT_TRUE(p1.ok() && p2.ok());
  ASSERT_EQ(p1->size(), 1u);
  ASSERT_EQ(p2->size(), 1u);
  EXPECT_EQ((*p1)[0]->metadata.uid, (*p2)[0]->metadata.uid);
  EXPECT_EQ(*(*p1)[0], *(*s1.ScanOnce())[0]);
}

TEST(FileSourceTest, EmptyFileIsReportedNotSkipped) {
  TempDir dir;
  WriteFile(dir.File("a.yaml"), PodYaml("web", "nginx:1"));
  WriteFile(dir.File("b.yaml"), "");
  Recorder rec;
  FileSource source(Options(dir.path()), nullptr, rec.ErrorFn());
  auto pods = source.ScanOnce();
  ASSERT_TRUE(pods.ok());
  EXPECT_EQ(pods->size(), 1u);
  EXPECT_THAT(rec.errors(), ElementsAre(dir.File("b.yaml") + ": file was empty"));
}

TEST(FileSourceTest, DuplicateFullNamesFirstFileWins) {
  TempDir dir;
  WriteFile(dir.File("a.yaml"), PodYaml("web", "nginx:1"));
  WriteFile(dir.File("b.yaml"), PodYaml("web", "nginx:2"));
  Recorder rec;
  FileSource source(Options(dir.path()), nullptr, rec.ErrorFn());
  auto pods = source.ScanOnce();
  ASSERT_TRUE(pods.ok());
  ASSERT_EQ(pods->size(), 1u);
  EXPECT_EQ((*pods)[0]->spec.containers[0].image, "nginx:1");
  EXPECT_THAT(rec.errors(),
              ElementsAre(dir.File("b.yaml") +
                          ": pod \"web\": metadata.name: Duplicate value: \"web-node1_default\" "
                          "(already defined in " +
                          dir.File("a.yaml") + ")"));
}

TEST(FileSourceTest, MultiDocumentWithOneBadDocument) {
  TempDir dir;
  WriteFile(dir.File("m.yaml"), PodYaml("one") + "---\n" +
                                    "apiVersion: v1\nkind: Pod\nmetadata:\n  name: two\n"
                                    "spec:\n  containers:\n  - name: c\n    image: busybox\n"
                                    "  restartPolicy: Sometimes\n" +
                                    "---\n" + PodYaml("three"));
  Recorder rec;
  FileSource source(Options(dir.path()), nullptr, rec.ErrorFn());
  auto pods = source.ScanOnce();
  ASSERT_TRUE(pods.ok());
  EXPECT_THAT(Names(*pods), ElementsAre("one-node1", "three-node1"));
  ASSERT_EQ(rec.errors().size(), 1u);
  EXPECT_EQ(rec.errors()[0],
            dir.File("m.yaml") +
                ": document 2: pod \"two\": spec.restartPolicy: Unsupported value: \"Sometimes\": "
                "supported values: \"Always\", \"Never\", \"OnFailure\"");
}

TEST(FileSourceTest, SingleFilePath) {
  TempDir dir;
  WriteFile(dir.File("only.manifest"), PodYaml("solo"));
  FileSource source(Options(dir.File("only.manifest")), nullptr, nullptr);
  auto pods = source.ScanOnce();
  ASSERT_TRUE(pods.ok());
  EXPECT_THAT(Names(*pods), ElementsAre("solo-node1"));
}

TEST(FileSourceTest, MissingPathIsNotFoundAndEmitsEmptySnapshot) {
  TempDir dir;
  std::string missing = dir.File("nope");
  FileSource scan(Options(missing), nullptr, nullptr);
  EXPECT_EQ(scan.ScanOnce().status().code(), absl::StatusCode::kNotFound);

  Recorder rec;
  FileSource source(Options(missing), rec.UpdateFn(), rec.ErrorFn());
  source.Start();
  ASSERT_TRUE(rec.WaitForUpdate([](const PodUpdate& u) { return HasNames(u, {}); }));
  EXPECT_TRUE(rec.WaitForError([&](const std::string& e) {
    return e == "pod manifest path \"" + missing + "\" does not exist";
  }));
  source.Stop();
}

TEST(FileSourceTest, MissingDirectoryAppearsLater) {
  TempDir dir;
  std::string later = dir.File("later");
  Recorder rec;
  FileSourceOptions o = Options(later);
  o.file_check_frequency = std::chrono::milliseconds(50);
  FileSource source(o, rec.UpdateFn(), rec.ErrorFn());
  source.Start();
  ASSERT_TRUE(rec.WaitForUpdate([](const PodUpdate& u) { return HasNames(u, {}); }));
  std::filesystem::create_directory(later + ".tmp");
  WriteFile(later + ".tmp/a.yaml", PodYaml("alpha"));
  std::filesystem::rename(later + ".tmp", later);
  EXPECT_TRUE(rec.WaitForUpdate([](const PodUpdate& u) { return HasNames(u, {"alpha-node1"}); }));
  source.Stop();
}

TEST(FileSourceTest, InotifyCreateEditRenameDelete) {
  TempDir dir;
  WriteFile(dir.File("a.yaml"), PodYaml("alpha"));
  Recorder rec;
  FileSourceOptions o = Options(dir.path());
  o.file_check_frequency = std::chrono::hours(1);  // only inotify can see changes
  FileSource source(o, rec.UpdateFn(), rec.ErrorFn());
  source.Start();
  PodUpdate first;
  ASSERT_TRUE(
      rec.WaitForUpdate([](const PodUpdate& u) { return HasNames(u, {"alpha-node1"}); }, &first));
  std::string uid = first.pods[0]->metadata.uid;

  // Create.
  WriteFile(dir.File("b.yaml"), PodYaml("beta"));
  ASSERT_TRUE(rec.WaitForUpdate([](const PodUpdate& u) {
    return HasNames(u, {"alpha-node1", "beta-node1"});
  }));

  // Edit in place: a new UID for alpha.
  WriteFile(dir.File("a.yaml"), PodYaml("alpha", "busybox:1.37"));
  PodUpdate edited;
  ASSERT_TRUE(rec.WaitForUpdate(
      [](const PodUpdate& u) {
        return HasNames(u, {"alpha-node1", "beta-node1"}) &&
               u.pods[0]->spec.containers[0].image == "busybox:1.37";
      },
      &edited));
  EXPECT_NE(edited.pods[0]->metadata.uid, uid);

  // Editor-style replace: write a hidden temp file, rename over the manifest.
  WriteFile(dir.File(".b.yaml.swp"), PodYaml("beta", "busybox:1.38"));
  std::filesystem::rename(dir.File(".b.yaml.swp"), dir.File("b.yaml"));
  ASSERT_TRUE(rec.WaitForUpdate([](const PodUpdate& u) {
    return HasNames(u, {"alpha-node1", "beta-node1"}) &&
           u.pods[1]->spec.containers[0].image == "busybox:1.38";
  }));

  // Rename to a name that is not a manifest: the pod goes.
  std::filesystem::rename(dir.File("a.yaml"), dir.File("a.yaml.disabled"));
  ASSERT_TRUE(rec.WaitForUpdate([](const PodUpdate& u) { return HasNames(u, {"beta-node1"}); }));

  // Delete.
  std::filesystem::remove(dir.File("b.yaml"));
  ASSERT_TRUE(rec.WaitForUpdate([](const PodUpdate& u) { return HasNames(u, {}); }));
  source.Stop();

  // Every snapshot differs from the one before it (no duplicates emitted).
  std::vector<PodUpdate> all = rec.updates();
  for (size_t i = 1; i < all.size(); ++i) {
    EXPECT_FALSE(Names(all[i].pods) == Names(all[i - 1].pods) &&
                 all[i].pods.size() == all[i - 1].pods.size() &&
                 std::equal(all[i].pods.begin(), all[i].pods.end(), all[i - 1].pods.begin(),
                            [](const api::PodPtr& a, const api::PodPtr& b) { return *a == *b; }))
        << "snapshot " << i << " repeats the previous one";
  }
}

// Upstream applies each inotify event: a manifest deleted and written again
// before any scan still removes its pod first (so the pod restarts, as the
// MirrorPod "removed and recreated" conformance spec expects).
TEST(FileSourceTest, DeleteAndRecreateBeforeTheScanStillRemovesThePodFirst) {
  TempDir dir;
  WriteFile(dir.File("a.yaml"), PodYaml("alpha"));
  WriteFile(dir.File("b.yaml"), PodYaml("beta"));
  Recorder rec;
  FileSourceOptions o = Options(dir.path());
  o.file_check_frequency = std::chrono::hours(1);
  o.debounce = std::chrono::milliseconds(200);
  FileSource source(o, rec.UpdateFn(), rec.ErrorFn());
  source.Start();
  PodUpdate first;
  ASSERT_TRUE(rec.WaitForUpdate(
      [](const PodUpdate& u) {
        return HasNames(u, {"alpha-node1", "beta-node1"});
      },
      &first));

  std::filesystem::remove(dir.File("a.yaml"));
  WriteFile(dir.File("a.yaml"), PodYaml("alpha"));
  PodUpdate back;
  int both = 0;  // the first snapshot with both pods is the initial one
  ASSERT_TRUE(rec.WaitForUpdate(
      [&](const PodUpdate& u) {
        return HasNames(u, {"alpha-node1", "beta-node1"}) && ++both == 2;
      },
      &back));
  source.Stop();
  EXPECT_EQ(back.pods[0]->metadata.uid, first.pods[0]->metadata.uid);
  std::vector<std::vector<std::string>> names;
  for (const PodUpdate& u : rec.updates()) names.push_back(Names(u.pods));
  EXPECT_THAT(names, ElementsAre(std::vector<std::string>{"alpha-node1", "beta-node1"},
                                 std::vector<std::string>{"beta-node1"},
                                 std::vector<std::string>{"alpha-node1", "beta-node1"}));
}

TEST(FileSourceTest, InotifyReportsBadFileAndKeepsGoodPods) {
  TempDir dir;
  WriteFile(dir.File("a.yaml"), PodYaml("alpha"));
  Recorder rec;
  FileSourceOptions o = Options(dir.path());
  o.file_check_frequency = std::chrono::hours(1);
  FileSource source(o, rec.UpdateFn(), rec.ErrorFn());
  source.Start();
  ASSERT_TRUE(rec.WaitForUpdate([](const PodUpdate& u) { return HasNames(u, {"alpha-node1"}); }));
  WriteFile(dir.File("z.yaml"), "apiVersion: v1\nkind: Pod\nmetadata: {name: [1}\n");
  ASSERT_TRUE(rec.WaitForError(
      [&](const std::string& e) { return e.starts_with(dir.File("z.yaml") + ": document 1: "); }));
  source.Stop();
  // The good pod never left.
  for (const PodUpdate& u : rec.updates()) EXPECT_THAT(Names(u.pods), ElementsAre("alpha-node1"));
}

TEST(FileSourceTest, PeriodicRescanWithoutInotify) {
  TempDir dir;
  Recorder rec;
  FileSourceOptions o = Options(dir.path());
  o.use_inotify = false;
  o.file_check_frequency = std::chrono::milliseconds(50);
  FileSource source(o, rec.UpdateFn(), rec.ErrorFn());
  source.Start();
  ASSERT_TRUE(rec.WaitForUpdate([](const PodUpdate& u) { return HasNames(u, {}); }));
  WriteFile(dir.File("a.yaml"), PodYaml("alpha"));
  ASSERT_TRUE(rec.WaitForUpdate([](const PodUpdate& u) { return HasNames(u, {"alpha-node1"}); }));

  // A bad file is reported once, not on every rescan.
  WriteFile(dir.File("b.yaml"), PodYaml("bad", ""));
  ASSERT_TRUE(rec.WaitForError([](const std::string& e) { return e.find("\"bad\"") != e.npos; }));
  WriteFile(dir.File("c.yaml"), PodYaml("gamma"));
  ASSERT_TRUE(rec.WaitForUpdate([](const PodUpdate& u) {
    return HasNames(u, {"alpha-node1", "gamma-node1"});
  }));
  source.Stop();
  int bad_reports = 0;
  for (const std::string& e : rec.errors()) bad_reports += e.find("\"bad\"") != e.npos;
  EXPECT_EQ(bad_reports, 1);
}

TEST(FileSourceTest, StopIsIdempotentAndRestartable) {
  TempDir dir;
  Recorder rec;
  FileSource source(Options(dir.path()), rec.UpdateFn(), nullptr);
  source.Stop();
  source.Start();
  source.Start();
  ASSERT_TRUE(rec.WaitForUpdate([](const PodUpdate& u) { return HasNames(u, {}); }));
  source.Stop();
  source.Stop();
}

TEST(FileSourceTest, FifoIsSkippedAndDoesNotWedgeTheSource) {
  TempDir dir;
  WriteFile(dir.File("a.yaml"), PodYaml("alpha"));
  ASSERT_EQ(::mkfifo(dir.File("x.yaml").c_str(), 0600), 0);
  Recorder rec;
  FileSourceOptions o = Options(dir.path());
  o.file_check_frequency = std::chrono::milliseconds(50);
  FileSource source(o, rec.UpdateFn(), rec.ErrorFn());
  absl::StatusOr<std::vector<api::PodPtr>> pods = source.ScanOnce();  // must not block
  ASSERT_TRUE(pods.ok());
  EXPECT_THAT(Names(*pods), ElementsAre("alpha-node1"));
  EXPECT_THAT(rec.errors(), ElementsAre("manifest \"" + dir.File("x.yaml") +
                                        "\" is not a regular file; skipped"));

  source.Start();
  ASSERT_TRUE(rec.WaitForUpdate([](const PodUpdate& u) { return HasNames(u, {"alpha-node1"}); }));
  // Later changes are still applied while the FIFO sits in the folder.
  WriteFile(dir.File("b.yaml"), PodYaml("beta"));
  ASSERT_TRUE(rec.WaitForUpdate([](const PodUpdate& u) {
    return HasNames(u, {"alpha-node1", "beta-node1"});
  }));
  EXPECT_TRUE(source.Healthy().ok()) << source.Healthy();
  source.Stop();
}

TEST(FileSourceTest, HealthyFailsWhenNoScanCompletesInTime) {
  TempDir dir;
  Recorder rec;
  FileSourceOptions o = Options(dir.path());
  o.file_check_frequency = std::chrono::milliseconds(20);
  o.liveness_timeout = std::chrono::milliseconds(200);
  // The update callback blocks the source's thread, as a stuck read would,
  // once there are pods.
  std::atomic<bool> release{false};
  struct Releaser {
    std::atomic<bool>& r;
    ~Releaser() { r = true; }
  };
  FileSource source(
      o,
      [&](const PodUpdate& u) {
        rec.OnUpdate(u);
        while (!u.pods.empty() && !release) {
          std::this_thread::sleep_for(std::chrono::milliseconds(5));
        }
      },
      rec.ErrorFn());
  Releaser releaser{release};          // declared after `source`: runs before its destructor
  EXPECT_TRUE(source.Healthy().ok());  // not running
  source.Start();
  ASSERT_TRUE(rec.WaitForUpdate([](const PodUpdate& u) { return HasNames(u, {}); }));
  EXPECT_TRUE(source.Healthy().ok());
  WriteFile(dir.File("a.yaml"), PodYaml("alpha"));
  ASSERT_TRUE(rec.WaitForUpdate([](const PodUpdate& u) { return HasNames(u, {"alpha-node1"}); }));
  std::this_thread::sleep_for(std::chrono::milliseconds(400));
  absl::Status health = source.Healthy();
  EXPECT_EQ(health.code(), absl::StatusCode::kUnavailable) << health;
  release = true;
  for (int i = 0; i < 200 && !source.Healthy().ok(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_TRUE(source.Healthy().ok());
  source.Stop();
}

TEST(FileSourceTest, HostileFilesDoNotHideGoodOnes) {
  TempDir dir;
  WriteFile(dir.File("a.yaml"), PodYaml("alpha"));
  // Item 1: deep nesting where metadata.name belongs.
  WriteFile(dir.File("deep.json"), R"({"apiVersion":"v1","kind":"Pod","metadata":{"name":)" +
                                       std::string(100000, '[') + std::string(100000, ']') + "}}");
  // Item 2: invalid UTF-8 in a command (used to abort in the UID hash).
  WriteFile(dir.File("utf8.yaml"),
            "apiVersion: v1\nkind: Pod\nmetadata: {name: u}\nspec:\n"
            "  containers: [{name: c, image: i, command: [\"\xff\"]}]\n");
  // Item 4: one string referenced 512 times.
  std::string alias = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: m\n  annotations: {a: &s " +
                      std::string(1024 * 1024, 'x') + "}\nspec:\n  x: [*s";
  for (int i = 1; i < 512; ++i) alias += ", *s";
  WriteFile(dir.File("alias.yaml"), alias + "]\n");
  Recorder rec;
  FileSource source(Options(dir.path()), rec.UpdateFn(), rec.ErrorFn());
  absl::StatusOr<std::vector<api::PodPtr>> pods = source.ScanOnce();
  ASSERT_TRUE(pods.ok());
  EXPECT_THAT(Names(*pods), ElementsAre("alpha-node1"));
  EXPECT_EQ(rec.errors().size(), 3u);
}

TEST(FileSourceTest, BadFileErrorsAreReportedOncePerVersion) {
  TempDir dir;
  std::string bad;
  for (int i = 0; i < 500; ++i) bad += PodYaml(absl::StrCat("bad", i), "") + "---\n";
  WriteFile(dir.File("bad.yaml"), bad);
  Recorder rec;
  FileSourceOptions o = Options(dir.path());
  o.file_check_frequency = std::chrono::milliseconds(30);
  FileSource source(o, rec.UpdateFn(), rec.ErrorFn());
  source.Start();
  ASSERT_TRUE(rec.WaitForUpdate([](const PodUpdate& u) { return HasNames(u, {}); }));
  // Other files change (inotify) and rescans come and go: no repeat.
  for (const char* name : {"a.yaml", "b.yaml", "c.yaml"}) {
    WriteFile(dir.File(name), PodYaml(std::string(name, 1)));
  }
  ASSERT_TRUE(rec.WaitForUpdate([](const PodUpdate& u) {
    return HasNames(u, {"a-node1", "b-node1", "c-node1"});
  }));
  std::this_thread::sleep_for(std::chrono::milliseconds(300));  // ~10 rescans
  EXPECT_EQ(rec.errors().size(), 500u);
  EXPECT_EQ(source.errors_reported(), 500);
  EXPECT_EQ(source.bad_files(), 1);
  // A new version of the bad file is reported again.
  WriteFile(dir.File("bad.yaml"), PodYaml("worse", ""));
  ASSERT_TRUE(rec.WaitForError([](const std::string& e) { return e.find("\"worse\"") != e.npos; }));
  // Fixed: nothing left to report.
  WriteFile(dir.File("bad.yaml"), PodYaml("fixed"));
  ASSERT_TRUE(rec.WaitForUpdate([](const PodUpdate& u) {
    return HasNames(u, {"a-node1", "b-node1", "fixed-node1", "c-node1"}) ||
           HasNames(u, {"a-node1", "b-node1", "c-node1", "fixed-node1"}) ||
           Names(u.pods).size() == 4;
  }));
  source.Stop();
  EXPECT_EQ(source.errors_reported(), 501);
  EXPECT_EQ(source.bad_files(), 0);
}

}  // namespace
}  // namespace cubelet::config

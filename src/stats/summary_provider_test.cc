#include "stats/summary_provider.h"

#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "absl/strings/str_cat.h"
#include "api/json.h"
#include "api/parse.h"
#include "cri/inmemory/in_memory_runtime.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "metrics/registry.h"
#include "stats/cadvisor_metrics.h"
#include "stats/cgroup_stats.h"
#include "stats/fs_stats.h"
#include "stats/net_stats.h"
#include "stats/resource_metrics.h"
#include "util/clock.h"
#include "util/testing/temp_dir.h"

namespace cubelet::stats {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using ::testing::ElementsAre;

void Write(const std::string& path, const std::string& text) {
  fs::create_directories(fs::path(path).parent_path());
  std::ofstream(path) << text;
}

constexpr char kPressure[] =
    "some avg10=1.50 avg60=0.25 avg300=0.00 total=1234\n"
    "full avg10=0.50 avg60=0.00 avg300=0.00 total=99\n";

TEST(ParsePsiTest, ReadsSomeAndFull) {
  std::optional<Psi> p = ParsePsi(kPressure);
  ASSERT_TRUE(p);
  EXPECT_EQ(p->some.total, 1234u);
  EXPECT_DOUBLE_EQ(p->some.avg10, 1.5);
  EXPECT_DOUBLE_EQ(p->some.avg60, 0.25);
  EXPECT_EQ(p->full.total, 99u);
  EXPECT_FALSE(ParsePsi("nothing here\n"));
}

TEST(ParseNetDevTest, SkipsLoopbackAndVethAndReadsCounters) {
  const std::string text =
      "Inter-|   Receive                                                |  Transmit\n"
      " face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs "
      "drop fifo colls carrier compressed\n"
      "    lo:     100       1    0    0    0     0          0         0      100       1    0 "
      "   0    0     0       0          0\n"
      "  eth0:    5000      10    2    0    0     0          0         0     7000      12    3 "
      "   0    0     0       0          0\n"
      "veth12:       1       1    0    0    0     0          0         0        1       1    0 "
      "   0    0     0       0          0\n";
  std::vector<InterfaceStats> got = ParseNetDev(text);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].name, "eth0");
  EXPECT_EQ(got[0].rx_bytes, 5000u);
  EXPECT_EQ(got[0].rx_errors, 2u);
  EXPECT_EQ(got[0].tx_bytes, 7000u);
  EXPECT_EQ(got[0].tx_errors, 3u);
}

TEST(ProcessCgroupTest, EachControllerItsOwnPathUnderV1) {
  test_support::ScopedTempDir proc;
  Write(proc.File("42/cgroup"),
        "12:pids:/p\n4:memory:/m/x\n2:cpu,cpuacct:/c\n1:name=systemd:/s\n0::/u\n");
  absl::StatusOr<CgroupPaths> got = ProcessCgroup(42, proc.path());
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(got->cpuacct, "/c");
  EXPECT_EQ(got->memory, "/m/x");
  EXPECT_EQ(got->pids, "/p");
  EXPECT_EQ(got->unified, "/u");
  EXPECT_FALSE(ProcessCgroup(43, proc.path()).ok());
}

TEST(MoveProcessToCgroupTest, JoinsEveryHierarchyOnceAndGivesANewCpusetItsParentsCpus) {
  test_support::ScopedTempDir root;
  for (const char* h : {"cpu,cpuacct", "memory", "cpuset"})
    Write(root.File(std::string(h) + "/cgroup.procs"), "1\n");
  fs::create_directory_symlink(root.File("cpu,cpuacct"), root.File("cpu"));
  Write(root.File("cpuset/cpuset.cpus"), "0-1\n");
  Write(root.File("cpuset/agent/cpuset.cpus"), "");
  ASSERT_TRUE(MoveProcessToCgroup(77, "/agent", root.path()).ok());
  auto read = [&](const std::string& f) {
    std::ifstream in(root.File(f));
    std::string s((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    return s;
  };
  EXPECT_EQ(read("cpu,cpuacct/agent/cgroup.procs"), "77");
  EXPECT_EQ(read("memory/agent/cgroup.procs"), "77");
  EXPECT_EQ(read("cpuset/agent/cgroup.procs"), "77");
  EXPECT_EQ(read("cpuset/agent/cpuset.cpus"), "0-1\n");
}

TEST(FsStatsTest, DiskUsageCountsBlocksAndInodesOnce) {
  test_support::ScopedTempDir dir;
  Write(dir.File("a/one"), std::string(10000, 'x'));
  ASSERT_EQ(link(dir.File("a/one").c_str(), dir.File("a/hardlink").c_str()), 0);
  fs::create_symlink("/etc", dir.File("a/link"));
  DiskUsage du = MeasureDiskUsage(dir.File("a"));
  // The directory, the file (once, though linked twice) and the symlink.
  EXPECT_EQ(du.inodes, 3u);
  EXPECT_GE(du.bytes, 10000u);
  EXPECT_LT(du.bytes, 64u * 1024);
  EXPECT_EQ(MeasureDiskUsage(dir.File("missing")).inodes, 0u);
  absl::StatusOr<FsInfo> info = StatFs(dir.path());
  ASSERT_TRUE(info.ok());
  EXPECT_GT(info->capacity, 0u);
  EXPECT_GT(info->inodes, 0u);
  EXPECT_FALSE(StatFs(dir.File("missing")).ok());
}

// A cgroup v1 tree (hybrid, with the unified tree's pressure files) and a
// /proc, both in a temporary directory.
class SummaryProviderTest : public ::testing::Test {
 protected:
  SummaryProviderTest() {
    Cgroup("", 5'000'000'000, 900 << 20, 0);
    Cgroup("cubelet", 2'000'000'000, 300 << 20, 0);
    Cgroup("agent", 300'000'000, 40 << 20, 0);
    Write(proc_.File(absl::StrCat(getpid(), "/cgroup")),
          "4:memory:/agent\n3:pids:/agent\n2:cpu,cpuacct:/agent\n0::/agent\n");
    Write(proc_.File(absl::StrCat(getpid(), "/net/dev")),
          "h\nh\n  eth0: 3000000 1 0 0 0 0 0 0 40000 1 0 0 0 0 0 0\n");
    Write(proc_.File("uptime"), "3600.5 100.0\n");
    Write(proc_.File("sys/kernel/pid_max"), "4194304\n");
    runtime_.AddImage("busybox");
    SummaryOptions& options = options_;
    options.node_name = "node-a";
    options.root_dir = root_.path();
    options.pod_logs_dir = root_.File("logs");
    options.cgroup_root = "/cubelet";
    options.memory_capacity = uint64_t{4} << 30;
    options.agent_start = clock_.Now() - absl::Minutes(5);
    options.cgroup_fs = cgroup_.path();
    options.proc = proc_.path();
    fs::create_directories(options.pod_logs_dir);
    provider_ = std::make_unique<SummaryProvider>(
        options, [this] { return pods_; }, &runtime_, &runtime_, &clock_);
  }

  // Writes the v1 files of cgroup `path` (relative, "" for the root).
  void Cgroup(const std::string& path, uint64_t cpu_ns, uint64_t memory, uint64_t limit) {
    const std::string rel = path.empty() ? "" : "/" + path;
    Write(cgroup_.File("cpuacct" + rel + "/cpuacct.usage"), absl::StrCat(cpu_ns, "\n"));
    Write(cgroup_.File("memory" + rel + "/memory.usage_in_bytes"), absl::StrCat(memory, "\n"));
    Write(cgroup_.File("memory" + rel + "/memory.stat"),
          absl::StrCat("rss 1\npgfault 5000\npgmajfault 7\ntotal_rss ", memory / 2,
                       "\ntotal_inactive_file ", memory / 4, "\n"));
    Write(cgroup_.File("memory" + rel + "/memory.limit_in_bytes"),
          absl::StrCat(limit == 0 ? 9223372036854771712ull : limit, "\n"));
    Write(cgroup_.File("pids" + rel + "/pids.current"), "3\n");
    for (const char* r : {"cpu", "memory", "io"}) {
      Write(cgroup_.File(absl::StrCat("unified", rel, "/", r, ".pressure")), kPressure);
    }
  }

  // A running pod with one container "app" (memory limit 80M) and an
  // emptyDir "scratch".
  std::string AddPod() {
    api::ParsedManifest parsed = api::ParseManifest(R"(
apiVersion: v1
kind: Pod
metadata: {name: web, namespace: ns, uid: u1}
spec:
  containers:
  - name: app
    image: busybox
    resources: {limits: {memory: 80M}}
  volumes:
  - name: scratch
    emptyDir: {}
  - name: host
    hostPath: {path: /tmp}
)",
                                                    "test.yaml");
    EXPECT_TRUE(parsed.errors.empty()) << parsed.errors[0].ToString();
    std::optional<api::Pod> pod = parsed.pods.at(0);
    cri::PodSandboxConfig sandbox;
    sandbox.metadata.name = "web";
    sandbox.metadata.uid = "u1";
    absl::StatusOr<std::string> sid = runtime_.RunPodSandbox(sandbox, "");
    cri::ContainerConfig config;
    config.metadata.name = "app";
    config.image.image = "busybox";
    absl::StatusOr<std::string> cid = runtime_.CreateContainer(*sid, config, sandbox);
    EXPECT_TRUE(cid.ok()) << cid.status();
    api::ContainerStatus cs;
    cs.name = "app";
    cs.container_id = "containerd://" + *cid;
    cs.state.running = api::ContainerStateRunning{.started_at = clock_.Now() - absl::Minutes(1)};
    pod->status.container_statuses = {cs};
    pod->status.start_time = clock_.Now() - absl::Minutes(2);
    pods_.push_back(*pod);
    Cgroup("cubelet/podu1", 700'000'000, 30 << 20, 0);
    Cgroup("cubelet/podu1/" + *cid, 600'000'000, 20 << 20, 80'000'000);
    Write(cgroup_.File("memory/cubelet/podu1/" + *cid + "/cgroup.procs"), "4242\n");
    Write(proc_.File("4242/net/dev"), "h\nh\n  eth0: 120 1 0 0 0 0 0 0 340 1 0 0 0 0 0 0\n");
    Write(root_.File("pods/u1/volumes/kubernetes.io~empty-dir/scratch/file"), "hello world\n");
    Write(root_.File("logs/ns_web_u1/app/0.log"), "some log line\n");
    return *cid;
  }

  static json Find(const json& list, const std::string& name) {
    for (const json& e : list) {
      if (e.value("name", "") == name) return e;
    }
    return nullptr;
  }

  test_support::ScopedTempDir cgroup_{"cubelet-cgroupfs"};
  test_support::ScopedTempDir proc_{"cubelet-proc"};
  test_support::ScopedTempDir root_{"cubelet-root"};
  FakeClock clock_;
  cri::InMemoryRuntime runtime_{&clock_};
  std::vector<api::Pod> pods_;
  SummaryOptions options_;
  std::unique_ptr<SummaryProvider> provider_;
};

TEST_F(SummaryProviderTest, NodeFiguresComeFromTheRootCgroupAndTheMachine) {
  absl::StatusOr<json> got = provider_->Get();
  ASSERT_TRUE(got.ok()) << got.status();
  const json& node = (*got)["node"];
  EXPECT_EQ(node["nodeName"], "node-a");
  EXPECT_EQ(node["cpu"]["usageCoreNanoSeconds"], 5'000'000'000u);
  EXPECT_FALSE(node["cpu"].contains("usageNanoCores")) << "no rate from a single read";
  EXPECT_EQ(node["cpu"]["psi"]["some"]["total"], 1234u);
  EXPECT_EQ(node["cpu"]["psi"]["full"]["total"], 99u);
  const uint64_t usage = 900 << 20, working_set = usage - usage / 4;
  EXPECT_EQ(node["memory"]["usageBytes"], usage);
  EXPECT_EQ(node["memory"]["workingSetBytes"], working_set);
  EXPECT_EQ(node["memory"]["rssBytes"], usage / 2);
  EXPECT_EQ(node["memory"]["availableBytes"], (uint64_t{4} << 30) - working_set);
  EXPECT_EQ(node["memory"]["pageFaults"], 5000u);
  EXPECT_EQ(node["memory"]["majorPageFaults"], 7u);
  EXPECT_EQ(node["io"]["psi"]["some"]["avg10"], 1.5);
  EXPECT_EQ(node["network"]["name"], "eth0");
  EXPECT_EQ(node["network"]["rxBytes"], 3000000u);
  EXPECT_EQ(node["network"]["interfaces"].size(), 1u);
  EXPECT_GT(node["fs"]["capacityBytes"].get<uint64_t>(), 0u);
  EXPECT_GT(node["fs"]["inodes"].get<uint64_t>(), 0u);
  EXPECT_EQ(node["runtime"]["imageFs"]["usedBytes"], 4u << 20) << "one image";
  EXPECT_EQ(node["runtime"]["containerFs"], node["runtime"]["imageFs"]);
  EXPECT_EQ(node["rlimit"]["maxpid"], 4194304u);
  EXPECT_TRUE(node["rlimit"].contains("curproc"));
  EXPECT_EQ(node["startTime"], api::FormatApiTime(clock_.Now() - absl::Seconds(3600.5)));

  // System containers: this process's own cgroup and the pods' one; no
  // runtime or misc without their flags.
  std::vector<std::string> names;
  for (const json& c : node["systemContainers"]) names.push_back(c["name"]);
  EXPECT_THAT(names, ElementsAre("kubelet", "pods"));
  const json kubelet = Find(node["systemContainers"], "kubelet");
  EXPECT_EQ(kubelet["cpu"]["usageCoreNanoSeconds"], 300'000'000u);
  EXPECT_FALSE(kubelet["memory"].contains("availableBytes")) << "no limit";
  EXPECT_EQ(kubelet["startTime"], api::FormatApiTime(clock_.Now() - absl::Minutes(5)));
  EXPECT_FALSE(kubelet.contains("rootfs"));
  const json pods = Find(node["systemContainers"], "pods");
  EXPECT_EQ(pods["memory"]["usageBytes"], 300u << 20);
  EXPECT_TRUE(pods["memory"].contains("availableBytes")) << "bounded by the node's memory";
}

TEST_F(SummaryProviderTest, CpuRateIsTheUsageBetweenTwoReadsAtLeastASecondApart) {
  ASSERT_TRUE(provider_->Get().ok());
  // 0.5 cores over 10 s.
  Cgroup("", 10'000'000'000, 900 << 20, 0);
  clock_.Advance(absl::Seconds(10));
  absl::StatusOr<json> got = provider_->Get();
  ASSERT_TRUE(got.ok());
  EXPECT_EQ((*got)["node"]["cpu"]["usageNanoCores"], 500'000'000u);
  // Read again at once: the last rate, not a rate over no time.
  Cgroup("", 10'100'000'000, 900 << 20, 0);
  clock_.Advance(absl::Milliseconds(100));
  got = provider_->Get();
  EXPECT_EQ((*got)["node"]["cpu"]["usageNanoCores"], 500'000'000u);
}

TEST_F(SummaryProviderTest, PodStatsCoverContainersNetworkVolumesAndEphemeralStorage) {
  const std::string id = AddPod();
  ASSERT_TRUE(provider_->Get().ok());
  clock_.Advance(absl::Seconds(15));
  Cgroup("cubelet/podu1/" + id, 900'000'000, 20 << 20, 80'000'000);
  Write(cgroup_.File("memory/cubelet/podu1/" + id + "/cgroup.procs"), "4242\n");
  absl::StatusOr<json> got = provider_->Get();
  ASSERT_TRUE(got.ok()) << got.status();
  ASSERT_EQ((*got)["pods"].size(), 1u);
  const json& pod = (*got)["pods"][0];
  EXPECT_EQ(pod["podRef"], (json{{"name", "web"}, {"namespace", "ns"}, {"uid", "u1"}}));
  EXPECT_EQ(pod["startTime"], api::FormatApiTime(clock_.Now() - absl::Seconds(135)));
  EXPECT_EQ(pod["cpu"]["usageCoreNanoSeconds"], 700'000'000u);
  // The pod cgroup has no limit; the containers' limits bound it.
  const uint64_t pod_ws = (30 << 20) - (30 << 20) / 4;
  EXPECT_EQ(pod["memory"]["availableBytes"], 80'000'000u - pod_ws);
  EXPECT_EQ(pod["process_stats"]["process_count"], 3u);
  EXPECT_EQ(pod["network"]["name"], "eth0");
  EXPECT_EQ(pod["network"]["rxBytes"], 120u);
  EXPECT_EQ(pod["network"]["txBytes"], 340u);

  ASSERT_EQ(pod["containers"].size(), 1u);
  const json& c = pod["containers"][0];
  EXPECT_EQ(c["name"], "app");
  EXPECT_EQ(c["cpu"]["usageNanoCores"], 20'000'000u) << "0.3 s over 15 s";
  const uint64_t ws = (20 << 20) - (20 << 20) / 4;
  EXPECT_EQ(c["memory"]["availableBytes"], 80'000'000u - ws);
  EXPECT_EQ(c["memory"]["psi"]["full"]["total"], 99u);
  EXPECT_EQ(c["rootfs"]["usedBytes"], cri::InMemoryRuntime::kWritableLayerBytes);
  EXPECT_EQ(c["rootfs"]["inodesUsed"], 3u);
  EXPECT_GT(c["rootfs"]["capacityBytes"].get<uint64_t>(), 0u);
  EXPECT_GE(c["logs"]["usedBytes"].get<uint64_t>(), 14u);
  EXPECT_EQ(c["logs"]["inodesUsed"], 2u) << "the container's log dir and its file";

  // The emptyDir, not the host path.
  ASSERT_EQ(pod["volume"].size(), 1u);
  EXPECT_EQ(pod["volume"][0]["name"], "scratch");
  EXPECT_EQ(pod["volume"][0]["inodesUsed"], 2u);
  EXPECT_GT(pod["volume"][0]["capacityBytes"].get<uint64_t>(), 0u);
  const uint64_t eph = pod["ephemeral-storage"]["usedBytes"];
  EXPECT_EQ(eph, cri::InMemoryRuntime::kWritableLayerBytes +
                     c["logs"]["usedBytes"].get<uint64_t>() +
                     pod["volume"][0]["usedBytes"].get<uint64_t>());
}

TEST_F(SummaryProviderTest, PodsWithoutACgroupAndStoppedContainersAreLeftOut) {
  const std::string id = AddPod();
  pods_[0].status.container_statuses[0].state.running.reset();
  pods_[0].status.container_statuses[0].state.terminated = api::ContainerStateTerminated{};
  api::Pod gone = pods_[0];
  gone.metadata.uid = "u2";
  pods_.push_back(gone);
  absl::StatusOr<json> got = provider_->Get();
  ASSERT_TRUE(got.ok());
  ASSERT_EQ((*got)["pods"].size(), 1u) << "u2 has no cgroup";
  EXPECT_TRUE((*got)["pods"][0]["containers"].empty());
}

TEST_F(SummaryProviderTest, NamedSystemContainers) {
  Cgroup("rt", 1'000'000, 5 << 20, 0);
  Cgroup("sys", 2'000'000, 6 << 20, 0);
  Cgroup("kube", 3'000'000, 7 << 20, 0);
  SummaryOptions options;
  options.root_dir = root_.path();
  options.kubelet_cgroups = "/kube";
  options.runtime_cgroups = "/rt";
  options.system_cgroups = "/sys";
  options.cgroup_fs = cgroup_.path();
  options.proc = proc_.path();
  SummaryProvider provider(
      options, [] { return std::vector<api::Pod>{}; }, &runtime_, &runtime_, &clock_);
  absl::StatusOr<json> got = provider.Get();
  ASSERT_TRUE(got.ok());
  const json& sys = (*got)["node"]["systemContainers"];
  EXPECT_EQ(Find(sys, "kubelet")["cpu"]["usageCoreNanoSeconds"], 3'000'000u);
  EXPECT_EQ(Find(sys, "runtime")["cpu"]["usageCoreNanoSeconds"], 1'000'000u);
  EXPECT_EQ(Find(sys, "misc")["memory"]["usageBytes"], 6u << 20);
  EXPECT_EQ(Find(sys, "pods")["memory"]["usageBytes"], 300u << 20);
  EXPECT_EQ(sys.size(), 4u);
}

TEST_F(SummaryProviderTest, ResourceMetricsAreTheSummarysCpuAndWorkingSets) {
  AddPod();
  absl::StatusOr<json> summary = provider_->Get();
  ASSERT_TRUE(summary.ok());
  const std::string text = RenderResourceMetrics(summary);
  const int64_t ms = absl::ToUnixSeconds(clock_.Now()) * 1000;
  const uint64_t node_ws = (900 << 20) - (900 << 20) / 4;
  EXPECT_THAT(text, ::testing::HasSubstr(absl::StrCat(
                        "# HELP node_cpu_usage_seconds_total [STABLE] Cumulative cpu time consumed "
                        "by the node in core-seconds\n# TYPE node_cpu_usage_seconds_total counter\n"
                        "node_cpu_usage_seconds_total 5 ",
                        ms, "\n")));
  EXPECT_THAT(text, ::testing::HasSubstr(
                        absl::StrCat("node_memory_working_set_bytes ",
                                     metrics::FormatValue(static_cast<double>(node_ws)), " ", ms)));
  EXPECT_THAT(text, ::testing::HasSubstr(absl::StrCat(
                        "container_cpu_usage_seconds_total{container=\"app\",namespace=\"ns\","
                        "pod=\"web\"} 0.6 ",
                        ms, "\n")));
  EXPECT_THAT(
      text, ::testing::HasSubstr(absl::StrCat(
                "container_start_time_seconds{container=\"app\",namespace=\"ns\",pod=\"web\"} ",
                metrics::FormatValue(absl::ToUnixSeconds(clock_.Now() - absl::Minutes(1))), "\n")));
  EXPECT_THAT(
      text, ::testing::HasSubstr("pod_cpu_usage_seconds_total{namespace=\"ns\",pod=\"web\"} 0.7 "));
  EXPECT_THAT(text,
              ::testing::HasSubstr("pod_memory_working_set_bytes{namespace=\"ns\",pod=\"web\"} "));
  EXPECT_THAT(text, ::testing::HasSubstr("\nresource_scrape_error 0\n"));
  // Families in name order, as client_golang renders them.
  EXPECT_LT(text.find("# HELP container_cpu"), text.find("# HELP node_cpu"));
  EXPECT_LT(text.find("# HELP pod_memory"), text.find("# HELP resource_scrape_error"));

  const std::string failed = RenderResourceMetrics(absl::NotFoundError("no cgroup"));
  EXPECT_THAT(failed, ::testing::HasSubstr("\nresource_scrape_error 1\n"));
  EXPECT_THAT(failed, ::testing::Not(::testing::HasSubstr("node_cpu")));
}

TEST_F(SummaryProviderTest, NoRootCgroupIsAnError) {
  SummaryOptions options;
  options.cgroup_fs = root_.File("nothing");
  options.proc = proc_.path();
  SummaryProvider provider(
      options, [] { return std::vector<api::Pod>{}; }, &runtime_, &runtime_, &clock_);
  EXPECT_EQ(provider.Get().status().code(), absl::StatusCode::kNotFound);
}

}  // namespace
}  // namespace cubelet::stats

namespace cubelet::stats {
namespace {

// The value of the first sample of `family` whose labels include every one
// of `labels` (`name="value"` each); nullopt when there is none.
std::optional<double> Sample(const std::string& text, const std::string& family,
                             const std::vector<std::string>& labels) {
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    if (line.rfind(family + "{", 0) != 0) continue;
    const size_t close = line.find('}');
    const std::string label_text = line.substr(family.size(), close - family.size() + 1);
    bool all = true;
    for (const std::string& l : labels) {
      all = all && (label_text.find("{" + l + ",") != std::string::npos ||
                    label_text.find("," + l + ",") != std::string::npos ||
                    label_text.find("," + l + "}") != std::string::npos ||
                    label_text.find("{" + l + "}") != std::string::npos);
    }
    if (!all) continue;
    std::istringstream rest(line.substr(close + 1));
    double v = 0;
    rest >> v;
    return v;
  }
  return std::nullopt;
}

TEST_F(SummaryProviderTest, CadvisorMetricsDescribeEachCgroupWithTheKubeletsLabels) {
  const std::string cid = AddPod();
  pods_.back().status.container_statuses[0].image = "busybox:1";
  const std::string c = "cubelet/podu1/" + cid;
  Write(cgroup_.File("cpuacct/" + c + "/cpuacct.stat"), "user 30\nsystem 10\n");
  Write(cgroup_.File("cpu/" + c + "/cpu.shares"), "2\n");
  Write(cgroup_.File("cpu/" + c + "/cpu.cfs_period_us"), "100000\n");
  Write(cgroup_.File("cpu/" + c + "/cpu.cfs_quota_us"), "-1\n");
  Write(cgroup_.File("memory/" + c + "/memory.stat"),
        "total_cache 4096\ntotal_rss 10485760\ntotal_inactive_file 1024\npgfault 300\n"
        "pgmajfault 2\ntotal_pgfault 310\ntotal_pgmajfault 3\ntotal_mapped_file 8192\n");
  Write(cgroup_.File("memory/" + c + "/memory.max_usage_in_bytes"), "30000000\n");
  Write(cgroup_.File("memory/" + c + "/memory.failcnt"), "0\n");
  Write(cgroup_.File("memory/" + c + "/memory.soft_limit_in_bytes"), "9223372036854771712\n");
  Write(cgroup_.File("memory/" + c + "/memory.oom_control"),
        "oom_kill_disable 0\nunder_oom 0\noom_kill 1\n");
  Write(cgroup_.File("pids/" + c + "/pids.max"), "max\n");
  Write(cgroup_.File("pids/" + c + "/cgroup.procs"), "4243\n4242\n");
  Write(cgroup_.File("blkio/" + c + "/blkio.throttle.io_service_bytes_recursive"),
        "254:0 Read 8192\n254:0 Write 4096\n254:0 Total 12288\nTotal 12288\n");
  Write(cgroup_.File("blkio/" + c + "/blkio.throttle.io_serviced_recursive"),
        "254:0 Read 2\n254:0 Write 1\n254:0 Total 3\nTotal 3\n");
  fs::create_directories(proc_.File("4242/fd"));
  fs::create_directories(proc_.File("4243/fd"));
  fs::create_symlink("socket:[123]", proc_.File("4242/fd/3"));
  fs::create_symlink("/dev/null", proc_.File("4242/fd/0"));
  fs::create_symlink("/dev/null", proc_.File("4243/fd/0"));
  Write(proc_.File("4242/limits"),
        "Limit                     Soft Limit           Hard Limit           Units\n"
        "Max open files            1024                 4096                 files\n");
  Write(proc_.File("4243/limits"), "Max open files            7                    7  files\n");
  Write(proc_.File("cpuinfo"),
        "processor\t: 0\nphysical id\t: 0\ncore id\t: 0\n\n"
        "processor\t: 1\nphysical id\t: 0\ncore id\t: 1\n\n"
        "processor\t: 2\nphysical id\t: 0\ncore id\t: 1\n\n");
  Write(proc_.File("meminfo"), "MemTotal:       1000 kB\nSwapTotal:       0 kB\n");

  CadvisorMetrics metrics(
      options_, [this] { return pods_; }, &runtime_, &runtime_, &clock_);
  const std::string text = metrics.Render();
  const std::vector<std::string> container = {"container=\"app\"",    "namespace=\"ns\"",
                                              "pod=\"web\"",          "image=\"busybox:1\"",
                                              "name=\"" + cid + "\"", "id=\"/" + c + "\""};
  auto at = [&](const std::string& family, std::vector<std::string> extra = {}) {
    std::vector<std::string> labels = container;
    labels.insert(labels.end(), extra.begin(), extra.end());
    return Sample(text, family, labels);
  };
  EXPECT_EQ(at("container_cpu_usage_seconds_total", {"cpu=\"total\""}), 0.6);
  EXPECT_EQ(at("container_cpu_user_seconds_total"), 0.3);
  EXPECT_EQ(at("container_cpu_system_seconds_total"), 0.1);
  EXPECT_EQ(at("container_spec_cpu_shares"), 2);
  EXPECT_EQ(at("container_spec_cpu_period"), 100000);
  EXPECT_FALSE(at("container_spec_cpu_quota")) << "no quota";
  EXPECT_FALSE(at("container_cpu_cfs_periods_total")) << "only with a quota";
  EXPECT_EQ(at("container_spec_memory_limit_bytes"), 80'000'000);
  EXPECT_EQ(at("container_spec_memory_reservation_limit_bytes"), 0) << "unlimited reads 0";
  EXPECT_EQ(at("container_memory_usage_bytes"), 20 << 20);
  EXPECT_EQ(at("container_memory_working_set_bytes"), (20 << 20) - 1024);
  EXPECT_EQ(at("container_memory_rss"), 10485760);
  EXPECT_EQ(at("container_memory_cache"), 4096);
  EXPECT_EQ(at("container_memory_mapped_file"), 8192);
  EXPECT_EQ(at("container_memory_max_usage_bytes"), 30000000);
  EXPECT_EQ(at("container_memory_swap"), 0);
  EXPECT_EQ(
      at("container_memory_failures_total", {"failure_type=\"pgfault\"", "scope=\"container\""}),
      300);
  EXPECT_EQ(
      at("container_memory_failures_total", {"failure_type=\"pgmajfault\"", "scope=\"hierarchy\""}),
      3);
  EXPECT_EQ(at("container_oom_events_total"), 1);
  EXPECT_EQ(at("container_processes"), 2);
  EXPECT_EQ(at("container_file_descriptors"), 3);
  EXPECT_EQ(at("container_sockets"), 1);
  EXPECT_EQ(at("container_threads"), 3) << "pids.current";
  EXPECT_EQ(at("container_threads_max"), 0) << "max reads 0";
  EXPECT_EQ(at("container_ulimits_soft", {"ulimit=\"max_open_files\""}), 1024)
      << "the first process's";
  EXPECT_EQ(at("container_blkio_device_usage_total",
               {"major=\"254\"", "minor=\"0\"", "operation=\"Read\""}),
            8192);
  EXPECT_EQ(at("container_fs_reads_bytes_total"), 8192);
  EXPECT_EQ(at("container_fs_writes_bytes_total"), 4096);
  EXPECT_EQ(at("container_fs_reads_total"), 2);
  EXPECT_EQ(at("container_fs_writes_total"), 1);
  EXPECT_EQ(at("container_fs_usage_bytes"), cri::InMemoryRuntime::kWritableLayerBytes);
  EXPECT_EQ(at("container_last_seen"), absl::ToUnixSeconds(clock_.Now()));
  EXPECT_EQ(at("container_start_time_seconds"),
            absl::ToUnixSeconds(clock_.Now() - absl::Minutes(1)));
  EXPECT_EQ(at("container_pressure_cpu_waiting_seconds_total"), 0.001234);
  EXPECT_EQ(at("container_pressure_cpu_stalled_seconds_total"), 0.000099);

  // The pod's own series: no container, its network namespace's interfaces.
  const std::vector<std::string> pod = {"container=\"\"", "pod=\"web\"", "namespace=\"ns\"",
                                        "id=\"/cubelet/podu1\""};
  auto pod_labels = [&](std::vector<std::string> extra) {
    extra.insert(extra.end(), pod.begin(), pod.end());
    return extra;
  };
  EXPECT_EQ(
      Sample(text, "container_network_receive_bytes_total", pod_labels({"interface=\"eth0\""})),
      120);
  EXPECT_EQ(
      Sample(text, "container_network_transmit_bytes_total", pod_labels({"interface=\"eth0\""})),
      340);
  EXPECT_EQ(Sample(text, "container_memory_usage_bytes", pod), 30 << 20);

  // The root's: the node's filesystems and the system containers.
  const std::vector<std::string> root = {"container=\"\"", "id=\"/\"", "pod=\"\""};
  EXPECT_TRUE(Sample(text, "container_fs_limit_bytes", root));
  EXPECT_TRUE(Sample(text, "container_fs_inodes_total", root));
  EXPECT_EQ(Sample(text, "container_cpu_usage_seconds_total", root), 5);
  EXPECT_EQ(Sample(text, "container_cpu_usage_seconds_total", {"id=\"/cubelet\""}), 2);
  EXPECT_EQ(Sample(text, "container_cpu_usage_seconds_total", {"id=\"/agent\""}), 0.3)
      << "this process's cgroup (no --kubelet-cgroups)";
  EXPECT_EQ(Sample(text, "machine_cpu_cores", {}), 3);
  EXPECT_EQ(Sample(text, "machine_cpu_physical_cores", {}), 2);
  EXPECT_EQ(Sample(text, "machine_cpu_sockets", {}), 1);
  EXPECT_EQ(Sample(text, "machine_memory_bytes", {}), double{uint64_t{4} << 30})
      << "the machine's memory as the agent measured it";
  EXPECT_NE(text.find("container_scrape_error 0\n"), std::string::npos);
  // Each family's HELP and TYPE once, families in name order.
  EXPECT_NE(text.find("# HELP container_cpu_usage_seconds_total Cumulative cpu time consumed in "
                      "seconds.\n# TYPE container_cpu_usage_seconds_total counter\n"),
            std::string::npos);
  EXPECT_LT(text.find("# HELP container_cpu_usage"), text.find("# HELP container_memory_cache"));
}

}  // namespace
}  // namespace cubelet::stats

// A small Prometheus metrics registry: counters, gauges and histograms, with or
// without labels, plus gauge/counter families computed at scrape time, rendered
// in the text exposition format 0.0.4 (what GET /metrics serves).
//
//   metrics::Registry registry;
//   metrics::CounterVec* ops = registry.NewCounterVec(
//       "kubelet_runtime_operations_total", "Cumulative number of ...", {"operation_type"});
//   ops->WithLabels({"version"})->Inc();
//   std::string text = registry.Render();
//
// Ownership: the Registry owns every family and metric it hands out; the
// pointers stay valid until the registry is destroyed. Registering a name that
// already exists with the same type, label names (and buckets) returns the
// existing metric, so independent components may share one family (e.g. the
// instrumented runtime and image services). A conflicting registration (other
// type, labels or buckets; an invalid name) is logged and gets a working
// metric that is never rendered, so a mistake never crashes the agent.
//
// Thread-safety: everything may be called from any thread. Inc/Set/Add/Observe
// are lock-free (atomics); WithLabels takes a shared lock to find an existing
// child (cache the returned pointer on hot paths) and an exclusive one to add
// a child. Render() calls the scrape-time functions without holding the
// registry's lock, so they may use the registry themselves.
#ifndef CUBELET_METRICS_REGISTRY_H_
#define CUBELET_METRICS_REGISTRY_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <utility>
#include <vector>

namespace cubelet::metrics {

// A monotonically increasing value. Negative increments are ignored.
class Counter {
 public:
  void Inc(double v = 1);
  double Value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> value_{0};
};

// A value that goes up and down.
class Gauge {
 public:
  void Set(double v) { value_.store(v, std::memory_order_relaxed); }
  void Add(double v);
  double Value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> value_{0};
};

// Observations counted into buckets by upper bound (le), plus their sum and
// count. Rendering makes the buckets cumulative and adds le="+Inf".
class Histogram {
 public:
  // `buckets`: upper bounds; sorted and de-duplicated here, a trailing +Inf
  // and NaNs are dropped.
  explicit Histogram(std::vector<double> buckets);

  void Observe(double v);
  uint64_t Count() const;
  double Sum() const { return sum_.load(std::memory_order_relaxed); }

  const std::vector<double>& bounds() const { return bounds_; }
  // Non-cumulative count of bucket i; i == bounds().size() is the +Inf bucket.
  uint64_t BucketCount(size_t i) const { return counts_[i].load(std::memory_order_relaxed); }

 private:
  std::vector<double> bounds_;
  std::unique_ptr<std::atomic<uint64_t>[]> counts_;  // bounds_.size() + 1
  std::atomic<double> sum_{0};
};

// Prometheus' default buckets: .005 .01 .025 .05 .1 .25 .5 1 2.5 5 10.
std::vector<double> DefBuckets();
// `count` buckets: start, start*factor, start*factor^2, ... (empty if count < 1,
// start <= 0 or factor <= 1).
std::vector<double> ExponentialBuckets(double start, double factor, int count);

class Registry;

namespace internal {

enum class Type { kCounter, kGauge, kHistogram };

// What the registry keeps per metric name.
class FamilyBase {
 public:
  FamilyBase(std::string name, std::string help, Type type, std::vector<std::string> label_names)
      : name_(std::move(name)),
        help_(std::move(help)),
        type_(type),
        label_names_(std::move(label_names)) {}
  virtual ~FamilyBase() = default;
  FamilyBase(const FamilyBase&) = delete;
  FamilyBase& operator=(const FamilyBase&) = delete;

  const std::string& name() const { return name_; }
  const std::string& help() const { return help_; }
  Type type() const { return type_; }
  const std::vector<std::string>& label_names() const { return label_names_; }
  // Histogram families' bounds; empty for the others.
  virtual const std::vector<double>& buckets() const;
  // Whether the samples come from a scrape-time function.
  virtual bool is_func() const { return false; }

  // Appends HELP, TYPE and the samples; nothing when there are no samples.
  virtual void Render(std::string* out) const = 0;

 private:
  const std::string name_;
  const std::string help_;
  const Type type_;
  const std::vector<std::string> label_names_;
};

}  // namespace internal

// A metric name with a set of label names; one child metric per combination of
// label values. A family without label names has a single child, created at
// registration.
template <typename M>
class Family final : public internal::FamilyBase {
 public:
  // The child for `label_values` (one per label name, in order), created on
  // first use; the pointer stays valid for the registry's life. A wrong number
  // of values is logged and padded with "" or truncated.
  M* WithLabels(const std::vector<std::string>& label_values);

  const std::vector<double>& buckets() const override { return buckets_; }
  void Render(std::string* out) const override;

 private:
  friend class Registry;
  Family(std::string name, std::string help, internal::Type type,
         std::vector<std::string> label_names, std::vector<double> buckets);

  const std::vector<double> buckets_;  // histograms only
  mutable std::shared_mutex mu_;
  std::map<std::vector<std::string>, std::unique_ptr<M>> children_;  // guarded by mu_
};

using CounterVec = Family<Counter>;
using GaugeVec = Family<Gauge>;
using HistogramVec = Family<Histogram>;

extern template class Family<Counter>;
extern template class Family<Gauge>;
extern template class Family<Histogram>;

class Registry {
 public:
  // (label values, value) pairs produced at scrape time.
  using Samples = std::vector<std::pair<std::vector<std::string>, double>>;
  using SamplesFunc = std::function<Samples()>;

  Registry();
  ~Registry();
  Registry(const Registry&) = delete;
  Registry& operator=(const Registry&) = delete;

  Counter* NewCounter(std::string name, std::string help);
  CounterVec* NewCounterVec(std::string name, std::string help,
                            std::vector<std::string> label_names);
  Gauge* NewGauge(std::string name, std::string help);
  GaugeVec* NewGaugeVec(std::string name, std::string help, std::vector<std::string> label_names);
  Histogram* NewHistogram(std::string name, std::string help, std::vector<double> buckets);
  HistogramVec* NewHistogramVec(std::string name, std::string help,
                                std::vector<std::string> label_names, std::vector<double> buckets);

  // A gauge family whose samples are computed at scrape time: fn returns
  // (label values, value) pairs. Called on the scraping thread, without locks.
  void NewGaugeFunc(std::string name, std::string help, std::vector<std::string> label_names,
                    std::function<std::vector<std::pair<std::vector<std::string>, double>>()> fn);
  // The same for a counter (e.g. process_cpu_seconds_total).
  void NewCounterFunc(std::string name, std::string help, std::vector<std::string> label_names,
                      std::function<std::vector<std::pair<std::vector<std::string>, double>>()> fn);

  // The text exposition format 0.0.4, families sorted by name, children by
  // label values. Families without samples are left out.
  std::string Render() const;

 private:
  template <typename M>
  Family<M>* GetOrCreate(internal::Type type, std::string name, std::string help,
                         std::vector<std::string> label_names, std::vector<double> buckets);
  void AddFunc(internal::Type type, std::string name, std::string help,
               std::vector<std::string> label_names, SamplesFunc fn);
  // Checks names; on a problem logs it and returns false.
  static bool Valid(const std::string& name, const std::vector<std::string>& label_names,
                    internal::Type type);

  mutable std::mutex mu_;
  std::map<std::string, std::unique_ptr<internal::FamilyBase>> families_;  // guarded by mu_
  // Conflicting registrations: usable, never rendered. Guarded by mu_.
  std::vector<std::unique_ptr<internal::FamilyBase>> detached_;
};

// Registers process_resident_memory_bytes, process_virtual_memory_bytes,
// process_cpu_seconds_total (counter), process_start_time_seconds,
// process_open_fds, process_max_fds and process_threads, read from /proc/self
// at scrape time (client_golang's process collector). A value that cannot be
// read is left out of that scrape.
void RegisterProcessMetrics(Registry* registry);

// Text-format helpers, exposed for tests and other exporters.
// A sample value as Go's strconv.FormatFloat(v, 'g', -1, 64) writes it
// ("1", "0.005", "1.5e+06", "+Inf", "-Inf", "NaN").
std::string FormatValue(double v);
// Label value escaping: \ -> \\, " -> \", newline -> \n.
std::string EscapeLabelValue(const std::string& v);
// HELP text escaping: \ -> \\, newline -> \n.
std::string EscapeHelp(const std::string& v);

}  // namespace cubelet::metrics

#endif  // CUBELET_METRICS_REGISTRY_H_

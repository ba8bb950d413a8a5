#include "metrics/registry.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <string_view>
#include <type_traits>

#include "util/log.h"

namespace cubelet::metrics {
namespace {

// Sorted, unique, finite-or--Inf upper bounds without a trailing +Inf.
std::vector<double> NormalizeBuckets(std::vector<double> buckets) {
  buckets.erase(std::remove_if(buckets.begin(), buckets.end(),
                               [](double b) { return std::isnan(b) || b == INFINITY; }),
                buckets.end());
  std::sort(buckets.begin(), buckets.end());
  buckets.erase(std::unique(buckets.begin(), buckets.end()), buckets.end());
  return buckets;
}

const char* TypeName(internal::Type type) {
  switch (type) {
    case internal::Type::kCounter:
      return "counter";
    case internal::Type::kGauge:
      return "gauge";
    case internal::Type::kHistogram:
      return "histogram";
  }
  return "untyped";
}

void AppendHeader(const internal::FamilyBase& f, std::string* out) {
  out->append("# HELP ").append(f.name()).append(" ").append(EscapeHelp(f.help())).append("\n");
  out->append("# TYPE ").append(f.name()).append(" ").append(TypeName(f.type())).append("\n");
}

// `{a="x",b="y"}` (plus `le` when given); nothing without labels.
void AppendLabels(const std::vector<std::string>& names, const std::vector<std::string>& values,
                  const std::string* le, std::string* out) {
  if (names.empty() && le == nullptr) return;
  out->push_back('{');
  for (size_t i = 0; i < names.size(); ++i) {
    if (i > 0) out->push_back(',');
    out->append(names[i]).append("=\"");
    out->append(EscapeLabelValue(i < values.size() ? values[i] : std::string()));
    out->push_back('"');
  }
  if (le != nullptr) {
    if (!names.empty()) out->push_back(',');
    out->append("le=\"").append(*le).push_back('"');
  }
  out->push_back('}');
}

void AppendSample(const std::string& name, const std::vector<std::string>& label_names,
                  const std::vector<std::string>& values, double v, std::string* out) {
  out->append(name);
  AppendLabels(label_names, values, nullptr, out);
  out->push_back(' ');
  out->append(FormatValue(v)).push_back('\n');
}

void AppendChild(const internal::FamilyBase& f, const std::vector<std::string>& values,
                 const Counter& c, std::string* out) {
  AppendSample(f.name(), f.label_names(), values, c.Value(), out);
}

void AppendChild(const internal::FamilyBase& f, const std::vector<std::string>& values,
                 const Gauge& g, std::string* out) {
  AppendSample(f.name(), f.label_names(), values, g.Value(), out);
}

void AppendChild(const internal::FamilyBase& f, const std::vector<std::string>& values,
                 const Histogram& h, std::string* out) {
  const std::string bucket_name = f.name() + "_bucket";
  uint64_t cumulative = 0;
  const std::vector<double>& bounds = h.bounds();
  for (size_t i = 0; i <= bounds.size(); ++i) {
    cumulative += h.BucketCount(i);
    const std::string le = i < bounds.size() ? FormatValue(bounds[i]) : "+Inf";
    out->append(bucket_name);
    AppendLabels(f.label_names(), values, &le, out);
    out->push_back(' ');
    out->append(std::to_string(cumulative)).push_back('\n');
  }
  // The sum may lag the buckets by an observation in flight; the count is the
  // +Inf bucket, so the two always agree.
  AppendSample(f.name() + "_sum", f.label_names(), values, h.Sum(), out);
  out->append(f.name() + "_count");
  AppendLabels(f.label_names(), values, nullptr, out);
  out->push_back(' ');
  out->append(std::to_string(cumulative)).push_back('\n');
}

template <typename M>
std::unique_ptr<M> NewChild(const std::vector<double>& buckets) {
  if constexpr (std::is_same_v<M, Histogram>) {
    return std::make_unique<Histogram>(buckets);
  } else {
    return std::make_unique<M>();
  }
}

std::vector<std::string> FitLabelValues(const std::string& name, size_t want,
                                        const std::vector<std::string>& values) {
  LOG(ERROR) << "metric " << name << ": " << values.size() << " label values for " << want
             << " label names";
  std::vector<std::string> fixed = values;
  fixed.resize(want);
  return fixed;
}

// A family whose samples come from a function at scrape time.
class FuncFamily final : public internal::FamilyBase {
 public:
  FuncFamily(std::string name, std::string help, internal::Type type,
             std::vector<std::string> label_names, Registry::SamplesFunc fn)
      : FamilyBase(std::move(name), std::move(help), type, std::move(label_names)),
        fn_(std::move(fn)) {}

  bool is_func() const override { return true; }

  void Render(std::string* out) const override {
    if (!fn_) return;
    Registry::Samples samples = fn_();
    if (samples.empty()) return;
    for (auto& [values, v] : samples) {
      if (values.size() != label_names().size()) {
        values = FitLabelValues(name(), label_names().size(), values);
      }
    }
    std::stable_sort(samples.begin(), samples.end(),
                     [](const auto& a, const auto& b) { return a.first < b.first; });
    AppendHeader(*this, out);
    for (const auto& [values, v] : samples) AppendSample(name(), label_names(), values, v, out);
  }

 private:
  const Registry::SamplesFunc fn_;
};

bool IsMetricName(std::string_view s) {
  if (s.empty()) return false;
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':' ||
              (i > 0 && c >= '0' && c <= '9');
    if (!ok) return false;
  }
  return true;
}

bool IsLabelName(std::string_view s) {
  if (s.empty() || s.substr(0, 2) == "__") return false;
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
              (i > 0 && c >= '0' && c <= '9');
    if (!ok) return false;
  }
  return true;
}

}  // namespace

// ---- Counter, Gauge, Histogram ----

void Counter::Inc(double v) {
  if (!(v >= 0)) return;  // also drops NaN
  value_.fetch_add(v, std::memory_order_relaxed);
}

void Gauge::Add(double v) { value_.fetch_add(v, std::memory_order_relaxed); }

Histogram::Histogram(std::vector<double> buckets)
    : bounds_(NormalizeBuckets(std::move(buckets))),
      counts_(new std::atomic<uint64_t>[bounds_.size() + 1]) {
  for (size_t i = 0; i <= bounds_.size(); ++i) counts_[i].store(0, std::memory_order_relaxed);
}

void Histogram::Observe(double v) {
  // First bound >= v (v <= le); NaN lands in +Inf, as in client_golang.
  size_t i = std::isnan(v)
                 ? bounds_.size()
                 : static_cast<size_t>(std::lower_bound(bounds_.begin(), bounds_.end(), v) -
                                       bounds_.begin());
  counts_[i].fetch_add(1, std::memory_order_relaxed);
  sum_.fetch_add(v, std::memory_order_relaxed);
}

uint64_t Histogram::Count() const {
  uint64_t n = 0;
  for (size_t i = 0; i <= bounds_.size(); ++i) n += counts_[i].load(std::memory_order_relaxed);
  return n;
}

std::vector<double> DefBuckets() { return {.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10}; }

std::vector<double> ExponentialBuckets(double start, double factor, int count) {
  std::vector<double> out;
  if (count < 1 || !(start > 0) || !(factor > 1)) return out;
  out.reserve(static_cast<size_t>(count));
  double b = start;
  for (int i = 0; i < count; ++i) {
    out.push_back(b);
    b *= factor;
  }
  return out;
}

// ---- Families ----

namespace internal {
const std::vector<double>& FamilyBase::buckets() const {
  static const std::vector<double> kNone;
  return kNone;
}
}  // namespace internal

template <typename M>
Family<M>::Family(std::string name, std::string help, internal::Type type,
                  std::vector<std::string> label_names, std::vector<double> buckets)
    : FamilyBase(std::move(name), std::move(help), type, std::move(label_names)),
      buckets_(NormalizeBuckets(std::move(buckets))) {}

template <typename M>
M* Family<M>::WithLabels(const std::vector<std::string>& label_values) {
  if (label_values.size() != label_names().size()) {
    return WithLabels(FitLabelValues(name(), label_names().size(), label_values));
  }
  {
    std::shared_lock<std::shared_mutex> lock(mu_);
    auto it = children_.find(label_values);
    if (it != children_.end()) return it->second.get();
  }
  std::unique_lock<std::shared_mutex> lock(mu_);
  auto [it, inserted] = children_.try_emplace(label_values);
  if (inserted) it->second = NewChild<M>(buckets_);
  return it->second.get();
}

template <typename M>
void Family<M>::Render(std::string* out) const {
  std::shared_lock<std::shared_mutex> lock(mu_);
  if (children_.empty()) return;
  AppendHeader(*this, out);
  for (const auto& [values, child] : children_) AppendChild(*this, values, *child, out);
}

template class Family<Counter>;
template class Family<Gauge>;
template class Family<Histogram>;

// ---- Registry ----

Registry::Registry() = default;
Registry::~Registry() = default;

bool Registry::Valid(const std::string& name, const std::vector<std::string>& label_names,
                     internal::Type type) {
  if (!IsMetricName(name)) {
    LOG(ERROR) << "invalid metric name \"" << name << "\"; the metric is not exported";
    return false;
  }
  for (size_t i = 0; i < label_names.size(); ++i) {
    const std::string& l = label_names[i];
    bool reserved = type == internal::Type::kHistogram && l == "le";
    bool duplicate =
        std::find(label_names.begin(), label_names.begin() + i, l) != label_names.begin() + i;
    if (!IsLabelName(l) || reserved || duplicate) {
      LOG(ERROR) << "metric " << name << ": invalid label name \"" << l
                 << "\"; the metric is not exported";
      return false;
    }
  }
  return true;
}

template <typename M>
Family<M>* Registry::GetOrCreate(internal::Type type, std::string name, std::string help,
                                 std::vector<std::string> label_names,
                                 std::vector<double> buckets) {
  std::unique_ptr<Family<M>> family(new Family<M>(std::move(name), std::move(help), type,
                                                  std::move(label_names), std::move(buckets)));
  Family<M>* result = family.get();
  const bool valid = Valid(result->name(), result->label_names(), type);
  bool conflict = false;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (valid) {
      auto it = families_.find(result->name());
      if (it == families_.end()) {
        families_.emplace(result->name(), std::move(family));
        return result;
      }
      const internal::FamilyBase* existing = it->second.get();
      if (existing->type() == type && !existing->is_func() &&
          existing->label_names() == result->label_names() &&
          existing->buckets() == result->buckets()) {
        // Same type and not a function family: it is a Family<M>.
        return static_cast<Family<M>*>(it->second.get());
      }
      conflict = true;
    }
    detached_.push_back(std::move(family));
  }
  if (conflict) {
    LOG(ERROR) << "metric " << result->name()
               << " registered again with another type, labels or buckets; the second one is "
                  "not exported";
  }
  return result;
}

void Registry::AddFunc(internal::Type type, std::string name, std::string help,
                       std::vector<std::string> label_names, SamplesFunc fn) {
  if (!Valid(name, label_names, type)) return;
  auto family = std::make_unique<FuncFamily>(std::move(name), std::move(help), type,
                                             std::move(label_names), std::move(fn));
  std::string key = family->name();
  bool inserted;
  {
    std::lock_guard<std::mutex> lock(mu_);
    inserted = families_.try_emplace(key, std::move(family)).second;
  }
  if (!inserted) {
    LOG(ERROR) << "metric " << key << " is already registered; the function is not exported";
  }
}

Counter* Registry::NewCounter(std::string name, std::string help) {
  return GetOrCreate<Counter>(internal::Type::kCounter, std::move(name), std::move(help), {}, {})
      ->WithLabels({});
}

CounterVec* Registry::NewCounterVec(std::string name, std::string help,
                                    std::vector<std::string> label_names) {
  return GetOrCreate<Counter>(internal::Type::kCounter, std::move(name), std::move(help),
                              std::move(label_names), {});
}

Gauge* Registry::NewGauge(std::string name, std::string help) {
  return GetOrCreate<Gauge>(internal::Type::kGauge, std::move(name), std::move(help), {}, {})
      ->WithLabels({});
}

GaugeVec* Registry::NewGaugeVec(std::string name, std::string help,
                                std::vector<std::string> label_names) {
  return GetOrCreate<Gauge>(internal::Type::kGauge, std::move(name), std::move(help),
                            std::move(label_names), {});
}

Histogram* Registry::NewHistogram(std::string name, std::string help, std::vector<double> buckets) {
  return GetOrCreate<Histogram>(internal::Type::kHistogram, std::move(name), std::move(help), {},
                                std::move(buckets))
      ->WithLabels({});
}

HistogramVec* Registry::NewHistogramVec(std::string name, std::string help,
                                        std::vector<std::string> label_names,
                                        std::vector<double> buckets) {
  return GetOrCreate<Histogram>(internal::Type::kHistogram, std::move(name), std::move(help),
                                std::move(label_names), std::move(buckets));
}

void Registry::NewGaugeFunc(
    std::string name, std::string help, std::vector<std::string> label_names,
    std::function<std::vector<std::pair<std::vector<std::string>, double>>()> fn) {
  AddFunc(internal::Type::kGauge, std::move(name), std::move(help), std::move(label_names),
          std::move(fn));
}

void Registry::NewCounterFunc(
    std::string name, std::string help, std::vector<std::string> label_names,
    std::function<std::vector<std::pair<std::vector<std::string>, double>>()> fn) {
  AddFunc(internal::Type::kCounter, std::move(name), std::move(help), std::move(label_names),
          std::move(fn));
}

std::string Registry::Render() const {
  std::vector<const internal::FamilyBase*> families;
  {
    std::lock_guard<std::mutex> lock(mu_);
    families.reserve(families_.size());
    // Families are never removed, so the pointers outlive the lock.
    for (const auto& [name, family] : families_) families.push_back(family.get());
  }
  std::string out;
  for (const internal::FamilyBase* f : families) f->Render(&out);
  return out;
}

// ---- Text format ----

std::string FormatValue(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  // Shortest round-trip digits; Go's 'g' with precision -1 switches to the
  // exponent form when the exponent is < -4 or >= 6 (strconv.formatDigits
  // with eprec = 6 for the shortest representation).
  char buf[64];
  auto sci = std::to_chars(buf, buf + sizeof(buf), v, std::chars_format::scientific);
  std::string_view s(buf, static_cast<size_t>(sci.ptr - buf));
  size_t e = s.find('e');
  int exp = 0;
  if (e != std::string_view::npos) {
    std::string_view digits = s.substr(e + 1);
    bool negative = !digits.empty() && digits[0] == '-';
    if (!digits.empty() && (digits[0] == '-' || digits[0] == '+')) digits.remove_prefix(1);
    std::from_chars(digits.data(), digits.data() + digits.size(), exp);
    if (negative) exp = -exp;
  }
  if (exp < -4 || exp >= 6) return std::string(s);
  auto fixed = std::to_chars(buf, buf + sizeof(buf), v, std::chars_format::fixed);
  return std::string(buf, fixed.ptr);
}

std::string EscapeLabelValue(const std::string& v) {
  std::string out;
  out.reserve(v.size());
  for (char c : v) {
    switch (c) {
      case '\\':
        out += "\\\\";
        break;
      case '"':
        out += "\\\"";
        break;
      case '\n':
        out += "\\n";
        break;
      default:
        out.push_back(c);
    }
  }
  return out;
}

std::string EscapeHelp(const std::string& v) {
  std::string out;
  out.reserve(v.size());
  for (char c : v) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out.push_back(c);
    }
  }
  return out;
}

}  // namespace cubelet::metrics

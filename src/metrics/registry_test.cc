#include "metrics/registry.h"

#include <cmath>
#include <string>
#include <thread>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace cubelet::metrics {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;

TEST(FormatValueTest, MatchesGoShortestFormatting) {
  EXPECT_EQ(FormatValue(0), "0");
  EXPECT_EQ(FormatValue(1), "1");
  EXPECT_EQ(FormatValue(-3), "-3");
  EXPECT_EQ(FormatValue(0.005), "0.005");
  EXPECT_EQ(FormatValue(0.1), "0.1");
  EXPECT_EQ(FormatValue(2.5), "2.5");
  EXPECT_EQ(FormatValue(0.0001), "0.0001");
  EXPECT_EQ(FormatValue(0.00001), "1e-05");
  EXPECT_EQ(FormatValue(123456), "123456");
  EXPECT_EQ(FormatValue(1e6), "1e+06");
  EXPECT_EQ(FormatValue(1234567), "1.234567e+06");
  EXPECT_EQ(FormatValue(1.70000000012e9), "1.70000000012e+09");
  EXPECT_EQ(FormatValue(INFINITY), "+Inf");
  EXPECT_EQ(FormatValue(-INFINITY), "-Inf");
  EXPECT_EQ(FormatValue(NAN), "NaN");
}

TEST(BucketsTest, DefaultAndExponential) {
  EXPECT_THAT(DefBuckets(), ElementsAre(.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10));
  EXPECT_THAT(ExponentialBuckets(1, 2, 4), ElementsAre(1, 2, 4, 8));
  std::vector<double> kubelet = ExponentialBuckets(.005, 2.5, 14);
  ASSERT_EQ(kubelet.size(), 14u);
  EXPECT_DOUBLE_EQ(kubelet[0], .005);
  EXPECT_DOUBLE_EQ(kubelet[13], .005 * std::pow(2.5, 13));
  EXPECT_THAT(ExponentialBuckets(0, 2, 3), IsEmpty());
  EXPECT_THAT(ExponentialBuckets(1, 1, 3), IsEmpty());
  EXPECT_THAT(ExponentialBuckets(1, 2, 0), IsEmpty());
}

TEST(RegistryTest, RendersCountersAndGaugesSortedByName) {
  Registry r;
  Counter* c = r.NewCounter("b_total", "A counter.");
  Gauge* g = r.NewGauge("a_gauge", "A gauge.");
  CounterVec* v = r.NewCounterVec("c_total", "Labelled.", {"op", "code"});
  c->Inc();
  c->Inc(2.5);
  g->Set(7);
  g->Add(-2);
  v->WithLabels({"list", "ok"})->Inc();
  v->WithLabels({"create", "err"})->Inc(3);
  EXPECT_EQ(c->Value(), 3.5);
  EXPECT_EQ(g->Value(), 5);
  EXPECT_EQ(r.Render(),
            "# HELP a_gauge A gauge.\n"
            "# TYPE a_gauge gauge\n"
            "a_gauge 5\n"
            "# HELP b_total A counter.\n"
            "# TYPE b_total counter\n"
            "b_total 3.5\n"
            "# HELP c_total Labelled.\n"
            "# TYPE c_total counter\n"
            "c_total{op=\"create\",code=\"err\"} 3\n"
            "c_total{op=\"list\",code=\"ok\"} 1\n");
}

TEST(RegistryTest, UnlabelledMetricsRenderAtZeroAndEmptyFamiliesNot) {
  Registry r;
  r.NewCounter("zero_total", "Never incremented.");
  r.NewGaugeVec("empty", "No children yet.", {"x"});
  EXPECT_EQ(r.Render(),
            "# HELP zero_total Never incremented.\n"
            "# TYPE zero_total counter\n"
            "zero_total 0\n");
}

TEST(RegistryTest, CounterIgnoresNegativeIncrements) {
  Registry r;
  Counter* c = r.NewCounter("c_total", "c");
  c->Inc(2);
  c->Inc(-1);
  c->Inc(NAN);
  EXPECT_EQ(c->Value(), 2);
}

TEST(RegistryTest, EscapesLabelValuesAndHelp) {
  Registry r;
  r.NewGaugeVec("g", "Help with \\ and\nnewline \"quotes\" kept.", {"path"})
      ->WithLabels({"C:\\dir \"x\"\nnext"})
      ->Set(1);
  EXPECT_EQ(r.Render(),
            "# HELP g Help with \\\\ and\\nnewline \"quotes\" kept.\n"
            "# TYPE g gauge\n"
            "g{path=\"C:\\\\dir \\\"x\\\"\\nnext\"} 1\n");
}

TEST(RegistryTest, HistogramBucketsAreCumulative) {
  Registry r;
  Histogram* h = r.NewHistogram("latency_seconds", "Latency.", {1, 0.5, 2, 2, INFINITY});
  EXPECT_THAT(h->bounds(), ElementsAre(0.5, 1, 2));
  h->Observe(0.1);
  h->Observe(0.5);  // le is inclusive
  h->Observe(0.7);
  h->Observe(1.5);
  h->Observe(3);
  h->Observe(100);
  EXPECT_EQ(h->Count(), 6u);
  EXPECT_DOUBLE_EQ(h->Sum(), 105.8);
  EXPECT_EQ(r.Render(),
            "# HELP latency_seconds Latency.\n"
            "# TYPE latency_seconds histogram\n"
            "latency_seconds_bucket{le=\"0.5\"} 2\n"
            "latency_seconds_bucket{le=\"1\"} 3\n"
            "latency_seconds_bucket{le=\"2\"} 4\n"
            "latency_seconds_bucket{le=\"+Inf\"} 6\n"
            "latency_seconds_sum 105.8\n"
            "latency_seconds_count 6\n");
}

TEST(RegistryTest, HistogramVecPutsLeAfterTheLabels) {
  Registry r;
  HistogramVec* v = r.NewHistogramVec("op_seconds", "Ops.", {"operation_type"}, {0.1, 1});
  v->WithLabels({"version"})->Observe(0.05);
  v->WithLabels({"status"})->Observe(5);
  EXPECT_EQ(r.Render(),
            "# HELP op_seconds Ops.\n"
            "# TYPE op_seconds histogram\n"
            "op_seconds_bucket{operation_type=\"status\",le=\"0.1\"} 0\n"
            "op_seconds_bucket{operation_type=\"status\",le=\"1\"} 0\n"
            "op_seconds_bucket{operation_type=\"status\",le=\"+Inf\"} 1\n"
            "op_seconds_sum{operation_type=\"status\"} 5\n"
            "op_seconds_count{operation_type=\"status\"} 1\n"
            "op_seconds_bucket{operation_type=\"version\",le=\"0.1\"} 1\n"
            "op_seconds_bucket{operation_type=\"version\",le=\"1\"} 1\n"
            "op_seconds_bucket{operation_type=\"version\",le=\"+Inf\"} 1\n"
            "op_seconds_sum{operation_type=\"version\"} 0.05\n"
            "op_seconds_count{operation_type=\"version\"} 1\n");
}

TEST(RegistryTest, HistogramNaNGoesToInfBucket) {
  Histogram h({1});
  h.Observe(NAN);
  EXPECT_EQ(h.BucketCount(0), 0u);
  EXPECT_EQ(h.BucketCount(1), 1u);
}

TEST(RegistryTest, GaugeFuncIsComputedAtScrapeTime) {
  Registry r;
  int calls = 0;
  r.NewGaugeFunc("pods", "Pods by phase.", {"phase"}, [&calls] {
    ++calls;
    return std::vector<std::pair<std::vector<std::string>, double>>{
        {{"Running"}, 2}, {{"Pending"}, static_cast<double>(calls)}};
  });
  r.NewCounterFunc("cpu_total", "CPU.", {}, [] {
    return std::vector<std::pair<std::vector<std::string>, double>>{{{}, 1.25}};
  });
  r.NewGaugeFunc("nothing", "No samples.", {},
                 [] { return std::vector<std::pair<std::vector<std::string>, double>>{}; });
  EXPECT_EQ(calls, 0);
  EXPECT_EQ(r.Render(),
            "# HELP cpu_total CPU.\n"
            "# TYPE cpu_total counter\n"
            "cpu_total 1.25\n"
            "# HELP pods Pods by phase.\n"
            "# TYPE pods gauge\n"
            "pods{phase=\"Pending\"} 1\n"
            "pods{phase=\"Running\"} 2\n");
  EXPECT_THAT(r.Render(), HasSubstr("pods{phase=\"Pending\"} 2\n"));
}

TEST(RegistryTest, SameRegistrationReturnsTheSameMetric) {
  Registry r;
  CounterVec* a = r.NewCounterVec("ops_total", "Ops.", {"op"});
  CounterVec* b = r.NewCounterVec("ops_total", "Ops.", {"op"});
  EXPECT_EQ(a, b);
  EXPECT_EQ(r.NewCounter("one_total", "x"), r.NewCounter("one_total", "x"));
  HistogramVec* h1 = r.NewHistogramVec("h", "h", {"op"}, {1, 2});
  EXPECT_EQ(h1, r.NewHistogramVec("h", "h", {"op"}, {2, 1}));
}

TEST(RegistryTest, ConflictingRegistrationIsUsableButNotExported) {
  Registry r;
  r.NewCounterVec("x_total", "Ops.", {"op"})->WithLabels({"a"})->Inc();
  GaugeVec* other_type = r.NewGaugeVec("x_total", "Other.", {"op"});
  CounterVec* other_labels = r.NewCounterVec("x_total", "Ops.", {"kind"});
  HistogramVec* h = r.NewHistogramVec("h", "h", {}, {1});
  h->WithLabels({});
  HistogramVec* other_buckets = r.NewHistogramVec("h", "h", {}, {2});
  EXPECT_NE(h, other_buckets);
  other_type->WithLabels({"a"})->Set(100);
  other_labels->WithLabels({"b"})->Inc(100);
  other_buckets->WithLabels({})->Observe(1);
  Counter* bad_name = r.NewCounter("bad-name", "x");
  bad_name->Inc();
  CounterVec* bad_label = r.NewCounterVec("bad_label_total", "x", {"__reserved"});
  bad_label->WithLabels({"v"})->Inc();
  HistogramVec* le = r.NewHistogramVec("le_seconds", "x", {"le"}, {1});
  le->WithLabels({"v"})->Observe(1);
  r.NewGaugeFunc("x_total", "dup", {}, [] {
    return std::vector<std::pair<std::vector<std::string>, double>>{{{}, 1}};
  });

  std::string text = r.Render();
  EXPECT_THAT(text, HasSubstr("x_total{op=\"a\"} 1\n"));
  EXPECT_THAT(text, Not(HasSubstr("100")));
  EXPECT_THAT(text, Not(HasSubstr("bad")));
  EXPECT_THAT(text, Not(HasSubstr("le_seconds")));
  EXPECT_THAT(text, Not(HasSubstr("dup")));
  EXPECT_THAT(text, HasSubstr("h_count 0\n"));
}

TEST(RegistryTest, WrongNumberOfLabelValuesIsFixedUp) {
  Registry r;
  CounterVec* v = r.NewCounterVec("x_total", "x", {"a", "b"});
  v->WithLabels({"1"})->Inc();
  v->WithLabels({"1", "2", "3"})->Inc();
  EXPECT_EQ(v->WithLabels({"1", ""})->Value(), 1);
  EXPECT_EQ(v->WithLabels({"1", "2"})->Value(), 1);
}

TEST(RegistryTest, ConcurrentIncrementsAndObservationsAreNotLost) {
  Registry r;
  Counter* c = r.NewCounter("c_total", "c");
  CounterVec* vec = r.NewCounterVec("v_total", "v", {"worker"});
  Gauge* g = r.NewGauge("g", "g");
  Histogram* h = r.NewHistogram("h", "h", {0.5});
  constexpr int kThreads = 8;
  constexpr int kPerThread = 20000;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        c->Inc();
        vec->WithLabels({std::to_string(i % 4)})->Inc();
        g->Add(1);
        h->Observe(t % 2 == 0 ? 0.25 : 1);
        if (i % 1000 == 0) r.Render();  // scraping concurrently with updates
      }
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(c->Value(), kThreads * kPerThread);
  EXPECT_EQ(g->Value(), kThreads * kPerThread);
  double sum = 0;
  for (int i = 0; i < 4; ++i) sum += vec->WithLabels({std::to_string(i)})->Value();
  EXPECT_EQ(sum, kThreads * kPerThread);
  EXPECT_EQ(h->Count(), uint64_t{kThreads} * kPerThread);
  EXPECT_EQ(h->BucketCount(0), uint64_t{kThreads / 2} * kPerThread);
  EXPECT_THAT(r.Render(), HasSubstr("c_total 160000\n"));
}

}  // namespace
}  // namespace cubelet::metrics

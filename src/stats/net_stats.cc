#include "stats/net_stats.h"

#include <fstream>
#include <sstream>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace cubelet::stats {

std::vector<InterfaceStats> ParseNetDev(absl::string_view text) {
  std::vector<InterfaceStats> out;
  for (absl::string_view line : absl::StrSplit(text, '\n', absl::SkipEmpty())) {
    // "  eth0: rx_bytes rx_packets rx_errs rx_drop rx_fifo rx_frame rx_compressed
    //   rx_multicast tx_bytes tx_packets tx_errs ..."
    std::pair<absl::string_view, absl::string_view> parts =
        absl::StrSplit(line, absl::MaxSplits(':', 1));
    const absl::string_view name = absl::StripAsciiWhitespace(parts.first);
    if (name.empty() || absl::StrContains(name, '|') || absl::StrContains(name, ' ')) continue;
    if (name == "lo" || absl::StartsWith(name, "veth")) continue;
    std::vector<absl::string_view> f = absl::StrSplit(parts.second, ' ', absl::SkipEmpty());
    if (f.size() < 12) continue;
    InterfaceStats s;
    s.name = std::string(name);
    const std::pair<int, uint64_t*> fields[] = {
        {0, &s.rx_bytes}, {1, &s.rx_packets}, {2, &s.rx_errors},  {3, &s.rx_dropped},
        {8, &s.tx_bytes}, {9, &s.tx_packets}, {10, &s.tx_errors}, {11, &s.tx_dropped}};
    bool ok = true;
    for (auto [index, field] : fields) ok = ok && absl::SimpleAtoi(f[index], field);
    if (ok) out.push_back(std::move(s));
  }
  return out;
}

absl::StatusOr<std::vector<InterfaceStats>> ReadNetDev(int pid, const std::string& proc) {
  const std::string file = absl::StrCat(proc, "/", pid, "/net/dev");
  std::ifstream in(file);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot read ", file));
  std::stringstream ss;
  ss << in.rdbuf();
  return ParseNetDev(ss.str());
}

}  // namespace cubelet::stats

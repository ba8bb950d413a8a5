// Column alignment the way Go's text/tabwriter does it, the layout behind
// kubectl's tables (min width 6, padding 3) and `kubectl describe` (min width
// 0, padding 2).
//
// Input is text whose cells end with '\t'; the text after a line's last tab is
// trailing text and never padded. A column is aligned over each run of
// consecutive lines that have a tab-terminated cell in it, so a line without
// that many cells ends the block (as upstream's format() does). Widths count
// UTF-8 code points. Output keeps the input's newlines; nothing is trimmed.
//
// Stateless; safe from any thread.
#ifndef CUBELET_CLI_TABWRITER_H_
#define CUBELET_CLI_TABWRITER_H_

#include <string>
#include <string_view>

namespace cubelet::cli {

// Aligns `text`: each tab-terminated cell is padded with spaces to
// max(min_width, widest cell in its column block + padding).
std::string AlignTabs(std::string_view text, int min_width, int padding);

// The parameters kubectl's table printer uses (cli-runtime's tabwriter).
inline constexpr int kTableMinWidth = 6;
inline constexpr int kTablePadding = 3;
// The parameters `kubectl describe` uses.
inline constexpr int kDescribeMinWidth = 0;
inline constexpr int kDescribePadding = 2;

}  // namespace cubelet::cli

#endif  // CUBELET_CLI_TABWRITER_H_

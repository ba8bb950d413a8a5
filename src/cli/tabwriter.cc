#include "cli/tabwriter.h"

#include <algorithm>
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace cubelet::cli {
namespace {

// UTF-8 code points (continuation bytes are not counted).
int Width(std::string_view s) {
  int n = 0;
  for (unsigned char c : s) {
    if ((c & 0xC0) != 0x80) ++n;
  }
  return n;
}

// A port of text/tabwriter's Writer.format/writeLines for space padding and
// no flags.
class Formatter {
 public:
  Formatter(const std::vector<std::vector<std::string_view>>& lines, int min_width, int padding)
      : lines_(lines), min_width_(min_width), padding_(padding) {}

  std::string Run() {
    Format(0, lines_.size());
    return std::move(out_);
  }

 private:
  // Whether `line` has a tab-terminated cell in `column` (its last cell is
  // trailing text, not part of any column).
  static bool HasCell(const std::vector<std::string_view>& line, size_t column) {
    return column + 1 < line.size();
  }

  void Format(size_t line0, size_t line1) {
    const size_t column = widths_.size();
    for (size_t i = line0; i < line1; ++i) {
      if (!HasCell(lines_[i], column)) continue;
      // A column block starts at line i: print the lines before it.
      WriteLines(line0, i);
      line0 = i;
      int width = min_width_;
      for (; i < line1 && HasCell(lines_[i], column); ++i) {
        width = std::max(width, Width(lines_[i][column]) + padding_);
      }
      // Format the columns to the right within this block.
      widths_.push_back(width);
      Format(line0, i);
      widths_.pop_back();
      line0 = i;
    }
    WriteLines(line0, line1);
  }

  void WriteLines(size_t line0, size_t line1) {
    for (size_t i = line0; i < line1; ++i) {
      const std::vector<std::string_view>& line = lines_[i];
      for (size_t j = 0; j < line.size(); ++j) {
        out_.append(line[j]);
        if (j < widths_.size()) out_.append(widths_[j] - Width(line[j]), ' ');
      }
      if (i + 1 < lines_.size()) out_.push_back('\n');
    }
  }

  const std::vector<std::vector<std::string_view>>& lines_;
  const int min_width_;
  const int padding_;
  std::vector<int> widths_;
  std::string out_;
};

}  // namespace

std::string AlignTabs(std::string_view text, int min_width, int padding) {
  // Lines split on '\n'; a trailing newline leaves an empty last line, which
  // writes nothing, so the output ends with the same newline.
  std::vector<std::vector<std::string_view>> lines;
  size_t pos = 0;
  while (true) {
    size_t end = text.find('\n', pos);
    std::string_view line =
        text.substr(pos, end == std::string_view::npos ? std::string_view::npos : end - pos);
    std::vector<std::string_view> cells;
    size_t cell_start = 0;
    while (true) {
      size_t tab = line.find('\t', cell_start);
      if (tab == std::string_view::npos) {
        cells.push_back(line.substr(cell_start));
        break;
      }
      cells.push_back(line.substr(cell_start, tab - cell_start));
      cell_start = tab + 1;
    }
    lines.push_back(std::move(cells));
    if (end == std::string_view::npos) break;
    pos = end + 1;
  }
  return Formatter(lines, min_width, padding).Run();
}

}  // namespace cubelet::cli

#include "cli/tabwriter.h"

#include "gtest/gtest.h"

namespace cubelet::cli {
namespace {

TEST(AlignTabsTest, PadsColumnsToWidestCellPlusPadding) {
  EXPECT_EQ(AlignTabs("a\tbb\tc\naaa\tb\tc\n", 0, 2), "a    bb  c\naaa  b   c\n");
}

TEST(AlignTabsTest, MinWidthApplies) { EXPECT_EQ(AlignTabs("a\tb\n", 6, 3), "a     b\n"); }

TEST(AlignTabsTest, TrailingTextIsNeverPadded) {
  EXPECT_EQ(AlignTabs("x\tlong trailing text\nxx\ty\n", 0, 1), "x  long trailing text\nxx y\n");
}

TEST(AlignTabsTest, LineWithoutTabEndsTheBlock) {
  // As Go's tabwriter: the heading splits the two blocks, each aligned alone.
  EXPECT_EQ(AlignTabs("a:\tx\nheading\nlonger:\ty\n", 0, 2), "a:  x\nheading\nlonger:  y\n");
}

TEST(AlignTabsTest, NestedColumnsOnlyWhereLinesHaveThem) {
  // Column 1 exists only on lines 1-2; line 3 has a wider column 0 only.
  EXPECT_EQ(AlignTabs("a\tb\tc\naa\tbbb\tc\naaaa\td\n", 0, 1), "a    b   c\naa   bbb c\naaaa d\n");
}

TEST(AlignTabsTest, EmptyCellsArePadded) {
  EXPECT_EQ(AlignTabs("IP:\t\nName:\tweb\n", 0, 2), "IP:    \nName:  web\n");
}

TEST(AlignTabsTest, CountsCodePointsNotBytes) {
  EXPECT_EQ(AlignTabs("\xC3\xA9\tx\nab\ty\n", 0, 1), "\xC3\xA9  x\nab y\n");
}

TEST(AlignTabsTest, KeepsMissingFinalNewline) {
  EXPECT_EQ(AlignTabs("a\tb", 0, 1), "a b");
  EXPECT_EQ(AlignTabs("", 0, 1), "");
}

}  // namespace
}  // namespace cubelet::cli

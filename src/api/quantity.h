// Kubernetes resource quantities ("100m", "0.5", "64Mi", "1G", "1e3") read as
// integers, with the rounding rules of resource.Quantity: MilliValue() and
// Value() both round up (towards +infinity), so a request is never understated.
//
// Pure functions over strings; no state, safe from any thread.
#ifndef CUBELET_API_QUANTITY_H_
#define CUBELET_API_QUANTITY_H_

#include <cstdint>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace cubelet::api {

// The upstream grammar, quoted in error messages so users can fix the input.
inline constexpr char kQuantityGrammarMessage[] =
    "quantities must match the regular expression "
    "'^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'";

// The value in thousandths ("100m" -> 100, "2" -> 2000), as for CPU millicores.
// InvalidArgument on bad syntax, OutOfRange when the result does not fit int64.
absl::StatusOr<int64_t> ParseMilliValue(std::string_view quantity);

// The value in units ("64Mi" -> 67108864, "1G" -> 1000000000, "0.5" -> 1), as
// for bytes. Same errors as ParseMilliValue.
absl::StatusOr<int64_t> ParseValue(std::string_view quantity);

// OK when `quantity` is syntactically valid, whatever its magnitude.
absl::Status ValidateQuantitySyntax(std::string_view quantity);

// True when a syntactically valid quantity is below zero ("-1", "-0.5m").
// False for invalid input.
bool IsNegativeQuantity(std::string_view quantity);

}  // namespace cubelet::api

#endif  // CUBELET_API_QUANTITY_H_

#pragma once
// Prometheus text exposition format 0.0.4: metric families as plain values
// and the function that writes them ("# HELP", "# TYPE", samples with
// escaped labels, histograms as _bucket{le=...}/_sum/_count). Pure; no
// state, no threads.

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace reportd::daemon::prom {

using Labels = std::vector<std::pair<std::string, std::string>>;

// Cumulative on output: counts[i] is the number of observations in
// (bounds[i-1], bounds[i]]; the last count is the +Inf overflow, so
// counts.size() == bounds.size() + 1.
struct Histogram {
  std::vector<double> bounds;  // upper bounds, ascending
  std::vector<std::uint64_t> counts;
  double sum = 0;

  explicit Histogram(std::vector<double> upper_bounds = {});
  void observe(double value);
  std::uint64_t count() const;
};

struct Sample {
  Labels labels;
  double value = 0;  // counter/gauge value; unused for histograms
  Histogram histogram;
};

enum class Type { kCounter, kGauge, kHistogram };

struct Family {
  std::string name;  // counters end in _total
  std::string help;
  Type type = Type::kGauge;
  std::vector<Sample> samples;
};

// Label values: backslash, double quote and line feed are escaped.
std::string escape_label_value(std::string_view v);
// HELP text: backslash and line feed are escaped.
std::string escape_help(std::string_view v);
// Integers without a fraction, others shortest round-trip, NaN, +Inf, -Inf.
std::string format_value(double v);

// Appends one family. A family without samples still gets HELP and TYPE.
void render(const Family& family, std::string& out);
std::string render(const std::vector<Family>& families);

}  // namespace reportd::daemon::prom

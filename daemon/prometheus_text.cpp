#include "daemon/prometheus_text.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>

namespace reportd::daemon::prom {
namespace {

std::string_view type_name(Type t) {
  switch (t) {
    case Type::kCounter:
      return "counter";
    case Type::kGauge:
      return "gauge";
    case Type::kHistogram:
      return "histogram";
  }
  return "untyped";
}

// {a="x",b="y"} plus an optional extra label (le for buckets).
void append_labels(const Labels& labels, std::string_view extra_name, std::string_view extra_value,
                   std::string& out) {
  if (labels.empty() && extra_name.empty()) return;
  out += '{';
  bool first = true;
  for (const auto& [k, v] : labels) {
    if (!first) out += ',';
    first = false;
    out += k;
    out += "=\"";
    out += escape_label_value(v);
    out += '"';
  }
  if (!extra_name.empty()) {
    if (!first) out += ',';
    out += extra_name;
    out += "=\"";
    out += extra_value;
    out += '"';
  }
  out += '}';
}

void append_sample(std::string_view name, const Labels& labels, std::string_view extra_name,
                   std::string_view extra_value, double value, std::string& out) {
  out += name;
  append_labels(labels, extra_name, extra_value, out);
  out += ' ';
  out += format_value(value);
  out += '\n';
}

}  // namespace

Histogram::Histogram(std::vector<double> upper_bounds)
    : bounds(std::move(upper_bounds)), counts(bounds.size() + 1, 0) {}

void Histogram::observe(double value) {
  // The first bucket whose upper bound holds the value (le is inclusive).
  auto it = std::lower_bound(bounds.begin(), bounds.end(), value);
  ++counts[static_cast<std::size_t>(it - bounds.begin())];
  sum += value;
}

std::uint64_t Histogram::count() const {
  std::uint64_t n = 0;
  for (std::uint64_t c : counts) n += c;
  return n;
}

std::string escape_label_value(std::string_view v) {
  std::string out;
  out.reserve(v.size());
  for (char c : v) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '"') {
      out += "\\\"";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

std::string escape_help(std::string_view v) {
  std::string out;
  out.reserve(v.size());
  for (char c : v) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

std::string format_value(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  // Whole numbers up to 2^53 print without an exponent or a fraction.
  if (v == std::trunc(v) && std::fabs(v) < 9007199254740992.0) {
    return std::to_string(static_cast<long long>(v));
  }
  char buf[64];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
  if (ec != std::errc()) return "NaN";
  return std::string(buf, end);
}

void render(const Family& f, std::string& out) {
  out += "# HELP ";
  out += f.name;
  out += ' ';
  out += escape_help(f.help);
  out += "\n# TYPE ";
  out += f.name;
  out += ' ';
  out += type_name(f.type);
  out += '\n';
  for (const Sample& s : f.samples) {
    if (f.type != Type::kHistogram) {
      append_sample(f.name, s.labels, {}, {}, s.value, out);
      continue;
    }
    const Histogram& h = s.histogram;
    std::uint64_t cumulative = 0;
    for (std::size_t i = 0; i < h.bounds.size(); ++i) {
      cumulative += h.counts[i];
      append_sample(f.name + "_bucket", s.labels, "le", format_value(h.bounds[i]),
                    static_cast<double>(cumulative), out);
    }
    cumulative += h.counts.back();
    append_sample(f.name + "_bucket", s.labels, "le", "+Inf", static_cast<double>(cumulative), out);
    append_sample(f.name + "_sum", s.labels, {}, {}, h.sum, out);
    append_sample(f.name + "_count", s.labels, {}, {}, static_cast<double>(cumulative), out);
  }
}

std::string render(const std::vector<Family>& families) {
  std::string out;
  for (const Family& f : families) render(f, out);
  return out;
}

}  // namespace reportd::daemon::prom

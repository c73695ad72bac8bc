// write_g16 against printf("%.16G") itself, on values of every kind.
#include "jobs/render/number_g16.hpp"

#include <doctest/doctest.h>

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <limits>
#include <random>
#include <string>

namespace reportd::render {
namespace {

std::string g16(double v) {
  char buf[kG16TextMax];
  return std::string(buf, write_g16(buf, v));
}

std::string printf_g16(double v) {
  char buf[64];
  const int n = std::snprintf(buf, sizeof buf, "%.16G", v);
  return std::string(buf, static_cast<std::size_t>(n));
}

// Counts mismatches and shows the first few.
struct Compare {
  int mismatches = 0;
  void operator()(double v) {
    if (!std::isfinite(v)) return;
    const std::string got = g16(v);
    const std::string want = printf_g16(v);
    if (got != want && ++mismatches <= 5) {
      char exact[64];
      std::snprintf(exact, sizeof exact, "%.17g", v);
      MESSAGE("value ", exact, ": got ", got, ", printf gives ", want);
    }
  }
};

TEST_CASE("g16: the values a sheet holds, as printf writes them") {
  CHECK(g16(0) == "0");
  CHECK(g16(-0.0) == "-0");
  CHECK(g16(9.7) == "9.699999999999999");
  CHECK(g16(0.1) == "0.1");
  CHECK(g16(100.5) == "100.5");
  CHECK(g16(-1234.5) == "-1234.5");
  CHECK(g16(45231) == "45231");
  CHECK(g16(1e15) == "1000000000000000");
  CHECK(g16(1e16) == "1E+16");
  CHECK(g16(0.0001) == "0.0001");
  CHECK(g16(0.00001) == "1E-05");
  CHECK(g16(1234567890123456.5) == "1234567890123456");  // a tie, to even
  CHECK(g16(1234567890123457.5) == "1234567890123458");
  CHECK(g16(std::numeric_limits<double>::max()) == printf_g16(std::numeric_limits<double>::max()));
  CHECK(g16(std::numeric_limits<double>::denorm_min()) ==
        printf_g16(std::numeric_limits<double>::denorm_min()));
}

TEST_CASE("g16: equal to printf on random doubles, decimals, serial dates and edges") {
  std::mt19937_64 rng(20261206);
  Compare cmp;
  for (int i = 0; i < 100000; ++i) {  // any bit pattern
    std::uint64_t bits = rng();
    double v;
    std::memcpy(&v, &bits, sizeof v);
    cmp(v);
  }
  for (int i = 0; i < 100000; ++i) {  // decimals of 1-17 digits, as Salesforce sends them
    const int digits = 1 + static_cast<int>(rng() % 17);
    const auto mantissa =
        static_cast<double>(rng() % static_cast<std::uint64_t>(std::pow(10, digits)));
    const int scale = static_cast<int>(rng() % 24) - 8;
    cmp(mantissa / std::pow(10.0, scale));
    cmp(-mantissa * std::pow(10.0, -scale));
  }
  for (int i = 0; i < 100000; ++i) {  // Excel serials of datetimes in milliseconds
    const auto days = static_cast<double>(rng() % 80000);
    const auto ms = static_cast<double>(rng() % 86400000);
    cmp(days + ms / 86400000.0);
  }
  for (int e = -6; e <= 18; ++e) {  // each side of every power of ten, and halves
    double p = std::pow(10.0, e);
    for (int j = 0; j < 64; ++j) {
      cmp(p);
      cmp(p + 0.5);
      p = std::nextafter(p, 0.0);
    }
    p = std::pow(10.0, e);
    for (int j = 0; j < 64; ++j) {
      p = std::nextafter(p, 1e300);
      cmp(p);
    }
  }
  for (int i = 0; i < 100000; ++i) {  // 16 digits then a 5: ties and near-ties
    const double whole = static_cast<double>(rng() % 4000000000000000ULL);
    cmp(whole + 0.5);
    cmp(whole / 8.0);
  }
  CHECK(cmp.mismatches == 0);
}

}  // namespace
}  // namespace reportd::render

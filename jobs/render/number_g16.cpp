#include "jobs/render/number_g16.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstring>

namespace reportd::render {
namespace {

__extension__ typedef unsigned __int128 u128;

constexpr std::uint64_t kPow10[20] = {
    1ULL,
    10ULL,
    100ULL,
    1000ULL,
    10000ULL,
    100000ULL,
    1000000ULL,
    10000000ULL,
    100000000ULL,
    1000000000ULL,
    10000000000ULL,
    100000000000ULL,
    1000000000000ULL,
    10000000000000ULL,
    100000000000000ULL,
    1000000000000000ULL,
    10000000000000000ULL,
    100000000000000000ULL,
    1000000000000000000ULL,
    10000000000000000000ULL,
};
constexpr std::uint64_t kLow16 = kPow10[15];   // the least 16-digit number
constexpr std::uint64_t kHigh16 = kPow10[16];  // the least 17-digit number

char* write_by_to_chars(char* out, double v) {
  auto r = std::to_chars(out, out + kG16TextMax, v, std::chars_format::general, 16);
  for (char* p = out; p != r.ptr; ++p) {
    if (*p == 'e') *p = 'E';
  }
  return r.ptr;
}

// floor(v * 10^k) for v = m * 2^q (q < 0, so v * 10^k = m * 10^k / 2^-q
// exactly), and whether the dropped part is below, at or above a half.
struct Scaled {
  std::uint64_t floor;
  int half;  // -1 below, 0 exactly half, 1 above
};

Scaled scale(std::uint64_t m, int q, int k) {
  const u128 p = static_cast<u128>(m) * kPow10[k];
  const int s = -q;  // 1..67
  const u128 mask = (static_cast<u128>(1) << s) - 1;
  const u128 rem = p & mask;
  const u128 half = static_cast<u128>(1) << (s - 1);
  return {static_cast<std::uint64_t>(p >> s), rem < half ? -1 : (rem == half ? 0 : 1)};
}

}  // namespace

char* write_g16(char* out, double v) {
  if (!std::isfinite(v)) return write_by_to_chars(out, v);
  if (std::signbit(v)) {
    *out++ = '-';
    v = -v;
  }
  if (v == 0) {
    *out++ = '0';
    return out;
  }
  // Integers below 1E16 have at most 16 digits: printed whole, no point.
  if (v < 1e16 && v == std::floor(v)) {
    return std::to_chars(out, out + kG16TextMax, static_cast<std::uint64_t>(v)).ptr;
  }
  if (v < 1e-4 || v >= 1e16) return write_by_to_chars(out, v);
  // A non-integer below 1E16 is below 2^52, so its exponent q is negative.
  std::uint64_t bits;
  std::memcpy(&bits, &v, sizeof bits);
  const std::uint64_t m = (bits & ((1ULL << 52) - 1)) | (1ULL << 52);
  const int e = static_cast<int>((bits >> 52) & 0x7FF) - 1023;  // v = m * 2^(e - 52)
  const int q = e - 52;
  // x: the decimal exponent, such that floor(v * 10^(15 - x)) has 16 digits.
  // floor(log10(2^e)) for v's binary exponent e is x or x - 1, and x is at
  // least -4 (v >= 1E-4) and at most 15 (v < 2^52): 15 - x is 0..19.
  int x = std::max(-4, (e * 78913) >> 18);
  Scaled n = scale(m, q, 15 - x);
  if (n.floor >= kHigh16) n = scale(m, q, 15 - ++x);
  if (n.floor < kLow16 || n.floor >= kHigh16) return write_by_to_chars(out, v);  // not reached
  // Round to nearest, ties to even, as printf does in the default mode.
  std::uint64_t digits = n.floor;
  if (n.half > 0 || (n.half == 0 && (digits & 1) != 0)) ++digits;
  if (digits == kHigh16) {  // 9.999...95 rounded up to the next power of ten (x stays <= 15)
    digits = kLow16;
    ++x;
  }
  char d[16];
  for (int i = 15; i >= 0; --i) {
    d[i] = static_cast<char>('0' + digits % 10);
    digits /= 10;
  }
  int len = 16;
  while (len > 1 && d[len - 1] == '0') --len;  // %G drops trailing zeros
  if (x >= 0) {
    const int whole = x + 1;
    for (int i = 0; i < whole; ++i) *out++ = i < len ? d[i] : '0';
    if (len > whole) {
      *out++ = '.';
      for (int i = whole; i < len; ++i) *out++ = d[i];
    }
    return out;
  }
  *out++ = '0';
  *out++ = '.';
  for (int i = 0; i < -x - 1; ++i) *out++ = '0';
  for (int i = 0; i < len; ++i) *out++ = d[i];
  return out;
}

}  // namespace reportd::render

#pragma once
// One gzip member holding `plain` (zlib's deflate), for the inflate tests.

#include <doctest/doctest.h>
#include <zlib.h>

#include <string>

namespace reportd::salesforce::testing {

inline std::string gzip_of(std::string plain) {
  std::string packed(compressBound(static_cast<uLong>(plain.size())) + 32, '\0');
  z_stream zs{};
  REQUIRE(deflateInit2(&zs, 6, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY) == Z_OK);
  zs.next_in = reinterpret_cast<Bytef*>(plain.data());
  zs.avail_in = static_cast<uInt>(plain.size());
  zs.next_out = reinterpret_cast<Bytef*>(packed.data());
  zs.avail_out = static_cast<uInt>(packed.size());
  REQUIRE(deflate(&zs, Z_FINISH) == Z_STREAM_END);
  packed.resize(zs.total_out);
  deflateEnd(&zs);
  return packed;
}

}  // namespace reportd::salesforce::testing

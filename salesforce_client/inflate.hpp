#pragma once
// gzip/deflate decoding of response bodies with zlib, bounded in size.
// Pure function; no executor.

#include <cstddef>
#include <string>
#include <string_view>

#include "table/status.hpp"

namespace reportd::salesforce {

// Decodes a gzip (or zlib) stream. Fails with kLimit when the output would
// exceed `max_out` bytes, with kTransient when the data is truncated or corrupt.
// `block`, when given, is a wiped block (all zeros up to its capacity): a
// whole gzip member is inflated into it, reusing its allocation, and only
// what it must grow by is zero-filled first.
Result<std::string> gunzip(std::string_view in, std::size_t max_out, std::string block = {});

}  // namespace reportd::salesforce

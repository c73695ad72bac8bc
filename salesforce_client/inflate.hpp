#pragma once
// gzip/deflate decoding of response bodies (ISA-L for a whole gzip member,
// zlib for the rest), bounded in size.
// Pure function; no executor.

#include <cstddef>
#include <functional>
#include <string>
#include <string_view>

#include "table/status.hpp"

namespace reportd::salesforce {

// Decodes a gzip (or zlib) stream. Fails with kLimit when the output would
// exceed `max_out` bytes, with kTransient when the data is truncated or corrupt.
// `block`, when given, is a block to reuse (the previous page): a whole gzip
// member is inflated over it, in its allocation when that is large enough;
// whatever of it is not returned (an outgrown or unused allocation, a
// failure) is zeroed up to its capacity before it is freed. The result may
// hold old bytes past its size, up to its capacity: wipe() it.
Result<std::string> gunzip(std::string_view in, std::size_t max_out, std::string block = {});

// Decodes a gzip (or zlib) stream piece by piece, for a consumer that takes
// its input in pieces (the Bulk API's CSV): `on_piece` gets each inflated
// piece (at most 256 KiB, valid during the call), so the whole plaintext is
// never held at once. Fails as gunzip() does, or with the first non-ok
// Status of `on_piece`, returned as is. The piece buffer and zlib's window
// are zeroed before they are freed.
Status gunzip_each(std::string_view in, std::size_t max_out,
                   const std::function<Status(std::string_view)>& on_piece);

}  // namespace reportd::salesforce

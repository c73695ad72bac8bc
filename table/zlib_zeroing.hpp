#pragma once
// zlib's window and state hold recent plaintext (record values, when
// inflating a response or deflating a report). use_zeroing_allocator() makes
// a z_stream zero every block before it is freed. Call before *Init*().

#include <zlib.h>

#include "table/wipe.hpp"

namespace reportd {

inline void use_zeroing_allocator(z_stream& z) {
  z.zalloc = [](voidpf, uInt items, uInt size) -> voidpf {
    return zeroing_malloc(static_cast<std::size_t>(items) * size);
  };
  z.zfree = [](voidpf, voidpf address) { zeroing_free(address); };
  z.opaque = Z_NULL;
}

}  // namespace reportd

#pragma once
// zip_outputs: packs outputs into one deflated ZIP file in scratch (the first
// step of the size fallback). zlib deflate, data descriptors, UTF-8 names, no
// ZIP64 (entries over 4 GiB fail). Blocking CPU work: the pipeline runs it on
// its CPU thread (EmailJob::cpu).

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "jobs/render/scratch.hpp"
#include "table/status.hpp"

namespace reportd::deliver {

struct ZipEntry {
  std::string filename;
  std::string_view bytes;
};

Result<render::ScratchFile*> zip_outputs(render::Scratch& scratch, std::span<const ZipEntry> entries,
                                         std::string zip_name);

}  // namespace reportd::deliver

#include "table/status.hpp"

namespace reportd {

std::string_view to_string(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::kOk: return "ok";
    case ErrorKind::kInvalidArgument: return "invalid-argument";
    case ErrorKind::kNotFound: return "not-found";
    case ErrorKind::kAlreadyExists: return "already-exists";
    case ErrorKind::kTransient: return "transient";
    case ErrorKind::kAuth: return "auth";
    case ErrorKind::kPermanent: return "permanent";
    case ErrorKind::kLimit: return "limit";
    case ErrorKind::kCorrupt: return "corrupt";
    case ErrorKind::kIo: return "io";
    case ErrorKind::kInternal: return "internal";
  }
  return "unknown";
}

}  // namespace reportd

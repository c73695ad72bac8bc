#include "crypto/key_ring.hpp"
#include "table/wipe.hpp"

#include <fcntl.h>
#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace reportd::crypto {
namespace {

constexpr std::size_t kMaxKeyFileBytes = 64 * 1024;

Status io_error(const std::string& what, const std::string& path) {
  return Status::error(ErrorKind::kIo, what + " " + path + ": " + std::strerror(errno));
}

bool is_hex_id(std::string_view s) {
  if (s.size() != kKeyIdChars) return false;
  for (char c : s) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

// Parses the file's bytes, which sit in secure memory, without copying key
// material anywhere else.
Result<KeyRing> parse_keys(const SecureBuffer& text, const std::string& path) {
  std::vector<MasterKey> keys;
  std::string_view all = text.view();
  int line_no = 0;
  while (!all.empty()) {
    ++line_no;
    std::size_t nl = all.find('\n');
    std::string_view line = all.substr(0, nl);
    all = nl == std::string_view::npos ? std::string_view{} : all.substr(nl + 1);
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.remove_suffix(1);
    if (line.empty() || line.front() == '#') continue;

    std::string where = path + ":" + std::to_string(line_no);
    std::size_t sp = line.find(' ');
    if (sp == std::string_view::npos) {
      return Status::error(ErrorKind::kInvalidArgument,
                           where + ": expected \"<key id> <base64 key>\"; "
                                   "create a key file with `reportd keys generate --out FILE`");
    }
    std::string_view id = line.substr(0, sp);
    std::string_view b64 = line.substr(sp + 1);
    if (!is_hex_id(id)) {
      return Status::error(ErrorKind::kInvalidArgument,
                           where + ": key id must be 8 lowercase hex digits");
    }
    MasterKey k{std::string(id), SecureBuffer(kKeyBytes)};
    std::size_t decoded = 0;
    if (sodium_base642bin(k.key.data(), kKeyBytes, b64.data(), b64.size(), nullptr, &decoded,
                          nullptr, sodium_base64_VARIANT_ORIGINAL) != 0 ||
        decoded != kKeyBytes) {
      return Status::error(ErrorKind::kInvalidArgument,
                           where + ": key " + std::string(id) +
                               " is not base64 of exactly 32 bytes");
    }
    for (const MasterKey& other : keys) {
      if (other.id == k.id) {
        return Status::error(ErrorKind::kInvalidArgument,
                             where + ": key id " + k.id + " appears twice");
      }
    }
    keys.push_back(std::move(k));
  }
  if (keys.empty()) {
    return Status::error(ErrorKind::kInvalidArgument,
                         path + ": holds no key; create one with `reportd keys generate --out " +
                             path + "`");
  }
  return KeyRing(std::move(keys));
}

}  // namespace

const MasterKey* KeyRing::find(std::string_view id) const {
  for (const MasterKey& k : keys_) {
    if (k.id == id) return &k;
  }
  return nullptr;
}

Result<KeyRing> load_key_file(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0) {
    if (errno == ENOENT) {
      return Status::error(ErrorKind::kNotFound,
                           "key file " + path + " does not exist; create it with "
                           "`reportd keys generate --out " + path + "`");
    }
    return io_error("cannot open key file", path);
  }
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    ::close(fd);
    return io_error("cannot stat key file", path);
  }
  if (!S_ISREG(st.st_mode)) {
    ::close(fd);
    return Status::error(ErrorKind::kInvalidArgument, "key file " + path + " is not a regular file");
  }
  if (st.st_uid != ::geteuid()) {
    ::close(fd);
    return Status::error(ErrorKind::kInvalidArgument,
                         "key file " + path + " is owned by uid " + std::to_string(st.st_uid) +
                             ", not by the user running reportd (uid " +
                             std::to_string(::geteuid()) + "); fix with: chown " +
                             std::to_string(::geteuid()) + " " + path);
  }
  if ((st.st_mode & (S_IRWXG | S_IRWXO)) != 0) {
    ::close(fd);
    char mode[8];
    std::snprintf(mode, sizeof mode, "%04o", static_cast<unsigned>(st.st_mode & 07777));
    return Status::error(ErrorKind::kInvalidArgument,
                         "key file " + path + " has mode " + mode +
                             ", so group or others may read it; refusing to use it. "
                             "Fix with: chmod 600 " + path);
  }
  if (static_cast<std::size_t>(st.st_size) > kMaxKeyFileBytes) {
    ::close(fd);
    return Status::error(ErrorKind::kInvalidArgument, "key file " + path + " is too large");
  }
  Result<SecureBuffer> text = read_secure(fd, static_cast<std::size_t>(st.st_size));
  ::close(fd);
  if (!text.ok()) return std::move(text).status().with_context("cannot read key file " + path);
  return parse_keys(*text, path);
}

Result<KeyRing> load_keys(const KeySource& source) {
  if (!source.key_file.empty()) return load_key_file(source.key_file);
  if (!source.credentials_directory.empty()) {
    return load_key_file(source.credentials_directory + "/master.key");
  }
  return Status::error(ErrorKind::kNotFound,
                       "no master key: pass --key-file FILE (create one with `reportd keys "
                       "generate --out FILE`), or run under systemd with "
                       "LoadCredentialEncrypted=master.key:/etc/reportd/master.key.cred (made "
                       "by `systemd-creds encrypt --name=master.key FILE "
                       "/etc/reportd/master.key.cred`; README.Debian) so that "
                       "$CREDENTIALS_DIRECTORY/master.key exists");
}

MasterKey generate_key() {
  MasterKey k{std::string(), SecureBuffer(kKeyBytes)};
  randombytes_buf(k.key.data(), kKeyBytes);
  std::uint8_t id[kKeyIdChars / 2];
  randombytes_buf(id, sizeof id);
  char hex[kKeyIdChars + 1];
  sodium_bin2hex(hex, sizeof hex, id, sizeof id);
  k.id = hex;
  return k;
}

std::string key_file_line(const MasterKey& key) {
  std::size_t len = sodium_base64_ENCODED_LEN(kKeyBytes, sodium_base64_VARIANT_ORIGINAL);
  std::string line = key.id + " ";
  std::size_t at = line.size();
  line.resize(at + len);
  sodium_bin2base64(line.data() + at, len, key.key.data(), key.key.size(),
                    sodium_base64_VARIANT_ORIGINAL);
  line.resize(at + len - 1);  // drop the terminating NUL
  line += '\n';
  return line;
}

Status write_key_file(const std::string& path, const std::vector<const MasterKey*>& keys,
                      bool replace) {
  std::string tmp = path + ".tmp." + std::to_string(::getpid());
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) return io_error("cannot create", tmp);
  bool ok = true;
  std::string header = "# reportd master keys: \"<id> <base64>\", the first is primary.\n";
  ok = ::write(fd, header.data(), header.size()) == static_cast<ssize_t>(header.size());
  for (const MasterKey* k : keys) {
    std::string line = key_file_line(*k);
    ok = ok && ::write(fd, line.data(), line.size()) == static_cast<ssize_t>(line.size());
    wipe(line);
  }
  ok = ok && ::fsync(fd) == 0;
  ::close(fd);
  if (!ok) {
    Status st = io_error("cannot write", tmp);
    ::unlink(tmp.c_str());
    return st;
  }
  // link() refuses to clobber; rename() replaces atomically.
  int rc = replace ? ::rename(tmp.c_str(), path.c_str()) : ::link(tmp.c_str(), path.c_str());
  int saved = errno;
  if (!replace || rc != 0) ::unlink(tmp.c_str());
  if (rc != 0) {
    errno = saved;
    if (saved == EEXIST) {
      return Status::error(ErrorKind::kAlreadyExists,
                           path + " already exists; pass --add to put a new primary key in "
                                  "front of its keys");
    }
    return io_error("cannot write key file", path);
  }
  return {};
}

}  // namespace reportd::crypto

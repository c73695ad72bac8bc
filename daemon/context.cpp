#include "daemon/context.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <ostream>

namespace reportd::daemon {
namespace {

constexpr std::size_t kMaxSecret = 16 * 1024;

Result<crypto::SecureBuffer> read_secret_fd(int fd, const std::string& what) {
  crypto::SecureBuffer buf(kMaxSecret);
  std::size_t got = 0;
  while (got < buf.size()) {
    ssize_t n = ::read(fd, buf.data() + got, buf.size() - got);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      return Status::error(ErrorKind::kIo, "cannot read " + what + ": " + std::strerror(errno));
    }
    if (n == 0) break;
    got += static_cast<std::size_t>(n);
  }
  if (got == buf.size()) {
    return Status::error(ErrorKind::kInvalidArgument, what + " is larger than 16 KiB");
  }
  while (got > 0 && (buf.data()[got - 1] == '\n' || buf.data()[got - 1] == '\r' ||
                     buf.data()[got - 1] == ' ')) {
    --got;
  }
  buf.truncate(got);
  if (got == 0) return Status::error(ErrorKind::kInvalidArgument, what + " is empty");
  return buf;
}

}  // namespace

Result<Context::Opened> Context::open_all() const {
  Result<Config> config = load_config();
  if (!config.ok()) return config.status();
  Result<crypto::KeyRing> keys = load_keys();
  if (!keys.ok()) return keys.status();
  auto store = open_store();
  if (!store.ok()) return store.status();
  return Opened{std::move(config).value(), std::move(keys).value(), std::move(store).value()};
}

Result<std::unique_ptr<store::SqliteStore>> Context::open_store() const {
  std::string dir = state_dir();
  if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) {
    return Status::error(ErrorKind::kIo, "cannot create state directory " + dir + ": " +
                                             std::strerror(errno) +
                                             "; pass --state-dir DIR to use another one");
  }
  opened_store = true;
  return store::SqliteStore::open(db_path());
}

Result<crypto::KeyRing> Context::load_keys() const {
  crypto::KeySource source;
  source.key_file = args.get_or("key-file", "");
  if (const char* creds = std::getenv("CREDENTIALS_DIRECTORY")) {
    source.credentials_directory = creds;
  }
  return crypto::load_keys(source);
}

int Context::fail(const Status& st) const {
  err << "reportd: " << st.message() << "\n";
  return st.kind() == ErrorKind::kInvalidArgument ? 2 : 1;
}

Result<crypto::SecureBuffer> read_secret_stdin() {
  return read_secret_fd(STDIN_FILENO, "standard input");
}

Result<crypto::SecureBuffer> read_secret_file(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    return Status::error(ErrorKind::kIo, "cannot open " + path + ": " + std::strerror(errno));
  }
  auto r = read_secret_fd(fd, path);
  ::close(fd);
  return r;
}

}  // namespace reportd::daemon

#include "daemon/context.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <ostream>

#include "store/open.hpp"

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
  auto store = open_store(*config);
  if (!store.ok()) return store.status();
  return Opened{std::move(config).value(), std::move(keys).value(), std::move(store).value()};
}

Result<std::unique_ptr<store::Store>> Context::open_store() const {
  Result<Config> config = load_config();
  if (!config.ok()) return config.status();
  return open_store(*config);
}

std::string Context::store_location(const Config& config) const {
  if (config.store_url.empty()) return db_path();
  return "postgresql " + store::describe_url(config.store_url);
}

Result<std::unique_ptr<store::Store>> Context::open_store(const Config& config) const {
  std::string dir = state_dir();
  if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) {
    return Status::error(ErrorKind::kIo, "cannot create state directory " + dir + ": " +
                                             std::strerror(errno) +
                                             "; pass --state-dir DIR to use another one");
  }
  opened_store = true;
  if (config.store_url.empty()) return store::open(db_path());
  Result<crypto::SecureBuffer> password = read_store_password(config);
  if (!password.ok()) return password.status();
  return store::open(config.store_url, password->view());
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

Result<crypto::SecureBuffer> read_store_password(const Config& config) {
  const char* creds = std::getenv("CREDENTIALS_DIRECTORY");
  const std::string dir = creds != nullptr ? creds : "";
  std::string path = config.store_password_file;
  if (!path.empty() && path.front() != '/' && !dir.empty()) path = dir + "/" + path;
  if (path.empty() && !dir.empty() && ::access((dir + "/store-password").c_str(), F_OK) == 0) {
    path = dir + "/store-password";
  }
  if (path.empty()) return crypto::SecureBuffer();
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    return Status::error(ErrorKind::kInvalidArgument,
                         "store.password_file: cannot read " + path + ": " + std::strerror(errno));
  }
  if ((st.st_mode & (S_IRWXG | S_IRWXO)) != 0) {
    return Status::error(ErrorKind::kInvalidArgument, "store.password_file: " + path +
                                                          " is readable by group or others; "
                                                          "chmod 600 it");
  }
  auto pw = read_secret_file(path);
  if (!pw.ok()) return std::move(pw).status().with_context("store.password_file");
  return pw;
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

#pragma once
// Status and Result<T>: expected failures as values (STYLE.md rule 10).
// A Status carries a kind that callers branch on and a message for people;
// context is prepended as the error rises ("store: open x.db: ...").

#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace reportd {

enum class ErrorKind {
  kOk,
  kInvalidArgument,  // bad input from a person: config, CLI, cron, key file
  kNotFound,
  kAlreadyExists,
  kTransient,  // worth retrying: network, timeouts, 5xx, SMTP 4xx
  kAuth,       // credentials rejected; a person must re-authorize
  kPermanent,  // will fail again the same way: bad query, SMTP 5xx
  kLimit,      // a quota or size limit was hit
  kCorrupt,    // stored data does not verify (tampered, wrong key)
  kIo,         // the local system failed: files, SQLite
  kInternal,   // a bug
};

std::string_view to_string(ErrorKind kind);

class [[nodiscard]] Status {
 public:
  Status() = default;
  // `code` is a stable machine-readable code when the cause has one
  // (Salesforce "INVALID_SESSION_ID", SMTP "smtp-550"); it is safe to store.
  static Status error(ErrorKind kind, std::string message, std::string code = {}) {
    Status s;
    s.kind_ = kind;
    s.message_ = std::move(message);
    s.code_ = std::move(code);
    return s;
  }

  bool ok() const { return kind_ == ErrorKind::kOk; }
  ErrorKind kind() const { return kind_; }
  const std::string& message() const { return message_; }
  const std::string& code() const { return code_; }

  // Prepends "what: " to the message; a caller adds context, never replaces it.
  Status with_context(std::string_view what) && {
    if (!ok()) message_ = std::string(what) + ": " + message_;
    return std::move(*this);
  }

 private:
  ErrorKind kind_ = ErrorKind::kOk;
  std::string message_;
  std::string code_;
};

template <class T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}  // NOLINT: implicit by design
  Result(Status status) : v_(std::move(status)) {}  // NOLINT: must be an error

  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }
  T& value() & { return std::get<0>(v_); }
  const T& value() const& { return std::get<0>(v_); }
  T&& value() && { return std::get<0>(std::move(v_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  const Status& status() const& { return std::get<1>(v_); }
  Status status() && { return std::get<1>(std::move(v_)); }

 private:
  std::variant<T, Status> v_;
};

}  // namespace reportd

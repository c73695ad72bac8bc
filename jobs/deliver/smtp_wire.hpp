#pragma once
// The SMTP client's wire: one TCP connection to the relay (TLS once
// handshake() succeeded), replies read line by line, writes, and a deadline
// on every step that closes the socket when it passes. Lives on the awaiting
// coroutine's executor. Internal to the SMTP client (smtp_client.cpp).

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "jobs/deliver/smtp_config.hpp"
#include "table/status.hpp"

namespace reportd::deliver::smtp_wire {

struct Reply {
  int code = 0;
  std::vector<std::string> lines;  // text after "NNN-" / "NNN "
  // The code and text, control characters blanked, at most 200 characters.
  std::string summary() const;
};

// A reply the step did not expect, as an error: 4xx transient, 5xx
// permanent, 530/534/535 auth; code "smtp-NNN".
Status reply_error(std::string_view step, const Reply& r);

// TLS 1.2 or later, verified against smtp.ca_file or the system store.
Result<boost::asio::ssl::context> make_tls_context(const SmtpConfig& cfg);

// One SMTP connection. Member coroutines must be awaited directly, one at a
// time, while the object lives.
class Wire {
 public:
  Wire(boost::asio::any_io_executor ex, const SmtpConfig& cfg, boost::asio::ssl::context ctx);
  ~Wire();
  Wire(const Wire&) = delete;
  Wire& operator=(const Wire&) = delete;

  boost::asio::awaitable<Status> connect();
  boost::asio::awaitable<Status> handshake();
  boost::asio::awaitable<Result<Reply>> read_reply(std::string step);
  // Owns the bytes: commands are built in temporaries.
  boost::asio::awaitable<Status> write(std::string data, std::string step);
  // Starts a step whose writes share one deadline: the step timeout plus
  // `extra` (the message body, written chunk by chunk).
  void begin(std::string step, std::chrono::seconds extra);
  // Writes within the deadline begin() set. `data` must outlive the call.
  boost::asio::awaitable<Status> write_more(std::string_view data);

  // Text the server might have pipelined before TLS started is not trusted.
  void discard_buffered() { rbuf_.clear(); }
  // A network error or a missed deadline happened: nothing more can be said
  // on this connection.
  bool broken() const { return broken_; }

 private:
  void arm(std::chrono::seconds d);
  void disarm();
  Status net_error(boost::system::error_code ec);

  const SmtpConfig& cfg_;
  boost::asio::ssl::context ctx_;
  boost::asio::ssl::stream<boost::asio::ip::tcp::socket> stream_;
  boost::asio::steady_timer timer_;
  // The deadline's handler may already be queued when the wire goes: it
  // finds this null then and touches nothing.
  std::shared_ptr<Wire*> self_;
  std::string rbuf_;
  std::string step_;
  bool tls_ = false;
  bool timed_out_ = false;
  bool broken_ = false;
  std::uint64_t generation_ = 0;
};

}  // namespace reportd::deliver::smtp_wire

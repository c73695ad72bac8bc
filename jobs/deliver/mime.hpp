#pragma once
// MIME builder: one RFC 5322 message, multipart/mixed ⊃ multipart/alternative
// (text/plain + text/html, quoted-printable) + base64 attachments. Pure
// functions; any thread. Header safety: every header value that may come from
// a Salesforce record (subject, display names, file names) is emitted RFC 2047
// / RFC 2231 encoded whenever it holds anything but printable ASCII, so CR, LF
// and NUL never appear raw; addresses must be plain dot-atom ASCII or the
// message is rejected. Output lines end in CRLF and never exceed 998 octets.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "table/status.hpp"

namespace reportd::deliver {

struct Address {
  std::string display_name;  // any UTF-8; encoded as needed
  std::string email;         // local@domain, validated
};

struct Attachment {
  std::string filename;      // any UTF-8; RFC 2231-encoded as needed
  std::string content_type;  // e.g. "text/csv; charset=utf-8" (validated token syntax)
  std::string_view bytes;    // must outlive build_mime()
};

struct MailMessage {
  Address from;
  std::vector<Address> to;
  std::string subject;
  std::string message_id;   // "<id@domain>", see derive_message_id()
  std::int64_t date_ms = 0;  // the Date header, UTC
  std::string text;         // text/plain body, UTF-8
  std::string html;         // text/html body; empty: text/plain only
  std::vector<Attachment> attachments;
};

// The whole message, ready for SMTP DATA (before dot-stuffing). Holds every
// attachment base64-encoded in memory: for small messages and tests; large
// ones go through MimeSource (mime_source.hpp), which yields the same bytes.
Result<std::string> build_mime(const MailMessage& message);

// One piece of a planned message: `text` as is, then the base64 encoding of
// `base64_of` in 76-character CRLF lines (nothing when empty). build_mime()
// is the concatenation of the pieces; MimeSource streams them.
struct MimePiece {
  std::string text;
  std::string_view base64_of;  // a view of an Attachment's bytes
};

// Validates `message` and lays it out as pieces (headers, bodies and part
// headers are built here; attachments are only referenced).
Result<std::vector<MimePiece>> plan_mime(const MailMessage& message);

// Ok when `email` is an ASCII dot-atom address local@domain (no spaces,
// controls, quotes or brackets); the message names the problem, not a value.
Status validate_address(std::string_view email);

// "<32 hex chars@domain>": the same occurrence and recipient always give the
// same id, so the one unavoidable duplicate (RFC 1047) is recognisable.
std::string derive_message_id(std::string_view occurrence_key, std::string_view recipient,
                              std::string_view domain);

// Encoders, exposed for tests.
std::string base64_encode(std::string_view bytes, std::size_t line_length = 76);
// Exactly base64_encode(bytes of that length, line_length).size().
std::uint64_t base64_encoded_size(std::uint64_t bytes, std::size_t line_length);
// base64_encode() into `out`, which has room for base64_encoded_size();
// returns the bytes written.
std::size_t base64_encode_into(std::string_view bytes, std::size_t line_length, char* out);
std::string quoted_printable(std::string_view utf8_text);  // CRLF-normalised
// "Name: value" folded, RFC 2047-encoded when needed; ends in CRLF.
std::string encode_unstructured_header(std::string_view name, std::string_view value);

}  // namespace reportd::deliver

// ContentVersion upload as multipart/form-data (entity_content JSON part,
// then VersionData bytes), then the ContentDocumentId read back by SOQL,
// as the sf CLI does.
#include <openssl/rand.h>

#include <boost/json.hpp>

#include "salesforce_client/client.hpp"
#include "salesforce_client/oauth.hpp"

namespace reportd::salesforce {
namespace asio = boost::asio;
namespace json = boost::json;

namespace {

std::string quoted_filename(std::string_view name) {
  std::string out;
  for (char c : name) out += (c == '"' || c == '\r' || c == '\n' || c == '\\') ? '_' : c;
  return out;
}

std::string first_record_field(const std::string& body, std::string_view key) {
  json::error_code ec;
  json::value v = json::parse(body, ec);
  if (ec || !v.is_object()) return {};
  auto* recs = v.get_object().if_contains("records");
  if (!recs || !recs->is_array() || recs->get_array().empty() || !recs->get_array()[0].is_object())
    return {};
  auto* f = recs->get_array()[0].get_object().if_contains(key);
  return f && f->is_string() ? std::string(f->get_string()) : std::string();
}

}  // namespace

asio::awaitable<Result<UploadResult>> Client::upload_file(FileUpload file) {
  unsigned char rnd[12];
  RAND_bytes(rnd, sizeof rnd);
  const std::string boundary =
      "reportd-" + base64url(std::string_view(reinterpret_cast<const char*>(rnd), sizeof rnd));
  json::object entity{{"Title", file.title}, {"PathOnClient", file.path_on_client}};
  if (!file.first_publish_location_id.empty())
    entity["FirstPublishLocationId"] = file.first_publish_location_id;
  std::string body;
  body.reserve(file.bytes.size() + 1024);
  body += "--" + boundary + "\r\n";
  body += "Content-Disposition: form-data; name=\"entity_content\"\r\n";
  body += "Content-Type: application/json\r\n\r\n";
  body += json::serialize(entity);
  body += "\r\n--" + boundary + "\r\n";
  body += "Content-Disposition: form-data; name=\"VersionData\"; filename=\"" +
          quoted_filename(file.path_on_client) + "\"\r\n";
  body += "Content-Type: " +
          (file.content_type.empty() ? std::string("application/octet-stream")
                                     : quoted_filename(file.content_type)) +
          "\r\n\r\n";
  body.append(file.bytes.data(), file.bytes.size());
  body += "\r\n--" + boundary + "--\r\n";

  Result<HttpResponse> res =
      co_await call("POST", data_path() + "/sobjects/ContentVersion",
                    "multipart/form-data; boundary=" + boundary, std::move(body));
  if (!res) co_return std::move(res).status();
  json::error_code ec;
  json::value saved = json::parse(res.value().body, ec);
  UploadResult out;
  if (!ec && saved.is_object())
    if (auto* id = saved.get_object().if_contains("id"); id && id->is_string())
      out.content_version_id = std::string(id->get_string());
  bool id_ok = !out.content_version_id.empty();
  for (char c : out.content_version_id)
    id_ok = id_ok && std::isalnum(static_cast<unsigned char>(c));
  if (!id_ok)
    co_return Status::error(ErrorKind::kTransient,
                            "salesforce: POST ContentVersion: response has no id", "bad-response");

  const std::string soql =
      "SELECT ContentDocumentId FROM ContentVersion WHERE Id = '" + out.content_version_id + "'";
  res = co_await call("GET", data_path() + "/query?q=" + url_encode(soql));
  if (!res) co_return std::move(res).status();
  out.content_document_id = first_record_field(res.value().body, "ContentDocumentId");
  if (out.content_document_id.empty())
    co_return Status::error(
        ErrorKind::kTransient,
        "salesforce: ContentVersion " + out.content_version_id + " has no ContentDocumentId",
        "bad-response");
  co_return out;
}

}  // namespace reportd::salesforce

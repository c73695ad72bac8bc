// sObject rows: GET by id, POST create, PATCH update, DELETE (soft), and ContentVersion
// uploads (JSON with base64 VersionData, or multipart with a JSON part and a
// binary VersionData part). Written records live in the Store.
#include <boost/json.hpp>

#include "http_util.hpp"
#include "ids.hpp"
#include "records.hpp"
#include "sim.hpp"

namespace reportd::sim {
namespace {

namespace json = boost::json;

std::string extension(const std::string& path) {
  auto dot = path.rfind('.');
  return dot == std::string::npos ? "" : path.substr(dot + 1);
}

// Salesforce counts characters, not bytes: UTF-8 lead bytes.
std::size_t characters(const std::string& s) {
  std::size_t n = 0;
  for (char c : s) n += (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  return n;
}

struct WriteError {
  int status = 0;
  std::string code, message;
  std::vector<std::string> fields;
};

// JSON object -> Fields, checked against the schema as `as` sees it.
bool to_fields(const ObjectDef& obj, const SimUser& as, const json::object& in, Fields& out,
               std::string& blob, WriteError& err) {
  for (const auto& [k, v] : in) {
    std::string key(k);
    if (key == "attributes") continue;
    const FieldDef* f = obj.field(key);
    if (f == nullptr || as.hides(obj, *f)) {
      err = {400, "INVALID_FIELD", "No such column '" + key + "' on sobject of type " + obj.name, {key}};
      return false;
    }
    if (!f->writable) {
      err = {400, "INVALID_FIELD_FOR_INSERT_UPDATE",
             "Unable to create/update fields: " + f->name +
                 ". Please check the security settings of this field and verify that it is "
                 "read/write for your profile or permission set.",
             {f->name}};
      return false;
    }
    const std::string& name = f->name;
    if (name == "VersionData") {
      if (!v.is_string() || !base64_decode(std::string(v.as_string()), blob)) {
        err = {400, "INVALID_FIELD", "VersionData must be base64", {name}};
        return false;
      }
      continue;
    }
    if (v.is_null()) out[name] = Value::null();
    else if (v.is_bool()) out[name] = Value::boolean(v.as_bool());
    else if (v.is_number()) out[name] = Value::num(json::serialize(v));
    else if (v.is_string()) {
      std::string text(v.as_string());
      int max = max_length(*f);
      if (max > 0 && characters(text) > static_cast<std::size_t>(max)) {
        err = {400, "STRING_TOO_LONG",
               name + ": data value too large (max length=" + std::to_string(max) + ")", {name}};
        return false;
      }
      out[name] = Value::str(std::move(text));
    } else {
      err = {400, "JSON_PARSER_ERROR", "Cannot deserialize instance of " + name, {name}};
      return false;
    }
  }
  return true;
}

void send_write_error(const httplib::Request& req, httplib::Response& res, const WriteError& e) {
  send_error(req, res, e.status, e.code, e.message, &e.fields);
}

}  // namespace

void Sim::install_sobjects(httplib::Server& svr) {
  const std::string v = R"(/services/data/v(\d+\.\d+)/sobjects/([A-Za-z_0-9]+))";
  api(svr, "GET", v + "/?", "sobjects.info",
      [](const httplib::Request& req, httplib::Response& res, const Caller& c) {
        const ObjectDef* o = find_object(req.matches[2].str());
        if (o == nullptr) return send_error(req, res, 404, "NOT_FOUND", "The requested resource does not exist");
        send_json(req, res, 200,
                  "{\"objectDescribe\":{\"name\":" + jstr(o->name) + ",\"label\":" + jstr(o->label) +
                      ",\"keyPrefix\":" + jstr(o->key_prefix) + ",\"urls\":{\"sobject\":" +
                      jstr("/services/data/v" + c.version + "/sobjects/" + o->name) +
                      "}},\"recentItems\":[]}");
      });
  api(svr, "GET", v + "/([0-9A-Za-z]{15,18})/?", "sobjects.get",
      [this](const httplib::Request& req, httplib::Response& res, const Caller& c) {
        const ObjectDef* o = find_object(req.matches[2].str());
        auto ref = data_.find(req.matches[3].str());
        if (o == nullptr || !ref || ref->object != o)
          return send_error(req, res, 404, "NOT_FOUND", "The requested resource does not exist");
        if (o->source == Source::kStored && data_.store().is_deleted(*o, ref->row))
          return send_error(req, res, 404, "ENTITY_IS_DELETED", "entity is deleted");
        std::string out;
        write_full_record(out, data_, *o, ref->row, c.version);
        send_json(req, res, 200, out);
      });
  api(svr, "GET", v + "/([0-9A-Za-z]{15,18})/VersionData", "sobjects.blob",
      [this](const httplib::Request& req, httplib::Response& res, const Caller&) {
        auto blob = data_.store().blob(req.matches[3].str());
        if (!blob) return send_error(req, res, 404, "NOT_FOUND", "The requested resource does not exist");
        res.set_content(*blob, "application/octet-stream");
      });

  ApiHandler create = [this](const httplib::Request& req, httplib::Response& res, const Caller& c) {
    const ObjectDef* o = find_object(req.matches[2].str());
    if (o == nullptr) return send_error(req, res, 404, "NOT_FOUND", "The requested resource does not exist");
    std::string body = req.body, blob;
    bool has_blob = false;
    if (req.is_multipart_form_data()) {
      body.clear();
      for (const auto& [name, part] : req.files) {
        if (part.content_type.find("application/json") == 0) body = part.content;
        else if (name == "VersionData") {
          blob = part.content;
          has_blob = true;
        }
      }
    }
    boost::system::error_code ec;
    json::value parsed = json::parse(body, ec);
    if (ec || !parsed.is_object())
      return send_error(req, res, 400, "JSON_PARSER_ERROR", "Unexpected character in request body");
    Fields fields;
    WriteError err;
    if (!to_fields(*o, seen_by(c.user), parsed.as_object(), fields, blob, err))
      return send_write_error(req, res, err);
    has_blob = has_blob || !blob.empty();
    if (o->source != Source::kStored) {
      // Generated objects are read-only data; accept the write, keep nothing.
      return send_json(req, res, 201,
                       "{\"id\":" + jstr(make_id(o->key_prefix, 999999999)) + ",\"success\":true,\"errors\":[]}");
    }
    auto missing = [&](const char* f) {
      WriteError e{400, "REQUIRED_FIELD_MISSING", std::string("Required fields are missing: [") + f + "]", {f}};
      send_write_error(req, res, e);
    };
    if (o->name == "ContentVersion") {
      if (fields["PathOnClient"].is_null()) return missing("PathOnClient");
      if (!has_blob) return missing("VersionData");
      auto loc = fields.find("FirstPublishLocationId");
      if (loc != fields.end() && !loc->second.is_null() && !data_.find(loc->second.text)) {
        WriteError e{400, "INVALID_CROSS_REFERENCE_KEY", "invalid cross reference id", {"FirstPublishLocationId"}};
        return send_write_error(req, res, e);
      }
      std::string path = fields["PathOnClient"].text;
      if (fields["Title"].is_null()) fields["Title"] = Value::str(path);
      const ObjectDef& doc = *find_object("ContentDocument");
      std::string size = std::to_string(blob.size());
      std::string doc_id = data_.store().insert(
          doc, {{"Title", fields["Title"]}, {"FileExtension", Value::str(extension(path))},
                {"ContentSize", Value::num(size)}});
      fields["ContentDocumentId"] = Value::str(doc_id);
      fields["ContentSize"] = Value::num(size);
      fields["FileExtension"] = Value::str(extension(path));
      fields["VersionNumber"] = Value::str("1");
      fields["IsLatest"] = Value::boolean(true);
      std::string id = data_.store().insert(*o, fields);
      data_.store().update(doc, doc_id, {{"LatestPublishedVersionId", Value::str(id)}});
      data_.store().put_blob(id, std::move(blob));
      if (loc != fields.end() && !loc->second.is_null()) {
        data_.store().insert(*find_object("ContentDocumentLink"),
                             {{"ContentDocumentId", Value::str(doc_id)},
                              {"LinkedEntityId", loc->second},
                              {"ShareType", Value::str("I")},
                              {"Visibility", Value::str("AllUsers")}});
      }
      count(req.is_multipart_form_data() ? "files.uploaded.multipart" : "files.uploaded.json");
      return send_json(req, res, 201, "{\"id\":" + jstr(id) + ",\"success\":true,\"errors\":[]}");
    }
    if (o->name == "ContentDocumentLink") {
      if (fields["ContentDocumentId"].is_null()) return missing("ContentDocumentId");
      if (fields["LinkedEntityId"].is_null()) return missing("LinkedEntityId");
      if (fields["ShareType"].is_null()) fields["ShareType"] = Value::str("V");
    }
    if (o->name == "Reportd_Schedule__c" && fields["Name"].is_null()) return missing("Name");
    // A new record belongs to the calling user unless the client names an owner.
    if (const FieldDef* owner = o->field("OwnerId"); owner != nullptr && fields["OwnerId"].is_null())
      fields["OwnerId"] = Value::str(users_.by_row(c.user).id);
    std::string id = data_.store().insert(*o, std::move(fields));
    send_json(req, res, 201, "{\"id\":" + jstr(id) + ",\"success\":true,\"errors\":[]}");
  };

  ApiHandler update = [this](const httplib::Request& req, httplib::Response& res, const Caller& c) {
    const ObjectDef* o = find_object(req.matches[2].str());
    std::string id = req.matches[3].str();
    auto ref = data_.find(id);
    if (o == nullptr || !ref || ref->object != o)
      return send_error(req, res, 404, "NOT_FOUND", "The requested resource does not exist");
    if (o->source == Source::kStored && data_.store().is_deleted(*o, ref->row))
      return send_error(req, res, 404, "ENTITY_IS_DELETED", "entity is deleted");
    boost::system::error_code ec;
    json::value parsed = json::parse(req.body, ec);
    if (ec || !parsed.is_object())
      return send_error(req, res, 400, "JSON_PARSER_ERROR", "Unexpected character in request body");
    Fields fields;
    std::string blob;
    WriteError err;
    if (!to_fields(*o, seen_by(c.user), parsed.as_object(), fields, blob, err))
      return send_write_error(req, res, err);
    if (o->source == Source::kStored) data_.store().update(*o, id, fields);
    count("sobjects.updated");
    res.status = 204;
  };
  // DELETE: written records go to the recycle bin (IsDeleted, queryAll
  // only); generated ones are acknowledged and kept.
  api(svr, "DELETE", v + "/([0-9A-Za-z]{15,18})/?", "sobjects.delete",
      [this](const httplib::Request& req, httplib::Response& res, const Caller&) {
        const ObjectDef* o = find_object(req.matches[2].str());
        auto ref = data_.find(req.matches[3].str());
        if (o == nullptr || !ref || ref->object != o)
          return send_error(req, res, 404, "NOT_FOUND", "The requested resource does not exist");
        if (o->source == Source::kStored && !data_.store().remove(*o, req.matches[3].str()))
          return send_error(req, res, 404, "ENTITY_IS_DELETED", "entity is deleted");
        res.status = 204;
      });
  api(svr, "POST", v + "/?", "sobjects.create", create);
  api(svr, "PATCH", v + "/([0-9A-Za-z]{15,18})/?", "sobjects.update", update);
  // Clients without PATCH: POST ...?_HttpMethod=PATCH.
  api(svr, "POST", v + "/([0-9A-Za-z]{15,18})/?", "sobjects.update",
      [update](const httplib::Request& req, httplib::Response& res, const Caller& c) {
        if (req.get_param_value("_HttpMethod") != "PATCH")
          return send_error(req, res, 405, "METHOD_NOT_ALLOWED", "HTTP Method 'POST' not allowed. Allowed are GET,PATCH,HEAD,DELETE");
        update(req, res, c);
      });
}

}  // namespace reportd::sim

// HttpEndpoint's address parsing and routes, over real loopback sockets;
// the OAuth helpers that need no network.
#include "daemon/http_endpoint.hpp"

#include <doctest/doctest.h>
#include <httplib.h>

#include "daemon/oauth_connect.hpp"

namespace reportd::daemon {
namespace {

TEST_CASE("listen: HOST:PORT, [V6]:PORT, and errors that say what is wrong") {
  auto a = parse_listen("127.0.0.1:9464");
  REQUIRE(a.ok());
  CHECK(a->host == "127.0.0.1");
  CHECK(a->port == 9464);
  auto b = parse_listen("[::1]:80");
  REQUIRE(b.ok());
  CHECK(b->host == "::1");
  CHECK(b->port == 80);
  CHECK(parse_listen("localhost:0")->port == 0);
  CHECK(parse_listen("127.0.0.1").status().message().find("HOST:PORT") != std::string::npos);
  CHECK(parse_listen("127.0.0.1:http").status().message().find("port") != std::string::npos);
  CHECK(parse_listen("127.0.0.1:70000").status().message().find("0-65535") != std::string::npos);
  CHECK(parse_listen("::1:80").status().message().find("brackets") != std::string::npos);
}

TEST_CASE("endpoint: serves its routes, 404 elsewhere, and refuses a taken port") {
  EndpointRoutes routes;
  routes.healthz = [] { return HttpReply{503, "text/plain", "unhealthy: testing\n"}; };
  routes.oauth_callback = [](CallbackQuery q) {
    return HttpReply{200, "text/plain", "state=" + q.state + " code=" + q.code};
  };
  HttpEndpoint ep(routes);
  REQUIRE(ep.start({"127.0.0.1", 0}).ok());
  REQUIRE(ep.port() > 0);

  httplib::Client c("127.0.0.1", ep.port());
  auto h = c.Get("/healthz");
  REQUIRE(h);
  CHECK(h->status == 503);
  CHECK(h->body == "unhealthy: testing\n");
  CHECK(h->get_header_value("Server").rfind("reportd/", 0) == 0);
  CHECK(h->get_header_value("Cache-Control") == "no-store");

  auto cb = c.Get("/oauth/callback?state=s%201&code=abc");
  REQUIRE(cb);
  CHECK(cb->body == "state=s 1 code=abc");

  auto m = c.Get("/metrics");  // no metrics route given: 404
  REQUIRE(m);
  CHECK(m->status == 404);
  auto other = c.Get("/admin/pause");
  REQUIRE(other);
  CHECK(other->status == 404);
  CHECK(other->body.find("not found") != std::string::npos);
  auto post = c.Post("/healthz", "x", "text/plain");
  REQUIRE(post);
  CHECK(post->status != 200);

  HttpEndpoint second(routes);
  Status st = second.start({"127.0.0.1", ep.port()});
  CHECK_FALSE(st.ok());
  CHECK(st.message().find("in use") != std::string::npos);
  ep.stop();
}

TEST_CASE("oauth: the org id comes from the identity URL of the token response") {
  CHECK(org_id_from_identity(
            "https://login.salesforce.com/id/00Dx0000000BV7zEAG/005x00000012Q9PAAU") ==
        "00Dx0000000BV7zEAG");
  CHECK(org_id_from_identity("https://h/id/00D5g0000000001/005") == "00D5g0000000001");
  CHECK(org_id_from_identity("https://h/id/001x0000000BV7zEAG/005").empty());
  CHECK(org_id_from_identity("").empty());
}

}  // namespace
}  // namespace reportd::daemon

#include "jobs/deliver/recipients.hpp"

#include <doctest/doctest.h>

namespace reportd::deliver {
namespace {

using List = std::vector<std::string>;

TEST_CASE("recipients: commas, semicolons and white space separate; items are trimmed") {
  auto r = split_recipients(" a@x.com, b@y.com;c@z.com\nd@w.com\r\n\te@v.com ;; ,");
  REQUIRE(r.ok());
  CHECK(*r == List{"a@x.com", "b@y.com", "c@z.com", "d@w.com", "e@v.com"});
  CHECK(split_recipients("")->empty());
  CHECK(split_recipients(" ;,\n\r\t ")->empty());
}

TEST_CASE("recipients: the domain is lower-cased, the local part kept; duplicates go") {
  auto r = split_recipients("Ann.Lee@ACME.Com, ann.lee@acme.com; Bob@acme.com");
  REQUIRE(r.ok());
  CHECK(*r == List{"Ann.Lee@acme.com", "Bob@acme.com"});
}

TEST_CASE("recipients: a bad entry fails the whole list, named in the error") {
  auto r = split_recipients("a@x.com, not-an-address, b@y.com");
  REQUIRE_FALSE(r.ok());
  CHECK(r.status().kind() == ErrorKind::kInvalidArgument);
  CHECK(r.status().code() == "bad-address");
  CHECK(r.status().message().find("\"not-an-address\"") != std::string::npos);
  CHECK(r.status().message().find("local@domain") != std::string::npos);
  CHECK_FALSE(split_recipients("a@localhost").ok());       // no dot in the domain
  CHECK_FALSE(split_recipients("\"a b\"@x.com").ok());     // quotes
  CHECK_FALSE(split_recipients("a@x.com<b@y.com>").ok());  // brackets
}

TEST_CASE("recipients: parse_address takes exactly one") {
  CHECK(*parse_address(" Owner@Acme.COM ") == "Owner@acme.com");
  CHECK_FALSE(parse_address("").ok());
  CHECK_FALSE(parse_address("a@x.com b@x.com").ok());
  CHECK_FALSE(parse_address("nobody").ok());
}

TEST_CASE("recipients: domain lists follow the same separators and name a bad entry") {
  auto d = split_domains("Acme.com, acme.co.uk;ACME.com\nglobex.org");
  REQUIRE(d.ok());
  CHECK(*d == List{"acme.com", "acme.co.uk", "globex.org"});
  auto bad = split_domains("acme.com, a@b.com");
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.status().message().find("\"a@b.com\"") != std::string::npos);
  CHECK_FALSE(check_domain("localhost").ok());
  CHECK_FALSE(check_domain("-").ok());
  CHECK(check_domain("Example.COM").ok());
}

TEST_CASE("recipients: domain_of lower-cases the part after the last '@'") {
  CHECK(domain_of("a@B.Example.com") == "b.example.com");
  CHECK(domain_of("nobody").empty());
}

TEST_CASE("domain check: a list allows exactly its domains, never their subdomains or lookalikes") {
  DomainPolicy p{{"acme.com", "acme.co.uk"}, true};
  CHECK(check_recipient("a@acme.com", p).ok());
  CHECK(check_recipient("a@ACME.CO.UK", p).ok());
  for (const char* foreign : {"a@globex.com", "a@mail.acme.com", "a@acme.com.evil.io",
                              "a@notacme.com", "acme.com@evil.io"}) {
    CAPTURE(foreign);
    Status st = check_recipient(foreign, p);
    REQUIRE_FALSE(st.ok());
    CHECK(st.kind() == ErrorKind::kPermanent);
    CHECK(st.code() == "recipient-not-allowed");
    CHECK(st.message().find(foreign) != std::string::npos);
    CHECK(st.message().find("acme.com, acme.co.uk") != std::string::npos);
  }
}

TEST_CASE("domain check: an empty list allows any domain for local schedules, none for synced") {
  CHECK(check_recipient("a@anywhere.org", DomainPolicy{{}, false}).ok());
  Status st = check_recipient("a@anywhere.org", DomainPolicy{{}, true});
  REQUIRE_FALSE(st.ok());
  CHECK(st.code() == "no-allowed-domains");
  CHECK(st.message().find("connections set") != std::string::npos);
}

}  // namespace
}  // namespace reportd::deliver

// The real daemon against an API that answers what no API should: bytes that are not HTTP,
// 50 MB bodies, 100,000 nested arrays, every field mistyped, and TLS it must not trust. Each
// fails only the polls it answers (a poll.failed line naming the session and the cause), fires
// nothing and crashes nothing; the key never crosses a TLS connection the daemon could not
// verify; and at level debug no secret reaches the output, the state or the requests.
#include <boost/test/unit_test.hpp>

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/stream.hpp>

#include <openssl/ssl.h>

#include <map>
#include <set>

#include "support/fault_checks.hpp"
#include "support/process.hpp"
#include "sim/certs.hpp"

namespace {

namespace asio = boost::asio;
namespace sim = fjwatch::sim;
namespace t = fjwatch::testing;
using namespace std::chrono_literals;

// Waits until every id in `ids` has at least `n` poll.failed lines (or stderr closed).
bool wait_for_failures(t::child_process& c, const std::vector<std::string>& ids, int n,
                       std::chrono::milliseconds bound) {
  return c.wait_for(
      [&](const std::vector<std::string>& lines, bool closed) {
        const auto failed = t::count_field(lines, "poll.failed", "session");
        for (const auto& id : ids) {
          const auto it = failed.find(id);
          if (it == failed.end() || it->second < n) return closed;
        }
        return true;
      },
      bound);
}

// The session.done event ids the daemon logged.
std::set<std::string> done_events(const t::child_process& c) {
  std::set<std::string> out;
  for (const auto& [id, n] : t::count_field(c.err_lines(), "session.done", "event_id")) {
    out.insert(id);
  }
  return out;
}

// The TLS version a client offering only `version` agrees on with the server at `port`
// ("TLSv1", ...), or "refused: <why>". Certificates are not checked: only versions are probed.
std::string handshake_offering_only(std::uint16_t port, int version) {
  asio::io_context ioc;
  asio::ssl::context ctx(asio::ssl::context::tls_client);
  SSL_CTX* h = ctx.native_handle();
  SSL_CTX_set_min_proto_version(h, version);
  SSL_CTX_set_max_proto_version(h, version);
  SSL_CTX_set_cipher_list(h, "DEFAULT:@SECLEVEL=0");
  SSL_CTX_set_security_level(h, 0);
  ctx.set_verify_mode(asio::ssl::verify_none);
  asio::ssl::stream<asio::ip::tcp::socket> s(ioc, ctx);
  s.next_layer().connect({asio::ip::make_address("127.0.0.1"), port});
  boost::system::error_code ec;
  s.handshake(asio::ssl::stream_base::client, ec);
  if (ec) return "refused: " + ec.message();
  std::string v = SSL_get_version(s.native_handle());
  s.shutdown(ec);
  return v;
}

// A rig at level debug whose healthy session turns done after 300 ms.
struct api_fault_rig : t::rig {
  explicit api_fault_rig(sim::options o = t::sim_options()) : t::rig(std::move(o)) {
    cfg.level = "debug";
    api->add_session(sim::done_after(healthy, 300ms));
  }
  const std::string healthy = t::hex_id(0x100);
};

}  // namespace

BOOST_AUTO_TEST_SUITE(api_faults)

// Every poll of each faulted session is answered with its fault, so its status is never seen:
// two failures each show it is backed off and polled again; the healthy one fires, alone.
BOOST_AUTO_TEST_CASE(bad_answers_fail_only_their_own_session) {
  struct row {
    sim::fault kind;
    std::string outcome;
    std::string reason;  // the reason starts with this
  };
  const std::vector<row> rows{
      {sim::fault::garbage, "bad_response", "bad HTTP response: "},
      {sim::fault::nested, "bad_response", "nested too deep"},
      {sim::fault::wrong_types, "bad_response", "no data.session.profileMatchingStatus"},
      {sim::fault::wrong_shape, "bad_response", "no data.session"},
      {sim::fault::huge_50mb, "bad_response", "body too large"},
      {sim::fault::huge_50mb_chunked, "bad_response", "body too large"},
  };
  api_fault_rig r;
  std::vector<std::string> ids{r.healthy}, faulted;
  for (unsigned i = 0; i < rows.size(); ++i) {
    faulted.push_back(t::hex_id(0x101 + i));
    auto s = sim::done_after(faulted.back(), 0ms);  // done at once: only the fault hides it
    s.fault_kind = rows[i].kind;
    s.fault_polls = -1;
    r.api->add_session(s);
    ids.push_back(faulted.back());
  }
  r.watch(ids);
  auto c = r.start_ready(t::measured_env());
  const auto hwm_at_ready = t::proc_status_kib(c->pid(), "VmHWM");
  BOOST_REQUIRE(hwm_at_ready.has_value());
  const bool failed = wait_for_failures(*c, faulted, 2, 30s);
  BOOST_REQUIRE_MESSAGE(failed, "not every faulted session failed twice:" << t::tail(*c));
  const auto healthy_done = c->wait_for_text({" action.log ", t::done_event(r.healthy)}, 15s);
  BOOST_TEST(healthy_done.has_value(), "the healthy session never fired:" << t::tail(*c));
  BOOST_TEST(!c->wait_exit(0ms).has_value(), "the daemon exited");

  const auto hwm = t::proc_status_kib(c->pid(), "VmHWM").value_or(0);
  const auto lines = c->err_lines();
  for (std::size_t i = 0; i < rows.size(); ++i) {
    BOOST_TEST_CONTEXT(sim::to_string(rows[i].kind)) {
      const auto failures = t::lines_where(lines, "poll.failed", "session", faulted[i]);
      BOOST_TEST(failures.size() >= 2u);
      for (const auto& l : failures) {
        BOOST_TEST(t::log_field(l, "outcome").value_or("") == rows[i].outcome, l);
        BOOST_TEST(t::log_field(l, "reason").value_or("").starts_with(rows[i].reason), l);
      }
    }
  }
  BOOST_TEST((done_events(*c) == std::set<std::string>{t::done_event(r.healthy)}));
  // Each 50 MiB answer was cut off after the 1 MiB limit (plus what the sockets buffer): the
  // server got less than half of each written, and the daemon's peak resident set grew by less
  // than one such body.
  const auto polls_50mb = r.api->polls_of(faulted[4]) + r.api->polls_of(faulted[5]);
  const auto streamed = r.api->snapshot().streamed_bytes;
  BOOST_TEST(streamed < polls_50mb * 25 * 1024 * 1024, streamed << " bytes over " << polls_50mb);
  BOOST_TEST(hwm - *hwm_at_ready < t::rss_growth_bound_kib,
             "VmHWM " << *hwm_at_ready << " KiB at ready, " << hwm << " KiB after");
  BOOST_TEST_MESSAGE("VmHWM " << *hwm_at_ready << " KiB at ready, " << hwm << " KiB after; "
                              << polls_50mb << " 50 MiB answers, " << streamed
                              << " bytes of them written");
  BOOST_TEST(t::terminate(*c) == 0, t::tail(*c));
  t::expect_no_secrets(*c, r.dir / "state");
}

// A certificate that expired, one for another host, and a server offering TLS 1.0 only: the
// handshake fails for every session, the key is never sent. Once the server presents a good
// certificate over TLS 1.3, the same daemon gets through and both sessions fire.
BOOST_AUTO_TEST_CASE(unverifiable_tls_never_gets_the_key) {
  const auto ca = sim::make_ca("fjwatch faults CA");
  const auto good = sim::issue_cert(ca, {"localhost", "127.0.0.1"});
  struct row {
    std::string name;
    sim::pem_pair cert;
    sim::tls_version max;
    std::string reason;
  };
  const std::vector<row> rows{
      {"expired", sim::issue_cert(ca, {"localhost", "127.0.0.1"}, {-48h, -24h}),
       sim::tls_version::v1_3,
       "TLS handshake: certificate verify failed (certificate has expired)"},
      {"issued for another host", sim::issue_cert(ca, {"api.example.com"}), sim::tls_version::v1_3,
       "TLS handshake: certificate verify failed (hostname mismatch)"},
      {"TLS 1.0 only", good, sim::tls_version::v1_0, "TLS handshake: unsupported protocol"},
  };
  for (const auto& row : rows) {
    BOOST_TEST_CONTEXT(row.name) {
      auto o = t::sim_options();
      o.cert = row.cert;
      o.ca_pem = ca.cert;
      o.tls_max = row.max;
      api_fault_rig r(o);
      const auto other = t::hex_id(0x110);
      r.api->add_session(sim::done_after(other, 0ms));
      r.watch({r.healthy, other});
      if (row.max == sim::tls_version::v1_0) {  // the server offers TLS 1.0 and nothing newer
        BOOST_TEST(handshake_offering_only(r.api->port(), TLS1_VERSION) == "TLSv1");
        BOOST_TEST(handshake_offering_only(r.api->port(), TLS1_2_VERSION).starts_with("refused"));
      }
      const auto before = r.api->snapshot();
      auto c = r.start_ready();
      BOOST_REQUIRE_MESSAGE(wait_for_failures(*c, {r.healthy, other}, 2, 20s),
                            "no two failures per session:" << t::tail(*c));
      for (const auto& id : {r.healthy, other}) {
        for (const auto& l : t::lines_where(c->err_lines(), "poll.failed", "session", id)) {
          BOOST_TEST(t::log_field(l, "outcome").value_or("") == "network_error", l);
          BOOST_TEST(t::log_field(l, "reason").value_or("") == row.reason, l);
        }
      }
      const auto refused = r.api->snapshot();
      // A new connection for each round of failures (the two sessions' polls may share one).
      BOOST_TEST(refused.connections - before.connections >= 2);
      BOOST_TEST(refused.tls_handshakes == before.tls_handshakes);
      BOOST_TEST(refused.requests == 0);
      BOOST_TEST(refused.requests_with_key == 0);
      BOOST_TEST(done_events(*c).empty());

      r.api->set_tls(good);
      for (const auto& id : {r.healthy, other}) {
        BOOST_TEST(c->wait_for_text({" action.log ", t::done_event(id)}, 15s).has_value(),
                   id << " never fired after the certificate was fixed:" << t::tail(*c));
      }
      BOOST_TEST(t::terminate(*c) == 0, t::tail(*c));
      t::expect_no_secrets(*c, r.dir / "state");
    }
  }
}

BOOST_AUTO_TEST_SUITE_END()

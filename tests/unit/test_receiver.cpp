#include <boost/test/unit_test.hpp>

#include "sim/receiver.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/host_name_verification.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <atomic>
#include <chrono>
#include <exception>
#include <functional>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace sim = fjwatch::sim;
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;
using namespace std::chrono_literals;

namespace {

constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);
const boost::system::error_code timed_out = beast::error::timeout;
const boost::system::error_code refused = asio::error::connection_refused;
const boost::system::error_code in_use = asio::error::address_in_use;

std::string b64(const std::string& bytes) {
  std::string out(4 * ((bytes.size() + 2) / 3) + 1, '\0');
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(bytes.data()),
                                static_cast<int>(bytes.size()));
  out.resize(static_cast<std::size_t>(n));
  return out;
}

// The test's own signer: "v1," + base64(HMAC-SHA256(key, id.ts.body)).
std::string sign(const std::string& key, const std::string& id, const std::string& ts,
                 const std::string& body) {
  const std::string content = id + "." + ts + "." + body;
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(content.data()), content.size(), mac, &len);
  return "v1," + b64(std::string(reinterpret_cast<const char*>(mac), len));
}

std::string now_ts() {
  return std::to_string(std::chrono::duration_cast<std::chrono::seconds>(
                            std::chrono::system_clock::now().time_since_epoch())
                            .count());
}

const std::string key = "test-key-for-the-receiver-0123456789";  // 36 bytes
const std::string secret = "whsec_" + b64(key);
const std::string body = R"({"type":"session.done","data":{"session_id":"x"}})";

// What the test client sends. Inside a coroutine keep it in a named variable: GCC 12 may
// corrupt a class temporary that lives across a co_await.
struct outgoing {
  std::string id = "msg_1";
  std::string signature;  // "": signed with `key`
  std::string payload = body;
  std::chrono::milliseconds timeout{1500};
};

struct outcome {
  boost::system::error_code connect_ec;
  boost::system::error_code ec;  // of the write or the read
  bool answered = false;         // a response header arrived
  http::response<http::string_body> res;
  unsigned status() const { return answered ? res.result_int() : 0; }  // 0: no answer
};

// One TLS connection to the receiver, verifying its CA and the name "localhost".
class hook_client {
 public:
  hook_client(asio::any_io_executor ex, const sim::receiver& rcv)
      : port_(rcv.port()), ctx_(ssl::context::tls_client), stream_(make(ex, rcv)) {}

  asio::awaitable<boost::system::error_code> connect() {
    auto& lowest = beast::get_lowest_layer(stream_);
    lowest.expires_after(1s);
    auto [ec] = co_await lowest.async_connect(
        tcp::endpoint(asio::ip::make_address("127.0.0.1"), port_), use_tuple);
    if (ec) co_return ec;
    SSL_set_tlsext_host_name(stream_.native_handle(), "localhost");
    auto [hec] = co_await stream_.async_handshake(ssl::stream_base::client, use_tuple);
    co_return hec;
  }

  asio::awaitable<void> post(const outgoing& d, outcome& out) {
    http::request<http::string_body> req(http::verb::post, "/hook", 11);
    req.set(http::field::host, "localhost");
    req.set(http::field::content_type, "application/json");
    req.set(http::field::user_agent, "fjwatch-test");
    req.set("X-Team", "sourcing");
    const std::string ts = now_ts();
    req.set("webhook-id", d.id);
    req.set("webhook-timestamp", ts);
    const std::string signature =
        d.signature.empty() ? sign(key, d.id, ts, d.payload) : d.signature;
    req.set("webhook-signature", signature);
    req.body() = d.payload;
    req.prepare_payload();
    beast::get_lowest_layer(stream_).expires_after(d.timeout);
    auto [wec, wn] = co_await http::async_write(stream_, req, use_tuple);
    out.ec = wec;
    if (wec) co_return;
    http::response_parser<http::string_body> parser;
    parser.body_limit(4 * 1024 * 1024);
    auto [rec, rn] = co_await http::async_read(stream_, buffer_, parser, use_tuple);
    out.ec = rec;
    out.answered = parser.is_header_done();
    out.res = parser.release();
  }

  // Whether the receiver closes the connection within `bound`.
  asio::awaitable<bool> closed_within(std::chrono::milliseconds bound) {
    beast::get_lowest_layer(stream_).expires_after(bound);
    char byte;
    auto [ec, n] = co_await stream_.async_read_some(asio::buffer(&byte, 1), use_tuple);
    co_return ec&& ec != beast::error::timeout;
  }

 private:
  using stream = beast::ssl_stream<beast::tcp_stream>;
  stream make(asio::any_io_executor ex, const sim::receiver& rcv) {
    ctx_.add_certificate_authority(asio::buffer(rcv.ca_pem()));
    ctx_.set_verify_mode(ssl::verify_peer);
    stream s(ex, ctx_);
    s.set_verify_callback(ssl::host_name_verification("localhost"));
    return s;
  }

  std::uint16_t port_;
  ssl::context ctx_;
  stream stream_;
  beast::flat_buffer buffer_;
};

// One signed delivery on its own connection; counts a 200 answer.
asio::awaitable<void> post_one(asio::any_io_executor ex, const sim::receiver& rcv, std::string id,
                               std::atomic<std::size_t>& answered) {
  hook_client c(ex, rcv);
  const boost::system::error_code ec = co_await c.connect();
  if (ec) co_return;
  const outgoing d{.id = id};
  outcome out;
  co_await c.post(d, out);
  if (out.status() == 200) ++answered;
}

// The receiver on a thread of its own, as in the daemon's tests; the test's client runs on the
// test thread. The destructor checks that stop() leaves no work behind.
struct fixture {
  asio::io_context server_ioc;
  sim::receiver rcv;
  asio::executor_work_guard<asio::io_context::executor_type> guard;
  std::atomic<bool> ran_out{false};
  std::thread thread;

  fixture()
      : rcv(server_ioc, {.secrets = {secret}, .hang_hold = 5s}),
        guard(server_ioc.get_executor()),
        thread([this] {
          server_ioc.run();
          ran_out = true;
        }) {}

  ~fixture() {
    rcv.stop();
    guard.reset();
    const auto limit = std::chrono::steady_clock::now() + 2s;
    while (!ran_out && std::chrono::steady_clock::now() < limit) std::this_thread::yield();
    BOOST_TEST(ran_out.load());
    server_ioc.stop();
    thread.join();
  }

  // Runs `body` on a client loop to its end, within `bound`.
  void client(std::function<asio::awaitable<void>(asio::any_io_executor)> body,
              std::chrono::milliseconds bound = 2500ms) {
    asio::io_context ioc;
    bool finished = false;
    std::exception_ptr failure;
    asio::co_spawn(
        ioc,
        [&]() -> asio::awaitable<void> {
          co_await body(ioc.get_executor());
          finished = true;
        },
        [&](std::exception_ptr e) { failure = e; });
    ioc.run_for(bound);
    if (failure) std::rethrow_exception(failure);
    BOOST_TEST(finished);
  }

  // One delivery on a fresh connection.
  outcome send(const outgoing& d) {
    outcome out;
    client([&](asio::any_io_executor ex) -> asio::awaitable<void> {
      hook_client c(ex, rcv);
      out.connect_ec = co_await c.connect();
      if (!out.connect_ec) co_await c.post(d, out);
    });
    return out;
  }
};

}  // namespace

BOOST_AUTO_TEST_SUITE(signatures)

// The Standard Webhooks specification's published example (secret, id, timestamp t0, body and
// signature), plus variations of it.
BOOST_AUTO_TEST_CASE(signature_problem_table) {
  const std::string sec = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
  const std::string id = "msg_p5jXN8AQM9LWM0D4loKWxJek";
  const std::string bd = R"({"test": 2432232314})";
  const std::string sig = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=";
  const std::int64_t t0 = 1614265330;
  const std::string ts = std::to_string(t0);
  const std::string key64(64, '\x7f');  // 64 bytes: base64 ends in "==", past the HMAC block size
  const std::string no_match = "no v1 signature matches";
  const std::string not_seconds = "webhook-timestamp is not decimal seconds";
  struct row {
    const char* name;
    std::vector<std::string> secrets;
    std::string id, timestamp, body, signature;
    std::int64_t now;
    std::string want;
  };
  const std::vector<row> rows{
      {"spec example", {sec}, id, ts, bd, sig, t0, ""},
      {"bare base64 secret", {sec.substr(6)}, id, ts, bd, sig, t0, ""},
      {"second entry matches", {sec}, id, ts, bd, "v1,AAAA " + sig, t0, ""},
      {"second secret matches", {secret, sec}, id, ts, bd, sig, t0, ""},
      {"64-byte key, padded", {"whsec_" + b64(key64)}, id, ts, bd, sign(key64, id, ts, bd), t0, ""},
      {"300s late is in", {sec}, id, ts, bd, sig, t0 + 300, ""},
      {"300s early is in", {sec}, id, ts, bd, sig, t0 - 300, ""},
      {"301s late", {sec}, id, ts, bd, sig, t0 + 301, "webhook-timestamp is 301s from now"},
      {"other body", {sec}, id, ts, bd + " ", sig, t0, no_match},
      {"other id", {sec}, "msg_other", ts, bd, sig, t0, no_match},
      {"v2 entry", {sec}, id, ts, bd, "v2," + sig.substr(3), t0, no_match},
      {"wrong secret", {secret}, id, ts, bd, sig, t0, no_match},
      {"no secret", {}, id, ts, bd, sig, t0, "no usable secret"},
      {"bad secret", {"whsec_abc"}, id, ts, bd, sig, t0, "no usable secret"},
      {"no id", {sec}, "", ts, bd, sig, t0, "no webhook-id"},
      {"no timestamp", {sec}, id, "", bd, sig, t0, "no webhook-timestamp"},
      {"no signature", {sec}, id, ts, bd, "", t0, "no webhook-signature"},
      {"timestamp with letters", {sec}, id, ts + "x", bd, sig, t0, not_seconds},
      {"negative timestamp", {sec}, id, "-5", bd, sig, t0, not_seconds},
  };
  for (const row& r : rows) {
    BOOST_TEST_CONTEXT(r.name) {
      const std::chrono::system_clock::time_point now{std::chrono::seconds(r.now)};
      BOOST_TEST(sim::signature_problem(r.secrets, r.id, r.timestamp, r.body, r.signature, now) ==
                 r.want);
    }
  }
}

BOOST_AUTO_TEST_CASE(bad_secret_or_status_is_refused) {
  asio::io_context ioc;
  BOOST_CHECK_THROW(sim::receiver(ioc, {.secrets = {"whsec_not base64!"}}), std::invalid_argument);
  sim::receiver rcv(ioc, {.tls = false});
  BOOST_CHECK_THROW(rcv.set_default({.status = 99}), std::invalid_argument);
  BOOST_CHECK_THROW(rcv.script({{}, {.status = 600}}), std::invalid_argument);
  BOOST_TEST(rcv.url() == "http://localhost:" + std::to_string(rcv.port()) + "/hook");
  BOOST_TEST(rcv.url("x") == "http://localhost:" + std::to_string(rcv.port()) + "/x");
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(deliveries)

BOOST_FIXTURE_TEST_CASE(signed_post_is_recorded, fixture) {
  const outcome out = send({.id = "msg_ok"});
  BOOST_REQUIRE(!out.connect_ec);
  BOOST_TEST(!out.ec);
  BOOST_TEST(out.status() == 200u);
  BOOST_TEST(rcv.url() == "https://localhost:" + std::to_string(rcv.port()) + "/hook");
  const std::vector<sim::received> got = rcv.deliveries();
  BOOST_REQUIRE(got.size() == 1u);
  const sim::received& d = got[0];
  BOOST_TEST(d.signature_problem == "");
  BOOST_TEST(d.signature_ok);
  BOOST_TEST(d.method == "POST");
  BOOST_TEST(d.target == "/hook");
  BOOST_TEST(d.id == "msg_ok");
  BOOST_TEST(d.signature == sign(key, "msg_ok", d.timestamp, body));
  BOOST_TEST(d.content_type == "application/json");
  BOOST_TEST(d.user_agent == "fjwatch-test");
  BOOST_TEST(d.headers.at("x-team") == "sourcing");
  BOOST_TEST(d.body == body);
  BOOST_TEST(d.body_read);
  BOOST_TEST(d.answered_status == 200);
  BOOST_TEST(rcv.count() == 1u);
  BOOST_TEST((rcv.ids() == std::set<std::string>{"msg_ok"}));
}

BOOST_FIXTURE_TEST_CASE(wrong_signature_is_recorded_as_such, fixture) {
  const std::string forged = sign("another-key-entirely-0123456789", "msg_bad", now_ts(), body);
  const outcome out = send({.id = "msg_bad", .signature = forged});
  BOOST_TEST(out.status() == 200u);
  const std::vector<sim::received> got = rcv.deliveries();
  BOOST_REQUIRE(got.size() == 1u);
  BOOST_TEST(!got[0].signature_ok);
  BOOST_TEST(got[0].signature_problem == "no v1 signature matches");
}

BOOST_FIXTURE_TEST_CASE(scripted_503_then_default_on_one_connection, fixture) {
  rcv.script({{.status = 503, .retry_after = "7"}});
  outcome first, second;
  client([&](asio::any_io_executor ex) -> asio::awaitable<void> {
    hook_client c(ex, rcv);
    first.connect_ec = co_await c.connect();
    BOOST_REQUIRE(!first.connect_ec);
    const outgoing d{.id = "msg_retry"};
    co_await c.post(d, first);
    co_await c.post(d, second);  // the same keep-alive connection
  });
  BOOST_TEST(first.status() == 503u);
  BOOST_TEST(first.res[http::field::retry_after] == "7");
  BOOST_TEST(!second.ec);
  BOOST_TEST(second.status() == 200u);
  BOOST_TEST(second.res.count(http::field::retry_after) == 0u);
  const std::vector<sim::received> got = rcv.deliveries();
  BOOST_REQUIRE(got.size() == 2u);
  BOOST_TEST(got[0].answered_status == 503);
  BOOST_TEST(got[1].answered_status == 200);
  BOOST_TEST((rcv.ids() == std::set<std::string>{"msg_retry"}));
}

BOOST_FIXTURE_TEST_CASE(ids_counts_only_2xx, fixture) {
  rcv.script({{.status = 500}, {.status = 410}, {.kind = sim::reply_kind::redirect}});
  rcv.set_default({.status = 204});
  const char* const ids[] = {"msg_500", "msg_410", "msg_302", "msg_204"};
  const unsigned want[] = {500, 410, 302, 204};
  for (std::size_t i = 0; i < 4; ++i) {
    const outcome out = send({.id = ids[i]});
    BOOST_TEST_CONTEXT(ids[i]) { BOOST_TEST(out.status() == want[i]); }
  }
  BOOST_TEST(rcv.count() == 4u);
  BOOST_TEST((rcv.ids() == std::set<std::string>{"msg_204"}));
}

BOOST_FIXTURE_TEST_CASE(redirect_points_elsewhere, fixture) {
  rcv.script({{.kind = sim::reply_kind::redirect}});
  const outcome out = send({.id = "msg_redirect"});
  BOOST_TEST(out.status() == 302u);
  BOOST_TEST(out.res[http::field::location] == "https://elsewhere.invalid/");
  BOOST_REQUIRE(rcv.count() == 1u);
  BOOST_TEST(rcv.deliveries()[0].answered_status == 302);
  BOOST_TEST(sim::to_string(rcv.deliveries()[0].kind) == "redirect");
  BOOST_TEST(rcv.ids().empty());
}

BOOST_FIXTURE_TEST_CASE(huge_answer_is_two_mebibytes, fixture) {
  rcv.script({{.kind = sim::reply_kind::huge}});
  const outcome out = send({.id = "msg_huge"});
  BOOST_TEST(!out.ec);
  BOOST_TEST(out.status() == 200u);
  BOOST_TEST(out.res.body().size() == 2u * 1024 * 1024);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(misbehaviour)

BOOST_FIXTURE_TEST_CASE(hang_records_and_never_answers, fixture) {
  rcv.script({{.kind = sim::reply_kind::hang}});
  const auto start = std::chrono::steady_clock::now();
  const outcome out = send({.id = "msg_hang", .timeout = 300ms});
  BOOST_TEST(out.ec == timed_out);
  BOOST_TEST(!out.answered);
  BOOST_TEST((std::chrono::steady_clock::now() - start >= 300ms));
  const std::vector<sim::received> got = rcv.deliveries();
  BOOST_REQUIRE(got.size() == 1u);
  BOOST_TEST(got[0].answered_status == 0);
  BOOST_TEST(sim::to_string(got[0].kind) == "hang");
  BOOST_TEST(got[0].signature_ok);
  BOOST_TEST(rcv.ids().empty());
}

BOOST_FIXTURE_TEST_CASE(go_down_closes_a_held_connection, fixture) {
  rcv.script({{.kind = sim::reply_kind::hang}});
  bool closed = false;
  client([&](asio::any_io_executor ex) -> asio::awaitable<void> {
    hook_client c(ex, rcv);
    const boost::system::error_code ec = co_await c.connect();
    BOOST_REQUIRE(!ec);
    outcome out;
    const outgoing held{.id = "msg_held", .timeout = 200ms};
    co_await c.post(held, out);
    BOOST_TEST(out.ec == timed_out);
    BOOST_TEST(rcv.count() == 1u);
    rcv.go_down();
    closed = co_await c.closed_within(1s);
  });
  BOOST_TEST(closed);
}

// Clients on a thread of their own while this thread waits on the receiver.
BOOST_FIXTURE_TEST_CASE(concurrent_deliveries_are_all_recorded, fixture) {
  constexpr std::size_t clients = 8;
  std::atomic<std::size_t> answered{0};
  std::thread sender([&] {
    asio::io_context ioc;
    for (std::size_t i = 0; i < clients; ++i)
      asio::co_spawn(ioc, post_one(ioc.get_executor(), rcv, "msg_" + std::to_string(i), answered),
                     asio::detached);
    ioc.run_for(2s);
  });
  BOOST_TEST(rcv.wait_for_count(clients, 2s));
  sender.join();
  BOOST_TEST(answered.load() == clients);
  BOOST_TEST(rcv.ids().size() == clients);
}

BOOST_FIXTURE_TEST_CASE(close_answers_nothing, fixture) {
  rcv.script({{.kind = sim::reply_kind::close}});
  const outcome out = send({.id = "msg_close"});
  BOOST_TEST(!!out.ec);
  BOOST_TEST(out.ec != timed_out);
  BOOST_TEST(!out.answered);
  BOOST_REQUIRE(rcv.count() == 1u);
  BOOST_TEST(rcv.deliveries()[0].answered_status == 0);
  BOOST_TEST(rcv.deliveries()[0].body == body);
}

BOOST_FIXTURE_TEST_CASE(no_read_answers_before_the_body, fixture) {
  rcv.script({{.kind = sim::reply_kind::no_read}});
  const outcome out = send({.id = "msg_early", .payload = std::string(256 * 1024, 'b')});
  BOOST_TEST(!out.ec);
  BOOST_TEST(out.status() == 200u);
  BOOST_TEST(!out.res.keep_alive());
  BOOST_REQUIRE(rcv.count() == 1u);
  const sim::received d = rcv.deliveries()[0];
  BOOST_TEST(!d.body_read);
  BOOST_TEST(d.body.empty());
  BOOST_TEST(d.signature_problem == "body not read");
  BOOST_TEST(d.answered_status == 200);
}

BOOST_FIXTURE_TEST_CASE(redirect_goes_to_a_given_location, fixture) {
  rcv.script({{.kind = sim::reply_kind::redirect, .location = "https://127.0.0.1:1/other"}});
  const outcome out = send({.id = "msg_redirect_to"});
  BOOST_TEST(out.status() == 302u);
  BOOST_TEST(out.res[http::field::location] == "https://127.0.0.1:1/other");
}

BOOST_FIXTURE_TEST_CASE(partial_closes_inside_the_answer, fixture) {
  rcv.script({{.kind = sim::reply_kind::partial}});
  const outcome out = send({.id = "msg_partial"});
  BOOST_TEST(!!out.ec);
  BOOST_TEST(out.ec != timed_out);
  BOOST_TEST(!out.answered);
  BOOST_REQUIRE(rcv.count() == 1u);
  BOOST_TEST(sim::to_string(rcv.deliveries()[0].kind) == "partial");
  BOOST_TEST(rcv.deliveries()[0].answered_status == 0);
}

BOOST_FIXTURE_TEST_CASE(trickle_never_ends_the_header, fixture) {
  rcv.script({{.kind = sim::reply_kind::trickle}});
  const outcome out = send({.id = "msg_trickle", .timeout = 350ms});
  BOOST_TEST(out.ec == timed_out);
  BOOST_TEST(!out.answered);
  BOOST_REQUIRE(rcv.count() == 1u);
  BOOST_TEST(sim::to_string(rcv.deliveries()[0].kind) == "trickle");
}

// The client stops at its 4 MiB limit; the receiver writes no more than the sockets take.
BOOST_FIXTURE_TEST_CASE(gigantic_is_written_only_as_far_as_it_is_read, fixture) {
  rcv.script({{.kind = sim::reply_kind::gigantic}});
  const outcome out = send({.id = "msg_gigantic"});
  BOOST_TEST((out.ec == http::error::body_limit), out.ec.message());
  BOOST_TEST(out.status() == 200u);
  BOOST_TEST(out.res[http::field::transfer_encoding] == "chunked");
  BOOST_TEST(rcv.streamed_bytes() < 25u * 1024 * 1024);
  BOOST_REQUIRE(rcv.count() == 1u);
  BOOST_TEST(rcv.deliveries()[0].answered_status == 200);
}

BOOST_FIXTURE_TEST_CASE(body_over_one_mebibyte_is_413_and_not_recorded, fixture) {
  const outcome out = send({.id = "msg_big", .payload = std::string(1024 * 1024 + 1, 'b')});
  BOOST_TEST(out.status() == 413u);
  BOOST_TEST(rcv.count() == 0u);
}

BOOST_FIXTURE_TEST_CASE(go_down_refuses_and_go_up_restores_the_port, fixture) {
  const std::uint16_t port = rcv.port();
  BOOST_TEST(send({.id = "msg_before"}).status() == 200u);
  rcv.go_down();
  rcv.go_down();  // idempotent
  BOOST_TEST(!rcv.is_up());
  BOOST_TEST(rcv.port() == port);
  const outcome down = send({.id = "msg_down"});
  BOOST_TEST(down.connect_ec == refused);
  // Nothing else can take the port meanwhile.
  asio::io_context ioc;
  tcp::acceptor other(ioc);
  other.open(tcp::v4());
  boost::system::error_code ec;
  other.bind(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port), ec);
  BOOST_TEST(ec == in_use);
  other.close();
  rcv.go_up();
  rcv.go_up();  // idempotent
  BOOST_TEST(rcv.is_up());
  BOOST_TEST(rcv.port() == port);
  BOOST_TEST(send({.id = "msg_after"}).status() == 200u);
  BOOST_TEST((rcv.ids() == std::set<std::string>{"msg_before", "msg_after"}));
}

BOOST_AUTO_TEST_SUITE_END()

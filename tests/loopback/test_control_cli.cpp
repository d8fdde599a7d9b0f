// `fjwatch status` and `fjwatch check` as a user runs them: the real binary, against a real
// daemon (the binary too) that polls the simulator.
#include <boost/test/unit_test.hpp>

#include "support/control_client.hpp"
#include "support/process.hpp"

#include <boost/json/parse.hpp>

#include <algorithm>
#include <sstream>

namespace {

namespace ft = fjwatch::testing;
namespace sim = fjwatch::sim;
namespace json = boost::json;
using namespace std::chrono_literals;

bool has(std::string_view text, std::string_view part) {
  return text.find(part) != std::string_view::npos;
}

// The stdout line that mentions `part` ("" when none does).
std::string line_with(const std::string& text, std::string_view part) {
  std::size_t start = 0;
  while (start < text.size()) {
    const auto end = text.find('\n', start);
    const auto line = text.substr(start, end - start);
    if (has(line, part)) return line;
    start = end == std::string::npos ? text.size() : end + 1;
  }
  return "";
}

// The blank-separated words of `line`.
std::vector<std::string> words(const std::string& line) {
  std::vector<std::string> out;
  std::istringstream in(line);
  for (std::string w; in >> w;) out.push_back(w);
  return out;
}

// Starts the daemon of `r` and waits until it has fired one action line.
std::unique_ptr<ft::child_process> run_until_done(ft::rig& r) {
  auto d = r.start_ready();
  const auto fired = d->wait_for_line([](auto l) { return ft::is_event(l, "action.log"); }, 10s);
  if (!fired) throw std::runtime_error("no action.log within 10 s:" + ft::tail(*d));
  return d;
}

}  // namespace

BOOST_AUTO_TEST_CASE(status_prints_the_daemons_health_and_sessions) {
  ft::rig r;
  const std::string done = "6a00000000000000000c1001", waiting = "6a00000000000000000c1002";
  r.api->add_session(sim::done_at_poll(done, 1));
  r.api->add_session(sim::session_script{.id = waiting});
  r.watch({done, waiting});
  const auto address = "127.0.0.1:" + std::to_string(ft::free_port());
  r.cfg.control = address;
  auto d = run_until_done(r);

  const auto table = ft::run_to_end({"status", "-c", r.config_path().string()}, r.dir.path());
  BOOST_TEST(table.code == 0);
  BOOST_TEST(
      table.out.starts_with("fjwatch at " + address + ": ok\n2 sessions watched\n\nSESSION "),
      table.out);
  // SESSION LABEL STATE MATCHED EVENTS LAST-POLL NEXT-POLL LAST-ERROR
  const auto row = words(line_with(table.out, done));
  BOOST_TEST_REQUIRE(row.size() == 8u, table.out);
  BOOST_TEST(row[2] == "done");
  BOOST_TEST(row[3] == "25/25");
  BOOST_TEST(row[4] == "1");
  BOOST_TEST(row[6] == "-");  // no next poll: done and stopped
  const auto other = words(line_with(table.out, waiting));
  BOOST_TEST_REQUIRE(other.size() >= 7u, table.out);
  BOOST_TEST(other[2] == "processing");
  BOOST_TEST((other[6].starts_with("in ") || other[6] == "now"), table.out);

  const auto as_json =
      ft::run_to_end({"status", "--json", "-c", r.config_path().string()}, r.dir.path());
  BOOST_TEST(as_json.code == 0);
  const auto doc = json::parse(as_json.out);
  BOOST_TEST(doc.at("address").as_string() == address);
  BOOST_TEST(doc.at("health").at("status").as_string() == "ok");
  BOOST_TEST_REQUIRE(doc.at("sessions").as_array().size() == 2u);
  BOOST_TEST(doc.at("sessions").as_array()[0].at("id").as_string() == done);

  BOOST_TEST(ft::terminate(*d) == 0);
  const auto gone = ft::run_to_end({"status", "-c", r.config_path().string()}, r.dir.path());
  BOOST_TEST(gone.code == 69);
  BOOST_TEST(gone.out == "");
  BOOST_TEST_REQUIRE(gone.err.size() == 1u);
  BOOST_TEST(gone.err[0] == "fjwatch status: no fjwatch daemon answers at " + address +
                                " (connect: Connection refused)");
}

BOOST_AUTO_TEST_CASE(status_over_a_unix_socket) {
  ft::rig r;
  const std::string id = "6a00000000000000000c1003";
  r.api->add_session(sim::done_at_poll(id, 1));
  r.watch({id});
  const auto socket = (r.dir / "control.sock").string();
  r.cfg.control = "\"unix:" + socket + "\"";
  auto d = run_until_done(r);
  const auto table = ft::run_to_end({"status", "-c", r.config_path().string()}, r.dir.path());
  BOOST_TEST(table.code == 0);
  BOOST_TEST(table.out.starts_with("fjwatch at unix:" + socket + ": ok\n1 session watched\n"),
             table.out);

  BOOST_TEST(ft::terminate(*d) == 0);
  BOOST_TEST(!std::filesystem::exists(socket));
  const auto gone = ft::run_to_end({"status", "-c", r.config_path().string()}, r.dir.path());
  BOOST_TEST(gone.code == 69);
  BOOST_TEST_REQUIRE(gone.err.size() == 1u);
  BOOST_TEST(gone.err[0] == "fjwatch status: no fjwatch daemon answers at unix:" + socket +
                                " (connect: No such file or directory)");
}

BOOST_AUTO_TEST_CASE(status_without_an_endpoint_or_with_bad_words) {
  ft::workspace w;
  w.dir.write("fjwatch.yaml", ft::config_yaml(w.cfg));  // control: ""
  const auto off = ft::run_to_end({"status", "-c", w.config_path().string()}, w.dir.path());
  BOOST_TEST(off.code == 69);
  BOOST_TEST_REQUIRE(off.err.size() == 1u);
  BOOST_TEST(off.err[0] == "fjwatch status: the control endpoint is off (control: \"\" in " +
                               w.config_path().string() + "), so there is no daemon to ask");
  const auto usage = ft::run_to_end({"status", "--verbose"}, w.dir.path());
  BOOST_TEST(usage.code == 64);
  BOOST_TEST_REQUIRE(usage.err.size() == 2u);
  BOOST_TEST(usage.err[0] == "fjwatch status: unknown option --verbose");
  BOOST_TEST(usage.err[1] == "usage: fjwatch status [-c FILE] [--json]");
}

BOOST_AUTO_TEST_CASE(check_and_run_refuse_a_remote_control_address) {
  ft::workspace w;
  w.cfg.control = "0.0.0.0:9470";
  w.dir.write("fjwatch.yaml", ft::config_yaml(w.cfg));
  const auto check = ft::run_to_end({"check", "-c", w.config_path().string()}, w.dir.path());
  BOOST_TEST(check.code == 78);
  const auto text = ft::read_all(w.config_path());
  const auto line =
      std::count(text.begin(), text.begin() + static_cast<long>(text.find("\ncontrol:")), '\n') + 2;
  BOOST_TEST_REQUIRE(!check.err.empty());
  BOOST_TEST(check.err[0] == w.config_path().string() + ":" + std::to_string(line) +
                                 ":10: control: \"0.0.0.0:9470\" is not a loopback address; set "
                                 "control_allow_remote: true to listen there");
  const auto run = ft::run_to_end({"run", "-c", w.config_path().string()}, w.dir.path());
  BOOST_TEST(run.code == 78);
}

// The simulator's throw-away certificates (module `sim`, see test_sim.cpp).
#include <boost/test/unit_test.hpp>

#include "support/temp_dir.hpp"

#include "sim/certs.hpp"

#include <openssl/pem.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>

#include <sys/stat.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>

namespace sim = fjwatch::sim;
using namespace std::chrono_literals;

BOOST_AUTO_TEST_SUITE(certs)

BOOST_AUTO_TEST_CASE(leaf_verifies_against_its_ca_and_expired_one_does_not) {
  const sim::pem_pair ca = sim::make_ca("test CA");
  struct row {
    const char* name;
    sim::validity valid;
    int expected_error;
  };
  const row rows[] = {
      {"current", {}, X509_V_OK},
      {"expired", {-48h, -24h}, X509_V_ERR_CERT_HAS_EXPIRED},
      {"not yet valid", {24h, 48h}, X509_V_ERR_CERT_NOT_YET_VALID},
  };
  for (const row& r : rows) {
    BOOST_TEST_CONTEXT(r.name) {
      const sim::pem_pair leaf = sim::issue_cert(ca, {"localhost", "127.0.0.1"}, r.valid);
      BOOST_TEST(leaf.key.find("BEGIN PRIVATE KEY") != std::string::npos);
      BIO* ca_bio = BIO_new_mem_buf(ca.cert.data(), static_cast<int>(ca.cert.size()));
      BIO* leaf_bio = BIO_new_mem_buf(leaf.cert.data(), static_cast<int>(leaf.cert.size()));
      X509* ca_x = PEM_read_bio_X509(ca_bio, nullptr, nullptr, nullptr);
      X509* leaf_x = PEM_read_bio_X509(leaf_bio, nullptr, nullptr, nullptr);
      BOOST_REQUIRE(ca_x);
      BOOST_REQUIRE(leaf_x);
      X509_STORE* store = X509_STORE_new();
      X509_STORE_add_cert(store, ca_x);
      X509_STORE_CTX* ctx = X509_STORE_CTX_new();
      X509_STORE_CTX_init(ctx, store, leaf_x, nullptr);
      const int ok = X509_verify_cert(ctx);
      BOOST_TEST(ok == (r.expected_error == X509_V_OK ? 1 : 0));
      BOOST_TEST(X509_STORE_CTX_get_error(ctx) == r.expected_error);
      BOOST_TEST(X509_check_host(leaf_x, "localhost", 0, 0, nullptr) == 1);
      BOOST_TEST(X509_check_ip_asc(leaf_x, "127.0.0.1", 0) == 1);
      BOOST_TEST(X509_check_host(leaf_x, "example.com", 0, 0, nullptr) == 0);
      X509_STORE_CTX_free(ctx);
      X509_STORE_free(store);
      X509_free(leaf_x);
      X509_free(ca_x);
      BIO_free(leaf_bio);
      BIO_free(ca_bio);
    }
  }
}

BOOST_AUTO_TEST_CASE(issue_cert_rejects_bad_input) {
  const sim::pem_pair ca = sim::make_ca("test CA");
  BOOST_CHECK_THROW(sim::issue_cert(ca, {}), std::invalid_argument);
  BOOST_CHECK_THROW(sim::issue_cert({"not pem", "not pem"}, {"localhost"}), std::runtime_error);
}

BOOST_AUTO_TEST_CASE(write_file_sets_the_mode_even_on_an_existing_file) {
  const fjwatch::testing::temp_dir tmp("fjwatch-sim-test");
  const std::filesystem::path& dir = tmp.path();
  const std::string path = (dir / "key.pem").string();
  std::ofstream(path) << "old contents that are longer";
  ::chmod(path.c_str(), 0644);
  sim::write_file(path, "secret\n");
  struct stat st {};
  BOOST_REQUIRE(::stat(path.c_str(), &st) == 0);
  BOOST_TEST((st.st_mode & 0777) == 0600u);
  std::ifstream in(path);
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  BOOST_TEST(text == "secret\n");
  BOOST_CHECK_EXCEPTION(sim::write_file((dir / "no/such/dir").string(), "x"), std::runtime_error,
                        [&](const std::runtime_error& e) {
                          return std::string(e.what()) ==
                                 (dir / "no/such/dir").string() +
                                     ": cannot open: No such file or directory";
                        });
}

BOOST_AUTO_TEST_SUITE_END()

#include "sim/certs.hpp"

#include <boost/asio/buffer.hpp>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <arpa/inet.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <memory>
#include <stdexcept>

namespace fjwatch::sim {
namespace {

namespace ssl = boost::asio::ssl;

struct openssl_free {
  void operator()(X509* p) const { X509_free(p); }
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
  void operator()(BIO* p) const { BIO_free(p); }
  void operator()(BIGNUM* p) const { BN_free(p); }
  void operator()(X509_EXTENSION* p) const { X509_EXTENSION_free(p); }
};
using x509_ptr = std::unique_ptr<X509, openssl_free>;
using pkey_ptr = std::unique_ptr<EVP_PKEY, openssl_free>;
using bio_ptr = std::unique_ptr<BIO, openssl_free>;
using bn_ptr = std::unique_ptr<BIGNUM, openssl_free>;
using ext_ptr = std::unique_ptr<X509_EXTENSION, openssl_free>;

void check(bool ok, const char* what) {
  if (!ok) throw std::runtime_error(std::string("certificate generation failed: ") + what);
}

pkey_ptr new_ec_key() {
  pkey_ptr key(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"));
  check(key != nullptr, "EC P-256 key generation");
  return key;
}

// A new certificate for `key` with a random serial, the validity window and subject CN.
x509_ptr new_cert(EVP_PKEY* key, const std::string& common_name, validity valid) {
  x509_ptr cert(X509_new());
  check(cert != nullptr, "X509_new");
  check(X509_set_version(cert.get(), 2) == 1, "version");
  bn_ptr serial(BN_new());
  check(serial && BN_rand(serial.get(), 120, BN_RAND_TOP_ANY, BN_RAND_BOTTOM_ANY) == 1, "serial");
  check(BN_to_ASN1_INTEGER(serial.get(), X509_get_serialNumber(cert.get())) != nullptr, "serial");
  check(X509_gmtime_adj(X509_getm_notBefore(cert.get()), valid.from.count()) != nullptr,
        "notBefore");
  check(X509_gmtime_adj(X509_getm_notAfter(cert.get()), valid.to.count()) != nullptr, "notAfter");
  check(X509_set_pubkey(cert.get(), key) == 1, "public key");
  X509_NAME* name = X509_get_subject_name(cert.get());
  const auto* cn = reinterpret_cast<const unsigned char*>(common_name.c_str());
  check(X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8, cn, -1, -1, 0) == 1, "subject");
  return cert;
}

void add_ext(X509* cert, X509* issuer, int nid, const std::string& value) {
  X509V3_CTX ctx;
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  ext_ptr ext(X509V3_EXT_conf_nid(nullptr, &ctx, nid, value.c_str()));
  check(ext != nullptr, OBJ_nid2sn(nid));
  check(X509_add_ext(cert, ext.get(), -1) == 1, OBJ_nid2sn(nid));
}

std::string read_bio(BIO* bio) {
  char* data = nullptr;
  const long n = BIO_get_mem_data(bio, &data);
  return std::string(data, static_cast<std::size_t>(n));
}

pem_pair to_pem(X509* cert, EVP_PKEY* key) {
  bio_ptr cert_bio(BIO_new(BIO_s_mem()));
  bio_ptr key_bio(BIO_new(BIO_s_mem()));
  check(cert_bio && key_bio, "BIO_new");
  check(PEM_write_bio_X509(cert_bio.get(), cert) == 1, "PEM certificate");
  check(PEM_write_bio_PrivateKey(key_bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr) == 1,
        "PEM key");
  return {read_bio(cert_bio.get()), read_bio(key_bio.get())};
}

int openssl_version(tls_version v) {
  switch (v) {
    case tls_version::v1_0:
      return TLS1_VERSION;
    case tls_version::v1_1:
      return TLS1_1_VERSION;
    case tls_version::v1_2:
      return TLS1_2_VERSION;
    case tls_version::v1_3:
      return TLS1_3_VERSION;
  }
  return TLS1_3_VERSION;
}

// The fixed-version method of a server that knows nothing newer than `top` (TLS 1.0 or 1.1):
// unlike the version-flexible method capped at `top`, it answers a client that offers newer
// versions with a ServerHello for `top`, so that the client is the side that must refuse.
const SSL_METHOD* legacy_server_method(int top) {
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
  return top == TLS1_VERSION ? TLSv1_server_method() : TLSv1_1_server_method();
#pragma GCC diagnostic pop
}

bool is_ip_literal(const std::string& name) {
  unsigned char buf[16];
  return inet_pton(AF_INET, name.c_str(), buf) == 1 || inet_pton(AF_INET6, name.c_str(), buf) == 1;
}

}  // namespace

pem_pair make_ca(const std::string& common_name, validity valid) {
  pkey_ptr key = new_ec_key();
  x509_ptr cert = new_cert(key.get(), common_name, valid);
  check(X509_set_issuer_name(cert.get(), X509_get_subject_name(cert.get())) == 1, "issuer");
  add_ext(cert.get(), cert.get(), NID_basic_constraints, "critical,CA:TRUE");
  add_ext(cert.get(), cert.get(), NID_key_usage, "critical,keyCertSign,cRLSign");
  add_ext(cert.get(), cert.get(), NID_subject_key_identifier, "hash");
  check(X509_sign(cert.get(), key.get(), EVP_sha256()) > 0, "signing");
  return to_pem(cert.get(), key.get());
}

pem_pair issue_cert(const pem_pair& ca, const std::vector<std::string>& names, validity valid) {
  if (names.empty()) throw std::invalid_argument("issue_cert: at least one name is required");
  bio_ptr ca_cert_bio(BIO_new_mem_buf(ca.cert.data(), static_cast<int>(ca.cert.size())));
  bio_ptr ca_key_bio(BIO_new_mem_buf(ca.key.data(), static_cast<int>(ca.key.size())));
  check(ca_cert_bio && ca_key_bio, "BIO_new_mem_buf");
  x509_ptr ca_cert(PEM_read_bio_X509(ca_cert_bio.get(), nullptr, nullptr, nullptr));
  pkey_ptr ca_key(PEM_read_bio_PrivateKey(ca_key_bio.get(), nullptr, nullptr, nullptr));
  if (!ca_cert || !ca_key)
    throw std::runtime_error("issue_cert: the CA certificate or key is not PEM");

  pkey_ptr key = new_ec_key();
  x509_ptr cert = new_cert(key.get(), names.front(), valid);
  check(X509_set_issuer_name(cert.get(), X509_get_subject_name(ca_cert.get())) == 1, "issuer");
  std::string alt;
  for (const auto& name : names) {
    if (!alt.empty()) alt += ',';
    alt += (is_ip_literal(name) ? "IP:" : "DNS:") + name;
  }
  add_ext(cert.get(), ca_cert.get(), NID_basic_constraints, "critical,CA:FALSE");
  add_ext(cert.get(), ca_cert.get(), NID_key_usage, "critical,digitalSignature");
  add_ext(cert.get(), ca_cert.get(), NID_ext_key_usage, "serverAuth");
  add_ext(cert.get(), ca_cert.get(), NID_subject_alt_name, alt);
  add_ext(cert.get(), ca_cert.get(), NID_subject_key_identifier, "hash");
  add_ext(cert.get(), ca_cert.get(), NID_authority_key_identifier, "keyid:always");
  check(X509_sign(cert.get(), ca_key.get(), EVP_sha256()) > 0, "signing");
  return to_pem(cert.get(), key.get());
}

void write_file(const std::string& path, const std::string& contents, unsigned mode) {
  const auto fail = [&](const char* what) {
    throw std::runtime_error(path + ": " + what + ": " + std::strerror(errno));
  };
  const int fd =
      ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, static_cast<mode_t>(mode));
  if (fd < 0) fail("cannot open");
  if (::fchmod(fd, static_cast<mode_t>(mode)) != 0) {
    const int saved = errno;
    ::close(fd);
    errno = saved;
    fail("cannot set permissions");
  }
  std::size_t done = 0;
  while (done < contents.size()) {
    const ssize_t n = ::write(fd, contents.data() + done, contents.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      const int saved = errno;
      ::close(fd);
      errno = saved;
      fail("cannot write");
    }
    done += static_cast<std::size_t>(n);
  }
  if (::close(fd) != 0) fail("cannot close");
}

pem_pair loopback_cert(const pem_pair& given, const std::string& given_ca, const std::string& host,
                       const std::string& ca_name, std::string& ca_pem) {
  if (!given.empty()) {
    ca_pem = given_ca;
    return given;
  }
  const pem_pair ca = make_ca(ca_name);
  ca_pem = ca.cert;
  std::vector<std::string> names{"localhost", "127.0.0.1"};
  if (host != "127.0.0.1") names.push_back(host);
  return issue_cert(ca, names);
}

std::shared_ptr<ssl::context> server_tls_context(const pem_pair& leaf, tls_version max) {
  const int top = openssl_version(max);
  std::shared_ptr<ssl::context> ctx;
  if (top < TLS1_2_VERSION) {
    SSL_CTX* h = SSL_CTX_new(legacy_server_method(top));
    if (h == nullptr) throw std::runtime_error("sim: no TLS context for a legacy version");
    ctx = std::make_shared<ssl::context>(h);
    SSL_CTX_set_security_level(h, 0);
    if (SSL_CTX_set_cipher_list(h, "DEFAULT:@SECLEVEL=0") != 1)
      throw std::runtime_error("sim: cannot allow the legacy ciphers");
  } else {
    ctx = std::make_shared<ssl::context>(ssl::context::tls_server);
    if (SSL_CTX_set_min_proto_version(ctx->native_handle(), TLS1_2_VERSION) != 1 ||
        SSL_CTX_set_max_proto_version(ctx->native_handle(), top) != 1)
      throw std::runtime_error("sim: cannot set the TLS versions");
  }
  ctx->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                   ssl::context::no_sslv3);
  ctx->use_certificate_chain(boost::asio::buffer(leaf.cert));
  ctx->use_private_key(boost::asio::buffer(leaf.key), ssl::context::pem);
  return ctx;
}

}  // namespace fjwatch::sim

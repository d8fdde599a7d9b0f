#pragma once
// Throw-away X.509 certificates for the simulator and the tests: a CA and leaves it signs; the
// TLS server context that presents one.
#include <boost/asio/ssl/context.hpp>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

namespace fjwatch::sim {

// A certificate and its private key, both PEM (the key as PKCS#8 "PRIVATE KEY").
struct pem_pair {
  std::string cert;
  std::string key;
  bool empty() const { return cert.empty() && key.empty(); }
};

// When a certificate is valid, relative to the moment it is made. A window entirely in the past
// (e.g. {-48h, -24h}) makes an expired certificate.
struct validity {
  std::chrono::seconds from{-3600};
  std::chrono::seconds to{86400};
};

// A self-signed CA (EC P-256, SHA-256, basicConstraints CA:TRUE) named `common_name`.
// Throws std::runtime_error if OpenSSL fails.
pem_pair make_ca(const std::string& common_name, validity valid = {});

// A server leaf signed by `ca` (EC P-256). Each name becomes a subjectAltName: an IP address when
// it parses as one, a DNS name otherwise; the first name is also the CN. Throws
// std::invalid_argument for no names, std::runtime_error if `ca` does not load or OpenSSL fails.
pem_pair issue_cert(const pem_pair& ca, const std::vector<std::string>& names, validity valid = {});

// The certificate a loopback server presents: `given` when it is set (then ca_pem = given_ca),
// else a fresh leaf for localhost, 127.0.0.1 and `host`, signed by a fresh CA named `ca_name`
// (then ca_pem = that CA). Throws like make_ca / issue_cert.
pem_pair loopback_cert(const pem_pair& given, const std::string& given_ca, const std::string& host,
                       const std::string& ca_name, std::string& ca_pem);

// Writes `contents` to `path` (created or truncated) with permission bits `mode`, also applied
// to a file that already existed. Throws std::runtime_error naming the path on failure.
void write_file(const std::string& path, const std::string& contents, unsigned mode = 0600);

// The highest TLS version a server offers.
enum class tls_version { v1_0, v1_1, v1_2, v1_3 };

// A server context presenting `leaf` and offering TLS 1.2 up to `max`. Below 1.2 it offers
// exactly `max`, as a server that knows nothing newer: a client offering newer versions gets a
// ServerHello for `max` anyway, and must refuse it itself. TLS 1.0 and 1.1 run at OpenSSL
// security level 0, which they need on OpenSSL 3. Throws std::runtime_error or
// boost::system::system_error if the versions cannot be set or `leaf` does not load.
std::shared_ptr<boost::asio::ssl::context> server_tls_context(const pem_pair& leaf,
                                                              tls_version max = tls_version::v1_3);

}  // namespace fjwatch::sim

#pragma once
// Expected failures as values: a poll that got bad JSON, a file that does not parse.
#include <boost/system/result.hpp>

#include <boost/assert/source_location.hpp>

#include <stdexcept>
#include <string>

namespace fjwatch {

// Why an expected failure happened: short, human-readable, never holding a secret. A type of its
// own (not a bare std::string) so that result<std::string> and result<aggregate> stay unambiguous.
// Built only through fail(): were it constructible from a string, result<std::string> could not
// tell a value from an error.
class failure {
 public:
  failure() = default;
  std::string what;

 private:
  struct tag {};
  failure(tag, std::string w) : what(std::move(w)) {}
  friend failure fail(std::string what);
};

// Builds the error side of any result<T>: `return fail("not JSON");`.
inline failure fail(std::string what) { return failure(failure::tag{}, std::move(what)); }

// A value or the failure that stands in its place. r.error().what is the reason; r.value() on a
// failure throws std::runtime_error(reason).
template <class T>
using result = boost::system::result<T, failure>;

// Found by ADL when result<T>::value() is called on a failure.
[[noreturn]] inline void throw_exception_from_error(const failure& f,
                                                    const boost::source_location&) {
  throw std::runtime_error(f.what);
}

}  // namespace fjwatch

#include <boost/test/unit_test.hpp>

// The scheduler's open-addressing index, against std::unordered_map under random inserts and
// erases (with a table small enough that probe runs wrap around its end).
#include "fjwatch/domain/id_index.hpp"

#include <cstdio>
#include <random>
#include <unordered_map>
#include <vector>

using fjwatch::id_index;
using fjwatch::session_id;

namespace {

session_id make_id(unsigned n) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "6a0b%020x", n);
  return *session_id::parse(buf);
}

}  // namespace

namespace {

// Random inserts and erases of ids drawn from `pool`, checked against std::unordered_map.
void churn(unsigned pool, int steps, unsigned seed) {
  std::vector<session_id> slots;  // slot number -> id, as the scheduler's slots hold them
  const auto id_of = [&](std::uint32_t slot) -> const session_id& { return slots.at(slot); };
  std::unordered_map<session_id, std::uint32_t> reference;
  id_index index;
  std::mt19937 rng(seed);
  for (int step = 0; step < steps; ++step) {
    const auto id = make_id(rng() % pool);
    if (rng() % 3 != 0) {
      if (reference.contains(id)) continue;
      slots.push_back(id);
      const auto slot = static_cast<std::uint32_t>(slots.size() - 1);
      index.insert(slot, id_of);
      reference.emplace(id, slot);
    } else {
      BOOST_TEST_REQUIRE(index.erase(id, id_of) == (reference.erase(id) == 1));
    }
    if (pool < 100 || step % 97 == 0) {
      BOOST_TEST_REQUIRE(index.size() == reference.size());
      for (unsigned n = 0; n < pool; ++n) {
        const auto probe = make_id(n);
        const auto it = reference.find(probe);
        const auto got = index.find(probe, id_of);
        BOOST_TEST_REQUIRE(got.has_value() == (it != reference.end()));
        if (got) BOOST_TEST_REQUIRE(*got == it->second);
      }
    }
  }
  BOOST_TEST(index.size() == reference.size());
}

}  // namespace

// A few ids in a 16-bucket table: probe runs wrap around its end all the time.
BOOST_AUTO_TEST_CASE(agrees_with_unordered_map_in_a_small_table) { churn(9, 100000, 5); }

BOOST_AUTO_TEST_CASE(agrees_with_unordered_map_in_a_large_table) { churn(3000, 100000, 11); }

// An erase whose probe run wraps around the table's end: an entry past the wrap whose home is
// after the hole must stay where it is.
BOOST_AUTO_TEST_CASE(erase_across_the_end_of_the_table) {
  // Ids by their home bucket in a 16-bucket table.
  std::vector<std::vector<session_id>> by_home(16);
  for (unsigned n = 0; by_home[13].empty() || by_home[14].empty() || by_home[15].size() < 2; ++n) {
    const auto id = make_id(n);
    by_home[std::hash<session_id>{}(id)&15].push_back(id);
  }
  // 13: x, 14: a, 15: b, then c (home 15) wraps to bucket 0.
  std::vector<session_id> slots{by_home[13][0], by_home[14][0], by_home[15][0], by_home[15][1]};
  const auto id_of = [&](std::uint32_t slot) -> const session_id& { return slots.at(slot); };
  id_index index;
  index.reserve(8, id_of);
  BOOST_TEST_REQUIRE(index.bytes() == 16 * sizeof(std::uint32_t));
  for (std::uint32_t slot = 0; slot < slots.size(); ++slot) index.insert(slot, id_of);
  BOOST_TEST(index.erase(slots[0], id_of));
  for (std::uint32_t slot = 1; slot < slots.size(); ++slot) {
    BOOST_TEST(index.find(slots[slot], id_of).value_or(~0u) == slot);
  }
  BOOST_TEST(!index.find(slots[0], id_of).has_value());
}

BOOST_AUTO_TEST_CASE(stays_at_most_half_full) {
  std::vector<session_id> slots;
  const auto id_of = [&](std::uint32_t slot) -> const session_id& { return slots.at(slot); };
  id_index index;
  BOOST_TEST(!index.find(make_id(1), id_of).has_value());
  BOOST_TEST(!index.erase(make_id(1), id_of));
  index.reserve(1000, id_of);
  const auto reserved = index.bytes();
  for (unsigned n = 0; n < 1000; ++n) {
    slots.push_back(make_id(n));
    index.insert(n, id_of);
  }
  BOOST_TEST(index.bytes() == reserved);  // no rehash after reserve
  BOOST_TEST(index.bytes() >= 2 * 1000 * sizeof(std::uint32_t));
  BOOST_TEST(index.bytes() <= 4 * 1000 * sizeof(std::uint32_t));
  for (unsigned n = 0; n < 1000; ++n)
    BOOST_TEST_REQUIRE(index.find(make_id(n), id_of).value_or(~0u) == n);
}

#pragma once
// The scheduler's index from session id to slot number: an open-addressing table of 4-byte slot
// numbers (linear probing, at most half full, backward-shift deletion), so a watched session
// costs 8 to 16 bytes of index instead of a hash node of about 70. The ids live in the slots; the
// table reads them through `id_of(slot)`, a callable passed to each operation. Pure; no Asio.
#include "fjwatch/domain/session.hpp"

#include <cstdint>
#include <functional>
#include <optional>
#include <vector>

namespace fjwatch {

class id_index {
 public:
  // The slot holding `id`, or nullopt.
  template <class IdOf>
  std::optional<std::uint32_t> find(const session_id& id, const IdOf& id_of) const {
    if (size_ == 0) return std::nullopt;
    for (std::size_t b = home(id);; b = next(b)) {
      if (buckets_[b] == empty) return std::nullopt;
      if (id_of(buckets_[b]) == id) return buckets_[b];
    }
  }

  // Adds `slot`, whose id (id_of(slot)) must not be in the table yet.
  template <class IdOf>
  void insert(std::uint32_t slot, const IdOf& id_of) {
    if ((size_ + 1) * 2 > buckets_.size())
      rehash(std::max<std::size_t>(16, buckets_.size() * 2), id_of);
    place(slot, id_of);
    ++size_;
  }

  // Removes `id`; false when it was not there.
  template <class IdOf>
  bool erase(const session_id& id, const IdOf& id_of) {
    if (size_ == 0) return false;
    std::size_t hole = home(id);
    for (;; hole = next(hole)) {
      if (buckets_[hole] == empty) return false;
      if (id_of(buckets_[hole]) == id) break;
    }
    // Pull later members of the probe run back over the hole, so no search stops early.
    for (std::size_t b = next(hole); buckets_[b] != empty; b = next(b)) {
      const std::size_t want = home(id_of(buckets_[b]));
      const bool movable = hole <= b ? (want <= hole || want > b) : (want <= hole && want > b);
      if (movable) {
        buckets_[hole] = buckets_[b];
        hole = b;
      }
    }
    buckets_[hole] = empty;
    --size_;
    return true;
  }

  // Makes room for `n` ids without a rehash.
  template <class IdOf>
  void reserve(std::size_t n, const IdOf& id_of) {
    std::size_t want = 16;
    while (want < n * 2) want *= 2;
    if (want > buckets_.size()) rehash(want, id_of);
  }

  std::size_t size() const { return size_; }
  // Bytes held by the table.
  std::size_t bytes() const { return buckets_.capacity() * sizeof(std::uint32_t); }

 private:
  static constexpr std::uint32_t empty = UINT32_MAX;

  std::size_t home(const session_id& id) const {
    return std::hash<session_id>{}(id) & (buckets_.size() - 1);
  }
  std::size_t next(std::size_t b) const { return (b + 1) & (buckets_.size() - 1); }

  template <class IdOf>
  void place(std::uint32_t slot, const IdOf& id_of) {
    std::size_t b = home(id_of(slot));
    while (buckets_[b] != empty) b = next(b);
    buckets_[b] = slot;
  }

  template <class IdOf>
  void rehash(std::size_t buckets, const IdOf& id_of) {
    std::vector<std::uint32_t> old(buckets, empty);
    old.swap(buckets_);
    for (const auto slot : old) {
      if (slot != empty) place(slot, id_of);
    }
  }

  std::vector<std::uint32_t> buckets_;
  std::size_t size_ = 0;
};

}  // namespace fjwatch

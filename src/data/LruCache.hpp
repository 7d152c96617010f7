// A least-recently-used cache bounded by bytes: a hit is one hash lookup and a list splice.
#pragma once

#include <cstddef>
#include <list>
#include <memory>
#include <unordered_map>
#include <utility>

namespace cz::data::detail {

/// Not thread-safe; the owner locks. Values are shared_ptr so an evicted entry stays alive for
/// whoever still holds it.
template <class Key, class Value>
class LruCache {
 public:
  using Ptr = std::shared_ptr<const Value>;

  explicit LruCache(size_t capacity_bytes) : capacity_(capacity_bytes) {}

  /// The cached value (now most recent), or null.
  Ptr get(const Key& key) {
    auto it = index_.find(key);
    if (it == index_.end()) return nullptr;
    order_.splice(order_.begin(), order_, it->second);
    return it->second->value;
  }

  /// Inserts (or replaces) and evicts least recent entries until within capacity. A value
  /// larger than the whole capacity is not kept.
  void put(const Key& key, Ptr value, size_t bytes) {
    erase(key);
    if (bytes > capacity_) return;
    order_.push_front(Entry{key, std::move(value), bytes});
    index_[key] = order_.begin();
    size_ += bytes;
    while (size_ > capacity_) {
      size_ -= order_.back().bytes;
      index_.erase(order_.back().key);
      order_.pop_back();
    }
  }

  void erase(const Key& key) {
    auto it = index_.find(key);
    if (it == index_.end()) return;
    size_ -= it->second->bytes;
    order_.erase(it->second);
    index_.erase(it);
  }

  void clear() {
    index_.clear();
    order_.clear();
    size_ = 0;
  }

  size_t size_bytes() const { return size_; }
  size_t entries() const { return index_.size(); }
  size_t capacity_bytes() const { return capacity_; }

 private:
  struct Entry {
    Key key;
    Ptr value;
    size_t bytes;
  };
  size_t capacity_;
  size_t size_ = 0;
  std::list<Entry> order_;
  std::unordered_map<Key, typename std::list<Entry>::iterator> index_;
};

}  // namespace cz::data::detail

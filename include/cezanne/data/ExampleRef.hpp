// ExampleRef: one example of a store, by its class and its position in the class.
#pragma once

#include <cstdint>

namespace cz::data {

struct ExampleRef {
  int64_t class_index = 0;
  int64_t position = 0;
};

}  // namespace cz::data

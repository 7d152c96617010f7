// The calling thread's current stream per device.
#include "cezanne/backend/Stream.hpp"

#include <vector>

namespace cz {

namespace {

// Streams chosen by a StreamGuard on this thread; a device without one uses its default stream.
thread_local std::vector<Stream> chosen;

Stream* find(Device device) {
  for (Stream& s : chosen)
    if (s.device == device) return &s;
  return nullptr;
}

}  // namespace

Stream current_stream(Device device) {
  const Stream* s = find(device);
  return s ? *s : Stream{device, nullptr};
}

StreamGuard::StreamGuard(Stream stream) : previous_(current_stream(stream.device)) {
  if (Stream* s = find(stream.device))
    *s = stream;
  else
    chosen.push_back(stream);
}

StreamGuard::~StreamGuard() { *find(previous_.device) = previous_; }

}  // namespace cz
